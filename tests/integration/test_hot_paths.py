"""The study hot paths read in SQL (cards.db.queue.study_queue, the answer's read in
cards.services.study): they must say exactly what the ORM paths said."""

import re
import uuid
from datetime import timedelta

from django.test import Client
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from cards.core import scheduling
from cards.models import Card, ReviewLog
from cards.selectors.study import study_queue
from cards.services.study import answer_card
from tests.answers import api_answer


def api_for(user) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")


def test_every_kind_answered_through_the_api_replays_the_same_body(student, deck):
    api = api_for(student)
    seen = set()
    while (response := api.get(f"/api/v1/study/next/?deck={deck.pk}")).status_code == 200:
        card = response.json()["card"]
        if card["id"] in seen:
            break
        seen.add(card["id"])
        payload = api_answer(card)
        first = api.post("/api/v1/study/answer/", payload, content_type="application/json")
        again = api.post("/api/v1/study/answer/", payload, content_type="application/json")
        assert first.status_code == again.status_code == 200, first.content
        assert {**first.json(), "replayed": True} == again.json()
    assert len(seen) == Card.objects.filter(user=student).count()


def wrong_answer(card: Card) -> dict:
    question = card.question
    if question.kind == "flashcard":
        return {"rating": 1}
    if question.kind == "multiple":
        return {"choices": [c.pk for c in question.choices.filter(correct=False)]}
    if question.kind in ("single", "truefalse"):
        return {"choice": question.choices.filter(correct=False).first().pk}
    return {"text": "no idea"}


def _normalised(html: str) -> str:
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return re.sub(r'name="new_review_id" value="[^"]+"', "", html)


def test_the_htmx_feedback_panel_is_the_one_read_back_from_the_log(student, student_client, course, deck):
    url = reverse("cards:study_session", args=[course.pk, deck.pk])
    for card in Card.objects.filter(user=student).select_related("question"):
        question = card.question
        data = {"card": card.pk, "kind": question.kind, "reps": card.reps, "review_id": str(uuid.uuid4())}
        if question.kind == "flashcard":
            data["rating"] = 3
        elif question.kind == "multiple":
            data["choices"] = [c.pk for c in question.choices.filter(correct=True)]
        elif question.kind in ("single", "truefalse"):
            data["choice"] = question.choices.filter(correct=True).first().pk
        else:
            data["text"] = "GABA-B"
        fresh = student_client.post(url + "answer/", data, HTTP_HX_REQUEST="true")
        assert fresh.status_code == 200
        if question.kind == "flashcard":  # a rating goes on to the next card: no feedback panel
            assert 'data-mode="feedback"' not in fresh.content.decode() and "Rated Good" in fresh.content.decode()
            continue
        feedback = reverse("cards:study_feedback", args=[course.pk, deck.pk, data["review_id"]])
        stored = student_client.get(feedback, HTTP_HX_REQUEST="true")
        assert _normalised(fresh.content.decode()) == _normalised(stored.content.decode())


def test_the_queue_puts_learning_steps_then_reviews_then_new_cards(student, course, deck):
    now = timezone.now()
    cards = list(Card.objects.filter(user=student).order_by("id"))
    learning, review, *new = cards
    Card.objects.filter(pk=learning.pk).update(state=1, step=1, last_review=now - timedelta(minutes=20), due=now)
    Card.objects.filter(pk=review.pk).update(
        state=2, step=None, stability=3.0, difficulty=5.0, last_review=now - timedelta(days=3), due=now
    )
    day_start, day_end = scheduling.study_day_bounds(now, "UTC")

    def queue():
        return study_queue(
            user_id=student.pk, deck_id=deck.pk, course=course, now=now, day_start=day_start, day_end=day_end
        )

    first = queue()
    assert first.card.pk == learning.pk
    assert (first.counts.new, first.counts.learning, first.counts.due) == (len(new), 1, 1)
    Card.objects.filter(pk=learning.pk).update(due=now + timedelta(minutes=5))
    assert queue().card.pk == review.pk
    Card.objects.filter(pk=review.pk).update(due=now + timedelta(days=2))
    assert queue().card.pk == min(new, key=lambda c: (c.due, c.pk)).pk


def test_the_daily_new_limit_caps_the_queue(student, course, deck):
    course.new_per_day = 1
    course.save()
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, "UTC")
    kwargs = {"user_id": student.pk, "deck_id": deck.pk, "course": course, "day_start": day_start, "day_end": day_end}
    queue = study_queue(now=now, **kwargs)
    assert queue.counts.new == 1 and queue.done == {"total": 0, "new": 0, "reviews": 0}
    card = Card.objects.select_related("question").get(pk=queue.card.pk)
    answer_card(user=student, card_id=card.pk, answer=wrong_answer(card), review_id=uuid.uuid4(), now=now)
    after = study_queue(now=now, **kwargs)
    assert after.counts.new == 0 and after.done == {"total": 1, "new": 1, "reviews": 0}
    # The card just failed is a learning step now, due in a minute: nothing else is offered.
    assert after.card is None or after.card.last_review is not None
    assert ReviewLog.objects.filter(user=student).count() == 1


def test_a_second_student_never_sees_the_first_ones_queue(student, other_student, course, deck):
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, "UTC")
    mine = study_queue(
        user_id=other_student.pk, deck_id=deck.pk, course=course, now=now, day_start=day_start, day_end=day_end
    )
    assert mine.card.user_id == other_student.pk
