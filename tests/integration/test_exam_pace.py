"""New cards at a pace that covers the deck before the exam: with an exam ahead, the day's
new-card allowance is the course's daily limit, raised to ceil(cards not yet seen at the start
of the day / study days left before the exam) when the limit would leave cards unseen on the
exam day (cards.core.exams.new_allowance). The study queue, the answer's check, /study/ and
the dashboard count the same allowance; a limit of 0 (new cards paused) is not raised."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from cards.core import exams, scheduling
from cards.errors import AnswerRejected
from cards.models import Card, Enrollment
from cards.selectors.study import study_decks, study_queue
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

NOW = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
EXAM = date(2026, 4, 9)  # three study days before it: the 6th, 7th and 8th


def test_the_allowance_is_the_limit_or_the_pace_whichever_is_more():
    assert exams.new_allowance(limit=2, unseen=12, done_new=0, days=3) == 4  # ceil(12 / 3)
    assert exams.new_allowance(limit=2, unseen=9, done_new=3, days=3) == 4  # the day's start counts: 12 / 3
    assert exams.new_allowance(limit=20, unseen=12, done_new=0, days=3) == 20  # the limit already covers it
    assert exams.new_allowance(limit=2, unseen=None, done_new=0, days=3) == 2  # no exam
    assert exams.new_allowance(limit=2, unseen=12, done_new=0, days=None) == 2  # the exam is past
    assert exams.new_allowance(limit=2, unseen=12, done_new=0, days=0) == 2  # the exam day: no day left before it
    assert exams.new_allowance(limit=0, unseen=12, done_new=0, days=3) == 0  # new cards paused stay paused
    assert exams.new_cards_pace(unseen=7, days=2) == 4 and exams.new_cards_pace(unseen=7, days=0) is None


@pytest.fixture
def course(db):
    deck = DeckFactory(slug="paced", title="Paced deck")
    for i in range(12):
        make_question(deck, "flashcard", prompt=f"Front {i}", back=f"Back {i}")
    course = CourseFactory(title="Paced course", new_per_day=2)
    course.decks.add(deck)
    return course


@pytest.fixture
def student(course):
    user = UserFactory(username="pacer")
    enroll_student(user=user, course=course)
    return user


def queue(user, course, now):
    start, end = scheduling.study_day_bounds(now, "UTC")
    return study_queue(
        user_id=user.pk, deck_id=course.decks.get().pk, course=course, now=now, day_start=start, day_end=end
    )


def learn_new_cards(user, course, now) -> int:
    """Answer Good on every card the queue offers (reviews due, then new cards) until it offers
    none; then check that one more new card is refused by the answer itself (the same
    allowance). Returns the new cards seen."""
    seen = 0
    while (q := queue(user, course, now)).card is not None:
        seen += q.card.last_review is None
        answer_card(user=user, card_id=q.card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)
    left = Card.objects.filter(user=user, last_review__isnull=True).first()
    if left is not None:
        with pytest.raises(AnswerRejected) as refused:
            answer_card(user=user, card_id=left.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)
        assert refused.value.code == "daily_limit"
    return seen


def test_with_an_exam_every_card_is_seen_by_the_eve_and_without_one_the_limit_holds(student, course):
    Enrollment.objects.filter(user=student).update(exam_date=EXAM)
    per_day = []
    day = NOW
    with time_machine.travel(day, tick=False) as traveller:
        for _ in range(3):  # the 6th, 7th and 8th (the eve)
            assert queue(student, course, day).counts.new == 4
            per_day.append(learn_new_cards(student, course, day))
            day += timedelta(days=1)
            traveller.move_to(day)
    assert per_day == [4, 4, 4]  # 12 cards in 3 days, at a limit of 2
    assert not Card.objects.filter(user=student, last_review__isnull=True).exists()

    other = UserFactory(username="no-exam")
    enroll_student(user=other, course=course)
    with time_machine.travel(NOW, tick=False):
        assert learn_new_cards(other, course, NOW) == 2  # no exam: the course's limit


def test_the_pace_holds_all_day_and_ends_on_the_exam_day(student, course):
    course.exam_date = EXAM  # the course's date, inherited
    course.save()
    with time_machine.travel(NOW, tick=False):
        first = queue(student, course, NOW).card
        answer_card(user=student, card_id=first.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=NOW)
        assert queue(student, course, NOW).counts.new == 3  # 4 today, 1 seen (not re-paced to ceil(11 / 3))
    exam_day = NOW + timedelta(days=3)
    with time_machine.travel(exam_day, tick=False):
        assert queue(student, course, exam_day).counts.new == 2  # the exam day: the course's limit again


def test_a_paused_course_stays_paused(student, course):
    course.new_per_day = 0
    course.exam_date = EXAM
    course.save()
    with time_machine.travel(NOW, tick=False):
        assert queue(student, course, NOW).counts.new == 0
        assert learn_new_cards(student, course, NOW) == 0


def test_study_home_and_dashboard_count_the_raised_allowance_and_say_why(client, student, course):
    Enrollment.objects.filter(user=student).update(exam_date=EXAM)
    client.force_login(student)
    start, end = scheduling.study_day_bounds(NOW, "UTC")
    with time_machine.travel(NOW, tick=False):
        (row,) = study_decks(user=student, now=NOW, day_start=start, day_end=end).rows
        assert row.counts.new == 4
        html = client.get(reverse("cards:dashboard")).content.decode()
        assert "<dt>New</dt><dd>4</dd>" in html
        assert "raised from the course's 2 to 4 a day" in html
        api = client.get("/api/v1/stats/")
        assert api.status_code == 200
