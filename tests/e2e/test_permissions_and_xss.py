"""Journeys 5 and 6: a student is refused every instructor page; hostile authored text is
shown as text and never runs."""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from playwright.sync_api import expect

from cards.models import Question
from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student
from tests.e2e.support import answer_by_keyboard, log_in
from tests.factories import ChoiceFactory, CourseFactory, DeckFactory, QuestionFactory, UserFactory, make_question

PASSWORD = "correct-horse-battery"  # tests.factories.UserFactory's password
SCRIPT = "<script>alert(1)</script>"
IMG = "<img src=x onerror=alert(1)>"


def teach_routes() -> list[str]:
    """Every URL pattern under /teach/ (so a new instructor page is covered automatically)."""
    found: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                route = prefix + str(p.pattern)
                if route.startswith("teach/"):
                    found.append(route)

    walk(get_resolver().url_patterns)
    return found


@pytest.mark.django_db(transaction=True)
def test_student_is_refused_every_instructor_page(page, base_url, axe):
    teacher = UserFactory(username="prof")
    make_instructor(teacher)
    deck = DeckFactory(title="Mechanisms", owner=teacher)
    question = make_question(deck, "single")
    course = CourseFactory(title="Refusals", owner=teacher)
    course.decks.add(deck)
    student = UserFactory(username="dora")
    enroll_student(user=student, course=course)
    ids = {
        "course_id": course.pk,
        "deck_id": deck.pk,
        "question_id": question.pk,
        "source_id": question.passage.source.pk,
        "report_id": 1,
        "fmt": "json",
    }
    routes = teach_routes()
    assert len(routes) >= 20, routes

    log_in(page, base_url, "dora", PASSWORD, axe=axe)
    refused = []
    for route in routes:
        path = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(ids.get(m.group(1), 1)), route)
        response = page.goto(f"{base_url}/{path}")
        assert response.status == 403, f"/{path} answered {response.status} to a student"
        expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
        expect(page.locator("main")).not_to_contain_text(question.prompt)
        axe.check(page, "403 page")
        refused.append(path)
    # The student's own navigation offers no way in.
    expect(page.locator("header.topbar nav")).not_to_contain_text("Teach")
    assert len(refused) == len(routes)


def hostile_question(deck) -> Question:
    question = QuestionFactory(
        deck=deck,
        kind="single",
        prompt=f"Pick the receptor {SCRIPT} {IMG}",
        explanation=f"Because {SCRIPT} and {IMG} are just text here.",
    )
    ChoiceFactory(question=question, text=f"GABA-B {IMG}", correct=True, feedback=f"Yes {SCRIPT}", order=0)
    ChoiceFactory(question=question, text="GABA-A", feedback=f"No {IMG}", order=1)
    question.passage.source.title = f"Article {SCRIPT}"
    question.passage.source.save()
    return question


@pytest.mark.django_db(transaction=True)
def test_script_payloads_in_authored_text_show_as_text_and_never_run(context, base_url, axe):
    dialogs: list[str] = []
    teacher = UserFactory(username="prof")
    make_instructor(teacher)
    deck = DeckFactory(title=f"Deck {SCRIPT}", owner=teacher)
    question = hostile_question(deck)
    course = CourseFactory(title=f"Course {IMG}", owner=teacher)
    course.instructors.add(teacher)
    course.decks.add(deck)
    student = UserFactory(username="erin")
    enroll_student(user=student, course=course)

    page = context.new_page()
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))

    log_in(page, base_url, "erin", PASSWORD, axe=axe)
    expect(page.locator("table.decks")).to_contain_text(f"Deck {SCRIPT}")
    page.get_by_role("link", name="Study now").click()
    prompt = page.locator("#panel #prompt")
    expect(prompt).to_contain_text(SCRIPT)
    expect(prompt).to_contain_text(IMG)
    expect(page.locator("#panel label.choice", has_text=f"GABA-B {IMG}")).to_have_count(1)
    assert page.locator("#panel img, #panel script").count() == 0
    axe.check(page, "study card (hostile text)")

    answer_by_keyboard(page)
    feedback = page.locator("#panel article.feedback")
    expect(feedback.locator(".explanation")).to_contain_text(f"Because {SCRIPT} and {IMG}")
    expect(feedback.locator("figure.source figcaption")).to_contain_text(f"Article {SCRIPT}")
    expect(feedback.locator(".results")).to_contain_text(f"Yes {SCRIPT}")
    assert page.locator("#panel img, #panel script").count() == 0
    axe.check(page, "feedback (hostile text)")

    # The instructor's views of the same text: deck list, editor and its live preview.
    page.get_by_role("button", name=re.compile("Log out")).click()
    log_in(page, base_url, "prof", PASSWORD, axe=axe)
    page.goto(f"{base_url}/teach/decks/{deck.pk}/")
    expect(page.locator("table.questions")).to_contain_text("<script>")
    axe.check(page, "deck page (hostile text)")
    page.goto(f"{base_url}/teach/questions/{question.pk}/")
    expect(page.get_by_label("Prompt")).to_have_value(question.prompt)
    page.get_by_label("Prompt").fill(f"Edited {IMG} {SCRIPT}")
    expect(page.locator("#preview #prompt")).to_contain_text(f"Edited {IMG}")
    assert page.locator("main img, #preview script").count() == 0
    axe.check(page, "question editor (hostile text)")

    page.wait_for_timeout(300)  # let any late onerror/handler fire before judging
    assert dialogs == [], dialogs
