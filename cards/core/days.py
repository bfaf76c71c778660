"""Study days: a student's day starts at DAY_ROLLOVER_HOUR local time (as Anki's), so the UTC
span of each local study day is computed here, once per time zone and day."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from cards.core.scheduling import DAY_ROLLOVER_HOUR


def day_start(day: date, zone: ZoneInfo) -> datetime:
    """When study day `day` begins, in UTC."""
    shift = timedelta(hours=DAY_ROLLOVER_HOUR)
    return datetime.combine(day, datetime.min.time(), tzinfo=zone).astimezone(UTC) + shift


def local_date(moment: datetime, tz_name: str) -> date:
    """The study day of a moment (the local date DAY_ROLLOVER_HOUR hours earlier)."""
    return (moment - timedelta(hours=DAY_ROLLOVER_HOUR)).astimezone(ZoneInfo(tz_name)).date()


# The same days are asked for by every student in a time zone on a given day (90 days of
# history, 30 of forecast): made once, not a time-zone conversion per day on every dashboard
# (that was most of the cost of its 90-day chart, tests/bench).
@lru_cache(maxsize=256)
def local_day_spans(tz_name: str, first: date, last: date, *, since: datetime | None = None) -> tuple[tuple, ...]:
    """((local date D, start, end), ...) for D from `first` to `last`: the UTC span of the
    moments whose study day is D; the first span starts no earlier than `since`."""
    zone = ZoneInfo(tz_name)
    spans, day = [], first
    while day <= last:
        span_start = day_start(day, zone)
        if since is not None and span_start < since:
            span_start = since
        spans.append((day, span_start, day_start(day + timedelta(days=1), zone)))
        day += timedelta(days=1)
    return tuple(spans)
