"""REVLOG.csv, the review log `manage.py fit_scheduler` reads: pure, no Django.

A header naming REVLOG_COLUMNS (any order, other columns ignored), then a row per review:
review_time in milliseconds since the Unix epoch (UTC), ratings 1-4, every review including
same-day steps, in any order. Each error names the file and line.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from cards.core.fitting import Review

REVLOG_COLUMNS = ("user_id", "card_id", "review_time", "review_rating")


class RevlogError(ValueError):
    """A review log that cannot be read: the message says which file and line, and why."""


def read_revlog(lines: Iterable[str], name: str = "REVLOG.csv") -> dict[str, list[Review]]:
    """{user_id: [Review, ...]} from CSV text: a header naming REVLOG_COLUMNS (any order, other
    columns ignored), review_time in milliseconds since the Unix epoch (UTC), ratings 1-4,
    every review including same-day steps, in any order."""
    reader = csv.reader(lines)
    header = next(reader, None)
    if header is None:
        raise RevlogError(f"{name}:1: empty file; expected the header {','.join(REVLOG_COLUMNS)}")
    header = [h.strip().lstrip("\ufeff") for h in header]
    missing = [c for c in REVLOG_COLUMNS if c not in header]
    if missing:
        raise RevlogError(f"{name}:1: header lacks {', '.join(missing)}; expected {','.join(REVLOG_COLUMNS)}")
    index = {c: header.index(c) for c in REVLOG_COLUMNS}
    students: dict[str, list[Review]] = {}
    for row in reader:
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue
        if len(row) < len(header):
            raise RevlogError(f"{name}:{line}: {len(row)} fields, expected {len(header)}")
        user, card, moment, rating = (row[index[c]].strip() for c in REVLOG_COLUMNS)
        if not user or not card:
            raise RevlogError(f"{name}:{line}: user_id and card_id must not be empty")
        try:
            millis = int(moment)
            reviewed_at = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(milliseconds=millis)
        except (ValueError, OverflowError):
            raise RevlogError(
                f"{name}:{line}: review_time {moment!r} is not a time in milliseconds since the Unix epoch"
            ) from None
        if millis < 0:
            raise RevlogError(f"{name}:{line}: review_time {moment!r} is before 1970")
        if rating not in ("1", "2", "3", "4"):
            raise RevlogError(f"{name}:{line}: review_rating {rating!r} is not 1, 2, 3 or 4")
        students.setdefault(user, []).append(Review(card, reviewed_at, int(rating)))
    if not students:
        raise RevlogError(f"{name}: no reviews after the header")
    return students
