"""cards.core.restate: a card's memory state recomputed from its log under other parameters."""

from datetime import UTC, datetime, timedelta

import pytest

from cards.core import restate, scheduling
from cards.core.fitting import DEFAULT_PARAMETERS
from cards.core.scheduling import Rating, SchedulerSettings

T0 = datetime(2026, 2, 1, 9, 0, tzinfo=UTC)
LOG = [(3, T0, True), (3, T0 + timedelta(minutes=10), False), (1, T0 + timedelta(days=4), False),
       (3, T0 + timedelta(days=4, minutes=10), False), (4, T0 + timedelta(days=9), False)]  # fmt: skip


def test_with_the_same_settings_it_is_what_answering_gave():
    settings = SchedulerSettings(enable_fuzzing=False)
    state = scheduling.new_card_state(T0)
    for rating, at, _new in LOG:
        state = scheduling.review(state, Rating(rating), at, settings).state
    again = restate.recomputed(LOG, settings)
    assert (again.stability, again.difficulty, again.state) == (state.stability, state.difficulty, state.state)


def test_other_parameters_give_another_memory_and_a_reset_starts_again():
    bigger = list(DEFAULT_PARAMETERS)
    bigger[2] = 20.0
    default = restate.recomputed(LOG[:1], SchedulerSettings())
    fitted = restate.recomputed(LOG[:1], SchedulerSettings(parameters=tuple(bigger)))
    assert default.stability == pytest.approx(DEFAULT_PARAMETERS[2]) and fitted.stability == pytest.approx(20.0)
    reset = [*LOG, (3, T0 + timedelta(days=30), True)]  # the question was revised: a new card again
    assert restate.recomputed(reset, SchedulerSettings()).stability == pytest.approx(DEFAULT_PARAMETERS[2])
    assert restate.recomputed([], SchedulerSettings()) is None
