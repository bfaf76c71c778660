"""Writes about who studies what: enrolment and the cards it brings."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from cards.core.queue import NewCard, fact_of, mixed_new_order
from cards.errors import NotFound
from cards.models import Card, Course, Enrollment, Profile, Question

CARD_BATCH = 2000


def _card_rows(*, user_ids, questions, course_id_for, now: datetime):
    """Each student's missing cards, their new cards in the order they will be introduced
    (core.queue.mixed_new_order, seeded by the student): a new card's due date is its place
    in that order, a second apart from `now` on, as Anki's new-card position is."""
    questions = list(questions)
    for user_id in user_ids:
        new = [
            NewCard(
                key=(question, cloze, course_id),
                topic=question.topic_id,
                kind=question.kind,
                fact=fact_of(question_id=question.pk, passage_id=question.passage_id),
            )
            for question in questions
            if (course_id := course_id_for(user_id, question)) is not None
            for cloze in (range(1, question.card_count + 1) if question.kind == "cloze" else (0,))
        ]
        for position, card in enumerate(mixed_new_order(new, seed=user_id)):
            question, cloze, course_id = card.key
            yield Card(
                user_id=user_id,
                question_id=question.pk,
                deck_id=question.deck_id,
                course_id=course_id,
                cloze=cloze,
                due=now + timedelta(seconds=position),
            )


def _bulk_create(rows) -> int:
    batch, made = [], 0
    for row in rows:
        batch.append(row)
        if len(batch) >= CARD_BATCH:
            made += len(Card.objects.bulk_create(batch, ignore_conflicts=True))
            batch = []
    if batch:
        made += len(Card.objects.bulk_create(batch, ignore_conflicts=True))
    return made


def ensure_cards_for_course(*, course: Course, user_ids=None, now: datetime | None = None) -> None:
    """Give every enrolled student (or just `user_ids`) a card for each published question
    of the course's decks. Existing cards are left alone (ignore_conflicts)."""
    now = now or timezone.now()
    if user_ids is None:
        user_ids = list(Enrollment.objects.filter(course=course).values_list("user_id", flat=True))
    if not user_ids:
        return
    questions = (
        Question.objects.filter(deck__in=course.decks.all(), status=Question.Status.PUBLISHED)
        .order_by("id")
        .only("id", "deck_id", "kind", "card_count", "topic_id", "passage_id")
    )
    _bulk_create(_card_rows(user_ids=user_ids, questions=questions, course_id_for=lambda _u, _q: course.pk, now=now))


def ensure_cards_for_questions(*, questions, now: datetime | None = None) -> None:
    """After questions are published: cards for every student of every course that has them."""
    now = now or timezone.now()
    questions = [q for q in questions if q.status == Question.Status.PUBLISHED]
    if not questions:
        return
    deck_ids = {q.deck_id for q in questions}
    courses_by_deck: dict[int, list[int]] = {}
    for course_id, deck_id in Course.decks.through.objects.filter(deck_id__in=deck_ids).values_list(
        "course_id", "deck_id"
    ):
        courses_by_deck.setdefault(deck_id, []).append(course_id)
    course_ids = {c for ids in courses_by_deck.values() for c in ids}
    first_course: dict[tuple[int, int], int] = {}
    for user_id, course_id in (
        Enrollment.objects.filter(course_id__in=course_ids).order_by("joined_at").values_list("user_id", "course_id")
    ):
        for deck_id, deck_courses in courses_by_deck.items():
            if course_id in deck_courses:
                first_course.setdefault((user_id, deck_id), course_id)
    user_ids = sorted({u for (u, _d) in first_course})
    _bulk_create(
        _card_rows(
            user_ids=user_ids, questions=questions, course_id_for=lambda u, q: first_course.get((u, q.deck_id)), now=now
        )
    )


@transaction.atomic
def enroll_student(*, user, course: Course) -> Enrollment:
    enrollment, created = Enrollment.objects.get_or_create(user=user, course=course)
    Profile.objects.get_or_create(user=user)
    if not created:  # a new enrolment gets its cards from its post_save (cards.accounts.signals)
        ensure_cards_for_course(course=course, user_ids=[user.pk])
    return enrollment


def join_course_by_code(*, user, code: str) -> Enrollment:
    course = Course.objects.filter(join_code=code.strip().upper()).first()
    if course is None:
        raise NotFound("No course has that join code.", code="bad_join_code", field="code")
    return enroll_student(user=user, course=course)


def enroll_in_open_courses(*, user) -> None:
    for course in Course.objects.filter(is_open=True).exclude(enrollments__user=user):
        enroll_student(user=user, course=course)


@transaction.atomic
def preferences_save(*, user, timezone_name: str, retention_by_course: dict[int, float | None]) -> None:
    """A student's own settings: their time zone (when their study day starts) and, per
    course, a desired retention that overrides the course default (None: use the default)."""
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

    from cards.errors import InvalidInput

    try:
        ZoneInfo(timezone_name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InvalidInput(f"Unknown time zone {timezone_name!r}.", field="timezone") from exc
    Profile.objects.update_or_create(user=user, defaults={"timezone": timezone_name})
    for course_id, retention in retention_by_course.items():
        if retention is not None and not 0.7 <= retention <= 0.99:
            raise InvalidInput("Desired retention is a whole percentage from 70 to 99.", field=f"retention_{course_id}")
        Enrollment.objects.filter(user=user, course_id=course_id).update(desired_retention=retention)
