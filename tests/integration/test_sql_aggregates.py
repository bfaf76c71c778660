"""The class and dashboard statistics computed in SQL say what the Python definitions say
(cards.core.analytics, cards.core.scheduling, TruncDate in the student's time zone)."""

import math
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.db.models import DateTimeField, ExpressionWrapper, F
from django.db.models.functions import TruncDate
from django.utils import timezone

from cards.core import analytics, scheduling
from cards.models import Card, Choice, Question, ReviewLog
from cards.selectors.cohort import course_item_analysis, item_responses
from cards.selectors.progress import reviews_per_day, streak, topic_mastery, weakest_items
from cards.selectors.study import live_reviews
from cards.services import quizzes as quiz_services
from cards.services.courses import enroll_student
from tests.factories import QuizFactory, ReviewLogFactory, UserFactory


def _close(a, b) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)


def python_item_analysis(course):
    questions = {
        q.pk: q for q in Question.objects.filter(deck__courses=course, status=Question.Status.PUBLISHED).order_by("uid")
    }
    choice_ids = {qid: [] for qid in questions}
    for qid, cid in (
        Choice.objects.filter(question_id__in=questions)
        .order_by("question_id", "order", "id")
        .values_list("question_id", "id")
    ):
        choice_ids[qid].append(cid)
    rows = [r for r in item_responses(course) if r[1] in questions]
    return {s.question_id: s for s in analytics.item_analysis(rows, choice_ids)}


def log_review(card, *, at, score, answer, was_new=True):
    return ReviewLogFactory(
        card=card,
        rating=3 if score else 1,
        answer=answer,
        correct=bool(score),
        score=score,
        was_new=was_new,
        reviewed_at=at,
        state_before={"reps": 0},
        state_after={"reps": 1},
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_item_analysis_in_sql_matches_the_python_definitions(seed, course, deck, instructor):
    rng = random.Random(seed)
    students = [UserFactory(username=f"ia{seed}-{i}") for i in range(12)]
    for user in students:
        enroll_student(user=user, course=course)
    start = datetime(2026, 3, 2, 9, tzinfo=UTC)
    for user in students:
        for card in Card.objects.filter(user=user).select_related("question"):
            q = card.question
            choices = list(q.choices.values_list("id", flat=True))
            if rng.random() < 0.2:
                continue  # never answered
            if q.kind == "multiple":
                answer = {"choices": rng.sample(choices, rng.randint(0, len(choices)))}
            elif choices:
                answer = {"choice": rng.choice(choices)}
            else:
                answer = {"text": "x"}
            score = rng.choice([0.0, 0.25, 0.5, 1.0, 1.0, None, 1.7, -0.3])
            at = start + timedelta(minutes=rng.randint(0, 600))
            first = log_review(card, at=at, score=score, answer=answer)
            if rng.random() < 0.15:  # undone: the next answer counts
                ReviewLogFactory(
                    card=card,
                    kind=ReviewLog.Kind.UNDO,
                    undoes=first,
                    rating=None,
                    correct=None,
                    score=None,
                    reviewed_at=at + timedelta(seconds=5),
                    state_before={},
                    state_after={},
                )
                log_review(card, at=at + timedelta(seconds=9), score=rng.random(), answer=answer)
            if rng.random() < 0.3:  # a later review of the card: never a first answer
                log_review(card, at=at + timedelta(days=2), score=1.0, answer=answer, was_new=False)
    single = deck.questions.get(kind="single")
    quiz = quiz_services.quiz_create(
        course=course, created_by=instructor, title="Q", num_questions=1, questions=[single]
    )
    QuizFactory(course=course, title="practice", is_practice=True, created_by=students[0])
    for user in students[:8]:
        attempt = quiz_services.attempt_start(user=user, quiz=quiz, now=start - timedelta(days=1))
        choice = rng.choice(list(single.choices.values_list("id", flat=True)))
        quiz_services.attempt_answer(
            user=user, attempt_id=attempt.pk, question_id=single.pk, answer={"choice": choice}, now=start
        )
    expected = python_item_analysis(course)
    got = course_item_analysis(course)
    assert [q.pk for q, _ in got] == list(expected)
    for question, stats in got:
        want = expected[question.pk]
        assert stats.responses == want.responses
        assert stats.distractors == want.distractors
        assert stats.flags == want.flags
        for name in ("facility", "discrimination", "point_biserial"):
            assert _close(getattr(stats, name), getattr(want, name)), (question.uid, name, stats, want)


def truncdate_days(user_id, tz_name, since):
    """The per-row definition the probes replace: TruncDate of (reviewed_at - 4 h) in the zone."""
    shifted = ExpressionWrapper(F("reviewed_at") - timedelta(hours=4), output_field=DateTimeField())
    rows = (
        live_reviews(user_id)
        .filter(reviewed_at__gte=since)
        .annotate(day=TruncDate(shifted, tzinfo=ZoneInfo(tz_name)))
        .values_list("day", flat=True)
    )
    counts: dict = {}
    for day in rows:
        counts[day] = counts.get(day, 0) + 1
    return counts


@pytest.mark.parametrize("tz_name", ["UTC", "Europe/Paris", "America/New_York", "Asia/Kolkata", "Australia/Sydney"])
def test_review_days_by_probes_match_truncdate_across_dst(tz_name, student):
    card = Card.objects.filter(user=student).first()
    rng = random.Random(tz_name)
    # Around the 2026 DST changes of both hemispheres, and hours near the 04:00 rollover.
    anchors = [datetime(2026, 3, 8, tzinfo=UTC), datetime(2026, 3, 29, tzinfo=UTC), datetime(2026, 4, 5, tzinfo=UTC)]
    anchors += [
        datetime(2026, 10, 4, tzinfo=UTC),
        datetime(2026, 10, 25, tzinfo=UTC),
        datetime(2026, 11, 1, tzinfo=UTC),
    ]
    for anchor in anchors:
        for _ in range(25):
            at = anchor + timedelta(hours=rng.uniform(-36, 36))
            log_review(card, at=at, score=1.0, answer={"rating": 3}, was_new=False)
    since = datetime(2026, 2, 20, 13, 17, tzinfo=UTC)
    until = datetime(2026, 11, 20, tzinfo=UTC)
    expected = truncdate_days(student.pk, tz_name, since)
    assert reviews_per_day(user_id=student.pk, tz_name=tz_name, since=since, until=until) == expected
    now = datetime(2026, 3, 30, 12, tzinfo=UTC)
    days = set(truncdate_days(student.pk, tz_name, now - timedelta(days=400)))
    today = scheduling.study_day(now, tz_name)
    day, count = (today if today in days else today - timedelta(days=1)), 0
    while day in days:
        count, day = count + 1, day - timedelta(days=1)
    assert streak(user_id=student.pk, tz_name=tz_name, now=now) == count


def test_dashboard_recall_in_sql_matches_fsrs(student):
    now = datetime(2026, 3, 20, 12, tzinfo=UTC)
    rng = random.Random(7)
    for i, card in enumerate(Card.objects.filter(user=student).order_by("id")):
        days = rng.uniform(0.5, 30)
        Card.objects.filter(pk=card.pk).update(
            state=2, stability=rng.uniform(0.5, 40), difficulty=5.0, last_review=now - timedelta(days=days), lapses=0
        )
        learning = {1: Card.State.LEARNING, 4: Card.State.RELEARNING}  # just answered: no recall to show
        if i in learning:
            Card.objects.filter(pk=card.pk).update(state=learning[i], last_review=now - timedelta(minutes=3), lapses=i)

    def state(card):
        return scheduling.CardState(state=card.state, stability=card.stability, last_review=card.last_review)

    def recall(card):
        return scheduling.retrievability(state(card), now)

    cards = list(Card.objects.filter(user=student).select_related("question__topic"))
    assert {c.state for c in cards} == {1, 2, 3}
    for slug, _name, mastery, n in topic_mastery(user_id=student.pk, now=now):
        mine = [recall(c) for c in cards if c.question.topic.slug == slug]
        assert n == len(mine) and mastery == pytest.approx(sum(mine) / len(mine))

    def review_recall(card):
        return scheduling.review_recall(state(card), now)

    for limit in (1, 3, len(cards)):
        weakest = weakest_items(user_id=student.pk, now=now, limit=limit)
        # learning cards first (most lapses first), then the lowest recall
        ranked = sorted(cards, key=lambda c: (review_recall(c) is not None, review_recall(c) or 0.0, -c.lapses, c.pk))[
            :limit
        ]
        assert [w.card_id for w in weakest] == [c.pk for c in ranked]
        got = [w.retrievability for w in weakest]
        want = [review_recall(c) for c in ranked]
        assert [g is None for g in got] == [w is None for w in want]
        assert [g for g in got if g is not None] == pytest.approx([w for w in want if w is not None])
    assert [w.learning for w in weakest_items(user_id=student.pk, now=now, limit=2)] == [True, True]


def test_true_retention_counts_live_reviews_of_cards_in_review_only(db):
    from cards.selectors.progress import true_retention
    from tests.factories import CardFactory

    card = CardFactory()
    now = timezone.now()
    recalled = ReviewLogFactory(card=card, reviewed_at=now - timedelta(hours=3))
    ReviewLogFactory(card=card, rating=1, correct=False, reviewed_at=now - timedelta(hours=2))
    ReviewLogFactory(card=card, reviewed_at=now - timedelta(hours=1), state_before={"state": 1})  # a learning step
    ReviewLogFactory(card=card, reviewed_at=now - timedelta(days=40))  # before the window
    assert true_retention(user_id=card.user_id, since=now - timedelta(days=30)) == (1, 2)
    ReviewLogFactory(
        card=card, kind=ReviewLog.Kind.UNDO, undoes=recalled, rating=None, correct=None, score=None, reviewed_at=now
    )
    assert true_retention(user_id=card.user_id, since=now - timedelta(days=30)) == (0, 1)
