"""What an answer reads and writes: raw SQL, measured.

The read: as a queryset (select_related of question, passage, source and course, only(),
five subqueries) it took ~3.5 ms of Python to build and compile for ~0.3 ms of SQLite time
(tests/bench, in-process), most of an answer's cost. One statement reads the card (locked
on PostgreSQL), its course, question, choices and cited passage, the student's retention
and time zone, whether this review id is already recorded, today's done counts, and how
the class answered the question (its cards_classshare row, by its unique key: the API's
answer shows it without a query of its own).

The writes: through the ORM (ReviewLog.objects.create, then Card.save(update_fields=...))
they cost ~0.55 ms of Python per answer for ~0.05 ms of SQLite time (cProfile of
answer_card), a third of the service call, while SQLite's write lock is held. The same
statements the ORM sends; the log stays append-only (an INSERT; the database refuses
updates and deletes, migration 0005)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.db import connection

from cards.db.dialect import (
    GENERIC_PLANS,
    JSON_SQL,
    db_moment,
    instance,
    json_value,
    named_rows,
    py_date,
    select_list,
)
from cards.db.done_today import DONE_NEW, done_review, exam_ctes, exam_from, live_reviews_since, unseen
from cards.db.functions import fitted_parameters_id
from cards.db.queue import choices_from_json
from cards.models import Card, Choice, Course, Passage, Question, ReviewLog, Source

# A student's reviews since the course's last refit that ask for another
# (cards.services.scheduler_params, which this module cannot import).
REFIT_EVERY = 200

_QUESTION = ("id", "deck_id", "kind", "prompt", "back", "answers", "explanation", "status", "revision", "quote",
             "passage_id", "safety_critical")  # fmt: skip
_READ = """
    WITH exam_course AS (SELECT c0.course_id AS id FROM cards_card c0 WHERE c0.id = %(card)s AND c0.user_id = %(user)s),
    {exam_ctes}
    SELECT {card}, {course}, {question},
           p.id AS p__id, p.key AS p__key, p.text AS p__text, p.heading AS p__heading, p.source_id AS p__source_id,
           s.id AS s__id, s.slug AS s__slug, s.title AS s__title,
           (SELECT e.desired_retention FROM cards_enrollment e
             WHERE e.user_id = %(user)s AND e.course_id = c.course_id) AS student_retention,
           (SELECT e.exam_date FROM cards_enrollment e
             WHERE e.user_id = %(user)s AND e.course_id = c.course_id) AS student_exam,
           CASE WHEN c.last_review IS NULL AND co.new_per_day > 0 THEN {unseen} END AS unseen,
           EXISTS (SELECT 1 FROM cards_enrollment e
             WHERE e.user_id = %(user)s AND e.course_id = c.course_id) AS enrolled,
           (SELECT pr.timezone FROM cards_profile pr WHERE pr.user_id = %(user)s) AS student_tz,
           fp.parameters AS fitted_parameters, fp.parameter_set_id AS parameter_set,
           (SELECT COUNT(*) FROM (SELECT 1 FROM cards_reviewlog r
             WHERE r.user_id = %(user)s AND r.reviewed_at > COALESCE(
               (SELECT sp.checked_at FROM cards_schedulerparameters sp
                 WHERE sp.course_id = c.course_id AND sp.enrollment_id IS NULL),
               (SELECT e.joined_at FROM cards_enrollment e WHERE e.user_id = %(user)s AND e.course_id = c.course_id))
             LIMIT %(refit_every)s) AS since_fit) AS reviews_since_fit,
           (SELECT r.id FROM cards_reviewlog r WHERE r.user_id = %(user)s AND r.review_id = %(review_id)s) AS replay_of,
           (SELECT {choices} FROM cards_choice ch WHERE ch.question_id = c.question_id) AS choice_rows,
           (SELECT {done_pair} {live_today}) AS done_today,
           (SELECT {share} FROM cards_classshare cs
             WHERE cs.course_id = c.course_id AND cs.question_id = c.question_id) AS class_share
    FROM cards_card c
    JOIN cards_course co ON co.id = c.course_id
    JOIN cards_question q ON q.id = c.question_id
    LEFT JOIN cards_passage p ON p.id = q.passage_id
    LEFT JOIN cards_source s ON s.id = p.source_id
    LEFT JOIN cards_schedulerparameters fp ON fp.id = {fitted_id}
    WHERE c.id = %(card)s AND c.user_id = %(user)s
    {lock}
"""


@dataclass(frozen=True)
class AnswerContext:
    """A card as an answer needs it: the card with its course and question (its cited
    passage and source loaded, and whether it is safety-critical: the course's safety retention
    then schedules it), the question's choices, the student's retention for the
    course and time zone, the log row already recorded under this review id (replay_of),
    today's done counts of the course counted from `done_since`, the fitted parameters that
    schedule the student (cards.models.SchedulerParameters), their exam date, and how many reviews they made
    since the course's last refit (counted up to REFIT_EVERY along reviewlog_user_time)."""

    card: Card
    choices: list[Choice]
    enrolled: bool  # the student is still enrolled in the card's course
    student_retention: float | None
    fitted_parameters: tuple[float, ...] | None  # the student's own fit in use, else the course's
    parameter_set: int | None  # their ParameterSet, which the review log records
    exam_date: date | None  # the student's own exam date, else the course's
    unseen: int | None  # a new card with an exam ahead: the course's cards never seen, this one included
    reviews_since_fit: int  # the student's reviews since the course's last refit, at most REFIT_EVERY
    timezone: str
    replay_of: int | None
    done_today: dict
    done_since: datetime
    class_share: tuple | None = None  # (students, right, {choice id: first tries}) of the class snapshot


@lru_cache(maxsize=4)
def _read_sql(vendor: str) -> str:
    json_sql = JSON_SQL[vendor]
    return _READ.format(
        card=select_list("c", Card, prefix="c"),
        course=select_list("co", Course, prefix="co"),
        question=", ".join(f"q.{name} AS q__{name}" for name in _QUESTION),
        choices=json_sql["choices"],
        share=json_sql["share"],
        live_today=live_reviews_since("c.course_id"),
        # Both counts in one scan of today's reviews (reviewlog_user_time): as two counts,
        # the generic plan of the `was_new` one intersected the partial first-answer index
        # (230,000 entries, 30 ms).
        done_pair=json_sql["pair"].format(
            f"COALESCE(SUM(CASE WHEN {DONE_NEW} THEN 1 ELSE 0 END), 0)",
            f"COALESCE(SUM(CASE WHEN {done_review(vendor)} THEN 1 ELSE 0 END), 0)",
        ),
        lock="FOR UPDATE OF c" if vendor == "postgresql" else "",
        unseen=unseen("c.course_id", "co.exam_date"),
        exam_ctes=exam_ctes("(SELECT id FROM exam_course)"),
        fitted_id=fitted_parameters_id(user="%(user)s", course="c.course_id"),
    )


def card_for_answer(*, user_id: int, card_id: int, review_id: uuid.UUID, since: datetime) -> AnswerContext | None:
    """The card an answer is about, locked, with all an answer needs (see above); call it
    inside the answer's transaction. None: no such card of this student."""
    params = {
        "user": user_id,
        "card": card_id,
        "review_id": ReviewLog._meta.get_field("review_id").get_db_prep_value(review_id, connection),
        "day_start": db_moment(since),
        "refit_every": REFIT_EVERY,
        "exam_from": exam_from(since),
    }
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The answer's transaction plans its statements generically: planning this read
            # took 1.8 ms for 0.5 ms of running it; the insert and update that follow are as
            # simple. It ends with the transaction.
            cursor.execute(GENERIC_PLANS)
        cursor.execute(_read_sql(connection.vendor), params)
        rows = named_rows(cursor)
    if not rows:
        return None
    row = rows[0]
    card = instance(Card, row, prefix="c")
    card.course = instance(Course, row, prefix="co")
    question = instance(Question, row, prefix="q", names=_QUESTION)
    if question.passage_id is None:
        question.passage = None
    else:
        question.passage = instance(Passage, row, prefix="p", names=("id", "key", "text", "heading", "source_id"))
        question.passage.source = instance(Source, row, prefix="s", names=("id", "slug", "title"))
    card.question = question
    done_new, done_reviews = json_value(row["done_today"])
    return AnswerContext(
        card=card,
        choices=choices_from_json(question.pk, json_value(row["choice_rows"])),
        enrolled=bool(row["enrolled"]),
        student_retention=row["student_retention"],
        fitted_parameters=_parameters(row["fitted_parameters"]),
        parameter_set=row["parameter_set"],
        exam_date=py_date(row["student_exam"]) or card.course.exam_date,
        unseen=row["unseen"],
        reviews_since_fit=int(row["reviews_since_fit"] or 0),
        timezone=row["student_tz"] or "UTC",
        replay_of=row["replay_of"],
        done_today={"new": int(done_new), "reviews": int(done_reviews)},
        done_since=since,
        class_share=tuple(json_value(row["class_share"])) if row["class_share"] is not None else None,
    )


def _parameters(value) -> tuple[float, ...] | None:
    values = json_value(value)
    return tuple(values) if values else None


_LOG_COLUMNS = [f for f in ReviewLog._meta.concrete_fields if not f.primary_key]


@lru_cache(maxsize=4)
def _append_sql(vendor: str) -> str:
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _LOG_COLUMNS)
    values = ", ".join(["%s"] * len(_LOG_COLUMNS))
    return f"INSERT INTO cards_reviewlog ({columns}) VALUES ({values}) RETURNING id"  # noqa: S608  # nosec B608


def append_review(log: ReviewLog) -> None:
    """INSERT the new review-log row (no savepoint: on an IntegrityError the whole answer is
    refused and its transaction rolled back, so there is nothing to keep)."""
    params = [f.get_db_prep_save(getattr(log, f.attname), connection) for f in _LOG_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(_append_sql(connection.vendor), params)
        log.pk = cursor.fetchone()[0]
    log._state.adding = False
    log._state.db = connection.alias


def write_card_state(card: Card, fields: list[str], *, bury: tuple[int, datetime] | None = None) -> None:
    """UPDATE the card's scheduling columns (`fields`), as card.save(update_fields=fields).

    `bury` (passage id, until): in the same statement, bury the student's cards of the other
    questions that cite that passage (its siblings; a cloze's other deletions are the same
    question, not siblings) until then, those not buried that long already: one UPDATE, so
    an answer costs the same statements as before burying.

    The rows are found from the passage's questions through card_unique (user, question):
    the answered card is one of them (its question cites the passage). Written as `id = card
    OR (the student's siblings)`, PostgreSQL's generic plan OR-ed the primary key with every
    card of the student and filtered them: for the heavy student (10,000 cards) the UPDATE
    took 1.3-1.8 ms against 0.03 ms now, and the answer 1.34-1.48x the light student's
    in-process (target 1.2x), now 1.01-1.16x (measured 2026-12-07, docs/performance.md)."""
    columns = [Card._meta.get_field(name) for name in fields]
    params = [f.get_db_prep_save(getattr(card, f.attname), connection) for f in columns]
    if bury is None:
        assignments = ", ".join(f"{connection.ops.quote_name(f.column)} = %s" for f in columns)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE cards_card SET {assignments} WHERE id = %s", [*params, card.pk])  # noqa: S608  # nosec B608
        return
    passage_id, until = bury
    names = [connection.ops.quote_name(f.column) for f in columns]
    assignments = ", ".join(f"{name} = CASE WHEN id = %s THEN %s ELSE {name} END" for name in names)
    values = [v for param in params for v in (card.pk, param)]
    moment = db_moment(until)
    sql = (
        f"UPDATE cards_card SET {assignments}, buried_until = CASE WHEN id = %s THEN buried_until ELSE %s END "  # noqa: S608  # nosec B608
        "WHERE user_id = %s AND question_id IN (SELECT q.id FROM cards_question q WHERE q.passage_id = %s) "
        "AND (id = %s OR (question_id <> %s AND (buried_until IS NULL OR buried_until < %s)))"
    )
    params = [*values, card.pk, moment, card.user_id, passage_id, card.pk, card.question_id, moment]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
