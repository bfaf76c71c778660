"""What a timed quiz attempt and a timed block share: submitting one, by the student or at its
deadline. `submitted_values(thing, at=, auto=)` is each kind's own reader of the fields a
submission sets (cards.selectors.quizzes / cards.selectors.blocks)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime


def finish(thing, *, at: datetime, auto: bool, submitted_values: Callable[..., dict]):
    """Submit `thing` at `at` (auto: the deadline did it), saving only the fields that change."""
    values = submitted_values(thing, at=at, auto=auto)
    for name, value in values.items():
        setattr(thing, name, value)
    thing.save(update_fields=list(values))
    return thing


def expire_if_due(thing, *, now: datetime, submitted_values: Callable[..., dict]) -> bool:
    """Time is up: submit with what was answered, at the deadline (not at `now`)."""
    if thing.is_submitted or thing.deadline is None or now < thing.deadline:
        return False
    finish(thing, at=thing.deadline, auto=True, submitted_values=submitted_values)
    return True
