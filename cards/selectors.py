"""Reads: the due queue, counts, specs for grading. Each returns a bounded number of queries
whatever the size of the deck or of the history."""

from __future__ import annotations

import json
import math
import random
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    DEFERRED,
    Avg,
    Count,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
)
from django.utils import timezone
from rapidfuzz.distance import DamerauLevenshtein

from cards.core import analytics, grading, scheduling
from cards.core.diffs import revision_diff
from cards.db_functions import retrievability_expression
from cards.models import (
    Attempt,
    Card,
    Choice,
    ClassStats,
    Course,
    Deck,
    Enrollment,
    Passage,
    Profile,
    Question,
    QuestionReport,
    Quiz,
    Response,
    ReviewLog,
    StudentStats,
)
from cards.prepared import Prepared, compiled_read
from cards.reads import Read, fetch_rows, run_one

DECK_TERMS_TTL = 300  # seconds; authoring services also clear the key on change


def deck_terms_cache_key(deck_id: int) -> str:
    return f"deck-terms:{deck_id}"


# The terms themselves stay in each process; the shared cache holds only a version of them,
# which authoring deletes on change. Unpickling every term of a deck from the cache on each
# typed answer cost ~1 ms at 200 questions and grew with the deck (tests/bench).
_LOCAL_TERMS: dict[int, tuple[str, dict, dict]] = {}  # deck -> (version, terms, {(question, cloze): neighbours})


def _deck_terms_entry(deck_id: int) -> tuple[str, dict, dict]:
    """(version, {question id: its accepted typed answers}, neighbours) for a deck, cached: the
    grader needs every other question's terms to refuse e.g. a neighbouring receptor as a
    'typo' (negative ids: a question's wrong choices)."""
    key = deck_terms_cache_key(deck_id)
    version = cache.get(key)
    local = _LOCAL_TERMS.get(deck_id)
    if version is not None and local is not None and local[0] == version:
        return local
    terms: dict[int, frozenset[str]] = {}
    for qid, kind, answers, prompt in Question.objects.filter(deck_id=deck_id).values_list(
        "id", "kind", "answers", "prompt"
    ):
        if kind == "cloze":
            terms[qid] = frozenset(a for a, _hint in grading.cloze_deletions(prompt).values())
        else:
            terms[qid] = frozenset(answers or ())
    for qid, text in Choice.objects.filter(question__deck_id=deck_id, correct=False).values_list("question_id", "text"):
        terms[-qid] = terms.get(-qid, frozenset()) | {text}
    if version is None:
        version = uuid.uuid4().hex
        cache.set(key, version, DECK_TERMS_TTL)
    _LOCAL_TERMS[deck_id] = entry = (version, terms, {})
    return entry


def _other_terms(question: Question, cloze: int) -> frozenset[str]:
    """The deck's other terms that can change this question's grade, kept per question
    with the deck's terms (see `_typo_neighbours`)."""
    _version, terms, neighbours = _deck_terms_entry(question.deck_id)
    found = neighbours.get((question.pk, cloze))
    if found is None:
        others = frozenset().union(*(t for qid, t in terms.items() if qid != question.pk))
        spec = grading.QuestionSpec(kind=question.kind, answers=tuple(question.answers or ()), prompt=question.prompt)
        found = neighbours[question.pk, cloze] = _typo_neighbours(
            tuple(grading.accepted_answers(replace(spec, cloze=cloze))), others
        )
    return found


def _typo_neighbours(accepted: tuple[str, ...], others: frozenset[str]) -> frozenset[str]:
    """The other terms that can change a grade. grading.match_typed refuses a typo equal to
    another term, and a typo it would accept is one edit away from an accepted answer (one
    edit in one word), so only terms one edit from an accepted answer can ever matter.
    Keeping just those spares the grader normalising every term of the deck per answer."""
    targets = [grading.normalize(a) for a in accepted]
    return frozenset(
        t for t in others if any(DamerauLevenshtein.distance(grading.normalize(t), a) <= 1 for a in targets if a)
    )


def question_spec(question: Question, *, cloze: int = 0, choices=None) -> grading.QuestionSpec:
    if choices is None:
        choices = list(question.choices.all()) if question.kind in ("single", "multiple", "truefalse") else []
    other_terms: frozenset[str] = frozenset()
    if question.kind in ("short", "cloze"):
        other_terms = _other_terms(question, cloze)
    return grading.QuestionSpec(
        kind=question.kind,
        choices=tuple(grading.ChoiceSpec(id=c.pk, text=c.text, correct=c.correct) for c in choices),
        answers=tuple(question.answers or ()),
        prompt=question.prompt,
        cloze=cloze,
        other_terms=other_terms,
    )


def user_timezone(user) -> str:
    """The student's time zone: no query when the profile came with the user (the API's
    token lookup brings it along), else one."""
    if profile_loaded(user):
        try:
            return user.profile.timezone or "UTC"
        except Profile.DoesNotExist:
            return "UTC"
    with connection.cursor() as cursor:  # SQL: ~0.03 ms where the ORM took ~0.25 ms (every study request)
        cursor.execute("SELECT timezone FROM cards_profile WHERE user_id = %s", [user.pk])
        row = cursor.fetchone()
    return (row[0] if row else "") or "UTC"


def profile_loaded(user) -> bool:
    """Did the profile come with the user (select_related), so reading it costs no query?"""
    return get_user_model().profile.is_cached(user)


def live_reviews(user_id: int):
    """Reviews that count: answers, not undo markers, and not undone."""
    return ReviewLog.objects.filter(user_id=user_id, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)


# What today's live reviews count toward: every one, new cards, and reviews of cards that
# were in the Review state (the daily limits cap the last two).
DONE_FILTERS = {
    "total": None,
    "new": Q(was_new=True),
    "reviews": Q(was_new=False, state_before__state=Card.State.REVIEW),
}


def reviews_done_today(*, user_id: int, course_id: int | None, since: datetime) -> dict[str, int]:
    qs = live_reviews(user_id).filter(reviewed_at__gte=since)
    if course_id is not None:
        qs = qs.filter(card__course_id=course_id)
    return qs.aggregate(**{name: Count("id", filter=f) for name, f in DONE_FILTERS.items()})


CHOICE_KINDS = ("single", "multiple", "truefalse")  # the kinds answered by picking choices
CHOICE_COLUMNS = ("id", "text", "correct", "order", "feedback")


def choices_from_json(question: Question, rows) -> list[Choice]:
    """Choices read as JSON rows [id, text, correct, order, feedback] (see JSON_SQL), in
    their order (as `card_choices` sorts them)."""
    choices = [
        Choice(id=cid, question_id=question.pk, text=text, correct=bool(correct), order=order, feedback=feedback)
        for cid, text, correct, order, feedback in rows or ()
    ]
    choices.sort(key=lambda c: (c.order, c.pk))
    return choices


def shuffled(choices: list[Choice], question: Question, shuffle_seed: str | None) -> list[Choice]:
    if shuffle_seed is not None and question.kind != Question.Kind.TRUEFALSE:
        # bandit: display order, not a secret
        random.Random(shuffle_seed).shuffle(choices)  # nosec B311
    return choices


def _capped(raw: dict, course: Course, done: dict) -> QueueCounts:
    return QueueCounts(
        new=min(raw["new"], max(0, course.new_per_day - done["new"])),
        learning=raw["learning"],
        due=min(raw["due"], max(0, course.reviews_per_day - done["reviews"])),
        total=raw.get("total"),
    )


def studyable_cards(user_id: int):
    return Card.objects.filter(user_id=user_id, suspended=False, question__status=Question.Status.PUBLISHED)


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    due: int
    total: int | None = None  # every card of the deck: the study home shows it, the queue does not count it

    @property
    def remaining(self) -> int:
        return self.new + self.learning + self.due


def _count_expressions(now: datetime, day_end: datetime) -> dict:
    return {
        "new": Count("id", filter=Q(last_review__isnull=True)),
        "learning": Count("id", filter=Q(state__in=[1, 3], last_review__isnull=False, due__lte=now)),
        "due": Count("id", filter=Q(state=2, due__lt=day_end)),
        "total": Count("id"),
    }


# --- the study queue: raw SQL, measured --------------------------------------------------------
#
# Written in SQL because the ORM could not afford it: built with querysets (seven
# subqueries: the three queue heads, three capped counts, today's done counts, plus the
# choices), building and compiling the statement took ~7 ms of Python per request for
# ~0.6 ms of SQLite time (cProfile over 200 calls, heavy student, tests/bench), which kept
# `study/next` at a tenth of the reference view's throughput. The statement is the same on
# both databases but for the JSON functions.

# Cards of the user's deck that may be studied: not suspended, question published (a
# card's question is in the card's deck, so the deck's few unpublished questions are all
# that need excluding: the counts then read the queue index alone, no row of card or
# question).
_STUDYABLE = """
    FROM cards_card c2
    WHERE c2.user_id = %(user)s AND c2.deck_id = %(deck)s AND NOT c2.suspended
      AND c2.question_id NOT IN (SELECT id FROM unpublished)
"""
# Each queue head and capped count reads one partial index of not-suspended cards:
# card_new_queue (never reviewed: user, deck, due, id, question) or card_reviewed_queue
# (reviewed: user, deck, state, due, id, question).
# The learning queues (steps, relearning steps) are read one state at a time, heads and
# counts alike: a head over both states would walk every card due before now in due order to
# find one, and PostgreSQL's generic plan counted both states through the user's index of
# every card (0.4 ms for a student with 10,000 cards, 200 of them in learning: tests/bench).
_LEARNING_STEP = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 1 AND c2.due <= %(now)s"
_RELEARNING_STEP = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 3 AND c2.due <= %(now)s"
_REVIEW = _STUDYABLE + " AND c2.last_review IS NOT NULL AND c2.state = 2 AND c2.due < %(day_end)s"
_NEW = _STUDYABLE + " AND c2.last_review IS NULL"
# Today's live reviews of a course (answers, not undo rows, not undone; reviewlog_user_time
# index), as `reviews_done_today` counts them: every one, new cards, and reviews of cards
# that were in the Review state.
# The course of each of today's reviews is read by its card's primary key (a scalar
# subquery, not a join): a join let PostgreSQL's generic plan hash the course's every card
# (234,000 rows, 80 ms) to match a student's few reviews of the day.
LIVE_REVIEWS_SINCE_SQL = """
    FROM cards_reviewlog r
    WHERE r.user_id = %(user)s AND r.kind = 'review' AND r.reviewed_at >= %(day_start)s
      AND (SELECT rc.course_id FROM cards_card rc WHERE rc.id = r.card_id) = {course}
      AND NOT EXISTS (SELECT 1 FROM cards_reviewlog u WHERE u.undoes_id = r.id)
"""
DONE_NEW_SQL = "r.was_new"
DONE_REVIEW_SQL = "NOT r.was_new AND {state_before} = 2"
_DONE = """
    SELECT COUNT(*) AS done_total,
           COALESCE(SUM(CASE WHEN {done_new} THEN 1 ELSE 0 END), 0) AS done_new,
           COALESCE(SUM(CASE WHEN {done_review} THEN 1 ELSE 0 END), 0) AS done_reviews
    {live}
"""
COURSE_COLUMNS = tuple(f.attname for f in Course._meta.concrete_fields)  # a course row, in order
_QUEUE_COLUMNS = (
    "id",
    "user_id",
    "question_id",
    "deck_id",
    "course_id",
    "cloze",
    *scheduling.STATE_FIELDS,
    "suspended",
    "leech",
)
# The course whose limits apply: the one the page names, or (the API) the first the student
# joined that has the deck. No row: the student may not study the deck.
_COURSE_BY_ID = "SELECT * FROM cards_course WHERE id = %(course)s"
_COURSE_BY_DECK = """
    SELECT co.* FROM cards_course co
    JOIN cards_enrollment e ON e.course_id = co.id AND e.user_id = %(user)s
    JOIN cards_course_decks cd ON cd.course_id = co.id AND cd.deck_id = %(deck)s
    ORDER BY e.joined_at, e.id LIMIT 1
"""
_QUEUE = """
    WITH co AS ({course}),
    unpublished AS (  -- two ranges of the (deck, status) index, not a walk through the deck
        SELECT q2.id FROM cards_question q2 WHERE q2.deck_id = %(deck)s AND q2.status < 'published'
        UNION ALL
        SELECT q2.id FROM cards_question q2 WHERE q2.deck_id = %(deck)s AND q2.status > 'published'
    )
    SELECT k.n_new, k.n_learning, k.n_due, d.done_total, d.done_new, d.done_reviews, {course_columns},
           {card_columns}, q.kind, q.prompt, q.back, q.status, q.deck_id,
           (SELECT {choices} FROM cards_choice ch WHERE ch.question_id = c.question_id) AS choice_rows
    FROM co
    CROSS JOIN (
        SELECT (SELECT COUNT(*) FROM (SELECT 1 {new} LIMIT (SELECT new_per_day FROM co)) n1) AS n_new,
               (SELECT COUNT(*) {learning_step}) + (SELECT COUNT(*) {relearning_step}) AS n_learning,
               (SELECT COUNT(*) FROM (SELECT 1 {review} LIMIT (SELECT reviews_per_day FROM co)) n2) AS n_due
    ) k
    CROSS JOIN ({done}) d
    LEFT JOIN cards_card c ON c.id IN (
        (SELECT c2.id {learning_step} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {relearning_step} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {review} ORDER BY c2.due, c2.id LIMIT 1),
        (SELECT c2.id {new} ORDER BY c2.due, c2.id LIMIT 1)
    )
    LEFT JOIN cards_question q ON q.id = c.question_id
"""
JSON_SQL = {
    "sqlite": {
        "state_before": "json_extract(r.state_before, '$.state')",
        "choices": 'json_group_array(json_array(ch.id, ch.text, ch.correct, ch."order", ch.feedback))',
        "pair": "json_array({}, {})",
    },
    "postgresql": {
        "state_before": "(r.state_before -> 'state')::int",
        "choices": 'jsonb_agg(jsonb_build_array(ch.id, ch.text, ch.correct, ch."order", ch.feedback))',
        "pair": "jsonb_build_array({}, {})",
    },
}


def fetch_all(sql: str, params) -> list:
    """Run one statement and return its rows (fetch_each, for one)."""
    return fetch_each([(sql, params)])[0]


def fetch_each(statements: list[tuple[str, object]]) -> list[list]:
    """Run statements and return the rows of each. On PostgreSQL they are planned
    generically (plan_cache_mode = force_generic_plan, for these statements only): the study
    queue's and the answer's reads took 1.0-1.8 ms to plan for 0.2-0.6 ms of running, and
    prepared (DB_PREPARE_THRESHOLD) their generic plan is reused. Only for statements
    written to keep a good generic plan: each filters on indexed keys, with no condition
    whose selectivity the plan must guess from a parameter (see LIVE_REVIEWS_SINCE_SQL).
    Outside a transaction they are sent together, in one round trip (cards.reads)."""
    return fetch_rows(statements, generic_plans=True)


@lru_cache(maxsize=8)
def _queue_sql(vendor: str, by_deck: bool) -> str:
    json_sql = JSON_SQL[vendor]
    return _QUEUE.format(
        course=_COURSE_BY_DECK if by_deck else _COURSE_BY_ID,
        course_columns=", ".join(f"co.{name}" for name in COURSE_COLUMNS),
        card_columns=", ".join(f"c.{name}" for name in _QUEUE_COLUMNS),
        learning_step=_LEARNING_STEP,
        relearning_step=_RELEARNING_STEP,
        review=_REVIEW,
        new=_NEW,
        done=_DONE.format(
            done_new=DONE_NEW_SQL,
            done_review=DONE_REVIEW_SQL.format(state_before=json_sql["state_before"]),
            live=LIVE_REVIEWS_SINCE_SQL.replace("{course}", "(SELECT id FROM co)"),
        ),
        choices=json_sql["choices"],
    )


def db_moment(value: datetime | None):
    """A datetime as a raw query's parameter (SQLite stores naive UTC text)."""
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def py_moment(value):
    """A datetime column read by a raw query, as the ORM would give it."""
    if value is None:
        return None
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite: text or naive UTC
    return convert(value, None, connection) if convert else value


def json_value(value):
    """A JSON column or aggregate read by a raw query (text on SQLite, and for jsonb)."""
    return json.loads(value) if isinstance(value, str) else value


def _queue_statement(*, user_id: int, deck_id: int, course_id: int | None, day: tuple) -> tuple[str, dict]:
    """The study queue's statement and parameters; `day`: (now, day start, day end);
    `course_id` None: the first course the student joined that has the deck."""
    now, day_start, day_end = day
    params = {
        "user": user_id,
        "deck": deck_id,
        "course": course_id,
        "now": db_moment(now),
        "day_start": db_moment(day_start),
        "day_end": db_moment(day_end),
    }
    return _queue_sql(connection.vendor, course_id is None), params


def model_from_row(model, names, values):
    """A model instance from a raw query's columns (`names`: attnames, any order), converted
    as the ORM converts them; the columns not read are deferred, as with only()."""
    attnames, plan = _row_plan(model, tuple(names))
    row = [DEFERRED] * len(attnames)
    for (position, convert), value in zip(plan, values, strict=True):
        row[position] = value if value is None or convert is None else convert(value)
    return model.from_db(connection.alias, attnames, row)


@lru_cache(maxsize=64)
def _row_plan(model, names: tuple) -> tuple[list, list]:
    """(every concrete attname, [(position, converter) per column read]), computed once."""
    fields = model._meta.concrete_fields
    attnames = [f.attname for f in fields]
    converters = {"DateTimeField": py_moment, "BooleanField": bool, "JSONField": json_value}
    by_name = {f.attname: f for f in fields}
    plan = [(attnames.index(name), converters.get(by_name[name].get_internal_type())) for name in names]
    return attnames, plan


_QUEUE_QUESTION_COLUMNS = ("kind", "prompt", "back", "status", "deck_id")


_QUEUE_CARD_AT = 6 + len(COURSE_COLUMNS)  # counts (3), done (3), the course, then the card


def _queue_card(row) -> Card:
    n = len(_QUEUE_COLUMNS)
    card = model_from_row(Card, _QUEUE_COLUMNS, row[_QUEUE_CARD_AT : _QUEUE_CARD_AT + n])
    *question_values, choice_rows = row[_QUEUE_CARD_AT + n :]
    question = model_from_row(Question, ("id", *_QUEUE_QUESTION_COLUMNS), (card.question_id, *question_values))
    card.question = question
    card.question_choices = choices_from_json(question, json_value(choice_rows))
    return card


@dataclass(frozen=True)
class StudyQueue:
    """Where a student stands in a deck now: the card to show (None when nothing may be
    studied now), the capped counts and today's done counts of the course."""

    card: Card | None
    counts: QueueCounts
    done: dict
    course: Course


def study_queue(
    *, user_id: int, deck_id: int, course: Course | None, now: datetime, day_start: datetime, day_end: datetime
) -> StudyQueue | None:
    """The next card of a deck (with its question and choices), the capped counts and
    today's done counts, in one query; `course` None: the course is the first the student
    joined that has the deck (None when there is none: the deck is not theirs).

    Learning steps due now come first, then reviews due today, then new cards, each by due
    date then id, within the course's daily limits. Each queue is read through an index of
    its own and the counts stop at the daily caps, so the cost is the same at 10 cards or
    10,000 and at any history size."""
    day, course_id = (now, day_start, day_end), course.pk if course else None
    rows = fetch_all(*_queue_statement(user_id=user_id, deck_id=deck_id, course_id=course_id, day=day))
    return _queue_from_rows(rows, course)


def _queue_from_rows(rows: list, course: Course | None) -> StudyQueue | None:
    """The study queue from its statement's rows (`course`: the course already read, if any)."""
    if not rows:
        return None
    n_new, n_learning, n_due, done_total, done_new, done_reviews = rows[0][:6]
    course = course or model_from_row(Course, COURSE_COLUMNS, rows[0][6:_QUEUE_CARD_AT])
    done = {"total": int(done_total), "new": int(done_new), "reviews": int(done_reviews)}
    counts = _capped({"new": n_new, "learning": n_learning, "due": n_due}, course, done)
    # The heads of the queues (at most one card each): learning steps first, then reviews
    # (within today's review limit), then new cards (within today's new-card limit).
    at = {name: _QUEUE_CARD_AT + _QUEUE_COLUMNS.index(name) for name in ("id", "state", "due", "last_review")}
    heads = []
    for row in rows:
        if row[at["id"]] is None:
            continue
        due = py_moment(row[at["due"]])
        if row[at["last_review"]] is None:
            if counts.new > 0:
                heads.append(((2, due, row[at["id"]]), row))
        elif row[at["state"]] != Card.State.REVIEW:
            heads.append(((0, due, row[at["id"]]), row))
        elif counts.due > 0:
            heads.append(((1, due, row[at["id"]]), row))
    card = _queue_card(min(heads, key=lambda head: head[0])[1]) if heads else None
    return StudyQueue(card=card, counts=counts, done=done, course=course)


# Every "nothing to study now" panel asks it (Prepared: building the queryset took longer
# than running it).
_NEXT_LEARNING_DUE = Prepared(
    lambda *, user_id, deck_id, day_end: (
        studyable_cards(user_id)
        .filter(deck_id=deck_id, state__in=[1, 3], last_review__isnull=False, due__lt=day_end)
        .order_by("due")
        .values_list("due")[:1]
    )
)


def next_learning_due(*, user_id: int, deck_id: int, day_end: datetime):
    """When the next learning step of today comes back (for a 'come back in 4 min' screen)."""
    rows = _NEXT_LEARNING_DUE.rows(user_id=user_id, deck_id=deck_id, day_end=day_end)
    return rows[0][0] if rows else None


def card_choices(question: Question, *, shuffle_seed: str | None = None) -> list[Choice]:
    """A question's choices; shuffled when a seed is given (the same seed, the same order,
    so the feedback after an answer lists the choices as the question showed them)."""
    choices = list(Choice.objects.filter(question_id=question.pk).order_by("order", "id"))
    return shuffled(choices, question, shuffle_seed)


def choice_order_seed(card_id: int, reps: int) -> str:
    return f"{card_id}:{reps}"


@dataclass(frozen=True)
class DeckRow:
    deck: Deck
    course: Course
    counts: QueueCounts


@dataclass(frozen=True)
class StudyHome:
    rows: list[DeckRow]
    done_today: int


def study_decks(*, user, now: datetime, day_start: datetime, day_end: datetime) -> StudyHome:
    """Every deck the student studies with its capped counts, and today's reviews: four queries."""
    courses = {
        c.pk: c for c in Course.objects.filter(enrollments__user=user).prefetch_related("decks").order_by("title")
    }
    raw_rows = studyable_cards(user.pk).values("deck_id", "course_id").annotate(**_count_expressions(now, day_end))
    raw = {(r["deck_id"], r["course_id"]): r for r in raw_rows}
    done_rows = (
        live_reviews(user.pk)
        .filter(reviewed_at__gte=day_start)
        .values("card__course_id")
        .annotate(
            total=Count("id"),
            new=Count("id", filter=Q(was_new=True)),
            reviews=Count("id", filter=Q(was_new=False, state_before__state=Card.State.REVIEW)),
        )
    )
    done = {r["card__course_id"]: r for r in done_rows}
    empty_raw = {"new": 0, "learning": 0, "due": 0, "total": 0, "later_today": 0}
    empty_done = {"total": 0, "new": 0, "reviews": 0}
    rows = []
    for course in courses.values():
        for deck in course.decks.all():
            counts = _capped(raw.get((deck.pk, course.pk), empty_raw), course, done.get(course.pk, empty_done))
            rows.append(DeckRow(deck=deck, course=course, counts=counts))
    return StudyHome(rows=rows, done_today=sum(r["total"] for r in done.values()))


# Days of the review log: one index probe per day, in SQL. Grouping the rows by local day
# (TruncDate in a time zone) evaluates a Python function per row on SQLite and reads every
# row: a year of a heavy student's reviews (100,000) took ~0.8 s for the streak alone
# (tests/bench). Probing each day's span of (user, reviewed_at) reads one index entry per
# day for the streak and a day's rows for the counts, whatever the history.

_DAY_PROBE = {
    "exists": "EXISTS (SELECT 1 {live})",
    "count": "(SELECT COUNT(*) {live})",
    # Reviewed, studyable cards falling due in the span: a range of (user, due) per day.
    "due": """(SELECT COUNT(*) FROM cards_card c JOIN cards_question q ON q.id = c.question_id
               WHERE c.user_id = %(user)s AND c.due >= d.s AND c.due < d.e AND c.last_review IS NOT NULL
                 AND NOT c.suspended AND q.status = 'published')""",
}
_LIVE_IN_SPAN = """
    FROM cards_reviewlog r
    WHERE r.user_id = %(user)s AND r.kind = 'review' AND r.reviewed_at >= d.s AND r.reviewed_at < d.e
      AND NOT EXISTS (SELECT 1 FROM cards_reviewlog u WHERE u.undoes_id = r.id)
"""


def _day_start(day, zone: ZoneInfo) -> datetime:
    """When study day `day` begins, in UTC (DAY_ROLLOVER_HOUR local time)."""
    shift = timedelta(hours=scheduling.DAY_ROLLOVER_HOUR)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC) + shift


# The same days are asked for by every student in a time zone on a given day (90 days of
# history, 30 of forecast): made once, not a time-zone conversion and two adapted datetimes
# per day on every dashboard (that was most of the cost of its 90-day chart, tests/bench).
@lru_cache(maxsize=256)
def local_day_spans(tz_name: str, first, last, *, since: datetime | None = None) -> tuple[tuple, ...]:
    """((local date D, start, end), ...) for D from `first` to `last`: the UTC span of the
    moments whose study day is D (the local date of the moment 04:00 earlier, as
    scheduling.study_day counts it); the first span starts no earlier than `since`."""
    zone = ZoneInfo(tz_name)
    spans, day = [], first
    while day <= last:
        span_start = _day_start(day, zone)
        if since is not None and span_start < since:
            span_start = since
        spans.append((day, span_start, _day_start(day + timedelta(days=1), zone)))
        day += timedelta(days=1)
    return tuple(spans)


@lru_cache(maxsize=256)
def _days_clause(vendor: str, spans: tuple) -> tuple[str, dict]:
    """The VALUES list of the spans as (i, start, end) rows, and its parameters."""
    params: dict = {}
    rows = []
    for i, (_day, start, end) in enumerate(spans):
        params.update({f"i{i}": i, f"s{i}": db_moment(start), f"e{i}": db_moment(end)})
        rows.append(f"(%(i{i})s, %(s{i})s, %(e{i})s)")
    return ", ".join(rows), params


def _probe_days(user_id: int, spans: tuple, probe: str) -> Read:
    """{day: value of the probe (exists / count of live reviews, cards due) in each day's
    span}, days without any left out: one query."""
    rows, params = _days_clause(connection.vendor, spans)
    value = _DAY_PROBE[probe].format(live=_LIVE_IN_SPAN)
    sql = f"WITH d(i, s, e) AS (VALUES {rows}) SELECT d.i, {value} FROM d"  # noqa: S608  # nosec B608

    def by_day(fetched) -> dict:
        return {spans[i][0]: value for i, value in fetched if value}

    return Read(sql, {**params, "user": user_id}, by_day)


def study_days_read(*, user_id: int, tz_name: str, since: datetime, until: datetime | None = None) -> Read:
    """The local study days (04:00 rollover) since `since` (up to `until`, default tomorrow)
    on which the student reviewed at least once: one query, one index probe per day."""
    until = until or timezone.now() + timedelta(days=1)
    spans = local_day_spans(tz_name, _local_date(since, tz_name), _local_date(until, tz_name), since=since)
    probe = _probe_days(user_id, spans, "exists")
    return replace(probe, convert=lambda fetched: set(probe.convert(fetched)))


def _local_date(moment: datetime, tz_name: str):
    """The study day of a moment (the local date 04:00 earlier), as local_day_spans counts it."""
    return (moment - timedelta(hours=scheduling.DAY_ROLLOVER_HOUR)).astimezone(ZoneInfo(tz_name)).date()


# How far back the streak looks, in growing windows: most runs end within the first, so a
# page probes 8 days instead of 400 (probing 400 days was a third of the dashboard's time).
STREAK_WINDOWS = (8, 32, 128, 400)


def streak_read(*, user_id: int, tz_name: str, now: datetime, window: int = 0) -> Read:
    """Consecutive study days up to today (today not yet studied does not break it), up to
    the last STREAK_WINDOWS days: the first window's query (a longer run reads the next
    windows when its rows arrive)."""
    today = scheduling.study_day(now, tz_name)
    # Whole days: the same spans for every view of the day (local_day_spans remembers them).
    since = _day_start(_local_date(now - timedelta(days=STREAK_WINDOWS[window]), tz_name), ZoneInfo(tz_name))
    days = study_days_read(user_id=user_id, tz_name=tz_name, since=since, until=now)

    def count(fetched) -> int:
        run = analytics.streak(days.convert(fetched), today)
        # The run ends today or yesterday; a run that may reach the window's first day may
        # go on before it: look further back.
        if run + 1 < (today - _local_date(since, tz_name)).days or window + 1 == len(STREAK_WINDOWS):
            return run
        return streak(user_id=user_id, tz_name=tz_name, now=now, window=window + 1)

    return replace(days, convert=count)


def streak(**kwargs) -> int:
    return run_one(streak_read(**kwargs))


def card_for_reveal(*, user, card_id: int, deck_id: int):
    retention = Enrollment.objects.filter(user=user, course=OuterRef("course_id")).values("desired_retention")[:1]
    return (
        studyable_cards(user.pk)
        .filter(pk=card_id, deck_id=deck_id, question__kind=Question.Kind.FLASHCARD)
        .select_related("question")
        .annotate(student_retention=Subquery(retention))
        .first()
    )


@dataclass(frozen=True)
class ChoiceResult:
    choice: Choice
    picked: bool


@dataclass(frozen=True)
class Feedback:
    log: ReviewLog
    card: Card
    question: Question
    choices: list[ChoiceResult]
    correct_answer: str
    undone: bool
    interval_label: str
    rerate_options: list  # [(Outcome)] for Hard/Good/Easy after a correct answer, else []

    @property
    def given_text(self) -> str:
        return str(self.log.answer.get("text", ""))

    @property
    def shows_given(self) -> bool:
        return self.question.kind != "flashcard"


def correct_answer_text(question: Question, choices: list[Choice], cloze: int) -> str:
    if question.kind == "flashcard":
        return question.back
    if question.kind == "short":
        return (question.answers or [""])[0]
    if question.kind == "cloze":
        deletion = grading.cloze_deletions(question.prompt).get(cloze)
        return deletion[0] if deletion else ""
    return "; ".join(c.text for c in choices if c.correct)


def review_feedback(*, user, review_id, with_rerate: bool = True) -> Feedback | None:
    """Everything the student sees after answering, rebuilt from the log: two queries."""
    undone = ReviewLog.objects.filter(undoes=OuterRef("pk"))
    log = (
        ReviewLog.objects.filter(user=user, review_id=review_id, kind=ReviewLog.Kind.REVIEW)
        .select_related("card__course", "card__question__passage__source")
        .annotate(is_undone=Exists(undone))
        .first()
    )
    if log is None:
        return None
    card, question = log.card, log.card.question
    seed = choice_order_seed(card.pk, log.state_before.get("reps", 0))
    choices = card_choices(question, shuffle_seed=seed) if question.kind in CHOICE_KINDS else []
    return _feedback(log, card, question, choices, undone=log.is_undone, with_rerate=with_rerate)


def fresh_feedback(card: Card, log: ReviewLog, *, with_rerate: bool = False) -> Feedback:
    """The feedback of a review just recorded, from what the answer loaded and wrote (the
    card carries its course, question, cited passage and choices, see
    services.study.answer_card): no query, and the same as `review_feedback` reads back
    from the log."""
    question = card.question
    seed = choice_order_seed(card.pk, log.state_before.get("reps", 0))
    choices = shuffled(list(card.question_choices), question, seed) if question.kind in CHOICE_KINDS else []
    return _feedback(log, card, question, choices, undone=False, with_rerate=with_rerate)


def _feedback(log, card, question, choices, *, undone: bool, with_rerate: bool) -> Feedback:
    picked = set(log.answer.get("choices") or []) | {log.answer.get("choice")}
    rerate = []
    state_after = scheduling.CardState.from_json(log.state_after)
    if with_rerate and log.correct and not undone and question.kind != "flashcard":
        before = scheduling.CardState.from_json(log.state_before)
        outcomes = scheduling.next_states(before, log.reviewed_at, card.course.scheduler_settings(), card_id=card.pk)
        rerate = [outcomes[r] for r in (scheduling.Rating.HARD, scheduling.Rating.GOOD, scheduling.Rating.EASY)]
    return Feedback(
        log=log,
        card=card,
        question=question,
        choices=[ChoiceResult(choice=c, picked=c.pk in picked) for c in choices],
        correct_answer=correct_answer_text(question, choices, card.cloze),
        undone=undone,
        interval_label=scheduling.format_interval(state_after.due - log.reviewed_at),
        rerate_options=rerate,
    )


# --- instructor reads ------------------------------------------------------------------


def deck_questions(deck: Deck, *, status: str = "", topic: str = "", kind: str = "", needs_review: bool = False):
    qs = (
        Question.objects.filter(deck=deck)
        .select_related("topic", "passage")
        .annotate(open_reports=Count("reports", filter=Q(reports__status=QuestionReport.Status.OPEN)))
        .order_by("topic__name", "uid")
    )
    if status:
        qs = qs.filter(status=status)
    if topic:
        qs = qs.filter(topic__slug=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if needs_review:
        qs = qs.filter(needs_review=True)
    return qs


def deck_summary(deck: Deck) -> dict:
    return Question.objects.filter(deck=deck).aggregate(
        total=Count("id"),
        published=Count("id", filter=Q(status=Question.Status.PUBLISHED)),
        draft=Count("id", filter=Q(status=Question.Status.DRAFT)),
        retired=Count("id", filter=Q(status=Question.Status.RETIRED)),
        needs_review=Count("id", filter=Q(needs_review=True)),
    )


@dataclass(frozen=True)
class PassageCoverage:
    passage: object
    questions: list
    by_kind: dict
    by_topic: dict

    @property
    def uncovered(self) -> bool:
        return not self.questions


def coverage(deck: Deck) -> list[PassageCoverage]:
    """Each passage of the deck's sources with the (non-retired) questions that cite it:
    two queries, grouped in Python over at most the deck's questions."""
    passages = list(
        Passage.objects.filter(source__decks=deck).select_related("source").order_by("source__title", "order")
    )
    citing: dict[int, list] = {}
    for q in (
        Question.objects.filter(deck=deck, passage__isnull=False)
        .exclude(status=Question.Status.RETIRED)
        .select_related("topic")
        .order_by("uid")
    ):
        citing.setdefault(q.passage_id, []).append(q)
    rows = []
    for p in passages:
        qs = citing.get(p.pk, [])
        by_kind: dict[str, int] = {}
        by_topic: dict[str, int] = {}
        for q in qs:
            by_kind[q.kind] = by_kind.get(q.kind, 0) + 1
            by_topic[q.topic.name] = by_topic.get(q.topic.name, 0) + 1
        rows.append(PassageCoverage(passage=p, questions=qs, by_kind=by_kind, by_topic=by_topic))
    return rows


def question_revisions(question: Question) -> list[tuple]:
    """[(revision, changes from the previous one)], newest first."""
    revisions = list(question.revisions.select_related("author").order_by("revision"))
    rows = []
    previous = None
    for rev in revisions:
        rows.append((rev, revision_diff(previous.data, rev.data) if previous else []))
        previous = rev
    return list(reversed(rows))


def open_reports(decks):
    return (
        QuestionReport.objects.filter(question__deck__in=decks)
        .select_related("question", "question__deck", "reporter")
        .order_by("status", "-created_at")
    )


# --- student statistics ----------------------------------------------------------------


# The lookups study requests start with, in SQL: through the ORM each cost ~0.35-0.45 ms of
# Python (building, compiling, instantiating) for ~0.03 ms of SQLite time (tests/bench,
# in-process micro-benchmark), a fifth of a `study/next` request. (The API's course for a
# deck is found by the study queue's own statement, _COURSE_BY_DECK.)

_DECK_COLUMNS = tuple(f.attname for f in Deck._meta.concrete_fields)
_COURSE_AND_DECK = """
    SELECT {course}, {deck}, (SELECT p.timezone FROM cards_profile p WHERE p.user_id = %(user)s)
    FROM cards_course co
    JOIN cards_enrollment e ON e.course_id = co.id AND e.user_id = %(user)s
    JOIN cards_course_decks cd ON cd.course_id = co.id AND cd.deck_id = %(deck)s
    JOIN cards_deck d ON d.id = cd.deck_id
    WHERE co.id = %(course)s
""".format(  # noqa: S608  # nosec B608 - model columns, no input
    course=", ".join(f"co.{name}" for name in COURSE_COLUMNS), deck=", ".join(f"d.{name}" for name in _DECK_COLUMNS)
)


@dataclass(frozen=True)
class StudyPlace:
    course: Course
    deck: Deck
    timezone: str
    queue: StudyQueue | None = None  # read with the place when asked for, as of `day`
    day: tuple | None = None  # (now, day start, day end) the queue was read for


def study_course_and_deck(*, user, course_id: int, deck_id: int, day: tuple | None = None) -> StudyPlace | None:
    """The course (the student is enrolled in it), one of its decks and the student's time
    zone, in one query; None when the student may not study that deck there. With `day`
    ((now, day start, day end) in the student's time zone) the deck's study queue is read
    too, with it (on PostgreSQL in the same round trip: fetch_each)."""
    place_sql = (_COURSE_AND_DECK, {"user": user.pk, "course": course_id, "deck": deck_id})
    if day is None:
        with connection.cursor() as cursor:
            cursor.execute(*place_sql)
            row = cursor.fetchone()
        queue_rows = None
    else:
        # The queue reads the course by the id the page names; it is only used once the
        # place's own row says the student may study there.
        queue = _queue_statement(user_id=user.pk, deck_id=deck_id, course_id=course_id, day=day)
        place_rows, queue_rows = fetch_each([place_sql, queue])
        row = place_rows[0] if place_rows else None
    if row is None:
        return None
    n = len(COURSE_COLUMNS)
    course = model_from_row(Course, COURSE_COLUMNS, row[:n])
    deck = model_from_row(Deck, _DECK_COLUMNS, row[n : n + len(_DECK_COLUMNS)])
    queue = None if queue_rows is None else _queue_from_rows(queue_rows, course)
    return StudyPlace(course=course, deck=deck, timezone=row[-1] or "UTC", queue=queue, day=day)


_API_KEY_USER_SQL = """
    SELECT t.key, t.created, {user}, p.id, p.timezone
    FROM authtoken_token t JOIN {user_table} u ON u.id = t.user_id
    LEFT JOIN cards_profile p ON p.user_id = u.id
    WHERE t.key = %(key)s
"""


_USER_BY_ID_SQL = "SELECT {user} FROM {user_table} u WHERE u.id = %(id)s"


@lru_cache(maxsize=4)
def _user_sql(template: str) -> tuple[str, tuple]:
    """A statement reading whole user rows as `u` (`template` names them {user} from
    {user_table}), with the columns it reads in order."""
    User = get_user_model()
    columns = tuple(f.attname for f in User._meta.concrete_fields)
    user_columns = ", ".join(f"u.{name}" for name in columns)
    table = connection.ops.quote_name(User._meta.db_table)
    return template.format(user=user_columns, user_table=table), columns


def user_by_id(user_id):
    """The user with this id (None if there is none), in one plain query: the signed-in
    user of every web request (cards.auth)."""
    sql, columns = _user_sql(_USER_BY_ID_SQL)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"id": user_id})
        row = cursor.fetchone()
    return model_from_row(get_user_model(), columns, row) if row else None


_USER_PERMISSIONS_SQL = """
    SELECT ct.app_label, p.codename FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE p.id IN (
        SELECT up.permission_id FROM {user_permissions} up WHERE up.{user_column} = %(id)s
        UNION
        SELECT gp.permission_id FROM auth_group_permissions gp
        JOIN {user_groups} ug ON ug.{group_column} = gp.group_id WHERE ug.{groups_user_column} = %(id)s
    )
"""


@lru_cache(maxsize=1)
def _user_permissions_sql() -> str:
    User = get_user_model()
    perms, groups = User.user_permissions.through._meta, User.groups.through._meta
    quote = connection.ops.quote_name
    return _USER_PERMISSIONS_SQL.format(
        user_permissions=quote(perms.db_table),
        user_column=quote(perms.get_field(User._meta.model_name).column),
        user_groups=quote(groups.db_table),
        group_column=quote(groups.get_field("group").column),
        groups_user_column=quote(groups.get_field(User._meta.model_name).column),
    )


def user_permissions(user_id) -> set[str]:
    """{"app_label.codename"} the user holds directly or through a group: one plain query
    (ModelBackend reads the two halves in two ORM queries, ~0.4 ms of an instructor page;
    cards.auth)."""
    with connection.cursor() as cursor:
        cursor.execute(_user_permissions_sql(), {"id": user_id})
        return {f"{app}.{codename}" for app, codename in cursor.fetchall()}


def _user_with_profile(columns: tuple, values) -> object:
    """The user of a row that reads {user} then the profile's id and time zone (LEFT JOIN),
    with the profile attached, so its time zone costs no further query (user_timezone)."""
    n = len(columns)
    user = model_from_row(get_user_model(), columns, values[:n])
    profile_id, tz = values[n:]
    profile = model_from_row(Profile, ("id", "user_id", "timezone"), (profile_id, user.pk, tz)) if profile_id else None
    user.profile = profile
    return user


_SESSION_USER_SQL = """
    SELECT s.session_data, s.expire_date, {user}, p.id, p.timezone
    FROM cards_session s
    LEFT JOIN {user_table} u ON u.id = s.user_id
    LEFT JOIN cards_profile p ON p.user_id = u.id
    WHERE s.session_key = %(key)s AND s.expire_date > %(now)s
"""


def session_with_user(session_key: str, *, now: datetime):
    """(session data, expiry, signed-in user with their profile or None) of a live session,
    in one query; None if there is no such session or it has expired (cards.sessions)."""
    sql, columns = _user_sql(_SESSION_USER_SQL)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"key": session_key, "now": db_moment(now)})
        row = cursor.fetchone()
    if row is None:
        return None
    signed_in = row[2 + columns.index("id")] is not None  # LEFT JOIN: no user before sign-in
    user = _user_with_profile(columns, row[2:]) if signed_in else None
    return row[0], py_moment(row[1]), user


def token_user(key: str):
    """(token, user with their profile) of an API token, in one query; None if no such token."""
    from rest_framework.authtoken.models import Token

    sql, columns = _user_sql(_API_KEY_USER_SQL)
    with connection.cursor() as cursor:
        cursor.execute(sql, {"key": key})
        row = cursor.fetchone()
    if row is None:
        return None
    user = _user_with_profile(columns, row[2:])
    token = model_from_row(Token, ("key", "user_id", "created"), (row[0], user.pk, row[1]))
    token.user = user
    return token, user


# The dashboard's aggregates are Prepared (cards.prepared): their querysets cost more to build
# and compile than to run.
_TRUE_RETENTION = Prepared(
    lambda *, user_id, since: (
        live_reviews(user_id)
        .filter(reviewed_at__gte=since, state_before__state=Card.State.REVIEW)
        .values("user_id")
        .annotate(total=Count("id"), recalled=Count("id", filter=Q(rating__gt=1)))
        .values_list("recalled", "total")
    )
)


def true_retention_read(*, user_id: int, since: datetime) -> Read:
    """(recalled, total) over reviews of cards that were in the Review state."""
    read = _TRUE_RETENTION.read(user_id=user_id, since=since)
    return replace(read, convert=lambda fetched: (read.convert(fetched) or [(0, 0)])[0])


_TOPIC_MASTERY = Prepared(
    lambda *, user_id, now: (
        studyable_cards(user_id)
        .values("question__topic__slug", "question__topic__name")
        .annotate(mastery=Avg(retrievability_expression(now)), cards=Count("id"))
        .order_by("question__topic__name", "question__topic__slug")
        .values_list("question__topic__slug", "question__topic__name", "mastery", "cards")
    )
)


def topic_mastery_read(*, user_id: int, now: datetime) -> Read:
    """[(topic slug, name, mean predicted recall, cards)] over the student's studyable cards:
    one aggregate (the SQL twin of FSRS retrievability, cards.db_functions)."""
    return _TOPIC_MASTERY.read(user_id=user_id, now=now)


def due_count(*, user_id: int, now: datetime, until: datetime) -> int:
    return studyable_cards(user_id).filter(last_review__isnull=False, due__lt=until).count()


# --- quizzes --------------------------------------------------------------------------------


def reveal_allowed(option: str, *, attempt, now: datetime) -> bool:
    """May the student see this part of the review (score, correct answers, explanations)?
    'After close' with no closing time never comes: the instructor chose to keep it hidden."""
    if option == Quiz.Reveal.IMMEDIATELY:
        return True
    if option == Quiz.Reveal.AFTER_SUBMISSION:
        return attempt.is_submitted
    if option == Quiz.Reveal.AFTER_CLOSE:
        closes = attempt.quiz.closes_at
        return attempt.is_submitted and closes is not None and now >= closes
    return False


def quizzes_for_student(user):
    return (
        Quiz.objects.filter(course__enrollments__user=user)
        .filter(Q(is_practice=False) | Q(created_by=user))
        .select_related("course")
        .annotate(my_attempts=Count("attempts", filter=Q(attempts__user=user), distinct=True))
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class AttemptItem:
    number: int
    question: Question
    choices: list
    response: object | None
    show_correct: bool
    show_explanation: bool
    correct_answer: str

    @property
    def picked(self) -> set:
        if self.response is None:
            return set()
        answer = self.response.answer
        return set(answer.get("choices") or []) | {answer.get("choice")}


def attempt_items(attempt, *, now: datetime) -> list[AttemptItem]:
    """The attempt's questions in their drawn order, choices in their drawn order, with the
    student's responses and what the review options allow them to see: three queries."""
    questions = Question.objects.select_related("passage__source").in_bulk(attempt.question_ids)
    choices: dict[int, dict[int, Choice]] = {}
    for choice in Choice.objects.filter(question_id__in=attempt.question_ids):
        choices.setdefault(choice.question_id, {})[choice.pk] = choice
    responses = {r.question_id: r for r in Response.objects.filter(attempt=attempt)}
    quiz = attempt.quiz
    items = []
    for n, qid in enumerate(attempt.question_ids, start=1):
        question = questions.get(qid)
        if question is None:
            continue
        by_id = choices.get(qid, {})
        order = attempt.choice_orders.get(str(qid)) or sorted(by_id, key=lambda cid: (by_id[cid].order, cid))
        ordered = [by_id[cid] for cid in order if cid in by_id]
        response = responses.get(qid)
        answered = response is not None
        show_correct = reveal_allowed(quiz.show_correct, attempt=attempt, now=now) and (
            attempt.is_submitted or answered
        )
        show_explanation = reveal_allowed(quiz.show_explanations, attempt=attempt, now=now) and (
            attempt.is_submitted or answered
        )
        items.append(
            AttemptItem(
                number=n,
                question=question,
                choices=ordered,
                response=response,
                show_correct=show_correct,
                show_explanation=show_explanation,
                correct_answer=correct_answer_text(question, ordered, 1 if question.kind == "cloze" else 0)
                if show_correct
                else "",
            )
        )
    return items


# --- dashboards -----------------------------------------------------------------------------


def reviews_per_day_read(*, user_id: int, tz_name: str, since: datetime, until: datetime | None = None) -> Read:
    """{local day: reviews} from `since` up to `until` (default tomorrow), days with none
    left out: one query counting each day's span of the (user, reviewed_at) index."""
    until = until or timezone.now() + timedelta(days=1)
    spans = local_day_spans(tz_name, _local_date(since, tz_name), _local_date(until, tz_name), since=since)
    return _probe_days(user_id, spans, "count")


def due_per_day_read(*, user_id: int, tz_name: str, today, days: int) -> Read:
    """{local day: reviewed cards falling due} for `days` days from `today`, overdue cards
    counted on today: one query probing each day's span of the (user, due) index (grouping
    by local day evaluated a Python function per card on SQLite: 32 ms for 10,000 cards)."""
    spans = local_day_spans(tz_name, today, today + timedelta(days=days - 1))
    if spans:
        spans = ((spans[0][0], datetime(1970, 1, 1, tzinfo=UTC), spans[0][2]), *spans[1:])  # overdue: today
    return _probe_days(user_id, spans, "due")


@dataclass(frozen=True)
class WeakItem:
    card_id: int
    prompt: str
    topic: str
    lapses: int
    retrievability: float


_WEAKEST = Prepared(
    lambda limit, *, user_id, now: (
        studyable_cards(user_id)
        .filter(last_review__isnull=False)
        .annotate(recall=retrievability_expression(now))
        .order_by("recall", "-lapses", "id")
        .values_list("id", "question__prompt", "question__topic__name", "lapses", "recall")[:limit]
    )
)


def weakest_items_read(*, user_id: int, now: datetime, limit: int = 10) -> Read:
    """The student's reviewed cards with the lowest predicted recall now (most lapses first
    among equals), ranked in the database: [WeakItem]."""
    read = _WEAKEST.read(limit, user_id=user_id, now=now)
    return replace(read, convert=lambda fetched: [WeakItem(*row) for row in read.convert(fetched)])


@dataclass(frozen=True)
class Leech:
    card_id: int
    prompt: str
    lapses: int


_LEECHES = Prepared(
    lambda *, user_id: (
        Card.objects.filter(user_id=user_id, leech=True)
        .order_by("-lapses", "id")
        .values_list("id", "question__prompt", "lapses")
    )
)


def leeches_read(*, user_id: int) -> Read:
    """The student's leeches (suspended after too many lapses), most lapses first: [Leech]."""
    read = _LEECHES.read(user_id=user_id)
    return replace(read, convert=lambda fetched: [Leech(*row) for row in read.convert(fetched)])


# --- class analytics (instructors) ----------------------------------------------------------


def class_cards(course: Course):
    """Cards of the course's enrolled students for its published questions."""
    return Card.objects.filter(
        course=course, user__enrollments__course=course, question__status=Question.Status.PUBLISHED
    )


def class_topic_mastery(course: Course, *, now: datetime) -> list[dict]:
    """Mean predicted recall per topic over every enrolled student's cards: one aggregate query."""
    return list(
        class_cards(course)
        .values("question__topic__slug", "question__topic__name")
        .annotate(mastery=Avg(retrievability_expression(now)), cards=Count("id"), students=Count("user", distinct=True))
        .order_by("question__topic__name")
    )


def class_forgetting(course: Course, *, now: datetime, limit: int = 10) -> list[dict]:
    """Questions the class forgets: highest lapse rate (lapses per review), then lowest mean
    predicted recall; one aggregate query."""
    rows = (
        class_cards(course)
        .filter(last_review__isnull=False)
        .values("question_id", "question__uid", "question__prompt", "question__topic__name")
        .annotate(
            lapses=Sum("lapses"),
            reps=Sum("reps"),
            students=Count("user", distinct=True),
            recall=Avg(retrievability_expression(now)),
        )
        .annotate(lapse_rate=ExpressionWrapper(F("lapses") * 1.0 / F("reps"), output_field=FloatField()))
        .order_by("-lapse_rate", "recall")[:limit]
    )
    return list(rows)


def item_responses(course: Course) -> list[tuple[int, int, float, tuple]]:
    """(student, question, score, picked choices) rows, oldest first: every quiz response of
    the course's (non-practice) quizzes and every first-try study answer. Two queries."""
    quiz_rows = (
        Response.objects.filter(attempt__quiz__course=course, attempt__quiz__is_practice=False)
        .order_by("first_answered_at", "id")
        .values_list("attempt__user_id", "question_id", "score", "answer", "first_answered_at")
    )
    study_rows = (
        live_reviews_for_course(course)
        .filter(was_new=True, card__cloze__lte=1)
        .exclude(card__question__kind="flashcard")
        .order_by("reviewed_at", "id")
        .values_list("user_id", "card__question_id", "score", "answer", "reviewed_at")
    )
    rows = sorted([*quiz_rows, *study_rows], key=lambda r: r[4])
    return [
        (user, question, min(1.0, max(0.0, score or 0.0)), tuple(_picked(answer)))
        for user, question, score, answer, _at in rows
    ]


def _picked(answer: dict) -> list[int]:
    picked = list(answer.get("choices") or [])
    if isinstance(answer.get("choice"), int):
        picked.append(answer["choice"])
    return [c for c in picked if isinstance(c, int)]


def live_reviews_for_course(course: Course):
    return ReviewLog.objects.filter(card__course=course, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)


# --- item analysis: SQL aggregates, measured ------------------------------------------------------
#
# In SQL because the ORM cannot say it (a window over the union of quiz responses and
# study answers, JSON arrays of picked choices taken apart) and because the Python version
# read every response row of the course: at 1,000 students x 200 questions (~200,000 first
# answers) `item_responses` + `analytics.item_analysis` took ~3 s (tests/bench). Here the
# database reduces them to one row per question (and per picked choice); Python only
# finishes each question's formulas (cards.core.analytics defines them; tests check both agree).

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
    WHERE c.course_id = %(course)s AND c.cloze <= 1 AND q.kind <> 'flashcard' AND l.kind = 'review'
      AND NOT EXISTS (SELECT 1 FROM cards_reviewlog u WHERE u.undoes_id = l.id)
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
SELECT 'item', question, n, k, SUM(x), SUM(CASE WHEN pos <= k THEN x ELSE 0 END),
       SUM(CASE WHEN pos > n - k THEN x ELSE 0 END), SUM((x - mean_x) * (x - mean_x)),
       SUM((y - mean_y) * (y - mean_y)), SUM((x - mean_x) * (y - mean_y))
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


def _item_stats(question_id, row, picks: dict, choice_ids: list) -> analytics.ItemStats:
    """One question's statistics from its aggregate row: the formulas of cards.core.analytics."""
    n = row[0] if row else 0
    if not n:
        return analytics.ItemStats(
            question_id=question_id,
            responses=0,
            facility=None,
            discrimination=None,
            point_biserial=None,
            flags=[],
            distractors=dict.fromkeys(choice_ids, 0),
        )
    k, sum_x, lower, upper, sxx, syy, sxy = row[1:]
    facility = analytics.facility(sum_x, n)
    discrimination = upper / k - lower / k if n >= 2 and k else None
    point_biserial = None
    if n >= 2 and sxx > analytics._ZERO_VARIANCE and syy > analytics._ZERO_VARIANCE:
        point_biserial = max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))
    return analytics.ItemStats(
        question_id=question_id,
        responses=n,
        facility=facility,
        discrimination=discrimination,
        point_biserial=point_biserial,
        flags=analytics.item_flags(facility, discrimination, point_biserial),
        distractors={cid: picks.get(cid, 0) for cid in choice_ids},
    )


def course_item_analysis(course: Course):
    """Item statistics of every published question of the course (see cards.core.analytics), in
    uid order: aggregated in the database, three queries."""
    questions = {
        q.pk: q
        for q in Question.objects.filter(deck__courses=course, status=Question.Status.PUBLISHED)
        .select_related("topic")
        .order_by("uid")
    }
    choice_ids: dict[int, list[int]] = {qid: [] for qid in questions}
    for qid, cid in (
        Choice.objects.filter(question_id__in=questions)
        .order_by("question_id", "order", "id")
        .values_list("question_id", "id")
    ):
        choice_ids[qid].append(cid)
    items, picks = {}, {}
    with connection.cursor() as cursor:
        cursor.execute(_ITEM_STATS.format(picks=_PICKS[connection.vendor]), {"course": course.pk})
        for what, question, *values in cursor.fetchall():
            if what == "item":
                items[question] = values
            else:
                picks.setdefault(question, {})[int(values[0])] = values[1]
    return [(q, _item_stats(qid, items.get(qid), picks.get(qid, {}), choice_ids[qid])) for qid, q in questions.items()]


def student_progress(course: Course, *, now: datetime) -> list[dict]:
    """Per enrolled student: cards studied, reviews in 7 days, lapses, mean recall, last review."""
    week_ago = now - timedelta(days=7)
    rows = (
        class_cards(course)
        .values("user_id", "user__username")
        .annotate(
            cards=Count("id"),
            studied=Count("id", filter=Q(last_review__isnull=False)),
            lapses=Sum("lapses"),
            mastery=Avg(retrievability_expression(now)),
            last_review=Max("last_review"),
        )
        .order_by("user__username")
    )
    reviews = dict(
        live_reviews_for_course(course)
        .filter(reviewed_at__gte=week_ago)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    return [{**r, "reviews_7d": reviews.get(r["user_id"], 0)} for r in rows]


# The analytics page's reads of a course, Prepared (building their querysets took longer than
# running them) and read together (cards.reads): the snapshot's header, the count of its
# students, the count of quiz attempts and a page of them.
SNAPSHOT_HEADER = ("id", "course_id", "computed_at", "seconds", "students")
_SNAPSHOT_HEADER = Prepared(
    lambda *, course_id: ClassStats.objects.filter(course_id=course_id).order_by().values_list(*SNAPSHOT_HEADER)
)
_STUDENT_ROWS = Prepared(
    lambda *, course_id: (
        StudentStats.objects.filter(course_id=course_id)
        .order_by()
        .values("course_id")
        .annotate(n=Count("pk"))
        .values_list("n")
    )
)
_ATTEMPT_COUNT = Prepared(
    lambda *, course_id: (
        _quiz_attempts(course_id).order_by().values("quiz__course_id").annotate(n=Count("pk")).values_list("n")
    )
)
ATTEMPT_ORDER = ("quiz__title", "user__username", "number")


def _attempt_page(offset: int, limit: int, columns: tuple, *, course_id: int):
    return _quiz_attempts(course_id).order_by(*ATTEMPT_ORDER).values_list(*columns)[offset : offset + limit]


# The SQL of a page has its offset written in: the first pages keep a plan each, a page
# further down is compiled for its view only (a plan kept per page asked for would grow
# without bound).
_ATTEMPT_PAGE = Prepared(_attempt_page)
KEPT_ATTEMPT_PAGES = 20


def _first_count(read: Read) -> Read:
    return replace(read, convert=lambda fetched: (read.convert(fetched) or [(0,)])[0][0])


def class_stats_header_read(*, course_id: int) -> Read:
    """The course's stored statistics snapshot (ClassStats), its tables deferred (read when
    the page renders them), or None."""
    read = _SNAPSHOT_HEADER.read(course_id=course_id)

    def header(fetched):
        rows = read.convert(fetched)
        return model_from_row(ClassStats, SNAPSHOT_HEADER, rows[0]) if rows else None

    return replace(read, convert=header)


def student_rows_read(*, course_id: int) -> Read:
    """How many students the course's snapshot has rows for."""
    return _first_count(_STUDENT_ROWS.read(course_id=course_id))


def quiz_attempt_count_read(*, course_id: int) -> Read:
    """How many attempts at the course's quizzes (not practice quizzes) there are."""
    return _first_count(_ATTEMPT_COUNT.read(course_id=course_id))


def quiz_attempt_page_read(*, course_id: int, columns: tuple, offset: int, limit: int) -> Read:
    """Attempts `offset` to `offset + limit` in quiz_attempts' order, as {column: value}."""
    if offset < KEPT_ATTEMPT_PAGES * limit:
        read = _ATTEMPT_PAGE.read(offset, limit, columns, course_id=course_id)
    else:
        read = compiled_read(_attempt_page(offset, limit, columns, course_id=course_id))
    return replace(read, convert=lambda fetched: [dict(zip(columns, r, strict=True)) for r in read.convert(fetched)])


def _quiz_attempts(course_id: int):
    return Attempt.objects.filter(quiz__course_id=course_id, quiz__is_practice=False)


def quiz_attempts(course: Course, *columns: str):
    """The course's quiz attempts, by quiz, student and number, as rows of the columns the
    caller shows (the analytics page's table, its CSV): not each attempt's questions and
    choice orders with its quiz and student built as models (half of the page's time)."""
    return _quiz_attempts(course.pk).order_by(*ATTEMPT_ORDER).values(*columns)
