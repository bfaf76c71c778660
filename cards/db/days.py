"""Days of the review log and of the due dates: one index probe per day, in SQL.

Grouping the rows by local day (TruncDate in a time zone) evaluates a Python function per
row on SQLite and reads every row: a year of a heavy student's reviews (100,000) took
~0.8 s for the streak alone, and the due forecast 32 ms for 10,000 cards (tests/bench).
Probing each day's span of (user, reviewed_at) or (user, due) reads one index entry per day
for the streak and a day's rows for the counts, whatever the history."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from django.db import connection

from cards.core import analytics, scheduling
from cards.core.days import day_start, local_date, local_day_spans
from cards.db.dialect import Statement, db_moment
from cards.db.done_today import live_review

_PROBE = {
    "exists": "EXISTS (SELECT 1 {live})",
    "count": "(SELECT COUNT(*) {live})",
    # Reviewed, studyable cards falling due in the span: a range of (user, due) per day.
    "due": """(SELECT COUNT(*) FROM cards_card c JOIN cards_question q ON q.id = c.question_id
               WHERE c.user_id = %(user)s AND c.due >= d.s AND c.due < d.e AND c.last_review IS NOT NULL
                 AND NOT c.suspended AND q.status = 'published')""",
}
_LIVE_IN_SPAN = f"""
    FROM cards_reviewlog r
    WHERE r.user_id = %(user)s AND r.reviewed_at >= d.s AND r.reviewed_at < d.e AND {live_review()}
"""


# The spans as rows d(i, start, end), from one parameter: a JSON list of [i, start, end].
# As a VALUES list of three parameters a day, the dashboard's 90-day history and 30-day
# forecast sent 277 and 91 parameters: psycopg parses a statement's text again at every call
# when it has over 50 (MAX_CACHED_STATEMENT_PARAMS), a tenth of the PostgreSQL dashboard's
# Python time, and converts each parameter (docs/performance.md).
_SPANS = {
    "sqlite": """SELECT json_extract(j.value, '$[0]'), json_extract(j.value, '$[1]'), json_extract(j.value, '$[2]')
                 FROM json_each(%(days)s) j""",
    "postgresql": """SELECT (j ->> 0)::int, (j ->> 1)::timestamptz, (j ->> 2)::timestamptz
                     FROM jsonb_array_elements(%(days)s::jsonb) j""",
}


@lru_cache(maxsize=256)
def _days_param(vendor: str, spans: tuple) -> str:
    """The spans as the JSON list `_SPANS` reads (SQLite: its stored text of a moment)."""

    def moment(value: datetime) -> str:
        return db_moment(value) if vendor == "sqlite" else value.isoformat()

    return json.dumps([[i, moment(start), moment(end)] for i, (_day, start, end) in enumerate(spans)])


def _probe(user_id: int, spans: tuple, probe: str) -> Statement:
    """{day: value of the probe in each day's span}, days without any left out: one query."""
    vendor = connection.vendor
    value = _PROBE[probe].format(live=_LIVE_IN_SPAN)
    sql = f"WITH d(i, s, e) AS ({_SPANS[vendor]}) SELECT d.i AS i, {value} AS found FROM d"  # noqa: S608  # nosec B608
    params = {"days": _days_param(vendor, spans)}

    def by_day(found: list[dict]) -> dict:
        return {spans[r["i"]][0]: r["found"] for r in found if r["found"]}

    return Statement(sql, {**params, "user": user_id}, by_day)


def _spans(tz_name: str, since: datetime, until: datetime) -> tuple:
    return local_day_spans(tz_name, local_date(since, tz_name), local_date(until, tz_name), since=since)


def study_days(*, user_id: int, tz_name: str, since: datetime, until: datetime) -> set[date]:
    """The local study days from `since` to `until` on which the student reviewed at least once."""
    return set(_probe(user_id, _spans(tz_name, since, until), "exists").run())


def reviews_per_day_statement(*, user_id: int, tz_name: str, since: datetime, until: datetime) -> Statement:
    """{local day: live reviews} from `since` up to `until`, days with none left out."""
    return _probe(user_id, _spans(tz_name, since, until), "count")


def reviews_per_day(**kwargs) -> dict[date, int]:
    return reviews_per_day_statement(**kwargs).run()


def due_per_day_statement(*, user_id: int, tz_name: str, today: date, days: int) -> Statement:
    """{local day: reviewed cards falling due} for `days` days from `today` (at least one),
    overdue cards counted on today."""
    spans = local_day_spans(tz_name, today, today + timedelta(days=days - 1))
    spans = ((spans[0][0], datetime(1970, 1, 1, tzinfo=UTC), spans[0][2]), *spans[1:])  # overdue: today
    return _probe(user_id, spans, "due")


def due_per_day(**kwargs) -> dict[date, int]:
    return due_per_day_statement(**kwargs).run()


# How far back the streak looks, in growing windows: most runs end within the first, so a
# page probes 8 days instead of 400 (probing 400 days was a third of the dashboard's time).
STREAK_WINDOWS = (8, 32, 128, 400)


def streak_statement(*, user_id: int, tz_name: str, now: datetime, window: int = 0) -> Statement:
    """Consecutive study days up to today (today not yet studied does not break it), as far
    as the window STREAK_WINDOWS[window] sees: None when the run may go on before it."""
    today = scheduling.study_day(now, tz_name)
    # Whole days: the same spans for every view of the day (local_day_spans remembers them).
    since = day_start(local_date(now - timedelta(days=STREAK_WINDOWS[window]), tz_name), ZoneInfo(tz_name))
    days = _probe(user_id, _spans(tz_name, since, now), "exists")

    def run_of(found: list[dict]) -> int | None:
        run = analytics.streak(set(days.value(found)), today)
        last = window + 1 == len(STREAK_WINDOWS)
        return run if last or run + 1 < (today - local_date(since, tz_name)).days else None

    return Statement(days.sql, days.params, run_of)


def streak(*, user_id: int, tz_name: str, now: datetime, start: int = 0) -> int:
    """The streak (see streak_statement), looking back in growing windows from STREAK_WINDOWS[start]."""
    for window in range(start, len(STREAK_WINDOWS)):
        run = streak_statement(user_id=user_id, tz_name=tz_name, now=now, window=window).run()
        if run is not None:
            return run
    raise AssertionError("the last window always answers")  # pragma: no cover
