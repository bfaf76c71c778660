"""Item analysis of a course in SQL, measured.

In SQL because the ORM cannot say it (a window over the union of quiz responses and study
answers, JSON arrays of picked choices taken apart) and because the Python version read
every response row of the course: at 1,000 students x 200 questions (~200,000 first
answers) `item_responses` + `analytics.item_analysis` took ~3 s (tests/bench). Here the
database reduces them to one row per question (and per picked choice); cards.core.analytics
finishes each question's formulas (tests check both agree)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection

from cards.db.dialect import named_rows
from cards.db.done_today import live_review

_ITEM_STATS = """
WITH known AS (
    SELECT q.id FROM cards_question q JOIN cards_course_decks cd ON cd.deck_id = q.deck_id
    WHERE cd.course_id = %(course)s AND q.status = 'published'
),
answers AS (
    SELECT a.user_id AS student, r.question_id AS question, r.score AS score, r.answer AS answer,
           r.first_answered_at AS at, 0 AS src, r.id AS row_id
    FROM cards_response r JOIN cards_attempt a ON a.id = r.attempt_id JOIN cards_quiz z ON z.id = a.quiz_id
    WHERE z.course_id = %(course)s AND NOT z.is_practice AND r.question_id IN (SELECT id FROM known)
    UNION ALL
    SELECT l.user_id, c.question_id, l.score, l.answer, l.reviewed_at, 1, l.id
    FROM cards_card c
    JOIN cards_reviewlog l ON l.card_id = c.id AND l.was_new
    JOIN cards_question q ON q.id = c.question_id
    WHERE c.course_id = %(course)s AND c.cloze <= 1 AND q.kind <> 'flashcard' AND {live}
      AND c.question_id IN (SELECT id FROM known)
),
numbered AS (
    SELECT student, question, answer,
           CASE WHEN COALESCE(score, 0) < 0 THEN 0.0 WHEN COALESCE(score, 0) > 1 THEN 1.0
                ELSE COALESCE(score, 0) * 1.0 END AS x,
           ROW_NUMBER() OVER (PARTITION BY student, question ORDER BY at, src, row_id) AS nth
    FROM answers
),
firsts AS (SELECT student, question, answer, x FROM numbered WHERE nth = 1),
totals AS (SELECT question, student, x, SUM(x) OVER (PARTITION BY student) AS total FROM firsts),
placed AS (
    SELECT question, x, total - x AS y,
           ROW_NUMBER() OVER (PARTITION BY question ORDER BY total, student) AS pos,
           COUNT(*) OVER (PARTITION BY question) AS n,
           AVG(x) OVER (PARTITION BY question) AS mean_x,
           AVG(total - x) OVER (PARTITION BY question) AS mean_y
    FROM totals
),
grouped AS (
    SELECT p.*, CASE WHEN (27 * n + 99) / 100 < n / 2 THEN (27 * n + 99) / 100 ELSE n / 2 END AS k FROM placed p
),
picks AS ({picks})
SELECT 'item' AS what, question, n, k, SUM(x) AS sum_x, SUM(CASE WHEN pos <= k THEN x ELSE 0 END) AS lower_x,
       SUM(CASE WHEN pos > n - k THEN x ELSE 0 END) AS upper_x, SUM((x - mean_x) * (x - mean_x)) AS sxx,
       SUM((y - mean_y) * (y - mean_y)) AS syy, SUM((x - mean_x) * (y - mean_y)) AS sxy
FROM grouped GROUP BY question, n, k
UNION ALL
SELECT 'pick', question, choice, COUNT(*), NULL, NULL, NULL, NULL, NULL, NULL FROM picks GROUP BY question, choice
"""
# The choices a first answer picked (`choices` list or `choice`), each once per answer.
_PICKS = {
    "sqlite": """
        SELECT f.question, f.student, j.value AS choice
        FROM firsts f, json_each(f.answer, '$.choices') j WHERE j.type = 'integer'
        UNION
        SELECT f.question, f.student, json_extract(f.answer, '$.choice')
        FROM firsts f WHERE json_type(f.answer, '$.choice') = 'integer'
    """,
    "postgresql": """
        SELECT f.question, f.student, (j.value #>> '{}')::bigint AS choice
        FROM firsts f, jsonb_array_elements(
            CASE WHEN jsonb_typeof(f.answer -> 'choices') = 'array' THEN f.answer -> 'choices' ELSE '[]'::jsonb END
        ) j
        WHERE jsonb_typeof(j.value) = 'number' AND (j.value #>> '{}') ~ '^-?[0-9]+$'
        UNION
        SELECT f.question, f.student, (f.answer ->> 'choice')::bigint
        FROM firsts f WHERE jsonb_typeof(f.answer -> 'choice') = 'number' AND (f.answer ->> 'choice') ~ '^-?[0-9]+$'
    """,
}


@dataclass(frozen=True)
class ItemSums:
    """One question's first answers reduced: how many (n), the size of the upper and lower
    groups (k), the sum of scores, the sums of the lower and upper groups, and the sums of
    squares and products of score (x) against the rest of the student's total (y)."""

    n: int
    k: int
    sum_x: float
    lower: float
    upper: float
    sxx: float
    syy: float
    sxy: float


def item_sums(course_id: int) -> tuple[dict[int, ItemSums], dict[int, dict[int, int]]]:
    """({question: its sums}, {question: {choice: first answers that picked it}}) over the
    course's published questions: one statement."""
    items: dict[int, ItemSums] = {}
    picks: dict[int, dict[int, int]] = {}
    with connection.cursor() as cursor:
        cursor.execute(
            _ITEM_STATS.format(picks=_PICKS[connection.vendor], live=live_review("l")), {"course": course_id}
        )
        for row in named_rows(cursor):
            if row["what"] == "item":
                items[row["question"]] = ItemSums(
                    n=row["n"], k=row["k"], sum_x=row["sum_x"], lower=row["lower_x"], upper=row["upper_x"],
                    sxx=row["sxx"], syy=row["syy"], sxy=row["sxy"],
                )  # fmt: skip
            else:  # a 'pick' row: its choice in the `n` column, the count in `k` (the union's names)
                picks.setdefault(row["question"], {})[int(row["n"])] = row["k"]
    return items, picks
