"""cards.core.replay: a card's log is replayed and checked, fuzz or no fuzz (pure, no database)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import fsrs
import fsrs.scheduler
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.core import replay, scheduling
from cards.core.replay import (
    NEW_CARD,
    ReplayMismatch,
    ReplayStep,
    check_history,
    compare_card,
    fuzz_bounds,
    verify_card,
)
from cards.core.scheduling import CardState, Rating, SchedulerSettings

T0 = datetime(2026, 3, 2, 15, 0, 0, 250000, tzinfo=UTC)
FUZZ = SchedulerSettings()  # the app's default: fuzz on
NO_FUZZ = SchedulerSettings(enable_fuzzing=False)


class Log:
    """Builds a card's log the way cards.services.study writes it."""

    def __init__(self, settings: SchedulerSettings = FUZZ, start: datetime = T0, revision: int = 1):
        self.settings = settings
        self.state = scheduling.new_card_state(start)
        self.now = start
        self.rows: list[ReplayStep] = []
        self.revision = revision

    def _add(self, **kwargs) -> ReplayStep:
        row = ReplayStep(log_id=len(self.rows) + 1, question_revision=self.revision, **kwargs)
        self.rows.append(row)
        return row

    def review(self, rating: int, after: timedelta = timedelta(0), *, at: datetime | None = None) -> ReplayStep:
        self.now = at or self.now + after
        outcome = scheduling.review(self.state, Rating(rating), self.now, self.settings)
        row = self._add(
            rating=rating,
            reviewed_at=self.now,
            state_before=self.state.to_json(),
            state_after=outcome.state.to_json(),
        )
        self.state = outcome.state
        return row

    def undo(self, row: ReplayStep, after: timedelta = timedelta(seconds=5)) -> ReplayStep:
        self.now += after
        self.state = CardState.from_json(row.state_before)
        return self._add(
            rating=None,
            reviewed_at=self.now,
            state_before=row.state_after,
            state_after=row.state_before,
            kind="undo",
            undoes=row.log_id,
        )

    def rerate(self, row: ReplayStep, rating: int) -> ReplayStep:
        """As services.study.rerate_review: undo, then the same moment with another rating."""
        self.undo(row)
        return self.review(rating, at=row.reviewed_at)


def a_long_history(settings: SchedulerSettings = FUZZ) -> Log:
    log = Log(settings)
    log.review(3)
    log.review(3, timedelta(minutes=1))
    log.review(3, timedelta(minutes=10))  # graduates: review state
    for days, rating in [(1, 3), (3, 3), (8, 4), (20, 1), (0, 3), (1, 2), (4, 3), (12, 3), (40, 3)]:
        log.review(rating, timedelta(days=days, minutes=10 if days == 0 else 0))
    return log


def stored(log: Log) -> CardState:
    return log.state


def test_a_fuzzed_history_replays_clean():
    log = a_long_history()
    assert replay.replay(NEW_CARD, log.rows, FUZZ) == log.state
    assert verify_card(stored(log), log.rows, FUZZ) == []


def test_fuzz_does_move_due_dates_so_an_exact_check_would_fail():
    """Why the check allows a range: two identical histories end with different due dates."""
    dues = {a_long_history().state.due for _ in range(30)}
    assert len(dues) > 1


def test_undo_and_rerate_take_reviews_out_of_the_chain():
    log = Log()
    first = log.review(3)
    log.undo(first)  # back to a new card
    good = log.review(3, timedelta(minutes=2))
    log.rerate(good, 4)  # graduates with Easy
    later = log.review(3, timedelta(days=5))
    log.undo(later)
    assert log.state.reps == 1
    result = check_history(NEW_CARD, log.rows, FUZZ)
    assert result.mismatches == []
    assert [s.rating for s in result.live] == [4]
    assert verify_card(log.state, log.rows, FUZZ) == []


def test_a_card_whose_every_review_was_undone_is_back_to_its_first_state():
    log = Log()
    first = log.review(1)
    log.undo(first)
    assert verify_card(log.state, log.rows, FUZZ) == []
    assert log.state.due == T0  # the new card's own due date is checked too
    moved = replace(log.state, due=T0 + timedelta(days=1))
    assert [m.field for m in verify_card(moved, log.rows, FUZZ)] == ["due"]


def test_a_never_studied_card_must_look_new():
    assert verify_card(scheduling.new_card_state(T0), [], FUZZ) == []
    studied = replace(scheduling.new_card_state(T0), reps=2)
    (problem,) = verify_card(studied, [], FUZZ)
    assert str(problem) == "reps is 2, the log says 0"


# --- what is caught ---------------------------------------------------------------------


def test_the_card_columns_must_equal_the_last_live_review():
    log = a_long_history()
    tampered = replace(log.state, stability=log.state.stability * 2)
    (problem,) = verify_card(tampered, log.rows, FUZZ)
    assert problem.field == "stability" and problem.where == "card"
    assert str(problem) == f"stability is {log.state.stability * 2!r}, the log says {log.state.stability!r}"


def test_a_broken_chain_is_reported():
    log = a_long_history()
    row = log.rows[5]
    before = {**row.state_before, "difficulty": row.state_before["difficulty"] + 0.5}
    log.rows[5] = replace(row, state_before=before)
    problems = check_history(NEW_CARD, log.rows, FUZZ).mismatches
    assert any(
        p.where == "review 6"
        and p.field == "difficulty"
        and "state_before difficulty" in str(p)
        and "review 5 left" in str(p)
        for p in problems
    )


def test_the_first_review_must_start_from_a_new_card():
    log = Log()
    log.review(3)
    log.rows[0] = replace(log.rows[0], state_before={**log.rows[0].state_before, "reps": 3})
    problems = check_history(NEW_CARD, log.rows, FUZZ).mismatches
    assert "review 1: state_before reps is 3, a new card has 0" in [str(p) for p in problems]


@pytest.mark.parametrize("field", ["stability", "difficulty", "reps", "lapses", "state", "step", "last_review"])
def test_a_stored_result_fsrs_does_not_recompute_is_reported(field):
    log = a_long_history()
    row = log.rows[7]
    after = dict(row.state_after)
    after[field] = {
        "stability": (after["stability"] or 0) + 0.01,
        "difficulty": (after["difficulty"] or 0) + 0.01,
        "reps": after["reps"] + 1,
        "lapses": after["lapses"] + 1,
        "state": 3 if after["state"] != 3 else 2,
        "step": 5,
        "last_review": (row.reviewed_at + timedelta(seconds=1)).isoformat(),
    }[field]
    log.rows[7] = replace(row, state_after=after)
    problems = check_history(NEW_CARD, log.rows[:8], FUZZ).mismatches
    assert field in {p.field for p in problems if p.where == "review 8"}


def test_a_rating_changed_after_the_fact_is_reported():
    log = a_long_history()
    log.rows[4] = replace(log.rows[4], rating=1)
    with pytest.raises(ReplayMismatch) as caught:
        replay.replay(NEW_CARD, log.rows, FUZZ)
    assert any(m.where == "review 5" for m in caught.value.mismatches)


def test_learning_steps_must_be_due_to_the_second():
    log = Log()
    log.review(3)
    row = log.rows[0]
    assert row.state_after["state"] == 1  # a learning step: no fuzz
    due = datetime.fromisoformat(row.state_after["due"])
    log.rows[0] = replace(row, state_after={**row.state_after, "due": (due + timedelta(minutes=1)).isoformat()})
    (problem,) = check_history(NEW_CARD, log.rows, FUZZ).mismatches
    assert problem.field == "due" and "FSRS recomputes" in str(problem)


def test_a_review_due_date_outside_the_fuzz_range_is_reported():
    log = a_long_history()
    row = log.rows[-1]
    assert row.state_after["state"] == 2
    interval = (
        scheduling.review(CardState.from_json(row.state_before), Rating(row.rating), row.reviewed_at, NO_FUZZ).state.due
        - row.reviewed_at
    )
    low, high = fuzz_bounds(interval.days, FUZZ.maximum_interval)
    for days, ok in [(low, True), (high, True), (low - 1, False), (high + 1, False)]:
        due = (row.reviewed_at + timedelta(days=days)).isoformat()
        rows = [*log.rows[:-1], replace(row, state_after={**row.state_after, "due": due})]
        problems = check_history(NEW_CARD, rows, FUZZ).mismatches
        assert (problems == []) is ok, (days, low, high, problems)
    off_by_an_hour = (row.reviewed_at + timedelta(days=low, hours=1)).isoformat()
    rows = [*log.rows[:-1], replace(row, state_after={**row.state_after, "due": off_by_an_hour})]
    (problem,) = check_history(NEW_CARD, rows, FUZZ).mismatches
    assert "outside" in str(problem)


def test_undo_rows_are_checked():
    log = Log()
    first = log.review(3)
    second = log.review(3, timedelta(minutes=1))
    undo = log.undo(second)
    ok = list(log.rows)
    assert check_history(NEW_CARD, ok, FUZZ).mismatches == []

    not_swapped = [*ok[:-1], replace(undo, state_after=undo.state_before)]
    assert "does not swap the states" in str(check_history(NEW_CARD, not_swapped, FUZZ).mismatches[0])

    of_an_older_review = [*ok[:-1], replace(undo, undoes=first.log_id)]
    texts = [str(m) for m in check_history(NEW_CARD, of_an_older_review, FUZZ).mismatches]
    assert "undo 3: undoes review 1, but the card's latest live review was 2" in texts

    of_nothing = [*ok[:-1], replace(undo, undoes=99)]
    assert "undoes no review of this card" in str(check_history(NEW_CARD, of_nothing, FUZZ).mismatches[0])

    twice = [*ok, replace(undo, log_id=4)]
    assert "undone twice" in str(check_history(NEW_CARD, twice, FUZZ).mismatches[0])


def test_unreadable_states_are_mismatches_not_crashes():
    log = Log()
    log.review(3)
    log.rows[0] = replace(log.rows[0], state_after={"bogus": 1})
    problems = check_history(NEW_CARD, log.rows, FUZZ).mismatches
    assert "review 1: state_after is not a card state" in str(problems[0])
    log.rows[0] = replace(log.rows[0], rating=7, state_after=log.state.to_json())
    assert "rating 7 is not 1-4" in str(check_history(NEW_CARD, log.rows, FUZZ).mismatches[0])


# --- a reset by a substantive question edit ---------------------------------------------


def test_a_restart_from_a_new_card_needs_a_newer_question_revision():
    log = Log()
    log.review(3)
    log.review(3, timedelta(minutes=1))
    last_revision_reviewed = log.revision
    # the instructor's substantive edit: revision 2, the card starts over (no log row)
    log.revision = 2
    log.state = scheduling.new_card_state(log.now + timedelta(hours=1))
    left = CardState.from_json(log.rows[-1].state_after)
    assert compare_card(log.state, left) != []
    assert compare_card(log.state, left, question_revision=2, last_reviewed_revision=last_revision_reviewed) == []
    assert verify_card(log.state, log.rows, FUZZ, question_revision=2) == []
    assert verify_card(log.state, log.rows, FUZZ, question_revision=1) != []
    log.review(3, timedelta(hours=2))
    result = check_history(NEW_CARD, log.rows, FUZZ)
    assert result.mismatches == [] and len(result.restarts) == 1
    # the same restart without a newer revision is a broken chain
    same = [replace(r, question_revision=1) for r in log.rows]
    assert check_history(NEW_CARD, same, FUZZ).mismatches


# --- the fuzz range mirrors fsrs --------------------------------------------------------


@pytest.mark.parametrize("r", [0.0, 0.5, 0.999999999])
@pytest.mark.parametrize("days", [0, 1, 2, 3, 4, 6, 7, 10, 19, 20, 21, 45, 100, 365, 3650, 36499, 36500])
def test_fuzz_bounds_contain_every_fuzzed_interval(monkeypatch, r, days):
    monkeypatch.setattr(fsrs.scheduler, "random", lambda: r)
    scheduler = fsrs.Scheduler(enable_fuzzing=True)
    fuzzed = scheduler._get_fuzzed_interval(interval=timedelta(days=days)).days
    low, high = fuzz_bounds(days, scheduler.maximum_interval)
    assert low <= fuzzed <= high
    if r == 0.0:
        assert fuzzed == low


def test_fsrs_can_round_up_past_its_own_maximum(monkeypatch):
    """fsrs draws round(random() * (max - min + 1) + min): close to 1 that is max + 1."""
    monkeypatch.setattr(fsrs.scheduler, "random", lambda: 0.999999)
    scheduler = fsrs.Scheduler(enable_fuzzing=True)
    low, high = fuzz_bounds(10, scheduler.maximum_interval)
    assert (low, high) == (8, 13)  # fsrs's own range for 10 days is 8..12
    assert scheduler._get_fuzzed_interval(interval=timedelta(days=10)).days == 13


@settings(max_examples=200, deadline=None)
@given(
    days=st.integers(min_value=0, max_value=40000),
    maximum=st.integers(min_value=1, max_value=36500),
    r=st.floats(min_value=0, max_value=1, exclude_max=True),
)
def test_fuzz_bounds_property(days, maximum, r):
    days = min(days, maximum)
    scheduler = fsrs.Scheduler(enable_fuzzing=True, maximum_interval=maximum)
    original = fsrs.scheduler.random
    fsrs.scheduler.random = lambda: r
    try:
        fuzzed = scheduler._get_fuzzed_interval(interval=timedelta(days=days)).days
    finally:
        fsrs.scheduler.random = original
    low, high = fuzz_bounds(days, maximum)
    assert low <= fuzzed <= high


# --- any honest history replays clean --------------------------------------------------

ratings = st.sampled_from([1, 2, 3, 4])
gaps = st.sampled_from(
    [timedelta(0), timedelta(minutes=1), timedelta(minutes=10), timedelta(hours=5), timedelta(days=1)]
) | st.builds(timedelta, days=st.integers(0, 400), minutes=st.integers(0, 1440))
actions = st.lists(st.tuples(st.sampled_from(["review", "review", "review", "undo"]), ratings, gaps), max_size=25)


@settings(max_examples=150, deadline=None)
@given(
    actions=actions,
    fuzz=st.booleans(),
    retention=st.sampled_from([0.8, 0.9, 0.95]),
    maximum=st.sampled_from([36500, 30, 5]),
    steps=st.sampled_from([(1, 10), (), (5,), (1, 10, 60)]),
)
def test_any_honest_history_replays_clean(actions, fuzz, retention, maximum, steps):
    cfg = SchedulerSettings(
        desired_retention=retention, learning_steps=steps, maximum_interval=maximum, enable_fuzzing=fuzz
    )
    log = Log(cfg)
    live: list[ReplayStep] = []
    for action, rating, gap in actions:
        if action == "undo" and live:
            log.undo(live.pop())
        else:
            live.append(log.review(rating, gap))
    result = check_history(NEW_CARD, log.rows, cfg)
    assert result.mismatches == []
    assert [s.log_id for s in result.live] == [s.log_id for s in live]
    assert verify_card(log.state, log.rows, cfg) == []
