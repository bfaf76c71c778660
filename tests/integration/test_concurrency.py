"""Answering, undo and quiz submission under real concurrency (threads, separate DB
connections): exactly one state advance, and a clear refusal for the loser."""

import threading
import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection

from cards.errors import AnswerRejected
from cards.models import Card, ReviewLog
from cards.services import quizzes as quiz_services
from cards.services.study import answer_card, undo_last_review
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db(transaction=True)


def race(*calls):
    """Run the calls at the same moment in threads; return each one's result or exception."""
    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # noqa: BLE001 - the outcome is what the test inspects
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


@pytest.fixture
def setup():
    from cards.services.courses import enroll_student

    deck = DeckFactory()
    make_question(deck, "flashcard")
    course = CourseFactory()
    course.decks.add(deck)
    user = UserFactory(username="racer")
    enroll_student(user=user, course=course)
    return user, course, Card.objects.get(user=user)


def test_two_answers_to_one_card_advance_it_once(setup):
    user, _course, card = setup
    now = datetime.now(UTC)
    results = race(
        lambda: answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now),
        lambda: answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now),
    )
    refused = [r for r in results if isinstance(r, AnswerRejected)]
    accepted = [r for r in results if not isinstance(r, Exception)]
    assert len(accepted) == 1 and len(refused) == 1, results
    assert refused[0].code in ("not_due", "already_answered")
    assert ReviewLog.objects.filter(card=card).count() == 1
    assert Card.objects.get(pk=card.pk).reps == 1


def test_the_same_review_id_twice_at_once_records_one_review(setup):
    user, _course, card = setup
    review_id = uuid.uuid4()
    now = datetime.now(UTC)
    results = race(
        *[lambda: answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=review_id, now=now)] * 2
    )
    assert ReviewLog.objects.filter(card=card).count() == 1
    outcomes = [r for r in results if not isinstance(r, Exception)]
    assert outcomes, results
    assert all(isinstance(r, AnswerRejected) for r in results if isinstance(r, Exception)), results


def test_two_undos_at_once_undo_one_review(setup):
    user, _course, card = setup
    answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=datetime.now(UTC))
    results = race(
        lambda: undo_last_review(user=user, now=datetime.now(UTC)),
        lambda: undo_last_review(user=user, now=datetime.now(UTC)),
    )
    assert sum(1 for r in results if isinstance(r, AnswerRejected)) == 1, results
    assert ReviewLog.objects.filter(kind="undo").count() == 1
    assert Card.objects.get(pk=card.pk).reps == 0


def test_two_quiz_submissions_at_once_submit_once(setup):
    user, course, _card = setup
    make_question(course.decks.first(), "single")
    quiz = quiz_services.quiz_create(course=course, created_by=None, title="Race", num_questions=1)
    attempt = quiz_services.attempt_start(user=user, quiz=quiz, now=datetime.now(UTC))
    results = race(
        lambda: quiz_services.attempt_submit(user=user, attempt_id=attempt.pk, now=datetime.now(UTC)),
        lambda: quiz_services.attempt_submit(user=user, attempt_id=attempt.pk, now=datetime.now(UTC)),
    )
    refused = [r for r in results if isinstance(r, AnswerRejected)]
    assert len(refused) == 1 and refused[0].code == "already_submitted", results


def test_two_class_statistics_refreshes_at_once_leave_one_set_of_rows(setup):
    from cards.models import ClassStats, StudentStats
    from cards.services import class_stats
    from cards.services.courses import enroll_student

    _user, course, _card = setup
    for i in range(3):
        enroll_student(user=UserFactory(username=f"peer{i}"), course=course)
    results = race(*[lambda: class_stats.refresh(course)] * 3)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert StudentStats.objects.filter(course=course).count() == 4
    assert ClassStats.objects.filter(course=course).count() == 1
