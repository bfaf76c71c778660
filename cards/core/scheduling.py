"""FSRS scheduling, pure: no Django, no clock. Wraps the reference `fsrs` package.

A card's state is a plain value (`CardState`). `next_states` returns what each of the four
ratings would do, all at once, so rating buttons can show their intervals and answering
just applies one of them (the idea of Anki's `next_states`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from datetime import UTC, datetime, time, timedelta
from enum import IntEnum
from functools import lru_cache
from zoneinfo import ZoneInfo

import fsrs

# Anki rolls the study day over at 04:00 local time; so do we.
DAY_ROLLOVER_HOUR = 4

# The forgetting curve's constants for the default parameters (SQL twins of retrievability).
FSRS_DECAY = -fsrs.scheduler.DEFAULT_PARAMETERS[20]
FSRS_FACTOR = 0.9 ** (1 / FSRS_DECAY) - 1


class Rating(IntEnum):
    AGAIN = 1
    HARD = 2
    GOOD = 3
    EASY = 4


class State(IntEnum):
    LEARNING = 1
    REVIEW = 2
    RELEARNING = 3


@dataclass(frozen=True)
class SchedulerSettings:
    desired_retention: float = 0.9
    learning_steps: tuple[int, ...] = (1, 10)  # minutes
    relearning_steps: tuple[int, ...] = (10,)  # minutes
    maximum_interval: int = 36500  # days
    enable_fuzzing: bool = True
    parameters: tuple[float, ...] | None = None  # fitted FSRS-6 weights; None: fsrs's defaults


def card_retention(retention: float, safety_retention: float, *, safety_critical: bool) -> float:
    """The desired retention a card is scheduled at: the student's (or the course's), and for
    a safety-critical question at least the course's safety retention (0.95 by default): a
    student who chose 0.97 keeps 0.97 there too."""
    return max(retention, safety_retention) if safety_critical else retention


@dataclass(frozen=True)
class CardState:
    state: int = State.LEARNING
    step: int | None = 0
    stability: float | None = None
    difficulty: float | None = None
    due: datetime | None = None
    last_review: datetime | None = None
    reps: int = 0
    lapses: int = 0

    def to_json(self) -> dict:
        # Field by field (all are plain values): dataclasses.asdict deep-copies each one.
        data = {name: getattr(self, name) for name in STATE_FIELDS}
        for name in ("due", "last_review"):
            data[name] = data[name].isoformat() if data[name] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> CardState:
        values = dict(data)
        for name in ("due", "last_review"):
            values[name] = datetime.fromisoformat(values[name]) if values.get(name) else None
        return cls(**values)


# The names of a card's scheduling state: CardState's fields, which the Card model repeats as
# columns (read, restored and saved together).
STATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(CardState))


@dataclass(frozen=True)
class Outcome:
    rating: Rating
    state: CardState
    interval: timedelta

    @property
    def interval_days(self) -> float:
        return self.interval.total_seconds() / 86400

    @property
    def label(self) -> str:
        return format_interval(self.interval)


@lru_cache(maxsize=64)
def build_scheduler(settings: SchedulerSettings) -> fsrs.Scheduler:
    return fsrs.Scheduler(
        **({"parameters": settings.parameters} if settings.parameters else {}),
        desired_retention=settings.desired_retention,
        learning_steps=tuple(timedelta(minutes=m) for m in settings.learning_steps),
        relearning_steps=tuple(timedelta(minutes=m) for m in settings.relearning_steps),
        maximum_interval=settings.maximum_interval,
        enable_fuzzing=settings.enable_fuzzing,
    )


def _utc(moment: datetime) -> datetime:
    # fsrs compares tzinfo by identity with datetime.timezone.utc, so normalise to it.
    if moment.tzinfo is None:
        raise ValueError("naive datetime: pass an aware datetime")
    return moment.astimezone(UTC)


def _to_fsrs(state: CardState, now: datetime, card_id: int) -> fsrs.Card:
    return fsrs.Card(
        card_id=card_id,  # without an id fsrs sleeps 1 ms to make one
        state=fsrs.State(state.state),
        step=state.step,
        stability=state.stability,
        difficulty=state.difficulty,
        due=_utc(state.due) if state.due else _utc(now),
        last_review=_utc(state.last_review) if state.last_review else None,
    )


def review(
    state: CardState,
    rating: Rating,
    now: datetime,
    settings: SchedulerSettings = SchedulerSettings(),
    *,
    card_id: int = 1,
) -> Outcome:
    now = _utc(now)
    scheduler = build_scheduler(settings)
    card, _log = scheduler.review_card(_to_fsrs(state, now, card_id), fsrs.Rating(rating), now)
    lapsed = state.state == State.REVIEW and rating == Rating.AGAIN
    new_state = CardState(
        state=int(card.state),
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
        reps=state.reps + 1,
        lapses=state.lapses + (1 if lapsed else 0),
    )
    return Outcome(rating=Rating(rating), state=new_state, interval=card.due - now)


def next_states(
    state: CardState,
    now: datetime,
    settings: SchedulerSettings = SchedulerSettings(),
    *,
    card_id: int = 1,
) -> dict[Rating, Outcome]:
    return {r: review(state, r, now, settings, card_id=card_id) for r in Rating}


def retrievability(state: CardState, now: datetime, settings: SchedulerSettings = SchedulerSettings()) -> float:
    """Predicted probability of recall now (0 for a card never reviewed)."""
    if state.last_review is None or state.stability is None:
        return 0.0
    return float(build_scheduler(settings).get_card_retrievability(_to_fsrs(state, now, 1), _utc(now)))


def review_recall(state: CardState, now: datetime, settings: SchedulerSettings = SchedulerSettings()) -> float | None:
    """Predicted recall of a card in the Review state; None for a card never reviewed or still
    in its (re)learning steps. FSRS counts whole days since the last review, so such a card,
    answered minutes ago (even wrongly), would read 100%: its steps, not its memory, decide
    when it comes back. The dashboard's weakest items and the class's forgetting say
    'learning' instead (cards.db.progress, cards.selectors.cohort)."""
    if state.state != State.REVIEW or state.last_review is None:
        return None
    return retrievability(state, now, settings)


def new_card_state(now: datetime) -> CardState:
    return CardState(due=_utc(now))


def format_interval(interval: timedelta) -> str:
    """Anki-style short interval: 45s, 10m, 3h, 4d, 2.5mo, 1.2y."""
    seconds = max(0.0, interval.total_seconds())
    if seconds < 60:
        return f"{round(seconds)}s"
    if seconds < 3600:
        return f"{round(seconds / 60)}m"
    if seconds < 86400:
        return f"{round(seconds / 3600)}h"
    days = seconds / 86400
    if days < 30:
        return f"{round(days)}d"
    if days < 365:
        return f"{days / 30:.1f}".rstrip("0").rstrip(".") + "mo"
    return f"{days / 365:.1f}".rstrip("0").rstrip(".") + "y"


def study_day_bounds(now: datetime, tz_name: str) -> tuple[datetime, datetime]:
    """The student's current study day in UTC: from 04:00 local to the next 04:00 local."""
    tz = ZoneInfo(tz_name)
    local = _utc(now).astimezone(tz)
    day = local.date() if local.hour >= DAY_ROLLOVER_HOUR else local.date() - timedelta(days=1)
    start = datetime.combine(day, time(DAY_ROLLOVER_HOUR), tzinfo=tz)
    end = datetime.combine(day + timedelta(days=1), time(DAY_ROLLOVER_HOUR), tzinfo=tz)
    return start.astimezone(UTC), end.astimezone(UTC)


def study_day(now: datetime, tz_name: str):
    """The calendar date a moment counts toward (before 04:00 it is still yesterday)."""
    start, _ = study_day_bounds(now, tz_name)
    return start.astimezone(ZoneInfo(tz_name)).date()


def with_due(state: CardState, due: datetime) -> CardState:
    return replace(state, due=due)
