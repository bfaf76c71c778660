"""The workload forecast, pure (cards.core.forecast): its shape, a higher retention costs more
reviews, it starts from the studied cards' own state, safety-critical cards cost more at a
low retention, the recommended band and the least work marked, and the same deck gives the
same forecast."""

import pytest

from cards.core import forecast as sim
from cards.core.fitting import DEFAULT_PARAMETERS


def deck(**changes) -> sim.Deck:
    values = {
        "parameters": DEFAULT_PARAMETERS,
        "studied": (),
        "new_cards": 60,
        "new_per_day": 10,
        "reviews_per_day": 500,
        "maximum_interval": 36500,
        "learning_steps": 2,
        "relearning_steps": 1,
    }
    return sim.Deck(**{**values, **changes})


def studied(n: int, *, stability: float = 5.0, due_in: int = 0, safety: bool = False) -> tuple:
    return tuple(
        sim.StudiedCard(
            stability=stability + i % 7,
            difficulty=5.0,
            elapsed_days=3,
            due_in_days=due_in + i % 5,
            safety_critical=safety,
        )
        for i in range(n)
    )


def test_one_row_per_retention_each_with_a_value_a_day():
    fc = sim.forecast(deck(studied=studied(20)))
    assert [r.retention for r in fc.rows] == list(sim.RETENTIONS)
    assert fc.days == 30
    for row in fc.rows:
        assert len(row.reviews) == 30 and len(row.new) == 30
        assert all(v >= 0 for v in row.reviews)
    assert sum(fc.rows[0].new) == pytest.approx(60)  # every new card seen within 30 days at 10 a day
    assert fc.rows[0].new[0] == pytest.approx(10)


@pytest.mark.parametrize("cards", [(), studied(40)], ids=["new deck", "with studied cards"])
def test_a_higher_retention_means_more_reviews_and_more_remembered(cards):
    fc = sim.forecast(deck(studied=cards))
    totals = [r.total for r in fc.rows]
    assert totals == sorted(totals), totals
    assert totals[-1] > 2 * totals[0]  # 0.97 against 0.70: far more work
    remembered = [r.remembered for r in fc.rows]
    assert remembered[-1] > remembered[0]


def test_studied_cards_come_back_on_their_due_day_first():
    later = sim.forecast(deck(new_cards=0, studied=studied(10, stability=50.0, due_in=10)))
    for row in later.rows:
        assert sum(row.reviews[:10]) == 0  # none due before day 10, whatever the retention
        assert row.reviews[10] > 0
    assert sim.forecast(deck(new_cards=0, studied=())).rows[0].total == 0


def test_the_daily_limit_carries_what_it_leaves_to_the_next_day():
    fc = sim.forecast(deck(new_cards=0, studied=studied(30, due_in=-2), reviews_per_day=10))
    first = fc.row(0.9)
    assert first.reviews[0] == pytest.approx(10) and first.reviews[1] == pytest.approx(10)
    assert max(first.reviews) <= 10 + 1e-9


def test_safety_critical_cards_cost_more_at_a_low_retention_and_the_same_above_their_floor():
    plain = sim.forecast(deck(studied=studied(20)))
    safety = sim.forecast(deck(studied=studied(20, safety=True), safety_new_cards=30, safety_retention=0.95))
    assert safety.row(0.7).total > 1.3 * plain.row(0.7).total
    assert safety.row(0.97).total == pytest.approx(plain.row(0.97).total, rel=0.25)


def test_the_recommended_band_and_the_least_work_in_it_are_marked():
    fc = sim.forecast(deck(studied=studied(20)))
    assert [r.retention for r in fc.rows if r.recommended] == [0.8, 0.85, 0.9, 0.93, 0.95]
    optimal = [r for r in fc.rows if r.optimal]
    assert len(optimal) == 1 and optimal[0].recommended and fc.optimal is optimal[0]
    in_band = [r.work_per_card for r in fc.rows if r.recommended]
    assert optimal[0].work_per_card == min(in_band)


def test_the_same_deck_gives_the_same_forecast_and_a_large_one_fewer_runs():
    one = deck(studied=studied(30))
    assert sim.forecast(one) == sim.forecast(one)
    assert sim.samples_for(one) == sim.SAMPLES
    assert sim.samples_for(deck(studied=studied(2000))) == 1
