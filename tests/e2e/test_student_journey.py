"""Journey 1: a new student signs up, joins a course by its code, studies ten cards with
the keyboard only, and reloads mid-session without losing or repeating anything."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from playwright.sync_api import expect

from cards.models import Card, Deck, ReviewLog
from cards.services.courses import enroll_student
from tests.e2e.support import answer_by_keyboard, log_in, screenshots, shown_card_id, wait_for_htmx
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

JOIN_CODE = "PHARM2E2E"
PASSWORD = "tonic-clonus-gaba-42"
CARDS_TO_STUDY = 10
RELOAD_AFTER = 5


def deck_row_counts(page, deck_title: str) -> dict[str, int]:
    row = page.locator("table.decks tbody tr", has=page.locator(".deck-title", has_text=deck_title))
    expect(row).to_have_count(1)
    return {name: int(row.locator(f"td.{name}").inner_text()) for name in ("new", "learning", "due")}


@pytest.mark.django_db(transaction=True)
def test_new_student_signs_up_joins_and_studies_ten_cards_by_keyboard(page, base_url, axe):
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    deck = Deck.objects.get(slug="baclofen")
    teacher = UserFactory(username="e2e-teacher")
    course = CourseFactory(title="Pharmacology 201", join_code=JOIN_CODE, is_open=False, owner=teacher)
    course.decks.add(deck)

    # Sign up.
    page.goto(f"{base_url}/accounts/signup/")
    axe.check(page, "signup")
    page.get_by_label("Username").fill("newstudent")
    page.get_by_label("Email").fill("newstudent@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Password confirmation").fill(PASSWORD)
    page.get_by_label("Time zone").select_option("Europe/Paris")
    page.get_by_role("button", name="Sign up").click()
    expect(page).to_have_url(f"{base_url}/study/")
    expect(page.locator(".messages")).to_contain_text("Welcome")
    expect(page.locator("main")).to_contain_text("You are not in a course yet")
    axe.check(page, "study home (no course)")

    # Join the course with its code (typed in lower case: codes are not case-sensitive).
    page.get_by_label("Join code").fill(JOIN_CODE.lower())
    page.get_by_label("Join code").press("Enter")
    expect(page.locator(".messages")).to_contain_text("You joined Pharmacology 201")
    before = deck_row_counts(page, deck.title)
    assert before["new"] == course.new_per_day, before
    axe.check(page, "study home")

    page.get_by_role("link", name="Study now").click()
    expect(page.locator("#panel")).to_have_attribute("data-mode", "question")
    axe.check(page, "study card")

    answered: list[int] = []
    shot_card = shot_feedback = reloaded = False
    for n in range(1, CARDS_TO_STUDY + 1):
        panel = page.locator("#panel")
        if not shot_card and panel.locator("fieldset.choices").count():
            screenshots(page, "study-card")
            shot_card = True
        card_id, kind = answer_by_keyboard(page)
        assert card_id not in answered, f"card {card_id} was shown again after being answered"
        answered.append(card_id)

        expect(panel.locator(".counts .muted")).to_contain_text(f"{n} done today")
        if kind == "flashcard":  # rated: the next card is already on screen
            expect(panel.locator(".msg-success")).to_contain_text("Rated Good")
            axe.check(page, "next card after rating a flashcard")
            continue
        feedback = panel.locator("article.feedback")
        expect(feedback).to_be_visible()
        expect(feedback.locator(".verdict")).to_contain_text("Correct")
        expect(feedback.locator("figure.source blockquote")).not_to_be_empty()
        expect(feedback.locator("figure.source figcaption")).to_contain_text("Source:")
        expect(panel.locator(".counts .muted")).to_contain_text(f"{n} done today")
        axe.check(page, f"feedback ({kind})")
        if not shot_feedback and kind in ("single", "multiple"):
            screenshots(page, "feedback")
            shot_feedback = True

        if n >= RELOAD_AFTER and not reloaded:  # the first feedback from the 5th card on
            reloaded = True
            # Reload with the feedback on screen: the answer is already saved; the page
            # comes back on the next card, and nothing is recorded twice.
            page.reload()
            expect(panel).to_have_attribute("data-mode", "question")
            wait_for_htmx(page)
            assert ReviewLog.objects.filter(user__username="newstudent").count() == n
            expect(panel.locator(".counts .muted")).to_contain_text(f"{n} done today")
            waiting = shown_card_id(page)
            assert waiting not in answered, f"card {waiting} came back after a reload"
            # Reload again before answering: the same unanswered card is still the one shown.
            page.reload()
            expect(panel).to_have_attribute("data-mode", "question")
            wait_for_htmx(page)
            assert shown_card_id(page) == waiting
            axe.check(page, "study card after reload")
        elif n < CARDS_TO_STUDY:
            page.keyboard.press("Space")  # next card
            expect(panel).to_have_attribute("data-mode", "question")
            wait_for_htmx(page)

    logs = ReviewLog.objects.filter(user__username="newstudent")
    assert logs.count() == CARDS_TO_STUDY
    assert sorted(logs.values_list("card_id", flat=True)) == sorted(answered)
    assert len(set(answered)) == CARDS_TO_STUDY
    assert not logs.filter(kind=ReviewLog.Kind.UNDO).exists()

    page.get_by_role("link", name="All decks").click()
    expect(page).to_have_url(f"{base_url}/study/")
    after = deck_row_counts(page, deck.title)
    # within today's limit, less the siblings of the questions answered (citing the same
    # passages), which wait for tomorrow
    waiting = Card.objects.filter(user__username="newstudent", last_review__isnull=True, buried_until__isnull=True)
    assert after["new"] == min(before["new"] - CARDS_TO_STUDY, waiting.count()), (before, after)
    assert after["new"] + after["due"] < before["new"] + before["due"]
    expect(page.locator(".stats")).to_contain_text(str(CARDS_TO_STUDY))
    axe.check(page, "study home after studying")
    screenshots(page, "study-home")
    assert shot_card and shot_feedback and reloaded


@pytest.mark.django_db(transaction=True)
def test_enter_after_a_correct_answer_goes_to_the_next_card_without_rerating(page, base_url, axe):
    deck = DeckFactory(title="Enter key")
    for kind in ("single", "truefalse"):
        make_question(deck, kind)
    course = CourseFactory(title="Keyboard course")
    course.decks.add(deck)
    student = UserFactory(username="enrique")
    enroll_student(user=student, course=course)
    log_in(page, base_url, "enrique", "correct-horse-battery")
    page.goto(f"{base_url}/study/{course.pk}/{deck.pk}/")
    first, _kind = answer_by_keyboard(page)
    page.keyboard.press("Enter")  # README: Enter/Space "go to the next card"
    expect(page.locator("#panel")).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    assert shown_card_id(page) != first
    logs = ReviewLog.objects.filter(user=student)
    assert [(log.kind, log.rating) for log in logs.order_by("id")] == [(ReviewLog.Kind.REVIEW, 3)]
