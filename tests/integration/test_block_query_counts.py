"""A block costs the same queries for a student with 10 cards and one with 10,000 (and their
review logs): starting a block from each pool (web form and API), the block page, an answer
(web form and API), the result page. Run on SQLite by `make test`; on PostgreSQL with
DATABASE_URL=postgres://... (issue 18)."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cards.models import Block, Card, Choice, ClassShare, ClassStats, QuestionNote, ReviewLog
from tests.integration.test_query_counts import build

pytestmark = pytest.mark.django_db
POOLS = ("unused", "incorrect", "flagged", "low_recall", "due", "all")
SIZE = 2  # every pool of the light student has at least this many cards
# What puts a card in each pool (by its question's number modulo 5): never answered; wrong
# last time; answered 60 days ago with a small stability (predicted recall ~0.6); due an hour
# ago; answered yesterday and good for months (these are the flagged ones).
UNUSED, INCORRECT, LOW_RECALL, DUE, GOOD = range(5)


def _history(card: Card, group: int, now) -> tuple[dict, list[ReviewLog]]:
    """The card's scheduling columns and its three reviews, for its pool group."""
    last, stability, due = {
        INCORRECT: (now - timedelta(days=2), 3.0, now + timedelta(days=2)),
        LOW_RECALL: (now - timedelta(days=60), 2.0, now - timedelta(days=58)),
        DUE: (now - timedelta(days=10), 20.0, now - timedelta(hours=1)),
        GOOD: (now - timedelta(days=1), 100.0, now + timedelta(days=100)),
    }[group]
    logs = [
        ReviewLog(
            user_id=card.user_id,
            card_id=card.pk,
            review_id=uuid.uuid4(),
            question_revision=1,
            rating=1 if (group == INCORRECT and n == 2) else 3,
            correct=not (group == INCORRECT and n == 2),
            score=0.0 if (group == INCORRECT and n == 2) else 1.0,
            reviewed_at=at,
            was_new=n == 0,
            answer={"choice": 0},
            state_before={"state": 2, "reps": n},
            state_after={"state": 2, "reps": n + 1},
        )
        for n, at in enumerate((last - timedelta(days=30), last - timedelta(days=15), last))
    ]
    return {"last_review": last, "stability": stability, "difficulty": 5.0, "due": due, "reps": 3}, logs


def build_student(n_cards: int):
    """A student of a course whose bank has `n_cards` single-answer questions (one card each),
    a fifth in each pool group with its review history, and the course's class snapshot."""
    now = timezone.now()
    _client, course, deck, user = build(n_cards)  # the bank of test_query_counts, a card each
    cards = list(Card.objects.filter(user=user).order_by("question_id"))
    assert len(cards) == n_cards
    logs, groups = [], {g: [] for g in range(5)}
    for n, card in enumerate(cards):
        groups[n % 5].append(card)
    for group in (INCORRECT, LOW_RECALL, DUE, GOOD):
        for card in groups[group]:
            columns, card_logs = _history(card, group, now)
            for name, value in columns.items():
                setattr(card, name, value)
            card.state = Card.State.REVIEW
            logs += card_logs
    Card.objects.bulk_update(
        [c for g in (INCORRECT, LOW_RECALL, DUE, GOOD) for c in groups[g]],
        ["last_review", "stability", "difficulty", "due", "reps", "state"],
        batch_size=500,
    )
    ReviewLog.objects.bulk_create(logs, batch_size=1000)
    QuestionNote.objects.bulk_create(
        QuestionNote(user=user, question_id=c.question_id, flagged=True, updated_at=now) for c in groups[GOOD]
    )
    by_question: dict[int, list[int]] = {}
    for question_id, choice_id in Choice.objects.filter(question__deck=deck).values_list("question_id", "id"):
        by_question.setdefault(question_id, []).append(choice_id)
    ClassShare.objects.bulk_create(
        (
            ClassShare(course=course, question_id=q, students=12, right=0.5, choices={str(c): 4 for c in ids})
            for q, ids in by_question.items()
        ),
        batch_size=1000,
    )
    ClassStats.objects.create(
        course=course,
        computed_at=now,
        seconds=1.0,
        students=12,
        items=[
            {"id": q, "responses": 12, "facility": 0.5, "choices": {str(c): 4 for c in ids}}
            for q, ids in by_question.items()
        ],
    )
    return user, course


def _count(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        response = fn()
    return len(captured), response


def _right(card_id: int) -> int:
    return Choice.objects.get(question__cards=card_id, correct=True).pk


def block_costs(user, course) -> dict[str, int]:
    """Queries of each block request for this student, in the order a student makes them."""
    web, api = Client(), APIClient()
    web.force_login(user)
    api.force_authenticate(user)
    costs = {}
    costs["form"], response = _count(lambda: web.get(reverse("cards:block_new") + f"?course={course.pk}"))
    assert response.status_code == 200
    for pool in POOLS:
        data = {"course": course.pk, "pool": pool, "size": SIZE, "mode": "tutor"}
        costs[f"start {pool}"], response = _count(lambda data=data: web.post(reverse("cards:block_new"), data))
        assert response.status_code == 302, (pool, response.content.decode()[:2000])
        costs[f"api start {pool}"], response = _count(
            lambda data=data: api.post(reverse("api:blocks"), data, format="json")
        )
        assert response.status_code == 201, (pool, response.json())
    block, mine = Block.objects.filter(user=user, pool="flagged", status="in_progress").order_by("id")  # web, API
    assert len(block.card_ids) == SIZE
    page = reverse("cards:block", args=[block.pk])
    costs["page"], response = _count(lambda: web.get(page))
    assert 'id="answer-form"' in response.content.decode()
    card_id = block.card_ids[0]
    posted = {"card": card_id, "kind": "single", "n": 1, "choice": _right(card_id), "response_ms": 4000}
    reviews = ReviewLog.objects.filter(card_id=card_id).count()
    costs["answer"], response = _count(lambda: web.post(reverse("cards:block_answer", args=[block.pk]), posted))
    assert response.status_code == 302 and ReviewLog.objects.filter(card_id=card_id).count() == reviews + 1
    costs["page answered"], response = _count(lambda: web.get(f"{page}?n=1"))
    assert "✔ Correct" in response.content.decode() and "How the class answered" in response.content.decode()
    costs["submit"], response = _count(lambda: web.post(reverse("cards:block_submit", args=[block.pk])))
    assert response.status_code == 302
    costs["result"], response = _count(lambda: web.get(reverse("cards:block_result", args=[block.pk])))
    assert "12 students on their first try" in response.content.decode()
    card_id = mine.card_ids[0]
    costs["api answer"], response = _count(
        lambda: api.post(
            reverse("api:block_answer", args=[mine.pk]), {"card": card_id, "choice": _right(card_id)}, format="json"
        )
    )
    body = response.json()
    assert response.status_code == 200 and body["questions"][0]["correct"] is True
    assert body["questions"][0]["class_shares"]["students"] == 12
    costs["api block"], response = _count(lambda: api.get(reverse("api:block_detail", args=[mine.pk])))
    assert response.status_code == 200
    costs["api submit"], response = _count(lambda: api.post(reverse("api:block_submit", args=[mine.pk])))
    assert response.json()["status"] == "submitted"
    return costs


def test_block_queries_are_the_same_at_10_and_10000_cards():
    light, light_course = build_student(10)
    heavy, heavy_course = build_student(10_000)
    if connection.vendor == "postgresql":
        # What autovacuum does after a bulk load, before the planner sees the tables: without
        # statistics PostgreSQL plans the 10,000-card student's statements as if the tables
        # were empty (a test minutes long, not a cost a real database pays).
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    assert ReviewLog.objects.filter(user=heavy).count() == 24_000
    block_costs(light, light_course)  # warms what each process remembers (the nav's links, the session)
    block_costs(heavy, heavy_course)
    light_costs = block_costs(light, light_course)
    heavy_costs = block_costs(heavy, heavy_course)
    assert light_costs == heavy_costs, {k: (v, heavy_costs[k]) for k, v in light_costs.items()}
