"""Flags and private notes: saved from under a question, listed on the notes page, sanitised
as authored text is, and nobody's but their owner's (pages and API)."""

import pytest
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cards.errors import InvalidInput, NotFound
from cards.models import QuestionNote
from cards.services.notes import note_delete, note_save

pytestmark = pytest.mark.django_db


@pytest.fixture
def question(deck):
    return deck.questions.get(kind="single")


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_a_note_is_saved_and_listed_with_its_markdown_rendered(student_client, question):
    url = reverse("cards:question_note", args=[question.pk])
    response = student_client.post(url, {"flagged": "on", "text": "Remember **GABA-B**", "next": "/study/"})
    assert response.status_code == 302 and response["Location"] == "/study/"
    note = QuestionNote.objects.get(question=question)
    assert note.flagged and note.text == "Remember **GABA-B**"
    html = student_client.get(reverse("cards:notes")).content.decode()
    assert "<strong>GABA-B</strong>" in html and "flagged" in html


def test_a_note_is_sanitised_as_authored_text_is(student_client, question):
    text = '<script>alert(1)</script> [x](javascript:alert(2)) <img src=x onerror="alert(3)">'
    student_client.post(reverse("cards:question_note", args=[question.pk]), {"text": text})
    html = student_client.get(reverse("cards:notes")).content.decode()
    assert "<script>alert" not in html and 'href="javascript' not in html and "<img" not in html
    assert "&lt;script&gt;" in html  # shown as text, as an author's raw HTML is


def test_the_note_form_shows_the_note_afterwards_and_htmx_gets_the_form_alone(student_client, question):
    student_client.post(reverse("cards:question_note", args=[question.pk]), {"text": "my *hint*"})
    url = reverse("cards:question_note", args=[question.pk])
    partial = student_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "<em>hint</em>" in partial and "<html" not in partial
    assert "my *hint*</textarea>" in partial


def test_unflagging_and_emptying_a_note_removes_it(student_client, student, question):
    url = reverse("cards:question_note", args=[question.pk])
    student_client.post(url, {"flagged": "on"})
    assert QuestionNote.objects.filter(user=student).count() == 1
    student_client.post(url, {"text": "  "})
    assert QuestionNote.objects.filter(user=student).count() == 0


def test_notes_are_private(student, other_student, other_student_client, question):
    note_save(user=student, question_id=question.pk, flagged=True, text="secret", now=timezone.now())
    assert "secret" not in other_student_client.get(reverse("cards:notes")).content.decode()
    form = other_student_client.get(reverse("cards:question_note", args=[question.pk])).content.decode()
    assert "secret" not in form
    with pytest.raises(NotFound):
        note_delete(user=other_student, note_id=QuestionNote.objects.get().pk)


def test_a_question_the_student_does_not_study_cannot_be_noted(instructor, question):
    with pytest.raises(NotFound):
        note_save(user=instructor, question_id=question.pk, flagged=True, now=timezone.now())


def test_a_note_too_long_is_refused_with_its_field(student, question):
    with pytest.raises(InvalidInput) as exc:
        note_save(user=student, question_id=question.pk, text="x" * 5001, now=timezone.now())
    assert exc.value.code == "note_too_long" and exc.value.field == "text"


def test_study_feedback_offers_the_note_form(student_client, student, course, deck, question):
    from cards.models import Card

    card = Card.objects.get(user=student, question=question)
    html = student_client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    assert html  # the page renders
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {
            "card": card.pk,
            "kind": "single",
            "review_id": "6f1d2b1e-0c55-4c1a-9a51-3b8f3e0a7c99",
            "choice": question.choices.get(correct=True).pk,
        },
        follow=True,
    )
    assert reverse("cards:question_note", args=[question.pk]) in response.content.decode()


def test_api_note_crud_of_ones_own(student, other_student, question):
    api = _api(student)
    created = api.post(reverse("api:notes"), {"question": question.pk, "flagged": True, "text": "*x*"}, format="json")
    assert created.status_code == 201 and created.json()["html"] == "<p><em>x</em></p>\n"
    note_id = created.json()["id"]
    listed = api.get(reverse("api:notes") + "?flagged=1").json()
    assert [n["id"] for n in listed["results"]] == [note_id]
    changed = api.patch(reverse("api:note_detail", args=[note_id]), {"flagged": False}, format="json")
    assert changed.json()["flagged"] is False and changed.json()["text"] == "*x*"
    assert _api(other_student).get(reverse("api:note_detail", args=[note_id])).status_code == 404
    assert _api(other_student).delete(reverse("api:note_detail", args=[note_id])).status_code == 404
    assert api.delete(reverse("api:note_detail", args=[note_id])).status_code == 204
    assert not QuestionNote.objects.exists()


def test_api_note_on_a_question_not_studied_is_404(instructor, question):
    response = _api(instructor).post(reverse("api:notes"), {"question": question.pk, "flagged": True}, format="json")
    assert response.status_code == 404
