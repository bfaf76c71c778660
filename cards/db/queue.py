"""The study queue, and the study page's place (course, deck, time zone): raw SQL, measured.

Written in SQL because the ORM could not afford it: built with querysets (seven subqueries:
the three queue heads, three capped counts, today's done counts, plus the choices),
building and compiling the statement took ~7 ms of Python per request for ~0.6 ms of
SQLite time (cProfile over 200 calls, heavy student, tests/bench), which kept `study/next`
at a tenth of the reference view's throughput. One statement reads the course, the counts,
today's done counts and the heads of the four queues with their questions and choices.

Each queue head and capped count reads one partial index of not-suspended cards:
card_new_queue (never reviewed: user, deck, due, id, question) or card_reviewed_queue
(reviewed: user, deck, state, due, id, question). The learning queues (steps, relearning
steps) are read one state at a time: a head over both states walked every card due before
now in due order, and PostgreSQL's generic plan counted both states through the user's
index of every card (0.4 ms for a student with 10,000 cards, 200 in learning)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from django.db import connection

from cards.core import exams
from cards.core import queue as policy
from cards.core.queue import QueueCounts
from cards.db.dialect import (
    JSON_SQL,
    Statement,
    db_moment,
    fetch,
    fetch_generic,
    instance,
    json_value,
    py_date,
    py_moment,
    select_list,
)
from cards.db.done_today import (
    DONE_NEW,
    done_review,
    exam_ctes,
    exam_date,
    exam_from,
    live_review,
    live_reviews_since,
    unseen,
)
from cards.models import Card, Choice, Course, Deck, Question

# Cards of the user's deck that may be studied: not suspended, not buried (a sibling of a
# question answered today waits for the next study day), question published (a card's
# question is in the card's deck, so the deck's few unpublished questions are all that need
# excluding: the counts then read the queue index alone, which carries the burial, no row of
# card or question).
_STUDYABLE = """
    FROM cards_card c2
    WHERE c2.user_id = %(user)s AND c2.deck_id = %(deck)s AND NOT c2.suspended
      AND (c2.buried_until IS NULL OR c2.buried_until <= %(now)s)
      AND c2.question_id NOT IN (SELECT id FROM unpublished)
"""
_LEARNING_STEP = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 1 AND c2.due <= %(now)s"
_RELEARNING_STEP = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 3 AND c2.due <= %(now)s"
_REVIEW = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 2 AND c2.due < %(day_end)s"
_NEW = _STUDYABLE + " AND c2.last_review IS NULL"
_DONE = """
    SELECT COUNT(*) AS done_total,
           COALESCE(SUM(CASE WHEN {done_new} THEN 1 ELSE 0 END), 0) AS done_new,
           COALESCE(SUM(CASE WHEN {done_review} THEN 1 ELSE 0 END), 0) AS done_reviews
    {live}
"""
# The course whose limits apply: the one the page names, or (the API) the first the student
# joined that has the deck. No row: the student may not study the deck.
_COURSE_BY_ID = "SELECT * FROM cards_course WHERE id = %(course)s"
_COURSE_BY_DECK = """
    SELECT co.* FROM cards_course co
    JOIN cards_enrollment e ON e.course_id = co.id AND e.user_id = %(user)s
    JOIN cards_course_decks cd ON cd.course_id = co.id AND cd.deck_id = %(deck)s
    ORDER BY e.joined_at, e.id LIMIT 1
"""
_QUEUE_CARD = ("id", "user_id", "question_id", "deck_id", "course_id", "cloze", "stability", "difficulty",
               "state", "step", "due", "last_review", "reps", "lapses", "suspended", "leech")  # fmt: skip
_QUEUE_QUESTION = ("id", "kind", "prompt", "back", "status", "deck_id", "safety_critical")
_QUEUE = """
    WITH co AS ({course}),
    {exam_ctes},
    ex AS (  -- the exam ahead, if any, with the course's cards not yet seen (NULL without one)
        SELECT {exam} AS exam_date, {unseen} AS unseen,
               (SELECT p.timezone FROM cards_profile p WHERE p.user_id = %(user)s) AS timezone
        FROM co
    ),
    unpublished AS (  -- two ranges of the (deck, status) index, not a walk through the deck
        SELECT q2.id FROM cards_question q2 WHERE q2.deck_id = %(deck)s AND q2.status < 'published'
        UNION ALL
        SELECT q2.id FROM cards_question q2 WHERE q2.deck_id = %(deck)s AND q2.status > 'published'
    )
    SELECT k.n_new, k.n_learning, k.n_due, d.done_total, d.done_new, d.done_reviews, {course_columns},
           ex.exam_date AS exam_date, ex.unseen AS unseen, ex.timezone AS student_tz,
           {card_columns}, {question_columns},
           (SELECT {choices} FROM cards_choice ch WHERE ch.question_id = c.question_id) AS choice_rows
    FROM co
    CROSS JOIN (
        SELECT (SELECT COUNT(*) FROM (SELECT 1 {new} LIMIT (SELECT COALESCE(ex.unseen, co.new_per_day) FROM co, ex)) n1)
                 AS n_new,
               (SELECT COUNT(*) {learning_step}) + (SELECT COUNT(*) {relearning_step}) AS n_learning,
               (SELECT COUNT(*) FROM (SELECT 1 {review} LIMIT (SELECT reviews_per_day FROM co)) n2) AS n_due
    ) k
    CROSS JOIN ({done}) d
    CROSS JOIN ex
    LEFT JOIN cards_card c ON c.id IN (
        (SELECT c2.id {learning_step} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {relearning_step} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {review} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {new} ORDER BY c2.due, c2.id LIMIT 1)
    )
    LEFT JOIN cards_question q ON q.id = c.question_id
"""
# The page's course (the student is enrolled in it), one of its decks and the student's
# time zone. Through the ORM each lookup cost ~0.35-0.45 ms of Python for ~0.03 ms of SQLite
# time (tests/bench, in-process), a fifth of a `study/next` request.
_PLACE = """
    SELECT {course}, {deck}, (SELECT p.timezone FROM cards_profile p WHERE p.user_id = %(user)s) AS timezone
    FROM cards_course co
    JOIN cards_enrollment e ON e.course_id = co.id AND e.user_id = %(user)s
    JOIN cards_course_decks cd ON cd.course_id = co.id AND cd.deck_id = %(deck)s
    JOIN cards_deck d ON d.id = cd.deck_id
    WHERE co.id = %(course)s
"""


@dataclass(frozen=True)
class StudyQueue:
    """Where a student stands in a deck now: the card to show (its question loaded; None when
    nothing may be studied now) and its choices, the capped counts and today's done counts
    of the course."""

    card: Card | None
    choices: list[Choice]
    counts: QueueCounts
    done: dict
    course: Course


@dataclass(frozen=True)
class StudyPlace:
    course: Course
    deck: Deck
    timezone: str
    queue: StudyQueue | None = None  # read with the place when asked for, as of `day`
    day: tuple | None = None  # (now, day start, day end) the queue was read for


def choices_from_json(question_id: int, rows) -> list[Choice]:
    """Choices read as JSON rows [id, text, correct, order, feedback], in their order."""
    choices = [
        Choice(id=cid, question_id=question_id, text=text, correct=bool(correct), order=order, feedback=feedback)
        for cid, text, correct, order, feedback in rows or ()
    ]
    choices.sort(key=lambda c: (c.order, c.pk))
    return choices


@lru_cache(maxsize=8)
def _queue_sql(vendor: str, by_deck: bool) -> str:
    return _QUEUE.format(
        course=_COURSE_BY_DECK if by_deck else _COURSE_BY_ID,
        course_columns=select_list("co", Course, prefix="co"),
        card_columns=", ".join(f"c.{name} AS c__{name}" for name in _QUEUE_CARD),
        question_columns=", ".join(f"q.{name} AS q__{name}" for name in _QUEUE_QUESTION),
        learning_step=_LEARNING_STEP,
        relearning_step=_RELEARNING_STEP,
        review=_REVIEW,
        new=_NEW,
        done=_DONE.format(
            done_new=DONE_NEW, done_review=done_review(vendor), live=live_reviews_since("(SELECT id FROM co)")
        ),
        choices=JSON_SQL[vendor]["choices"],
        exam=exam_date("co.id", "co.exam_date"),
        unseen=unseen("co.id", "co.exam_date"),
        exam_ctes=exam_ctes("(SELECT id FROM co)"),
    )


def _queue_statement(*, user_id: int, deck_id: int, course_id: int | None, day: tuple) -> tuple[str, dict]:
    now, day_start, day_end = day
    params = {
        "user": user_id,
        "deck": deck_id,
        "course": course_id,
        "now": db_moment(now),
        "day_start": db_moment(day_start),
        "day_end": db_moment(day_end),
        "exam_from": exam_from(now),
    }
    return _queue_sql(connection.vendor, course_id is None), params


def study_queue(
    *, user_id: int, deck_id: int, course: Course | None, now: datetime, day_start: datetime, day_end: datetime
) -> StudyQueue | None:
    """The next card of a deck (with its question and choices), the capped counts and
    today's done counts, in one statement; `course` None: the first course the student
    joined that has the deck (None when there is none: the deck is not theirs). The cost is
    the same at 10 cards or 10,000 and at any history size."""
    statement = _queue_statement(
        user_id=user_id, deck_id=deck_id, course_id=course.pk if course else None, day=(now, day_start, day_end)
    )
    return _queue_from_rows(fetch_generic([statement])[0], course, now)


def _queue_from_rows(rows: list[dict], course: Course | None, now: datetime) -> StudyQueue | None:
    if not rows:
        return None
    first = rows[0]
    course = course or instance(Course, first, prefix="co")
    done = {"total": int(first["done_total"]), "new": int(first["done_new"]), "reviews": int(first["done_reviews"])}
    raw = {"new": first["n_new"], "learning": first["n_learning"], "due": first["n_due"]}
    new_limit = exams.new_allowance(
        limit=course.new_per_day,
        unseen=first["unseen"],
        done_new=done["new"],
        days=exams.days_left(now, py_date(first["exam_date"]), first["student_tz"] or "UTC"),
    )
    counts = policy.capped(raw, new_per_day=new_limit, reviews_per_day=course.reviews_per_day, done=done)
    by_id = {row["c__id"]: row for row in rows if row["c__id"] is not None}
    heads = [
        policy.Head(card_id=cid, state=row["c__state"], due=py_moment(row["c__due"]), last_review=row["c__last_review"])
        for cid, row in by_id.items()
    ]
    head = policy.first_head(heads, counts)
    if head is None:
        return StudyQueue(card=None, choices=[], counts=counts, done=done, course=course)
    row = by_id[head.card_id]
    card = instance(Card, row, prefix="c", names=_QUEUE_CARD)
    card.question = instance(Question, row, prefix="q", names=_QUEUE_QUESTION)
    choices = choices_from_json(card.question_id, json_value(row["choice_rows"]))
    return StudyQueue(card=card, choices=choices, counts=counts, done=done, course=course)


@lru_cache(maxsize=4)
def _place_sql(vendor: str) -> str:
    return _PLACE.format(course=select_list("co", Course, prefix="co"), deck=select_list("d", Deck, prefix="d"))


def study_place(*, user_id: int, course_id: int, deck_id: int, day: tuple | None = None) -> StudyPlace | None:
    """The course (the student is enrolled in it), one of its decks and the student's time
    zone, in one statement; None when the student may not study that deck there. With `day`
    ((now, day start, day end) in the student's time zone) the deck's queue is read with it
    (on PostgreSQL in the same round trip)."""
    place = (_place_sql(connection.vendor), {"user": user_id, "course": course_id, "deck": deck_id})
    if day is None:
        found = [fetch(*place)]  # alone: a plain statement, PostgreSQL's own plan
    else:
        # The queue reads the course by the id the page names; it is only used once the
        # place's own row says the student may study there.
        found = fetch_generic([place, _queue_statement(user_id=user_id, deck_id=deck_id, course_id=course_id, day=day)])
    if not found[0]:
        return None
    row = found[0][0]
    course, deck = instance(Course, row, prefix="co"), instance(Deck, row, prefix="d")
    queue = _queue_from_rows(found[1], course, day[0]) if day is not None else None
    return StudyPlace(course=course, deck=deck, timezone=row["timezone"] or "UTC", queue=queue, day=day)


# Every deck's counts and every course's done counts of a student, for the study home and the
# dashboard: through the ORM (values/annotate with filtered counts) the two reads took ~1.8 ms
# of Python for ~0.2 ms of SQLite (study_decks 2.1 ms in-process, a typical student; the
# dashboard, which shows /study/'s numbers, went from 2.9 to 5.4 ms with it).
# Buried cards (a sibling answered today) are left out of the counts, but not out of `unseen`:
# the cards never seen that an exam's new-card pace must cover (cards.db.done_today.UNSEEN).
_DECK_COUNTS = """
    SELECT c.deck_id AS deck_id, c.course_id AS course_id, co.new_per_day AS new_per_day,
           co.reviews_per_day AS reviews_per_day, COALESCE(e.exam_date, co.exam_date) AS exam_date,
           COALESCE(SUM(CASE WHEN c.last_review IS NULL AND {awake} THEN 1 ELSE 0 END), 0) AS new,
           COALESCE(SUM(CASE WHEN c.state IN (1, 3) AND c.last_review IS NOT NULL AND c.due <= %(now)s AND {awake}
                    THEN 1 ELSE 0 END), 0) AS learning,
           COALESCE(SUM(CASE WHEN c.state = 2 AND c.due < %(day_end)s AND {awake} THEN 1 ELSE 0 END), 0) AS due,
           COALESCE(SUM(CASE WHEN {awake} THEN 1 ELSE 0 END), 0) AS total,
           COALESCE(SUM(CASE WHEN c.last_review IS NULL THEN 1 ELSE 0 END), 0) AS unseen
    FROM cards_card c
    JOIN cards_question q ON q.id = c.question_id
    JOIN cards_course co ON co.id = c.course_id
    JOIN cards_enrollment e ON e.course_id = c.course_id AND e.user_id = c.user_id
    JOIN cards_course_decks cd ON cd.course_id = c.course_id AND cd.deck_id = c.deck_id
    WHERE c.user_id = %(user)s AND NOT c.suspended AND q.status = 'published'
    GROUP BY c.deck_id, c.course_id, co.new_per_day, co.reviews_per_day, e.exam_date, co.exam_date
""".replace("{awake}", "(c.buried_until IS NULL OR c.buried_until <= %(now)s)")  # nosec B608 - a fixed fragment
_DONE_BY_COURSE = """
    SELECT rc.course_id AS course_id, COUNT(*) AS total,
           COALESCE(SUM(CASE WHEN {done_new} THEN 1 ELSE 0 END), 0) AS new,
           COALESCE(SUM(CASE WHEN {done_review} THEN 1 ELSE 0 END), 0) AS reviews
    FROM cards_reviewlog r JOIN cards_card rc ON rc.id = r.card_id
    WHERE r.user_id = %(user)s AND r.reviewed_at >= %(day_start)s AND {live}
    GROUP BY rc.course_id
"""


def deck_counts_statement(*, user_id: int, now: datetime, day_end: datetime) -> Statement:
    """{(deck, course): {new, learning, due, total, unseen, new_per_day, reviews_per_day,
    exam_date}}: the student's studyable cards of each deck of the courses they are enrolled
    in, uncapped, with the course's daily limits and the exam date in force."""
    names = ("new", "learning", "due", "total", "unseen", "new_per_day", "reviews_per_day")

    def by_deck(rows: list[dict]) -> dict[tuple[int, int], dict]:
        return {
            (r["deck_id"], r["course_id"]): {**{k: int(r[k]) for k in names}, "exam_date": py_date(r["exam_date"])}
            for r in rows
        }

    return Statement(_DECK_COUNTS, {"user": user_id, "now": db_moment(now), "day_end": db_moment(day_end)}, by_deck)


def deck_counts(**kwargs) -> dict[tuple[int, int], dict]:
    return deck_counts_statement(**kwargs).run()


@lru_cache(maxsize=4)
def _done_by_course_sql(vendor: str) -> str:
    return _DONE_BY_COURSE.format(done_new=DONE_NEW, done_review=done_review(vendor), live=live_review())


def done_by_course_statement(*, user_id: int, day_start: datetime) -> Statement:
    """{course: {total, new, reviews}}: the student's live reviews since `day_start`, as the
    daily limits count them (cards.db.done_today)."""

    def by_course(rows: list[dict]) -> dict[int, dict]:
        return {r["course_id"]: {k: int(r[k]) for k in ("total", "new", "reviews")} for r in rows}

    params = {"user": user_id, "day_start": db_moment(day_start)}
    return Statement(_done_by_course_sql(connection.vendor), params, by_course)


def done_by_course(**kwargs) -> dict[int, dict]:
    return done_by_course_statement(**kwargs).run()
