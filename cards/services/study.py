"""Writes of the study loop: answer a card, re-rate, undo, suspend.

Every write locks the card it changes and runs in one transaction. The review log is only
ever appended to: an undo is a new row pointing at the review it undoes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import IntegrityError, connection, transaction
from django.db.models import OuterRef, Subquery

from cards.core import grading, scheduling
from cards.core.scheduling import CardState, Rating
from cards.errors import AnswerRejected, InvalidInput, NotFound
from cards.models import Card, Course, Enrollment, Passage, Profile, Question, ReviewLog, Source
from cards.selectors import (
    CHOICE_KINDS,
    COURSE_COLUMNS,
    DONE_NEW_SQL,
    DONE_REVIEW_SQL,
    JSON_SQL,
    LIVE_REVIEWS_SINCE_SQL,
    choices_from_json,
    db_moment,
    json_value,
    model_from_row,
    question_spec,
    reviews_done_today,
    user_timezone,
)

LEECH_LAPSES = 8


@dataclass(frozen=True)
class AnswerOutcome:
    card: Card
    log: ReviewLog
    replayed: bool  # True when this review id was already recorded: nothing new was written

    @property
    def correct(self) -> bool:
        return bool(self.log.correct)


def card_state(card: Card) -> CardState:
    return CardState(**{name: getattr(card, name) for name in scheduling.STATE_FIELDS})


def _apply_state(card: Card, state: CardState) -> None:
    for name in scheduling.STATE_FIELDS:
        setattr(card, name, getattr(state, name))


# --- what an answer reads: raw SQL, measured ------------------------------------------------------
#
# Written in SQL because the ORM could not afford it: as a queryset (select_related of
# question, passage, source and course, only(), five subqueries) this read took ~3.5 ms of
# Python to build and compile for ~0.3 ms of SQLite time (tests/bench, in-process), most of
# an answer's cost. One statement: the card (locked on PostgreSQL), its course, question,
# choices and cited passage, the student's retention and time zone, whether this review id
# is already recorded, and today's done counts of the course when the day start is known.

_CARD_COLUMNS = tuple(f.attname for f in Card._meta.concrete_fields)
_QUESTION_COLUMNS = (
    "id",
    "deck_id",
    "kind",
    "prompt",
    "back",
    "answers",
    "explanation",
    "status",
    "revision",
    "quote",
    "passage_id",
)
_ANSWER_READ = """
    SELECT {card}, {course}, {question}, p.key, p.text, s.id, s.slug, s.title,
           (SELECT e.desired_retention FROM cards_enrollment e
             WHERE e.user_id = %(user)s AND e.course_id = c.course_id) AS student_retention,
           (SELECT pr.timezone FROM cards_profile pr WHERE pr.user_id = %(user)s) AS student_tz,
           (SELECT r.id FROM cards_reviewlog r WHERE r.user_id = %(user)s AND r.review_id = %(review_id)s) AS replay_of,
           (SELECT {choices} FROM cards_choice ch WHERE ch.question_id = c.question_id) AS choice_rows,
           (SELECT {done_pair} {live_today}) AS done_today
    FROM cards_card c
    JOIN cards_course co ON co.id = c.course_id
    JOIN cards_question q ON q.id = c.question_id
    LEFT JOIN cards_passage p ON p.id = q.passage_id
    LEFT JOIN cards_source s ON s.id = p.source_id
    WHERE c.id = %(card)s AND c.user_id = %(user)s
    {lock}
"""


@lru_cache(maxsize=4)
def _answer_read_sql(vendor: str) -> str:
    json_sql = JSON_SQL[vendor]
    return _ANSWER_READ.format(
        card=", ".join(f"c.{name}" for name in _CARD_COLUMNS),
        course=", ".join(f"co.{name}" for name in COURSE_COLUMNS),
        question=", ".join(f"q.{name}" for name in _QUESTION_COLUMNS),
        choices=json_sql["choices"],
        live_today=LIVE_REVIEWS_SINCE_SQL.replace("{course}", "c.course_id"),
        # Both counts in one scan of today's reviews (reviewlog_user_time): as two counts,
        # the generic plan of the `was_new` one intersected the partial first-answer index
        # (230,000 entries, 30 ms).
        done_pair=json_sql["pair"].format(
            f"COALESCE(SUM(CASE WHEN {DONE_NEW_SQL} THEN 1 ELSE 0 END), 0)",
            "COALESCE(SUM(CASE WHEN {} THEN 1 ELSE 0 END), 0)".format(
                DONE_REVIEW_SQL.format(state_before=json_sql["state_before"])
            ),
        ),
        lock="FOR UPDATE OF c" if vendor == "postgresql" else "",
    )


def _card_for_answer(*, user, card_id: int, review_id: uuid.UUID, since: datetime | None) -> Card | None:
    """The card an answer is about, locked, with all an answer needs (see above)."""
    params = {
        "user": user.pk,
        "card": card_id,
        "review_id": ReviewLog._meta.get_field("review_id").get_db_prep_value(review_id, connection),
        "day_start": db_moment(since),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The answer's transaction (answer_card is atomic) plans its statements generically:
            # planning this read took 1.8 ms for 0.5 ms of running it (see selectors.fetch_all);
            # the insert and update that follow are as simple. It ends with the transaction.
            cursor.execute("SET LOCAL plan_cache_mode = force_generic_plan")
        cursor.execute(_answer_read_sql(connection.vendor), params)
        row = cursor.fetchone()
    if row is None:
        return None
    row = list(row)
    n_card, n_course, n_question = len(_CARD_COLUMNS), len(COURSE_COLUMNS), len(_QUESTION_COLUMNS)
    card = model_from_row(Card, _CARD_COLUMNS, row[:n_card])
    card.course = model_from_row(Course, COURSE_COLUMNS, row[n_card : n_card + n_course])
    rest = row[n_card + n_course :]
    question = model_from_row(Question, _QUESTION_COLUMNS, rest[:n_question])
    passage_key, passage_text, source_id, source_slug, source_title, *annotations = rest[n_question:]
    retention, tz, replay_of, choice_rows, done_today = annotations
    done_new, done_reviews = json_value(done_today)
    if question.passage_id is not None:
        passage = model_from_row(
            Passage, ("id", "key", "text", "source_id"), (question.passage_id, passage_key, passage_text, source_id)
        )
        passage.source = model_from_row(Source, ("id", "slug", "title"), (source_id, source_slug, source_title))
        question.passage = passage
    else:
        question.passage = None
    card.question = question
    card.student_retention, card.student_tz, card.replay_of = retention, tz, replay_of
    card.question_choices = choices_from_json(question, json_value(choice_rows))
    # Counted from `since`; _check_answerable uses them only if that is the card's day start.
    card.done_today = {"new": int(done_new), "reviews": int(done_reviews)} if since is not None else None
    return card


def _locked_card(*, user, card_id: int) -> Card:
    retention = Enrollment.objects.filter(user=user, course=OuterRef("course_id")).values("desired_retention")[:1]
    timezone_name = Profile.objects.filter(user=user).values("timezone")[:1]
    card = (
        Card.objects.select_for_update(of=("self",))
        .select_related("question", "course")
        .annotate(student_retention=Subquery(retention), student_tz=Subquery(timezone_name))
        .filter(pk=card_id, user=user)
        .first()
    )
    if card is None:
        raise NotFound("No such card in your decks.", code="card_not_found")
    return card


def is_due(card: Card, now: datetime, day_end: datetime) -> bool:
    """New cards wait only for the daily limit; review cards are due for the whole study
    day; learning steps are due to the minute."""
    if card.last_review is None:
        return True
    if card.state == Card.State.REVIEW:
        return card.due < day_end
    return card.due <= now


def _check_answerable(card: Card, *, now: datetime, expected_reps: int | None) -> None:
    if card.suspended:
        raise AnswerRejected("This card is suspended.", code="suspended")
    if card.question.status != "published":
        raise AnswerRejected("This question is no longer in use.", code="retired")
    if expected_reps is not None and expected_reps != card.reps:
        raise AnswerRejected(
            "This card was already answered (in another tab or a double submit).",
            code="already_answered",
        )
    day_start, day_end = scheduling.study_day_bounds(now, card.student_tz or "UTC")
    if not is_due(card, now, day_end):
        raise AnswerRejected("This card is not due yet.", code="not_due")
    if not card.is_new and card.state != Card.State.REVIEW:
        return  # a learning step: no daily limit applies
    if getattr(card, "done_today", None) is not None and card.done_since == day_start:  # read with the card
        done = card.done_today
    else:
        done = reviews_done_today(user_id=card.user_id, course_id=card.course_id, since=day_start)
    if card.is_new and done["new"] >= card.course.new_per_day:
        raise AnswerRejected("Today's limit of new cards is reached.", code="daily_limit")
    if not card.is_new and card.state == Card.State.REVIEW and done["reviews"] >= card.course.reviews_per_day:
        raise AnswerRejected("Today's limit of reviews is reached.", code="daily_limit")


def _existing_review(*, user, review_id: uuid.UUID, card_id: int) -> AnswerOutcome | None:
    log = ReviewLog.objects.filter(user=user, review_id=review_id).select_related("card").first()
    if log is None:
        return None
    if log.card_id != card_id or log.kind != ReviewLog.Kind.REVIEW:
        raise InvalidInput(
            "This review id was already used for another answer.", code="review_id_reused", field="review_id"
        )
    return AnswerOutcome(card=log.card, log=log, replayed=True)


@transaction.atomic
def answer_card(
    *,
    user,
    card_id: int,
    answer: dict,
    review_id: uuid.UUID,
    now: datetime,
    response_ms: int | None = None,
    expected_reps: int | None = None,
    rating: int | None = None,
    tz_name: str | None = None,
) -> AnswerOutcome:
    """Grade an answer, schedule the card with FSRS and append the review to the log.

    Idempotent: the same `review_id` again returns the stored outcome and writes nothing.
    `rating` overrides Good with Hard or Easy after a correct answer (flashcards: it is the answer).
    `tz_name`: the student's time zone when the caller has already read it (saves a query;
    the profile loaded with the user does the same).
    """
    # One query reads the card (locked), its question and choices, whether this review id is
    # already recorded, and today's done counts (from the student's day start: the time zone
    # comes with the user from the API's token lookup, from the study page's own query, or
    # costs one small query).
    since = scheduling.study_day_bounds(now, tz_name or user_timezone(user))[0]
    card = _card_for_answer(user=user, card_id=card_id, review_id=review_id, since=since)
    if card is None:
        replay = _existing_review(user=user, review_id=review_id, card_id=card_id)
        if replay:
            return replay
        raise NotFound("No such card in your decks.", code="card_not_found")
    if card.replay_of is not None:
        return _existing_review(user=user, review_id=review_id, card_id=card_id)
    card.done_since = since  # what the done counts read with the card start from (if any)
    _check_answerable(card, now=now, expected_reps=expected_reps)
    question = card.question
    if question.kind == "flashcard" and rating is not None and "rating" not in answer:
        answer = {**answer, "rating": rating}
    choices = card.question_choices if question.kind in CHOICE_KINDS else []
    try:
        result = grading.grade(question_spec(question, cloze=card.cloze, choices=choices), answer)
    except grading.InvalidAnswer as exc:
        raise InvalidInput(exc.message, code="invalid_answer", field=exc.field) from exc
    chosen = Rating(result.rating)
    if rating is not None and question.kind != "flashcard" and Rating(rating) in grading.allowed_ratings(result):
        chosen = Rating(rating)
    return _record(
        card=card,
        answer=answer,
        correct=result.correct,
        score=result.score,
        rating=chosen,
        now=now,
        review_id=review_id,
        response_ms=response_ms,
    )


def _settings_for(card: Card) -> scheduling.SchedulerSettings:
    return card.course.scheduler_settings(getattr(card, "student_retention", None))


def _record(
    *,
    card: Card,
    answer: dict,
    correct: bool,
    score: float,
    rating: Rating,
    now: datetime,
    review_id: uuid.UUID,
    response_ms: int | None,
) -> AnswerOutcome:
    before = card_state(card)
    outcome = scheduling.review(before, rating, now, _settings_for(card), card_id=card.pk)
    _apply_state(card, outcome.state)
    fields = list(scheduling.STATE_FIELDS)
    if outcome.state.lapses >= LEECH_LAPSES and before.lapses < LEECH_LAPSES:
        card.leech = True
        card.suspended = True
        fields += ["leech", "suspended"]
    log = ReviewLog(
        user_id=card.user_id,
        card=card,
        review_id=review_id,
        question_revision=card.question.revision,
        rating=int(rating),
        answer=answer,
        correct=correct,
        score=score,
        response_ms=response_ms,
        was_new=before.reps == 0,
        reviewed_at=now,
        state_before=before.to_json(),
        state_after=outcome.state.to_json(),
    )
    try:
        _append(log)
    except IntegrityError as exc:
        # A concurrent request recorded this review id first (the lock only covers the card).
        raise AnswerRejected("This answer was already recorded.", code="already_answered") from exc
    _write_state(card, fields)
    return AnswerOutcome(card=card, log=log, replayed=False)


# The two writes of an answer, in SQL: through the ORM (ReviewLog.objects.create, then
# Card.save(update_fields=...)) they cost ~0.55 ms of Python per answer for ~0.05 ms of
# SQLite time (tests/bench, cProfile of answer_card), a third of the service call, while
# SQLite's write lock is held. Same statements the ORM sends; the log stays append-only
# (an INSERT; the database refuses updates and deletes, migration 0005).
_LOG_COLUMNS = [f for f in ReviewLog._meta.concrete_fields if not f.primary_key]


@lru_cache(maxsize=4)
def _append_sql(vendor: str) -> str:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _LOG_COLUMNS)
    values = ", ".join(["%s"] * len(_LOG_COLUMNS))
    return f"INSERT INTO cards_reviewlog ({columns}) VALUES ({values}) RETURNING id"  # noqa: S608  # nosec B608


def _append(log: ReviewLog) -> None:
    """INSERT the new review-log row (no savepoint: on an IntegrityError the whole answer is
    refused and its transaction rolled back, so there is nothing to keep)."""
    params = [f.get_db_prep_save(getattr(log, f.attname), connection) for f in _LOG_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_append_sql(connection.vendor), params)
        log.pk = cursor.fetchone()[0]
    log._state.adding = False
    log._state.db = connection.alias


def _write_state(card: Card, fields: list[str]) -> None:
    """UPDATE the card's scheduling columns (`fields`), as card.save(update_fields=fields)."""
    columns = [Card._meta.get_field(name) for name in fields]
    assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
    params = [f.get_db_prep_save(getattr(card, f.attname), connection) for f in columns]
    with connection.cursor() as cursor:
        cursor.execute(f"UPDATE cards_card SET {assignments} WHERE id = %s", [*params, card.pk])  # noqa: S608  # nosec B608


def _last_review(*, user, for_update_card: int | None = None) -> ReviewLog:
    qs = ReviewLog.objects.filter(user=user, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)
    if for_update_card is not None:
        qs = qs.filter(card_id=for_update_card)
    log = qs.order_by("-reviewed_at", "-id").first()
    if log is None:
        raise AnswerRejected("There is no review to undo.", code="nothing_to_undo")
    return log


def _restore(card: Card, log: ReviewLog, *, now: datetime) -> ReviewLog:
    state = CardState.from_json(log.state_before)
    _apply_state(card, state)
    fields = list(scheduling.STATE_FIELDS)
    if card.leech and state.lapses < LEECH_LAPSES:
        card.leech = False
        card.suspended = False
        fields += ["leech", "suspended"]
    card.save(update_fields=fields)
    return ReviewLog.objects.create(
        user_id=card.user_id,
        card=card,
        kind=ReviewLog.Kind.UNDO,
        undoes=log,
        review_id=uuid.uuid4(),
        question_revision=log.question_revision,
        reviewed_at=now,
        state_before=log.state_after,
        state_after=log.state_before,
    )


@transaction.atomic
def undo_last_review(*, user, now: datetime) -> ReviewLog:
    """Put the card of the user's last review back as it was; the review stays, marked undone."""
    log = _last_review(user=user)
    card = _locked_card(user=user, card_id=log.card_id)
    latest = _last_review(user=user, for_update_card=card.pk)
    if latest.pk != log.pk:
        raise AnswerRejected("The card changed since; nothing was undone.", code="conflict")
    try:
        with transaction.atomic():
            return _restore(card, log, now=now)
    except IntegrityError as exc:  # two undos raced for the same review
        raise AnswerRejected("That review was already undone.", code="nothing_to_undo") from exc


@transaction.atomic
def rerate_review(*, user, review_id: uuid.UUID, rating: int, new_review_id: uuid.UUID, now: datetime) -> AnswerOutcome:
    """After a correct answer, the student says it was Hard or Easy rather than Good.

    The first review is undone and the card rescheduled from the same starting state at the
    same moment, with the chosen rating; both steps are appended to the log.
    """
    replay = ReviewLog.objects.filter(user=user, review_id=new_review_id).select_related("card").first()
    if replay is not None:
        return AnswerOutcome(card=replay.card, log=replay, replayed=True)
    original = ReviewLog.objects.filter(user=user, review_id=review_id, kind=ReviewLog.Kind.REVIEW).first()
    if original is None:
        raise NotFound("No such review.", code="review_not_found")
    if not original.correct:
        raise AnswerRejected("Only a correct answer can be re-rated.", code="not_correct")
    if rating not in (Rating.HARD, Rating.GOOD, Rating.EASY):
        raise InvalidInput("Choose Hard, Good or Easy.", code="invalid_rating", field="rating")
    card = _locked_card(user=user, card_id=original.card_id)
    latest = _last_review(user=user, for_update_card=card.pk)
    if latest.pk != original.pk:
        raise AnswerRejected("This card was answered again since; the rating stays.", code="conflict")
    if original.rating == rating:
        return AnswerOutcome(card=card, log=original, replayed=True)
    _restore(card, original, now=now)
    return _record(
        card=card,
        answer=original.answer,
        correct=True,
        score=original.score or 1.0,
        rating=Rating(rating),
        now=original.reviewed_at,
        review_id=new_review_id,
        response_ms=original.response_ms,
    )


@transaction.atomic
def set_card_suspended(*, user, card_id: int, suspended: bool) -> Card:
    card = _locked_card(user=user, card_id=card_id)
    card.suspended = suspended
    if not suspended:
        card.leech = False
    card.save(update_fields=["suspended", "leech"])
    return card


@transaction.atomic
def record_outside_queue(
    *, user, card_id: int, answer: dict, correct: bool, score: float, rating: int, now: datetime, review_id: uuid.UUID
) -> AnswerOutcome:
    """A quiz answer teaches the card too, due or not (FSRS accounts for the elapsed time);
    idempotent by review id like every review."""
    replay = ReviewLog.objects.filter(user=user, review_id=review_id).select_related("card").first()
    if replay is not None:
        return AnswerOutcome(card=replay.card, log=replay, replayed=True)
    card = _locked_card(user=user, card_id=card_id)
    if card.suspended:
        return AnswerOutcome(card=card, log=None, replayed=True)
    return _record(
        card=card,
        answer=answer,
        correct=correct,
        score=score,
        rating=Rating(rating),
        now=now,
        review_id=review_id,
        response_ms=None,
    )
