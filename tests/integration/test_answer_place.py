"""The study form's answer checks the card's course and deck, and the student's enrolment,
before anything is written (the one read of the answer does it)."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from cards.models import Card, Enrollment, ReviewLog
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question


def _setup(client):
    student = UserFactory()
    deck, other_deck = DeckFactory(), DeckFactory()
    course = CourseFactory()
    course.decks.add(deck, other_deck)
    for d in (deck, other_deck):
        make_question(d, "flashcard")
    Enrollment.objects.create(user=student, course=course)
    client.force_login(student)
    return student, course, deck, other_deck


def _post(client, course, deck, card):
    return client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": "flashcard", "review_id": str(uuid.uuid4()), "rating": 3, "reps": card.reps},
    )


@pytest.mark.django_db
@pytest.mark.parametrize("case", ["card of another deck", "course left"])
def test_a_card_outside_the_page_is_refused_and_nothing_is_written(client, case):
    student, course, deck, other_deck = _setup(client)
    if case == "card of another deck":
        card = Card.objects.get(user=student, deck=other_deck)
    else:
        card = Card.objects.get(user=student, deck=deck)
        Enrollment.objects.filter(user=student, course=course).delete()
    assert _post(client, course, deck, card).status_code == 404
    assert not ReviewLog.objects.filter(user=student).exists()
    assert Card.objects.get(pk=card.pk).reps == 0


@pytest.mark.django_db
def test_the_card_of_the_page_is_recorded_and_redirects_to_the_next(client):
    student, course, deck, _other = _setup(client)
    card = Card.objects.get(user=student, deck=deck)
    response = _post(client, course, deck, card)
    assert response.status_code == 302
    assert response["Location"] == reverse("cards:study_session", args=[course.pk, deck.pk])
    assert ReviewLog.objects.filter(user=student, card=card).count() == 1
