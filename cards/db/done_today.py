"""Today's live reviews of a course in SQL: the fragment the study queue and the answer read
both count from (answers, not undo rows, not undone; the reviewlog_user_time index), as the
ORM's `selectors.study.reviews_done_today` counts them: every one, new cards, and reviews of
cards that were in the Review state.

The course of each of today's reviews is read by its card's primary key (a scalar subquery,
not a join): a join let PostgreSQL's generic plan hash the course's every card (234,000
rows, 80 ms) to match a student's few reviews of the day (tests/bench)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db import connection

from cards.db.dialect import JSON_SQL


def live_review(alias: str = "r") -> str:
    """The condition that a review-log row (as `alias`) counts: an answer, not an undo row,
    and not undone since: the SQL twin of selectors.study.live_reviews."""
    undone = f"SELECT 1 FROM cards_reviewlog u WHERE u.undoes_id = {alias}.id"  # noqa: S608  # nosec B608 - an alias
    return f"{alias}.kind = 'review' AND NOT EXISTS ({undone})"


LIVE_REVIEWS_SINCE = """
    FROM cards_reviewlog r
    WHERE r.user_id = %(user)s AND r.reviewed_at >= %(day_start)s
      AND (SELECT rc.course_id FROM cards_card rc WHERE rc.id = r.card_id) = {course}
      AND {live}
"""
DONE_NEW = "r.was_new"
DONE_REVIEW = "NOT r.was_new AND {state_before} = 2"


def live_reviews_since(course: str) -> str:
    """The FROM/WHERE of today's live reviews of the course `course` (an SQL expression)."""
    return LIVE_REVIEWS_SINCE.replace("{course}", course).replace("{live}", live_review())


def done_review(vendor: str) -> str:
    return DONE_REVIEW.format(state_before=JSON_SQL[vendor]["state_before"])


# The exam date in force of the student in a course (`course`: an SQL expression of its id,
# `course_exam`: of the course's own date): their own, else the course's.
EXAM_DATE = """COALESCE((SELECT e.exam_date FROM cards_enrollment e
    WHERE e.user_id = %(user)s AND e.course_id = {course}), {course_exam})"""
# The student's cards of a course never seen (never reviewed, not suspended, question
# published, in one of the course's decks, as the study queue reads a deck; buried ones too:
# burial is for today only): what the exam's new-card pace must cover
# (cards.core.exams.new_allowance). Counted only for a course with an exam still ahead
# (`exam_from`: the UTC date a day before now), so a student without one pays nothing; and
# from the card_new_queue index alone, the course's decks and their few unpublished questions
# read once, as CTEs (EXAM_CTES) that do not refer to the outer row. Measured on SQLite, a
# student's 3,000 unseen cards: joined to the questions and the course's decks, 4.3 ms a
# queue read (0.14 ms without an exam); with the decks and unpublished ids as subqueries
# correlated to the course, 800 ms (re-run for every card).
EXAM_CTES = """exam_decks AS (SELECT ucd.deck_id FROM cards_course_decks ucd WHERE ucd.course_id = {course}),
    exam_unpublished AS (SELECT uq.id FROM cards_question uq
        WHERE uq.deck_id IN (SELECT deck_id FROM exam_decks)
          AND (uq.status < 'published' OR uq.status > 'published'))"""
UNSEEN = """CASE WHEN {exam} >= %(exam_from)s THEN (SELECT COUNT(*) FROM cards_card u
    WHERE u.user_id = %(user)s AND u.last_review IS NULL AND NOT u.suspended
      AND u.deck_id IN (SELECT deck_id FROM exam_decks)
      AND u.question_id NOT IN (SELECT id FROM exam_unpublished)) END"""


def exam_date(course: str, course_exam: str) -> str:
    return EXAM_DATE.replace("{course}", course).replace("{course_exam}", course_exam)


def exam_ctes(course: str) -> str:
    """The CTEs UNSEEN reads, for the course `course` (an SQL expression that does not refer
    to the outer row, e.g. a scalar subquery)."""
    return EXAM_CTES.replace("{course}", course)


def unseen(course: str, course_exam: str) -> str:
    """The count UNSEEN for the course `course` (NULL without an exam ahead); the statement
    must define exam_ctes()."""
    return UNSEEN.replace("{exam}", exam_date(course, course_exam))


def exam_from(now: datetime):
    """The `exam_from` parameter: an exam on this UTC date or later may still be ahead in the
    student's own time zone (their study day is at most a day behind UTC's date)."""
    return connection.ops.adapt_datefield_value((now - timedelta(days=1)).date())
