"""Replay a card's review log and check it explains the card, pure: no Django, no clock.

The log stores, for every review, the card's state before and after it. Replaying checks:

(a) continuity: each live review (a review not undone) starts from the state the previous
    live review left, and the first one from a new card's state (reps 0, no last review);
(b) recomputation: FSRS run again on `state_before` with the review's rating and time gives
    the stored `state_after` exactly: stability, difficulty, state, step, reps, lapses and
    last review. The app schedules with fuzz (random), which only moves the `due` of a card
    that ends in the review state, so there `due` must fall in the range fsrs can produce
    around the unfuzzed interval; a learning or relearning step's `due` must match exactly;
(c) (`compare_card`) the card's stored columns equal the state the log leads to.

Undo rows are checked too: each one undoes the card's latest live review and swaps its
states (`state_after` of the undo is `state_before` of the undone review).

The fitted parameters of a review are in the log (`ReplayStep.parameters`, the review's
ParameterSet; None: FSRS's defaults, or a row logged before they were recorded, which is
also tried with the parameters the student has now). The other scheduler settings are not:
the caller passes the card's current ones. Stability, difficulty, reps, lapses and last
review do not depend on the desired retention or the maximum interval, but `due` does, and
state and step depend on the learning steps; a mismatch that only concerns these may mean
the settings changed since.

A refit recomputes memory states from the log (cards.core.restate): the stability and
difficulty of a card change between two reviews (or after the last one) to what its live
reviews give under the parameters then in use. Continuity and (c) accept exactly that: the
next review's parameters (or, after the last review, the student's current ones).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from fsrs.scheduler import FUZZ_RANGES

from cards.core import restate, scheduling
from cards.core.scheduling import CardState, Rating, SchedulerSettings, State

REVIEW = "review"
UNDO = "undo"

# The fields FSRS recomputes exactly, whatever the fuzz.
EXACT_FIELDS = ("stability", "difficulty", "state", "step", "reps", "lapses", "last_review")
ALL_FIELDS = (*EXACT_FIELDS, "due")
# Fields whose value depends on scheduler settings the log does not record.
SETTINGS_DEPENDENT = {"due", "state", "step"}
# What a refit recomputes (cards.core.restate); everything else stays.
MEMORY_FIELDS = {"stability", "difficulty"}

NEW_CARD = CardState()  # reps 0, no last review, learning step 0; due unknown (None)


@dataclass(frozen=True)
class ReplayStep:
    """One row of a card's review log, as stored."""

    rating: int | None
    reviewed_at: datetime
    state_before: dict
    state_after: dict
    log_id: int | None = None
    kind: str = REVIEW
    undoes: int | None = None  # log id of the review an undo row undoes
    question_revision: int | None = None
    parameters: tuple[float, ...] | None = None  # the fitted parameters that scheduled it (None: not recorded)

    @property
    def label(self) -> str:
        return f"{self.kind} {self.log_id}" if self.log_id is not None else self.kind


@dataclass(frozen=True)
class Mismatch:
    where: str  # "review 12", "undo 14", "card"
    field: str
    expected: object
    actual: object
    description: str

    def __str__(self) -> str:
        return self.description


@dataclass
class Replay:
    state: CardState  # where the log leads (the stored state after the last live review)
    mismatches: list[Mismatch] = field(default_factory=list)
    restarts: list[str] = field(default_factory=list)  # resets explained by a newer question revision
    live: list[ReplayStep] = field(default_factory=list)


class ReplayMismatch(Exception):
    def __init__(self, mismatches: list[Mismatch]):
        super().__init__("; ".join(m.description for m in mismatches))
        self.mismatches = mismatches


def _show(value) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, float):
        return repr(value)
    return "none" if value is None else str(value)


def _parse(data: dict, where: str, which: str, problems: list[Mismatch]) -> CardState | None:
    try:
        return CardState.from_json(data)
    except (TypeError, ValueError, AttributeError) as exc:
        problems.append(Mismatch(where, which, "a card state", data, f"{where}: {which} is not a card state ({exc})"))
        return None


def differences(expected: CardState, actual: CardState, fields=ALL_FIELDS) -> list[tuple[str, object, object]]:
    """(field, expected, actual) for each field that differs; a None `expected.due` means 'any'."""
    out = []
    for name in fields:
        want, got = getattr(expected, name), getattr(actual, name)
        if name == "due" and want is None:
            continue
        if want != got:
            out.append((name, want, got))
    return out


def is_fresh(state: CardState) -> bool:
    """A new card's state: never reviewed (the due date of a new card is not checked)."""
    return not differences(NEW_CARD, state, EXACT_FIELDS)


def fuzz_bounds(interval_days: int, maximum_interval: int) -> tuple[int, int]:
    """The whole days fsrs's fuzz can turn an `interval_days` interval into, both ends included.

    Mirrors `fsrs.Scheduler._get_fuzzed_interval` (6.x): no fuzz under 2.5 days; otherwise
    `round(random() * (max - min + 1) + min)`, which can round up to `max + 1`.
    """
    if interval_days < 2.5:
        return interval_days, interval_days
    delta = 1.0
    for fuzz_range in FUZZ_RANGES:
        delta += fuzz_range["factor"] * max(min(float(interval_days), fuzz_range["end"]) - fuzz_range["start"], 0.0)
    min_ivl = round(interval_days - delta)
    max_ivl = round(interval_days + delta)
    min_ivl = max(2, min_ivl)
    max_ivl = min(max_ivl, maximum_interval)
    min_ivl = min(min_ivl, max_ivl)
    return min_ivl, min(max_ivl + 1, maximum_interval)


def step_settings(step: ReplayStep, settings: SchedulerSettings) -> SchedulerSettings:
    """The settings a review was made with: the caller's, with the review's own parameters
    when the log records them."""
    return settings if step.parameters is None else replace(settings, parameters=tuple(step.parameters))


def _check_with_parameters(
    step: ReplayStep, before: CardState, after: CardState, settings: SchedulerSettings, current: SchedulerSettings
) -> list[Mismatch]:
    """(b) with the review's recorded parameters; a row that records none is also tried with
    the student's current parameters (it may predate the record, migration 0019)."""
    problems = _check_recomputed(step, before, after, step_settings(step, settings))
    unrecorded = step.parameters is None and current.parameters != settings.parameters
    if problems and unrecorded and not _check_recomputed(step, before, after, current):
        return []
    return problems


def _check_recomputed(step: ReplayStep, before: CardState, after: CardState, settings: SchedulerSettings):
    where = step.label
    problems: list[Mismatch] = []
    try:
        rating = Rating(step.rating)
    except ValueError:
        return [Mismatch(where, "rating", "1-4", step.rating, f"{where}: rating {step.rating!r} is not 1-4")]
    try:
        recomputed = scheduling.review(before, rating, step.reviewed_at, replace(settings, enable_fuzzing=False)).state
    except (AssertionError, TypeError, ValueError) as exc:
        return [Mismatch(where, "state_before", "a schedulable state", before, f"{where}: FSRS rejects it: {exc}")]
    for name, want, got in differences(recomputed, after, EXACT_FIELDS):
        hint = " (the scheduler settings may have changed since)" if name in SETTINGS_DEPENDENT else ""
        problems.append(
            Mismatch(
                where,
                name,
                want,
                got,
                f"{where}: stored {name} {_show(got)}, FSRS recomputes {_show(want)}{hint}",
            )
        )
    if after.due is None:
        problems.append(Mismatch(where, "due", recomputed.due, None, f"{where}: stored due is empty"))
    elif recomputed.state == State.REVIEW and after.state == State.REVIEW:
        # Fuzz moves the due date of a review-state card by whole days; fuzz may have been on
        # when the review was made (the log does not record the setting), so allow its range.
        interval = recomputed.due - step.reviewed_at
        low, high = fuzz_bounds(interval.days, settings.maximum_interval)
        got = after.due - step.reviewed_at
        if got.seconds or got.microseconds or got.days < low or got.days > high:
            problems.append(
                Mismatch(
                    where,
                    "due",
                    recomputed.due,
                    after.due,
                    f"{where}: stored due {_show(after.due)} is {_days(got)} after the review, outside "
                    f"{low}-{high} days (fuzz around the recomputed {interval.days}-day interval; the scheduler "
                    "settings may have changed since)",
                )
            )
    elif recomputed.due != after.due:
        problems.append(
            Mismatch(
                where,
                "due",
                recomputed.due,
                after.due,
                f"{where}: stored due {_show(after.due)}, FSRS recomputes {_show(recomputed.due)} "
                "(the scheduler settings may have changed since)",
            )
        )
    return problems


def _days(delta: timedelta) -> str:
    days = delta.total_seconds() / 86400
    return f"{days:g} days" if not math.isclose(days, round(days)) else f"{round(days)} days"


def restated(history: list[ReplayStep], settings: SchedulerSettings) -> CardState | None:
    """The state a refit under `settings` gives a card whose live reviews are `history`."""
    reviews = []
    for step in history:
        try:
            was_new = is_fresh(CardState.from_json(step.state_before))
        except (TypeError, ValueError, AttributeError):
            return None
        reviews.append((step.rating, step.reviewed_at, was_new))
    try:
        return restate.recomputed(reviews, settings)
    except (AssertionError, TypeError, ValueError):
        return None


def is_restated(state: CardState, gaps: list, history: list[ReplayStep], settings: SchedulerSettings) -> bool:
    """Do the differences `gaps` (field, expected, actual) only say that a refit under
    `settings` recomputed the memory state (`state`) from the live reviews `history`?"""
    if not gaps or not history or {name for name, _want, _got in gaps} - MEMORY_FIELDS:
        return False
    again = restated(history, settings)
    return again is not None and (again.stability, again.difficulty) == (state.stability, state.difficulty)


def check_history(
    initial: CardState,
    steps: list[ReplayStep],
    settings: SchedulerSettings,
    current: SchedulerSettings | None = None,
) -> Replay:
    """Replay a card's log (all its rows, in insertion order: reviews and undos); never raises.
    `current`: the settings with the parameters the student has now (default: `settings`)."""
    current = current or settings
    problems: list[Mismatch] = []
    restarts: list[str] = []
    reviews = {s.log_id: s for s in steps if s.kind == REVIEW and s.log_id is not None}
    undone: dict[int, ReplayStep] = {}
    live_stack: list[ReplayStep] = []  # live reviews, in order, as the log unfolds
    for step in steps:
        if step.kind == REVIEW:
            live_stack.append(step)
            continue
        if step.kind != UNDO:
            problems.append(Mismatch(step.label, "kind", "review or undo", step.kind, f"{step.label}: unknown kind"))
            continue
        target = reviews.get(step.undoes)
        if target is None:
            problems.append(
                Mismatch(
                    step.label,
                    "undoes",
                    "a review of this card",
                    step.undoes,
                    f"{step.label}: undoes no review of this card",
                )
            )
            continue
        if step.undoes in undone:
            problems.append(
                Mismatch(step.label, "undoes", None, step.undoes, f"{step.label}: review {step.undoes} undone twice")
            )
            continue
        undone[step.undoes] = step
        if not live_stack or live_stack[-1].log_id != step.undoes:
            latest = live_stack[-1].log_id if live_stack else None
            problems.append(
                Mismatch(
                    step.label,
                    "undoes",
                    latest,
                    step.undoes,
                    f"{step.label}: undoes review {step.undoes}, but the card's latest live review was {latest}",
                )
            )
        live_stack = [s for s in live_stack if s.log_id != step.undoes]
        if step.state_before != target.state_after or step.state_after != target.state_before:
            problems.append(
                Mismatch(
                    step.label,
                    "state_after",
                    target.state_before,
                    step.state_after,
                    f"{step.label}: does not swap the states of review {step.undoes} (an undo restores state_before)",
                )
            )

    live = [s for s in steps if s.kind == REVIEW and s.log_id not in undone]
    previous: CardState = initial
    previous_step: ReplayStep | None = None
    for index, step in enumerate(live):
        where = step.label
        before = _parse(step.state_before, where, "state_before", problems)
        after = _parse(step.state_after, where, "state_after", problems)
        if before is None or after is None:
            previous, previous_step = (after or previous), step
            continue
        gaps = differences(previous, before)
        if gaps and previous_step is not None and is_fresh(before) and _newer_revision(step, previous_step):
            restarts.append(
                f"{where}: starts over from a new card (question revision {previous_step.question_revision} -> "
                f"{step.question_revision})"
            )
            gaps = []
        if is_restated(before, gaps, live[:index], step_settings(step, settings)):
            restarts.append(f"{where}: memory state recomputed by a refit")
            gaps = []
        for name, want, got in gaps:
            source = f"{previous_step.label} left" if previous_step else "a new card has"
            problems.append(
                Mismatch(
                    where, name, want, got, f"{where}: state_before {name} is {_show(got)}, {source} {_show(want)}"
                )
            )
        problems += _check_with_parameters(step, before, after, settings, current)
        previous, previous_step = after, step
    return Replay(state=previous, mismatches=problems, restarts=restarts, live=live)


def _newer_revision(step: ReplayStep, earlier: ReplayStep) -> bool:
    return (
        step.question_revision is not None
        and earlier.question_revision is not None
        and step.question_revision > earlier.question_revision
    )


def replay(initial: CardState, reviews: list[ReplayStep], settings: SchedulerSettings) -> CardState:
    """The state a card's log leads to; ReplayMismatch (listing every problem) if the log is inconsistent.

    `reviews` is the card's log in insertion order; undo rows may be included (kind="undo")
    and take their review out of the chain."""
    result = check_history(initial, reviews, settings)
    if result.mismatches:
        raise ReplayMismatch(result.mismatches)
    return result.state


def expected_card_state(result: Replay, steps: list[ReplayStep]) -> CardState:
    """What the card's columns must hold: the last live review's state_after; with every
    review undone, the state before the first one; never studied, a new card (any due)."""
    if result.live:
        return result.state
    for step in steps:
        if step.kind == REVIEW:
            try:
                return CardState.from_json(step.state_before)
            except (TypeError, ValueError, AttributeError):
                break
    return NEW_CARD


def compare_card(
    stored: CardState,
    expected: CardState,
    *,
    question_revision: int | None = None,
    last_reviewed_revision: int | None = None,
) -> list[Mismatch]:
    """(c): the card's stored columns against the state its log leads to.

    A card reset to a new card after its last review is accepted when its question has a
    newer revision than the one last reviewed (a substantive edit starts cards over)."""
    gaps = differences(expected, stored)
    if (
        gaps
        and is_fresh(stored)
        and question_revision is not None
        and last_reviewed_revision is not None
        and question_revision > last_reviewed_revision
    ):
        return []
    return [
        Mismatch("card", name, want, got, f"{name} is {_show(got)}, the log says {_show(want)}")
        for name, want, got in gaps
    ]


def verify_card(
    stored: CardState,
    steps: list[ReplayStep],
    settings: SchedulerSettings,
    *,
    question_revision: int | None = None,
    current: SchedulerSettings | None = None,
) -> list[Mismatch]:
    """Every way a card and its log disagree: (a), (b), undo rows, then (c). `settings`: the
    course's with FSRS's default parameters (each review's own recorded parameters replace
    them); `current`: with the parameters that schedule the student now (a refit recomputed
    the card's memory state with them)."""
    current = current or settings
    result = check_history(NEW_CARD, steps, settings, current)
    reviewed = result.live or [s for s in steps if s.kind == REVIEW][:1]
    last = reviewed[-1].question_revision if reviewed else None
    expected = expected_card_state(result, steps)
    if result.live and is_restated(stored, differences(expected, stored), result.live, current):
        return result.mismatches
    return result.mismatches + compare_card(
        stored, expected, question_revision=question_revision, last_reviewed_revision=last
    )
