"""The flashcard flow with the keyboard, as an Anki user meets it (issue 17, items 2-4):
Space reveals, only 1-4 rate, a rating goes straight to the next card, and U undoes with its
message in the panel at once."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from cards.models import ReviewLog
from cards.services.courses import enroll_student
from tests.e2e.support import log_in, shown_card_id, wait_for_htmx
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question


def flashcard_course(username: str, cards: int = 3):
    deck = DeckFactory(title="Flashcards")
    for n in range(cards):
        make_question(deck, "flashcard", prompt=f"Flashcard front {n}?", back=f"Back {n}")
    course = CourseFactory(title="Flashcard course")
    course.decks.add(deck)
    student = UserFactory(username=username)
    enroll_student(user=student, course=course)
    return course, deck, student


def reveal_by_space(page):
    panel = page.locator("#panel")
    expect(panel).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    page.keyboard.press("Space")
    expect(panel).to_have_attribute("data-mode", "reveal")
    wait_for_htmx(page)


@pytest.mark.django_db(transaction=True)
def test_space_and_enter_after_show_answer_never_rate(page, base_url):
    course, deck, student = flashcard_course("sasha")
    log_in(page, base_url, "sasha", "correct-horse-battery")
    page.goto(f"{base_url}/study/{course.pk}/{deck.pk}/")
    reveal_by_space(page)
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, tag: document.activeElement.tagName,"
        " inPanel: document.getElementById('panel').contains(document.activeElement)})"
    )
    assert "rate" not in focused["cls"], f"focus landed on a rating button: {focused}"
    assert focused["inPanel"], f"focus left the panel: {focused}"
    for key in ("Space", "Enter", "Space", "Enter"):
        page.keyboard.press(key)
        page.wait_for_timeout(150)
        wait_for_htmx(page)
    expect(page.locator("#panel")).to_have_attribute("data-mode", "reveal")
    assert not ReviewLog.objects.filter(user=student).exists(), "Space or Enter recorded a rating"
    page.keyboard.press("2")  # rating has its own keys
    expect(page.locator("#panel")).not_to_have_attribute("data-mode", "reveal")
    wait_for_htmx(page)
    assert [log.rating for log in ReviewLog.objects.filter(user=student)] == [2]


@pytest.mark.django_db(transaction=True)
def test_rating_a_flashcard_goes_straight_to_the_next_card_and_u_still_undoes(page, base_url):
    course, deck, student = flashcard_course("anki")
    log_in(page, base_url, "anki", "correct-horse-battery")
    page.goto(f"{base_url}/study/{course.pk}/{deck.pk}/")
    panel = page.locator("#panel")
    first = shown_card_id(page)
    reveal_by_space(page)
    page.keyboard.press("3")
    # No "You rated it Good" screen: the next card, with the rating said in passing.
    expect(panel).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    expect(panel.locator("article.feedback")).to_have_count(0)
    expect(panel).to_contain_text("Rated Good")
    second = shown_card_id(page)
    assert second != first
    assert [(log.card_id, log.rating) for log in ReviewLog.objects.filter(user=student)] == [(first, 3)]
    with page.expect_response(lambda r: r.url.endswith("/undo/")):
        page.keyboard.press("u")
    wait_for_htmx(page)
    undo = ReviewLog.objects.get(user=student, kind=ReviewLog.Kind.UNDO)
    assert undo.undoes.card_id == first
    assert shown_card_id(page) == first  # the undone card is back, to be rated again
    reveal_by_space(page)
    page.keyboard.press("4")
    expect(panel).to_have_attribute("data-mode", "question")
    assert ReviewLog.objects.filter(user=student, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True).get().rating == 4


@pytest.mark.django_db(transaction=True)
def test_undo_says_so_in_the_panel_at_once_and_the_message_goes_with_it(page, base_url):
    course, deck, student = flashcard_course("ulla")
    log_in(page, base_url, "ulla", "correct-horse-battery")
    page.goto(f"{base_url}/study/{course.pk}/{deck.pk}/")
    panel = page.locator("#panel")
    reveal_by_space(page)
    page.keyboard.press("3")
    expect(panel).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    page.keyboard.press("u")
    expect(panel.locator(".msg")).to_contain_text("Last review undone", timeout=3_000)
    wait_for_htmx(page)
    assert ReviewLog.objects.filter(user=student, kind=ReviewLog.Kind.UNDO).count() == 1
    # A later full page load does not bring the message back above the card.
    page.reload()
    expect(panel).to_have_attribute("data-mode", "question")
    expect(page.locator("main")).not_to_contain_text("Last review undone")
    # Nor does the next card's panel keep it.
    reveal_by_space(page)
    page.keyboard.press("3")
    expect(panel).to_have_attribute("data-mode", "question")
    wait_for_htmx(page)
    expect(page.locator("main")).not_to_contain_text("Last review undone")
