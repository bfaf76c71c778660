"""Sibling questions (citing the same passage): after one is answered in study, the others
wait until the next study day, unless the course turns it off; blocks do not bury."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cards.core import scheduling
from cards.models import Card
from cards.selectors.study import study_queue
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.factories import CourseFactory, DeckFactory, PassageFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # 12:00 UTC; the study day ends at 04:00 UTC


@pytest.fixture
def siblings():
    deck = DeckFactory()
    passage = PassageFactory()
    first = make_question(deck, "single", passage=passage)
    second = make_question(deck, "short", passage=passage)
    other = make_question(deck, "short")
    course = CourseFactory()
    course.decks.add(deck)
    user = UserFactory()
    enroll_student(user=user, course=course)
    return {"user": user, "course": course, "deck": deck, "first": first, "second": second, "other": other}


def _queue(s, now):
    """The study queue of the deck at `now`: its counts and the card it shows."""
    day_start, day_end = scheduling.study_day_bounds(now, "UTC")
    return study_queue(
        user_id=s["user"].pk, deck_id=s["deck"].pk, course=s["course"], now=now, day_start=day_start, day_end=day_end
    )


def _answer(s, question, now):
    card = Card.objects.get(user=s["user"], question=question)
    right = {"choice": question.choices.get(correct=True).pk} if question.kind == "single" else {"text": "GABA-B"}
    return answer_card(user=s["user"], card_id=card.pk, answer=right, review_id=uuid.uuid4(), now=now)


def test_a_sibling_is_buried_until_the_next_study_day(siblings):
    s = siblings
    assert _queue(s, T0).counts.new == 3
    _answer(s, s["first"], T0)
    second = Card.objects.get(user=s["user"], question=s["second"])
    other = Card.objects.get(user=s["user"], question=s["other"])
    assert second.buried_until == datetime(2026, 3, 3, 4, 0, tzinfo=UTC) and other.buried_until is None
    later = T0 + timedelta(minutes=1)
    queue = _queue(s, later)
    assert queue.counts.new == 1 and queue.card.question_id == s["other"].pk
    next_day = datetime(2026, 3, 3, 4, 30, tzinfo=UTC)
    assert _queue(s, next_day).counts.new == 2  # the sibling is back, with the other


def test_the_course_can_turn_burying_off(siblings):
    s = siblings
    s["course"].bury_siblings = False
    s["course"].save()
    _answer(s, s["first"], T0)
    assert Card.objects.get(user=s["user"], question=s["second"]).buried_until is None
    assert _queue(s, T0 + timedelta(minutes=1)).counts.new == 2


def test_burying_is_the_students_own(siblings):
    s = siblings
    classmate = UserFactory()
    enroll_student(user=classmate, course=s["course"])
    _answer(s, s["first"], T0)
    assert Card.objects.get(user=classmate, question=s["second"]).buried_until is None


def test_a_block_answer_does_not_bury(siblings):
    from cards.services.blocks import block_answer, block_create

    s = siblings
    block = block_create(user=s["user"], course_id=s["course"].pk, size=3, now=T0)
    card = Card.objects.get(user=s["user"], question=s["first"])
    block_answer(
        user=s["user"],
        block_id=block.pk,
        card_id=card.pk,
        answer={"choice": s["first"].choices.get(correct=True).pk},
        now=T0,
    )
    assert not Card.objects.filter(user=s["user"], buried_until__isnull=False).exists()


def test_only_other_questions_are_buried_and_a_later_burial_is_kept(siblings):
    """The answer's UPDATE finds the passage's cards of the student: a cloze's other deletion
    is the same question (not buried) and a sibling buried past the next study day keeps it."""
    from tests.answers import right_answer

    s = siblings
    cloze = make_question(s["deck"], "cloze", passage=s["first"].passage)
    enroll_student(user=s["user"], course=s["course"])  # the new question's cards
    later = datetime(2026, 3, 9, 4, 0, tzinfo=UTC)
    Card.objects.filter(user=s["user"], question=s["second"]).update(buried_until=later)
    c1 = Card.objects.get(user=s["user"], question=cloze, cloze=1)
    answer_card(user=s["user"], card_id=c1.pk, answer=right_answer(cloze, 1), review_id=uuid.uuid4(), now=T0)
    c1.refresh_from_db()
    c2 = Card.objects.get(user=s["user"], question=cloze, cloze=2)
    assert c1.reps == 1 and c1.buried_until is None
    assert c2.reps == 0 and c2.buried_until is None
    assert Card.objects.get(user=s["user"], question=s["second"]).buried_until == later
    assert Card.objects.get(user=s["user"], question=s["first"]).buried_until == datetime(2026, 3, 3, 4, tzinfo=UTC)
