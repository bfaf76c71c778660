"""The teaching pages in a browser (issue 17, items 14, 21, 23, 24 and 25): a quiz made is found
again on the course's quiz list; the editor's choice boxes carry visible labels and a choice
question without choices previews no text box; a long uid wraps inside the deck table at
phone and laptop width; a new join code asks first, without a script dialog; the course page
says how the class is scheduled and refits by keyboard (issue 20); sign-up preselects the
browser's time zone."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards.models import Course, Profile, Quiz, SchedulerParameters
from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student
from tests.e2e.support import log_in
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

PASSWORD = "correct-horse-battery"
LONG_UID = "baclofen-which-of-the-following-best-describes-the-mechanism-of-action-of-baclofen-in-spasticity"


def teaching_setup():
    instructor = UserFactory(username="teacher")
    make_instructor(instructor)
    deck = DeckFactory(title="Spasticity drugs", owner=instructor)
    for kind in ("single", "multiple", "truefalse"):
        make_question(deck, kind)
    make_question(deck, "single", uid=LONG_UID[:80])
    course = CourseFactory(title="Neuropharmacology", owner=instructor)
    course.instructors.add(instructor)
    course.decks.add(deck)
    enroll_student(user=UserFactory(username="alice"), course=course)
    return instructor, deck, course


def page_overflow(page) -> int:
    return page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.django_db(transaction=True)
def test_a_quiz_made_is_found_on_the_course_quiz_list(page, base_url, axe):
    _instructor, _deck, course = teaching_setup()
    log_in(page, base_url, "teacher", PASSWORD)
    page.goto(f"{base_url}/teach/courses/{course.pk}/")
    page.get_by_role("link", name="New quiz").click()
    page.get_by_label("Title").fill("Week 1 quiz")
    page.get_by_label("Questions per attempt").fill("2")
    axe.check(page, "new quiz form")
    page.get_by_role("button", name="Create quiz").click()
    expect(page.get_by_role("heading", name="Quizzes: Neuropharmacology", level=1)).to_be_visible()
    row = page.locator("tr", has_text="Week 1 quiz")
    expect(row).to_contain_text("Open")
    axe.check(page, "course quiz list")
    row.get_by_role("button", name="Close now").click()
    expect(page.locator(".messages")).to_contain_text("is closed")
    expect(page.locator("tr", has_text="Week 1 quiz")).to_contain_text("Closed")
    page.locator("tr", has_text="Week 1 quiz").get_by_role("button", name="Delete").click()
    expect(page.locator(".messages")).to_contain_text("deleted")
    assert not Quiz.objects.filter(title="Week 1 quiz").exists()


@pytest.mark.django_db(transaction=True)
def test_the_editor_labels_its_choice_boxes_and_previews_no_text_box_without_choices(page, base_url, axe):
    _instructor, deck, _course = teaching_setup()
    log_in(page, base_url, "teacher", PASSWORD)
    page.goto(f"{base_url}/teach/decks/{deck.pk}/questions/new/?kind=single")
    for name in ("Choice 1", "Feedback for choice 1"):
        box = page.get_by_label(name, exact=True)
        expect(box).to_be_visible()
        label = page.locator(f"label[for='{box.get_attribute('id')}']")
        expect(label).to_be_visible()  # seen, not only read out
        assert label.bounding_box()["width"] > 20
    page.get_by_label("Prompt").fill("Which drug activates GABA-B receptors?")
    preview = page.locator("#preview")
    expect(preview).to_contain_text("Which drug activates GABA-B receptors?")
    expect(preview).to_contain_text("No choices yet")
    expect(preview.get_by_label("Your answer")).to_have_count(0)
    page.get_by_label("Choice 1", exact=True).fill("Baclofen")
    expect(preview.get_by_role("radio", name="Baclofen")).to_be_visible()
    expect(preview).not_to_contain_text("No choices yet")
    axe.check(page, "question editor (single)")


@pytest.mark.django_db(transaction=True)
def test_a_long_uid_wraps_inside_the_deck_table(page, base_url):
    _instructor, deck, _course = teaching_setup()
    log_in(page, base_url, "teacher", PASSWORD)
    for width, height in ((375, 812), (1280, 800)):
        page.set_viewport_size({"width": width, "height": height})
        page.goto(f"{base_url}/teach/decks/{deck.pk}/")
        link = page.get_by_role("link", name=LONG_UID[:80])
        expect(link).to_be_visible()
        assert page_overflow(page) <= 0, f"the page scrolls sideways at {width}px"
        table = page.locator("table.questions").bounding_box()
        box = link.bounding_box()
        assert box["x"] + box["width"] <= table["x"] + table["width"] + 1, f"the uid overflows its table at {width}px"
        assert table["x"] + table["width"] <= width + 1, f"the table is wider than the screen at {width}px"


@pytest.mark.django_db(transaction=True)
def test_a_new_join_code_asks_first_on_a_page_not_a_dialog(page, base_url, axe):
    _instructor, _deck, course = teaching_setup()
    old = course.join_code
    log_in(page, base_url, "teacher", PASSWORD)
    page.goto(f"{base_url}/teach/courses/{course.pk}/")
    page.get_by_role("button", name="Make a new code").click()
    expect(page.get_by_role("heading", name="Make a new join code?")).to_be_visible()
    axe.check(page, "confirm a new join code")
    assert Course.objects.get(pk=course.pk).join_code == old
    page.get_by_role("link", name="Cancel").click()
    expect(page.locator("code.join-code")).to_have_text(old)
    page.get_by_role("button", name="Make a new code").click()
    page.get_by_role("button", name="Make a new code").click()
    expect(page.locator(".messages")).to_contain_text("New join code")
    assert Course.objects.get(pk=course.pk).join_code != old


@pytest.mark.django_db(transaction=True)
def test_the_course_page_says_how_the_class_is_scheduled_and_refits_by_keyboard(page, base_url, axe):
    _instructor, _deck, course = teaching_setup()
    log_in(page, base_url, "teacher", PASSWORD)
    page.goto(f"{base_url}/teach/courses/{course.pk}/")
    section = page.get_by_role("region", name="How the class is scheduled")
    expect(section).to_contain_text("nothing has been fitted yet")
    expect(section).to_contain_text("Students scheduled with a fit of their own: 0 of 1")
    axe.check(page, "course page with how the class is scheduled")
    refit = section.get_by_role("button", name="Refit now")
    refit.focus()
    page.keyboard.press("Enter")
    expect(page.locator(".messages")).to_contain_text("Refitted:")
    expect(section).to_contain_text("last tried")  # the defaults, checked by the refit
    assert SchedulerParameters.objects.filter(course=course, enrollment=None).exists()


@pytest.mark.django_db(transaction=True)
def test_sign_up_takes_the_browsers_time_zone(browser, base_url, live_server):
    context = browser.new_context(timezone_id="America/New_York", viewport={"width": 1280, "height": 800})
    try:
        page = context.new_page()
        page.goto(f"{base_url}/accounts/signup/")
        expect(page.get_by_label("Time zone")).to_have_value("America/New_York")
        page.get_by_label("Username").fill("newyorker")
        page.get_by_label("Email").fill("ny@example.org")
        page.get_by_label("Password", exact=True).fill("a long pass phrase 42")
        page.get_by_label("Password confirmation").fill("a long pass phrase 42")
        page.get_by_role("button", name="Sign up").click()
        expect(page.locator("header.topbar")).to_contain_text("(newyorker)")
        assert Profile.objects.get(user__username="newyorker").timezone == "America/New_York"
    finally:
        context.close()
