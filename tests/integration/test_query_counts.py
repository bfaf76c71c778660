"""The study page and the answer POST cost the same number of queries at any deck size."""

import uuid

import pytest
from django.db import connection
from django.test import Client
from django.urls import reverse

from cards.models import Card, Choice, Question
from cards.services.courses import enroll_student
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question


def planned_once(kind: str) -> int:
    """The statements PostgreSQL adds to plan the study queue and the answer read once
    (their generic plan, cards.db.dialect.fetch_generic): inside a transaction, as every request
    of a test is, the queue sets and restores the plan mode in a savepoint (4); an answer
    sets it for its own transaction (1). On SQLite, none."""
    if connection.vendor != "postgresql":
        return 0
    return {"queue": 4, "answer": 1}[kind]


def build(n_questions: int):
    deck = DeckFactory()
    template = make_question(deck, "single")
    choices = list(template.choices.all())
    questions = []
    for i in range(n_questions - 1):
        questions.append(
            Question(
                deck=deck,
                uid=f"{deck.slug}-{i}",
                kind="single",
                prompt=f"Question {i}?",
                topic=template.topic,
                status="published",
                passage=template.passage,
                quote="q",
            )
        )
    Question.objects.bulk_create(questions)
    Choice.objects.bulk_create(
        Choice(question=q, text=c.text, correct=c.correct, feedback=c.feedback, order=c.order)
        for q in Question.objects.filter(deck=deck).exclude(pk=template.pk)
        for c in choices
    )
    course = CourseFactory()
    course.decks.add(deck)
    user = UserFactory()
    enroll_student(user=user, course=course)
    client = Client()
    client.force_login(user)
    return client, course, deck, user


@pytest.mark.django_db
def test_study_page_queries_do_not_grow_with_the_deck(django_assert_num_queries):
    for size in (10, 2000):
        client, course, deck, user = build(size)
        assert Card.objects.filter(user=user).count() == size
        url = reverse("cards:study_session", args=[course.pk, deck.pk])
        client.get(url)  # warm the session
        # the session with its user and their time zone (one query); course + deck, and the
        # next card with its question, choices, capped counts and today's done counts (two
        # queries, one round trip on PostgreSQL outside tests); the nav's Teach link was
        # looked up by the first request and is remembered
        with django_assert_num_queries(3 + planned_once("queue")):
            response = client.get(url)
        assert response.status_code == 200
        assert 'name="card"' in response.content.decode()


@pytest.mark.django_db
def test_answer_post_queries_do_not_grow_with_the_deck(django_assert_num_queries):
    for size in (10, 2000):
        client, course, deck, user = build(size)
        card = Card.objects.filter(user=user).select_related("question").order_by("id").first()
        right = card.question.choices.get(correct=True)
        url = reverse("cards:study_answer", args=[course.pk, deck.pk])
        client.get(reverse("cards:study_session", args=[course.pk, deck.pk]))
        # session with its user and time zone, savepoint; the card locked with its course,
        # question, choices, enrolment, retention, review-id lookup and today's done counts
        # (one query, which also checks the page's course and deck); insert log; update card;
        # release. The page's course and deck are not read for the redirect.
        with django_assert_num_queries(6 + planned_once("answer")):
            response = client.post(
                url, {"card": card.pk, "kind": "single", "review_id": str(uuid.uuid4()), "reps": 0, "choice": right.pk}
            )
        assert response.status_code == 302
        assert Card.objects.get(pk=card.pk).reps == 1


@pytest.mark.django_db
def test_api_next_and_answer_queries_do_not_grow_with_the_deck(django_assert_num_queries):
    from rest_framework.authtoken.models import Token

    for size in (10, 2000):
        _client, _course, deck, user = build(size)
        api = Client(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=user).key}")
        # token + user + profile (one query); the next card with its question and choices,
        # the course (the first joined that has the deck), the capped counts and today's
        # done counts (one query)
        with django_assert_num_queries(2 + planned_once("queue")):
            response = api.get(f"/api/v1/study/next/?deck={deck.pk}")
        card = response.json()["card"]
        payload = {"card": card["id"], "review_id": str(uuid.uuid4()), "reps": 0, "choice": card["choices"][0]["id"]}
        # token + user + profile; savepoint; the card locked with its course, question,
        # choices, retention, time zone, review-id lookup and today's done counts; insert
        # log; update card; release
        with django_assert_num_queries(6 + planned_once("answer")):
            response = api.post("/api/v1/study/answer/", payload, content_type="application/json")
        assert response.status_code == 200
        assert Card.objects.get(pk=card["id"]).reps == 1


@pytest.mark.django_db
def test_the_queue_read_with_the_place_is_the_queue_read_alone():
    from django.utils import timezone

    from cards.core import scheduling
    from cards.selectors.study import study_place, study_queue

    _client, course, deck, user = build(30)
    now = timezone.now()
    day = (now, *scheduling.study_day_bounds(now, "UTC"))
    place = study_place(user_id=user.pk, course_id=course.pk, deck_id=deck.pk, day=day)
    alone = study_queue(user_id=user.pk, deck_id=deck.pk, course=course, now=now, day_start=day[1], day_end=day[2])
    assert place.queue.card.pk == alone.card.pk and place.queue.card.question.prompt == alone.card.question.prompt
    assert place.queue.counts == alone.counts and place.queue.done == alone.done
    assert place.day == day and study_place(user_id=user.pk, course_id=course.pk, deck_id=deck.pk).queue is None
    # the same deck through a course the student has not joined: no place, so the queue the
    # same round trip read (the student's own cards of that deck) is never shown
    other = CourseFactory()
    other.decks.add(deck)
    assert study_queue(user_id=user.pk, deck_id=deck.pk, course=other, now=now, day_start=day[1], day_end=day[2]).card
    assert study_place(user_id=user.pk, course_id=other.pk, deck_id=deck.pk, day=day) is None
