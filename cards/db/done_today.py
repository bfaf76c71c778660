"""Today's live reviews of a course in SQL: the fragment the study queue and the answer read
both count from (answers, not undo rows, not undone; the reviewlog_user_time index), as the
ORM's `selectors.study.reviews_done_today` counts them: every one, new cards, and reviews of
cards that were in the Review state.

The course of each of today's reviews is read by its card's primary key (a scalar subquery,
not a join): a join let PostgreSQL's generic plan hash the course's every card (234,000
rows, 80 ms) to match a student's few reviews of the day (tests/bench)."""

from __future__ import annotations

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
