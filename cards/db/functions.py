"""Database expressions the ORM lacks, written once per backend (SQLite and PostgreSQL)."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Case, F, FloatField, Func, Value, When
from django.db.models.functions import Floor, Power

from cards.core import scheduling


class DaysBetween(Func):
    """(later - earlier) in days, as a float."""

    arity = 2
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        return self.as_sql(
            compiler, connection, template="(julianday(%(expressions)s))", arg_joiner=") - julianday(", **extra
        )

    def as_postgresql(self, compiler, connection, **extra):
        return self.as_sql(
            compiler,
            connection,
            template="(EXTRACT(EPOCH FROM (%(expressions)s)) / 86400.0)",
            arg_joiner=" - ",
            **extra,
        )


def retrievability_expression(now: datetime, *, prefix: str = ""):
    """FSRS predicted recall of a card at `now`, in SQL: (1 + F * floor(t) / S) ** DECAY,
    0 for a card never reviewed; the same formula as fsrs.Scheduler.get_card_retrievability
    with the default parameters (the scheduler does not tune them per student yet)."""
    factor, decay = scheduling.FSRS_FACTOR, scheduling.FSRS_DECAY
    last_review, stability = F(f"{prefix}last_review"), F(f"{prefix}stability")
    elapsed = Floor(DaysBetween(Value(now), last_review))
    return Case(
        When(**{f"{prefix}last_review__isnull": True}, then=Value(0.0)),
        When(**{f"{prefix}stability__isnull": True}, then=Value(0.0)),
        default=Power(Value(1.0) + Value(factor) * elapsed / stability, Value(decay)),
        output_field=FloatField(),
    )


_FITTED_ID = """COALESCE(
      (SELECT sp.id FROM cards_enrollment fe
         JOIN cards_schedulerparameters sp ON sp.enrollment_id = fe.id
        WHERE fe.user_id = {user} AND fe.course_id = {course} AND fe.own_parameters),
      (SELECT sp.id FROM cards_schedulerparameters sp
        WHERE sp.course_id = {course} AND sp.enrollment_id IS NULL))"""


def fitted_parameters_id(*, user: str, course: str) -> str:
    """SQL: the id of the SchedulerParameters row that schedules the student `user` in the
    course `course` (both SQL expressions of the caller's own): their own fit if they use it,
    else the course's; NULL: FSRS's defaults. The SQL twin of
    cards.selectors.scheduler.fitted_parameters, for the statements of cards/db that join it
    (the answer's read, the dashboard's exam courses); each subquery finds at most one row (one
    fit per enrolment, one course-wide fit per course)."""
    return _FITTED_ID.replace("{user}", user).replace("{course}", course)
