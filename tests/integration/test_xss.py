"""Hostile text in every authored field is shown as text: nothing runs."""

import uuid
from datetime import UTC, datetime
from html.parser import HTMLParser

import pytest
from django.urls import reverse

from cards.core.rendering import render_markdown
from cards.models import Card
from cards.services import authoring
from cards.services.study import answer_card

PAYLOADS = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "[click](javascript:alert(1))",
    "[click](JaVaScRiPt:alert(1))",
    '<a href="javascript:alert(1)">x</a>',
    "<svg onload=alert(1)>",
    '"><script>alert(1)</script>',
    "<iframe src=javascript:alert(1)></iframe>",
    "![x](javascript:alert(1))",
    "<details open ontoggle=alert(1)>",
    "`<b onmouseover=alert(1)>`",
    "H~2~O <sub onclick=alert(1)>x</sub>",
]

FORBIDDEN_TAGS = {"iframe", "svg", "img", "object", "embed", "math", "base", "form-action"}


class _Tags(HTMLParser):
    """Every real tag and attribute of a page (escaped text is data, not tags)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(html: str) -> None:
    parser = _Tags()
    parser.feed(html)
    for tag, attrs in parser.found:
        assert tag not in FORBIDDEN_TAGS, (tag, attrs)
        if tag == "script":
            assert (attrs.get("src") or "").startswith("/static/"), attrs
        for name, value in attrs.items():
            assert not name.startswith("on"), (tag, name, value)
            if name in ("href", "src", "action", "formaction"):
                assert not (value or "").strip().lower().startswith(("javascript:", "data:text")), (tag, name, value)


@pytest.mark.parametrize("payload", PAYLOADS)
def test_markdown_rendering_is_inert(payload):
    assert_inert(render_markdown(payload))
    assert_inert(render_markdown(payload, inline=True))


@pytest.fixture
def hostile_question(instructor, course, deck, student):
    """The only card the student may study (the student enrolled first: the other cards they
    get are suspended, whatever order new cards come in)."""
    deck.owner = instructor
    deck.save()
    payload = " ".join(PAYLOADS)
    question = authoring.question_save(
        deck=deck,
        author=instructor,
        data={
            "kind": "single",
            "topic": "mechanism",
            "prompt": f"Which? {payload}",
            "status": "published",
            "explanation": f"Because {payload}",
            "tags": ["<script>alert(1)</script>"],
            "choices": [
                {"text": f"Right {PAYLOADS[1]}", "correct": True, "feedback": f"Yes {payload}"},
                {"text": f"Wrong {PAYLOADS[2]}", "correct": False, "feedback": f"No {payload}"},
                {"text": f"Other {PAYLOADS[5]}", "correct": False, "feedback": f"No {payload}"},
            ],
        },
    )
    course.decks.set([deck])
    Card.objects.exclude(question=question).update(suspended=True)
    return question


def test_every_student_and_instructor_page_shows_payloads_as_text(
    hostile_question, student, student_client, instructor_client, course, deck
):
    session = student_client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    assert "Which?" in session
    assert_inert(session)
    card = Card.objects.get(user=student, question=hostile_question)
    right = hostile_question.choices.get(correct=True)
    log = answer_card(
        user=student, card_id=card.pk, answer={"choice": right.pk}, review_id=uuid.uuid4(), now=datetime.now(UTC)
    ).log
    feedback = student_client.get(reverse("cards:study_feedback", args=[course.pk, deck.pk, log.review_id]))
    assert "Because" in feedback.content.decode()
    assert_inert(feedback.content.decode())
    for url in [
        reverse("cards:question_edit", args=[hostile_question.pk]),
        reverse("cards:question_history", args=[hostile_question.pk]),
        reverse("cards:deck_detail", args=[deck.pk]),
        reverse("cards:deck_coverage", args=[deck.pk]),
    ]:
        assert_inert(instructor_client.get(url).content.decode())


def test_preview_is_inert(instructor_client, course, deck):
    payload = " ".join(PAYLOADS)
    response = instructor_client.post(
        reverse("cards:question_preview", args=[deck.pk]),
        {
            "kind": "single",
            "topic": "mechanism",
            "prompt": payload,
            "explanation": payload,
            "status": "draft",
            "choice_1_text": payload,
            "choice_1_correct": "on",
            "choice_1_feedback": payload,
            "choice_2_text": "b",
            "choice_2_feedback": payload,
        },
    )
    assert "alert(1)" in response.content.decode()  # shown, as text
    assert_inert(response.content.decode())


def test_hostile_source_text_is_inert(instructor, instructor_client, deck):
    source = authoring.source_create(
        owner=instructor, title="<script>alert(1)</script>", text="\n\n".join(PAYLOADS), deck=deck
    )
    deck.owner = instructor
    deck.save()
    assert_inert(instructor_client.get(reverse("cards:source_detail", args=[source.pk])).content.decode())
