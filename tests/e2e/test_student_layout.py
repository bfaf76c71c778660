"""Where things sit on the screen (issue 17): the verdict stays in view after answering at
laptop size (item 6); the dashboard's charts fit a phone, the 90-day chart ends today and no
blank screens hang under the page (item 12); the student's pages and the class analytics do
not overflow sideways at 375 px (the workload forecasts included); a timed quiz keeps its clock in view (item 22)."""

from __future__ import annotations

import re
import uuid
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from cards.core import scheduling
from cards.errors import DomainError
from cards.models import Card
from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student
from cards.services.quizzes import quiz_create
from cards.services.study import answer_card
from tests.e2e.support import LAPTOP, log_in, wait_for_htmx
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

PHONE_375 = {"width": 375, "height": 740}
LONG_EXPLANATION = " ".join(
    ["Baclofen mimics GABA at GABA-B receptors in the spinal cord, which calms the reflex arcs of spasticity."] * 14
)

IN_VIEW = """(el) => { const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, height: innerHeight}; }"""
OVERFLOW = "() => [document.documentElement.scrollWidth, innerWidth]"


def in_viewport(page: Page, selector: str) -> dict:
    box = page.locator(selector).first.evaluate(IN_VIEW)
    assert box["top"] >= 0 and box["bottom"] <= box["height"], f"{selector} is out of view: {box}"
    return box


def no_sideways_overflow(page: Page, what: str) -> None:
    scroll_width, inner_width = page.evaluate(OVERFLOW)
    assert scroll_width <= inner_width, f"{what} is {scroll_width}px wide in a {inner_width}px window"


@pytest.mark.django_db(transaction=True)
def test_the_verdict_stays_in_view_after_a_wrong_answer_at_laptop_size(page, base_url):
    deck = DeckFactory(title="Receptors")
    make_question(deck, "single", explanation=LONG_EXPLANATION)
    course = CourseFactory(title="Layout course")
    course.decks.add(deck)
    enroll_student(user=UserFactory(username="vera"), course=course)
    log_in(page, base_url, "vera", "correct-horse-battery")
    page.set_viewport_size(LAPTOP)
    page.goto(f"{base_url}/study/{course.pk}/{deck.pk}/")
    panel = page.locator("#panel")
    wait_for_htmx(page)
    wrong = panel.locator("label.choice", has_text="NMDA").locator("input")
    page.keyboard.press(wrong.get_attribute("data-index"))
    page.keyboard.press("Enter")
    expect(panel).to_have_attribute("data-mode", "feedback")
    wait_for_htmx(page)
    page.wait_for_timeout(300)  # any scrolling the focus brings has happened
    expect(panel.locator(".verdict")).to_contain_text("Not quite")
    in_viewport(page, ".verdict")
    in_viewport(page, ".results li.wrong")  # the highlighted choice the student picked
    # Space still goes on to the next card from there.
    page.keyboard.press("Space")
    expect(panel).not_to_have_attribute("data-mode", "feedback")


def class_with_history():
    """A course of six questions and a student with three weeks of answers (so every chart
    has data), and its instructor."""
    teacher = UserFactory(username="tess")
    make_instructor(teacher)
    deck = DeckFactory(title="Baclofen basics", owner=teacher)
    for kind in ("single", "single", "truefalse", "short", "multiple", "flashcard"):
        make_question(deck, kind)
    course = CourseFactory(title="Phone course", owner=teacher)
    course.instructors.add(teacher)
    course.decks.add(deck)
    student = UserFactory(username="phoebe")
    enroll_student(user=student, course=course)
    now = timezone.now()
    for days_back in (21, 14, 7, 2):
        for card in Card.objects.filter(user=student).select_related("question"):
            answer = {"rating": 3} if card.question.kind == "flashcard" else {"text": "GABA-B"}
            if card.question.kind in ("single", "truefalse"):
                answer = {"choice": card.question.choices.filter(correct=True).first().pk}
            if card.question.kind == "multiple":
                answer = {"choices": list(card.question.choices.filter(correct=True).values_list("pk", flat=True))}
            try:
                answer_card(
                    user=student,
                    card_id=card.pk,
                    answer=answer,
                    review_id=uuid.uuid4(),
                    now=now - timedelta(days=days_back),
                )
            except DomainError:  # not due on that day
                continue
    return course, deck


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_fits_a_phone_and_its_90_day_chart_ends_today(page, base_url):
    class_with_history()
    log_in(page, base_url, "phoebe", "correct-horse-battery")
    page.set_viewport_size(PHONE_375)
    page.goto(f"{base_url}/dashboard/")
    no_sideways_overflow(page, "the dashboard")
    charts = page.locator("svg.chart")
    expect(charts).to_have_count(3)
    for i in range(3):
        box = charts.nth(i).bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE_375["width"], f"chart {i} is clipped: {box}"
    # The 90-day chart's last label is today, and it is on the screen.
    today = scheduling.study_day(timezone.now(), "UTC").isoformat()  # the student's study day
    daily = page.locator("section", has=page.get_by_role("heading", name="Your reviews")).locator("svg.chart")
    last_label = daily.locator(".chart-x-axis text").last
    expect(last_label).to_have_text(today)
    box = last_label.bounding_box()
    assert box["x"] + box["width"] <= PHONE_375["width"], f"today's label is off the screen: {box}"
    # No blank screens under the last section: the hidden tables take no height.
    blank = page.evaluate(
        """() => document.documentElement.scrollHeight
             - (document.querySelector('main').getBoundingClientRect().bottom + scrollY)"""
    )
    assert blank <= 2, f"{blank}px of blank space under the dashboard"
    expect(page.locator("table caption", has_text="Reviews per day")).to_be_attached()  # still there for readers


@pytest.mark.django_db(transaction=True)
def test_student_pages_and_class_analytics_do_not_overflow_at_375_px(page, base_url):
    course, deck = class_with_history()
    log_in(page, base_url, "phoebe", "correct-horse-battery")
    page.set_viewport_size(PHONE_375)
    for path, what in (
        ("/study/", "the study home"),
        (f"/study/{course.pk}/{deck.pk}/", "the deck page"),
        (f"/study/{course.pk}/{deck.pk}/suspended/", "the suspended list"),
        ("/dashboard/", "the dashboard"),
        (f"/preferences/forecast/{course.pk}/", "the workload forecast"),
    ):
        page.goto(f"{base_url}{path}")
        no_sideways_overflow(page, what)
    page.context.clear_cookies()
    log_in(page, base_url, "tess", "correct-horse-battery")
    page.goto(f"{base_url}/teach/courses/{course.pk}/analytics/")
    page.get_by_role("button", name="Calculate now").click()
    expect(page.get_by_text("Statistics recalculated in")).to_be_visible()
    no_sideways_overflow(page, "the class analytics")
    for i in range(page.locator("svg.chart").count()):
        box = page.locator("svg.chart").nth(i).bounding_box()
        assert box["x"] + box["width"] <= PHONE_375["width"], f"analytics chart {i} is clipped: {box}"
    page.goto(f"{base_url}/teach/courses/{course.pk}/#forecast")
    no_sideways_overflow(page, "the course settings with their workload forecast")
    expect(page.locator("table caption", has_text="Expected workload over the next 30 days")).to_be_visible()
    for i in range(page.locator("#forecast svg.chart").count()):
        box = page.locator("#forecast svg.chart").nth(i).bounding_box()
        assert box["x"] + box["width"] <= PHONE_375["width"], f"forecast chart {i} is clipped: {box}"


@pytest.mark.django_db(transaction=True)
def test_a_timed_quizs_time_left_stays_in_view_and_is_not_read_out_every_second(page, base_url):
    deck = DeckFactory(title="Quiz deck")
    questions = [make_question(deck, "single", prompt=f"Question {n}: which receptor?") for n in range(8)]
    course = CourseFactory(title="Timed course")
    course.decks.add(deck)
    enroll_student(user=UserFactory(username="tim"), course=course)
    quiz = quiz_create(
        course=course,
        created_by=course.owner,
        title="Timed check",
        questions=questions,
        num_questions=8,
        time_limit_minutes=10,
    )
    log_in(page, base_url, "tim", "correct-horse-battery")
    page.goto(f"{base_url}/quizzes/")
    page.locator(f"form[action$='/quizzes/{quiz.pk}/start/'] button").click()
    timer = page.locator(".timer")
    expect(page.locator("#time-left")).to_have_text(re.compile(r"^\d+:\d\d$"))
    for size in (LAPTOP, PHONE_375):
        page.set_viewport_size(size)
        page.locator("#submit-attempt").scroll_into_view_if_needed()
        page.mouse.wheel(0, 4000)
        page.wait_for_timeout(200)
        assert page.evaluate("() => scrollY") > 300, "the quiz page is too short to test"
        in_viewport(page, ".timer")
    # Screen readers: a polite live region, and not the ticking seconds (that would announce
    # every second); the clock itself is a timer role with live announcements off.
    expect(timer).to_have_attribute("role", "timer")
    live = page.locator("#time-left-announce")
    expect(live).to_have_attribute("aria-live", "polite")
    first = live.inner_text()
    page.wait_for_timeout(2_200)
    assert live.inner_text() == first, "the polite region changed within two seconds"
