"""The dashboard's aggregates in SQL, measured: a student's mastery per topic and weakest cards
(both built on FSRS retrievability), true retention and suspended cards.

Through the ORM building and compiling each queryset cost more than running it, in-process
for a typical student (2,500 reviews, 200 cards; best of 5 x 50): topic mastery 1.05 ms,
weakest items 0.96 ms, true retention 0.50 ms, leeches 0.25 ms, most of it Python; with
them the dashboard was 14.1x the reference view against a 10x target (`make bench`, SQLite,
2026-12-07 12:43). As statements: 0.17, 0.16, 0.06 and 0.05 ms; the dashboard 5.6 -> 2.9 ms
(docs/performance.md)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import connection

from cards.core import grading, scheduling
from cards.db.dialect import JSON_SQL, Statement, db_moment
from cards.db.done_today import live_review

# Days since the last review, as a float, per vendor (the ORM's DaysBetween).
_DAYS_SINCE = {
    "sqlite": "(julianday(%(now)s) - julianday(c.last_review))",
    "postgresql": "(EXTRACT(EPOCH FROM (%(now)s - c.last_review)) / 86400.0)",
}
# FSRS predicted recall now: (1 + F * floor(days) / S) ** DECAY; 0 for a card never reviewed
# (the same formula as cards.db.functions.retrievability_expression and fsrs itself).
_RECALL = """CASE WHEN c.last_review IS NULL OR c.stability IS NULL THEN 0.0
    ELSE POWER(1.0 + {factor!r} * FLOOR({days}) / c.stability, {decay!r}) END"""
_STUDYABLE = """
    FROM cards_card c
    JOIN cards_question q ON q.id = c.question_id
    JOIN cards_topic t ON t.id = q.topic_id
    WHERE c.user_id = %(user)s AND NOT c.suspended AND q.status = 'published'
"""
# Reviews of cards that were in the Review state, live (not an undo, not undone).
_TRUE_RETENTION = """
    SELECT COUNT(*) AS total, COALESCE(SUM(CASE WHEN r.rating > 1 THEN 1 ELSE 0 END), 0) AS recalled
    FROM cards_reviewlog r
    WHERE r.user_id = %(user)s AND r.reviewed_at >= %(since)s AND {state_before} = 2 AND {live}
"""
# Every suspended card: leeches (suspended by the scheduler) and cards the student suspended.
_SUSPENDED = """
    SELECT c.id AS card_id, q.prompt AS prompt, q.kind AS kind, c.cloze AS cloze, c.lapses AS lapses,
           c.leech AS leech, c.course_id AS course_id, c.deck_id AS deck_id, d.title AS deck_title
    FROM cards_card c
    JOIN cards_question q ON q.id = c.question_id
    JOIN cards_deck d ON d.id = c.deck_id
    WHERE c.user_id = %(user)s AND c.suspended
    ORDER BY d.title, c.deck_id, c.course_id, c.leech DESC, c.lapses DESC, c.id
"""
# Mastery per topic and the weakest cards in one statement: both read every studyable card
# with its question and topic (~200 question lookups for the typical student), most of their
# cost. As two statements they took 0.6 and 0.7 ms of the PostgreSQL backend's CPU, 1.3 of
# the dashboard's 2.6 ms; together 0.96 ms of wall time against 1.60 one after the other
# (in-process, the typical student, 2026-12-07; docs/performance.md).
# Rows: part 0, a topic (slug, name, value: mean predicted recall, cards), by name and slug;
# then part 1, the `limit` weakest cards (card_id, prompt, name: the topic, lapses, value:
# the recall, NULL while in the (re)learning steps, listed first, then the lowest recall,
# most lapses first) of those reviewed.
_MASTERY_AND_WEAKEST = """
    WITH s AS (
      SELECT c.id AS card_id, q.prompt AS prompt, t.slug AS slug, t.name AS name, c.lapses AS lapses,
             c.state AS state, c.last_review AS last_review, {recall} AS recall
      {studyable}
    )
    SELECT * FROM (
      SELECT 0 AS part, slug, name, AVG(recall) AS value, COUNT(*) AS cards,
             NULL AS card_id, NULL AS prompt, NULL AS lapses, 0 AS in_review
      FROM s GROUP BY slug, name
      UNION ALL
      SELECT 1, NULL, name, value, NULL, card_id, prompt, lapses, in_review FROM (
        SELECT name, CASE WHEN state = 2 THEN recall END AS value, card_id, prompt, lapses,
               CASE WHEN state = 2 THEN 1 ELSE 0 END AS in_review
        FROM s WHERE last_review IS NOT NULL
        ORDER BY in_review, value, lapses DESC, card_id
        LIMIT %(limit)s
      ) weakest
    ) rows
    ORDER BY part, CASE WHEN part = 0 THEN name END, slug, in_review, value, lapses DESC, card_id
"""


@lru_cache(maxsize=4)
def _sql(vendor: str) -> dict[str, str]:
    recall = _RECALL.format(factor=scheduling.FSRS_FACTOR, decay=scheduling.FSRS_DECAY, days=_DAYS_SINCE[vendor])
    return {
        "mastery_and_weakest": _MASTERY_AND_WEAKEST.format(recall=recall, studyable=_STUDYABLE),
        "retention": _TRUE_RETENTION.format(state_before=JSON_SQL[vendor]["state_before"], live=live_review()),
        "suspended": _SUSPENDED,
    }


def true_retention_statement(*, user_id: int, since: datetime) -> Statement:
    """(recalled, total) over the live reviews since `since` of cards that were in the Review state."""

    def pair(rows: list[dict]) -> tuple[int, int]:
        return int(rows[0]["recalled"]), int(rows[0]["total"])

    return Statement(_sql(connection.vendor)["retention"], {"user": user_id, "since": db_moment(since)}, pair)


def true_retention(**kwargs) -> tuple[int, int]:
    return true_retention_statement(**kwargs).run()


@dataclass(frozen=True)
class SuspendedCard:
    """A card out of the student's reviews: a leech, or one they suspended themselves."""

    card_id: int
    prompt: str
    kind: str
    cloze: int
    lapses: int
    leech: bool
    course_id: int
    deck_id: int
    deck_title: str

    @property
    def shown(self) -> str:
        """The card's front as the study page shows it (a cloze card: its own blank hidden)."""
        return grading.cloze_front(self.prompt, self.cloze) if self.kind == "cloze" else self.prompt


def suspended_statement(*, user_id: int) -> Statement:
    """The student's suspended cards, by deck, leeches first, most lapses first."""

    def listed(rows: list[dict]) -> list[SuspendedCard]:
        return [SuspendedCard(**{**r, "leech": bool(r["leech"])}) for r in rows]

    return Statement(_sql(connection.vendor)["suspended"], {"user": user_id}, listed)


def suspended(**kwargs) -> list[SuspendedCard]:
    return suspended_statement(**kwargs).run()


@dataclass(frozen=True)
class WeakItem:
    card_id: int
    prompt: str
    topic: str
    lapses: int
    retrievability: float | None  # None: still in its (re)learning steps

    @property
    def learning(self) -> bool:
        return self.retrievability is None


def mastery_and_weakest_statement(*, user_id: int, now: datetime, limit: int = 10) -> Statement:
    """([(topic slug, name, mean predicted recall, cards)] over the student's studyable cards,
    [WeakItem]: their reviewed, studyable cards, those still in their (re)learning steps first
    (no recall to show), then the lowest predicted recall now, most lapses first among equals)."""

    def parts(rows: list[dict]) -> tuple[list[tuple], list[WeakItem]]:
        mastery = [(r["slug"], r["name"], r["value"], r["cards"]) for r in rows if r["part"] == 0]
        weakest = [WeakItem(r["card_id"], r["prompt"], r["name"], r["lapses"], r["value"]) for r in rows if r["part"]]
        return mastery, weakest

    params = {"user": user_id, "now": db_moment(now), "limit": limit}
    return Statement(_sql(connection.vendor)["mastery_and_weakest"], params, parts)


def topic_mastery(*, user_id: int, now: datetime) -> list[tuple]:
    """[(topic slug, name, mean predicted recall, cards)] over the student's studyable cards."""
    return mastery_and_weakest_statement(user_id=user_id, now=now, limit=0).run()[0]


def weakest_items(*, user_id: int, now: datetime, limit: int = 10) -> list[WeakItem]:
    """The student's `limit` weakest cards (mastery_and_weakest_statement)."""
    return mastery_and_weakest_statement(user_id=user_id, now=now, limit=limit).run()[1]
