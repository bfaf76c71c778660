"""The student's courses with an exam date (their own or the course's), as the dashboard's
exam panels start from: one statement, sent with the dashboard's others.

As an ORM queryset (Enrollment with its course and the fitted parameters' subqueries) it
took 0.49 ms to build and 0.33 ms to compile for ~0.1 ms of running, in-process, and came
after the dashboard's other statements in a round trip of its own: 1.4 ms of worker CPU and
3.4 ms of wall time of a 7.7-8.5 ms PostgreSQL dashboard, 12.5-13.1x the reference view
against 10x (tests/bench, the typical student, 2026-12-07; docs/performance.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from cards.db.dialect import Statement, json_value, py_date
from cards.db.functions import fitted_parameters_id

# `fitted`: the parameters that schedule the student in the course (cards.db.functions).
_EXAM_COURSES = f"""
    SELECT e.course_id AS course_id, co.title AS course_title, co.new_per_day AS new_per_day,
           e.exam_date AS own, co.exam_date AS course_exam, fp.parameters AS fitted
    FROM cards_enrollment e
    JOIN cards_course co ON co.id = e.course_id
    LEFT JOIN cards_schedulerparameters fp ON fp.id = {fitted_parameters_id(user="e.user_id", course="e.course_id")}
    WHERE e.user_id = %(user)s AND (e.exam_date IS NOT NULL OR co.exam_date IS NOT NULL)
    ORDER BY e.id
"""  # noqa: S608  # nosec B608 - our own fragment, no input


@dataclass(frozen=True)
class ExamCourse:
    """A course of the student with an exam date set (perhaps past: the caller decides)."""

    course_id: int
    course_title: str
    new_per_day: int
    own: date | None  # the student's own exam date
    course_exam: date | None  # the course's
    fitted: list[float] | None = None  # the parameters that schedule the student there


def exam_courses_statement(*, user_id: int) -> Statement:
    """[ExamCourse] of the student's enrolments with an exam date, own or the course's."""

    def listed(rows: list[dict]) -> list[ExamCourse]:
        return [
            ExamCourse(
                course_id=r["course_id"],
                course_title=r["course_title"],
                new_per_day=r["new_per_day"],
                own=py_date(r["own"]),
                course_exam=py_date(r["course_exam"]),
                fitted=json_value(r["fitted"]),
            )
            for r in rows
        ]

    return Statement(_EXAM_COURSES, {"user": user_id}, listed)


def exam_courses(*, user_id: int) -> list[ExamCourse]:
    return exam_courses_statement(user_id=user_id).run()
