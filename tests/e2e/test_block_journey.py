"""Journey: a student builds a tutor block and answers it by keyboard (feedback, passage and
class shares after each question, Space for the next), then a timed block (a clock from the
server's deadline, no key until the end), and reviews both results. axe on every page;
screenshots for the README."""

from __future__ import annotations

import re

from django.core.management import call_command
from playwright.sync_api import Page, expect

from cards.models import Block, Card, Course, QuestionNote, ReviewLog
from tests.answers import card_answer
from tests.e2e.support import focus_with_tab, log_in, screenshots

STUDENT = ("student1", "demo-student1-pass")


def load_demo() -> Course:
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    call_command("seed_demo", verbosity=0)
    return Course.objects.get(join_code="BACLOFEN")


def answer_shown_question(page: Page) -> Card:
    """Answer the question on screen correctly with the keyboard only: digits pick choices
    (Enter checks), a typed answer is reached with Tab and sent with Enter."""
    form = page.locator("#answer-form")
    expect(form).to_be_visible()
    card = Card.objects.select_related("question").get(pk=form.locator('input[name="card"]').get_attribute("value"))
    answer = card_answer(card)
    if "text" in answer:
        focus_with_tab(page, "answer-text")
        page.keyboard.type(answer["text"])
    else:
        picks = answer.get("choices") or [answer["choice"]]
        for pk in picks:
            page.keyboard.press(form.locator(f'input[data-index][value="{pk}"]').get_attribute("data-index"))
    with page.expect_navigation():
        page.keyboard.press("Enter")
    return card


def start_block(page: Page, base_url: str, course: Course, *, mode: str, size: int, axe) -> Block:
    page.goto(f"{base_url}/blocks/new/?course={course.pk}")
    expect(page.locator("h1")).to_have_text("New block")
    expect(page.get_by_text(re.compile(r"All\s+\d+ questions"))).to_be_visible()
    axe.check(page, "new block form")
    page.get_by_label("Questions (1–100)").fill(str(size))
    page.locator(f'input[name="mode"][value="{mode}"]').check()
    if mode == "tutor":
        screenshots(page, "block-new")
    page.get_by_role("button", name="Start the block").click()
    expect(page.locator("#panel")).to_be_visible()
    return Block.objects.filter(user__username=STUDENT[0]).first()


def test_a_tutor_block_by_keyboard(page: Page, base_url, axe):
    course = load_demo()
    log_in(page, base_url, *STUDENT)
    block = start_block(page, base_url, course, mode="tutor", size=3, axe=axe)
    assert block.mode == "tutor" and block.size == 3
    axe.check(page, "tutor block question")
    for number in range(1, 4):
        expect(page.locator("h1")).to_contain_text(f"Question {number} of 3")
        card = answer_shown_question(page)
        expect(page.locator(".verdict")).to_contain_text("Correct")
        expect(page.locator(".source")).to_be_visible()  # the cited passage
        expect(page.locator(".class-shares")).to_contain_text("How the class answered")
        assert ReviewLog.objects.filter(card=card).exists()  # the first answer is a review
        if number == 1:
            # the flag and note form, loaded by htmx under the feedback; saved in place
            note = page.locator(f"#note-text-{card.question_id}")
            expect(note).to_be_visible()
            note.fill("Remember: **GABA-B**")
            page.locator(f"#note-{card.question_id}").get_by_label("Flag this question").check()
            page.locator(f"#note-{card.question_id}").get_by_role("button", name="Save note").click()
            expect(page.locator(f"#note-{card.question_id} .msg-success")).to_have_text("Saved.")
            expect(page.locator(f"#note-{card.question_id} .note-text strong")).to_have_text("GABA-B")
            assert QuestionNote.objects.get(question_id=card.question_id).flagged
            axe.check(page, "tutor block feedback")
            screenshots(page, "block-tutor-feedback")
            page.locator("#next").focus()
        if number < 3:
            with page.expect_navigation():
                page.keyboard.press("Space")
    focus_with_tab(page, "finish")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator("h1")).to_contain_text("Block result")
    expect(page.locator(".score")).to_contain_text("3/3 (100%)")
    axe.check(page, "tutor block result")
    screenshots(page, "block-result")
    page.goto(f"{base_url}/blocks/")
    expect(page.locator("svg.chart")).to_be_visible()
    axe.check(page, "block history")


def test_a_timed_block_by_keyboard(page: Page, base_url, axe):
    course = load_demo()
    log_in(page, base_url, *STUDENT)
    block = start_block(page, base_url, course, mode="timed", size=2, axe=axe)
    assert block.mode == "timed" and block.deadline is not None
    expect(page.locator("#time-left")).to_have_text(re.compile(r"^\d+:\d\d$"))  # quiz.js counts down
    axe.check(page, "timed block question")
    answer_shown_question(page)
    expect(page.locator("h1")).to_contain_text("Question 2 of 2")  # straight on, no feedback
    expect(page.locator(".verdict")).to_have_count(0)
    answer_shown_question(page)
    expect(page.locator(".msg")).to_contain_text("Saved; answer again to change it.")
    screenshots(page, "block-timed")
    focus_with_tab(page, "finish")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page.locator(".score")).to_contain_text("2/2")
    expect(page.locator(".verdict").first).to_contain_text("Correct")
    axe.check(page, "timed block result")
