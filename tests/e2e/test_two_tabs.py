"""Journey 2: the same card open in two tabs. Answering in both records one review, and the
stale tab is told the card was already answered."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards.models import ReviewLog
from cards.services.courses import enroll_student
from tests.e2e.support import answer_by_keyboard, log_in, shown_card_id
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password


def _two_tabs_on_one_card(context, base_url, axe):
    deck = DeckFactory(title="Receptors")
    for kind in ("single", "truefalse"):
        make_question(deck, kind)
    course = CourseFactory(title="Two tabs course")
    course.decks.add(deck)
    student = UserFactory(username="tabby")
    enroll_student(user=student, course=course)
    url = f"{base_url}/study/{course.pk}/{deck.pk}/"

    first, second = context.new_page(), context.new_page()
    log_in(first, base_url, "tabby", PASSWORD, axe=axe)
    first.goto(url)
    second.goto(url)
    axe.check(second, "study card (second tab)")
    card_id = shown_card_id(first)
    assert shown_card_id(second) == card_id, "both tabs should show the same card"

    first.bring_to_front()
    answer_by_keyboard(first)
    axe.check(first, "feedback (first tab)")

    second.bring_to_front()
    with second.expect_response(lambda r: r.url.endswith("/answer/") and r.request.method == "POST") as answer:
        answer_by_keyboard_without_waiting(second)
    return student, card_id, second, answer.value


def answer_by_keyboard_without_waiting(page):
    """The stale tab answers its (already answered) card: pick the first choice, Enter."""
    page.keyboard.press("1")
    page.keyboard.press("Enter")


@pytest.mark.django_db(transaction=True)
def test_answering_in_two_tabs_records_one_review(context, base_url, axe):
    student, card_id, second, response = _two_tabs_on_one_card(context, base_url, axe)
    assert response.status == 409, response.status
    assert "already answered" in response.text()
    logs = ReviewLog.objects.filter(user=student)
    assert logs.count() == 1
    assert logs.get().card_id == card_id


@pytest.mark.django_db(transaction=True)
def test_stale_tab_is_told_the_card_was_already_answered(context, base_url, axe):
    _student, _card_id, second, _response = _two_tabs_on_one_card(context, base_url, axe)
    expect(second.locator("#panel .msg-warning")).to_contain_text("already answered", timeout=3_000)
    axe.check(second, "already answered notice")
