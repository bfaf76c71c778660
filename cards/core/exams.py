"""Exam dates, pure: no Django, no clock. Until a student's exam, no card is scheduled after
the exam day: a review's due date is capped so that the card comes back on the eve of the
exam at the latest (on the eve, on the exam day itself). The last review before the exam is
then the latest one possible, which leaves the most recall on the day (a card reviewed on the
eve with a stability of a day or more is at 90% or better the next morning: FSRS's interval
at 90% retention equals the stability). From the exam day on, nothing is capped.

Study days start at 04:00 local (cards.core.scheduling.DAY_ROLLOVER_HOUR)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cards.core.scheduling import DAY_ROLLOVER_HOUR, Outcome, Rating, study_day

EXAM_TARGET = 0.9  # predicted recall on the exam day the last review aims for


def day_start(day: date, tz_name: str) -> datetime:
    """When a study day starts, in UTC."""
    return datetime.combine(day, time(DAY_ROLLOVER_HOUR), tzinfo=ZoneInfo(tz_name)).astimezone(UTC)


def due_cap(now: datetime, exam: date | None, tz_name: str) -> datetime | None:
    """The latest due date a review made `now` may get: the start of the exam's eve, or on the
    eve the start of the exam day; None without an exam or from the exam day on."""
    if exam is None:
        return None
    today = study_day(now, tz_name)
    if today >= exam:
        return None
    eve = day_start(exam - timedelta(days=1), tz_name)
    return eve if now < eve else day_start(exam, tz_name)


def capped(outcome: Outcome, now: datetime, cap: datetime | None) -> Outcome:
    """The outcome with its due date no later than `cap` (and its interval to match)."""
    if cap is None or outcome.state.due is None or outcome.state.due <= cap:
        return outcome
    due = max(cap, now)
    return Outcome(rating=outcome.rating, state=replace(outcome.state, due=due), interval=due - now)


def capped_all(outcomes: dict[Rating, Outcome], now: datetime, cap: datetime | None) -> dict[Rating, Outcome]:
    return {rating: capped(outcome, now, cap) for rating, outcome in outcomes.items()}


def days_left(now: datetime, exam: date | None, tz_name: str) -> int | None:
    """Study days from today to the exam (0 on the exam day); None without one or after it."""
    if exam is None:
        return None
    left = (exam - study_day(now, tz_name)).days
    return left if left >= 0 else None


def effective_exam(student: date | None, course: date | None) -> date | None:
    """The student's own exam date, else the course's."""
    return student or course


def new_cards_pace(*, new_left: int, days: int | None) -> int | None:
    """New cards a day needed to see every new card before the exam (the eve included), or
    None when no exam is set."""
    if days is None:
        return None
    study_days = max(days, 1)
    return -(-new_left // study_days) if new_left else 0
