from datetime import UTC, datetime, timedelta

import fsrs
import pytest

from cards.core.scheduling import (
    CardState,
    Rating,
    SchedulerSettings,
    State,
    format_interval,
    new_card_state,
    next_states,
    retrievability,
    review,
    study_day,
    study_day_bounds,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
NO_FUZZ = SchedulerSettings(enable_fuzzing=False)


def _review_card(days_since: int = 10) -> CardState:
    """A card in the Review state, last seen `days_since` days ago and due now."""
    state = new_card_state(NOW - timedelta(days=days_since + 30))
    moment = NOW - timedelta(days=days_since + 30)
    for _ in range(3):
        outcome = review(state, Rating.GOOD, moment, NO_FUZZ)
        state = outcome.state
        moment = state.due
    return CardState(**{**state.__dict__, "due": NOW, "last_review": NOW - timedelta(days=days_since)})


def test_intervals_grow_again_hard_good_easy_for_a_review_card():
    state = _review_card()
    assert state.state == State.REVIEW
    outcomes = next_states(state, NOW, NO_FUZZ)
    intervals = [outcomes[r].interval for r in (Rating.AGAIN, Rating.HARD, Rating.GOOD, Rating.EASY)]
    assert intervals == sorted(intervals)
    assert len(set(intervals)) == 4


def test_due_is_after_review_time():
    for rating in Rating:
        assert review(new_card_state(NOW), rating, NOW, NO_FUZZ).state.due > NOW


def test_agrees_with_a_direct_fsrs_call_without_fuzz():
    state = new_card_state(NOW)
    direct = fsrs.Scheduler(enable_fuzzing=False)
    card = fsrs.Card(card_id=7, due=NOW)
    moment = NOW
    for rating in (Rating.GOOD, Rating.GOOD, Rating.AGAIN, Rating.GOOD, Rating.EASY, Rating.HARD):
        ours = review(state, rating, moment, NO_FUZZ, card_id=7)
        card, _ = direct.review_card(card, fsrs.Rating(rating), moment)
        assert ours.state.due == card.due
        assert ours.state.stability == pytest.approx(card.stability)
        assert ours.state.difficulty == pytest.approx(card.difficulty)
        assert ours.state.state == int(card.state)
        state, moment = ours.state, card.due


def test_lapse_counted_only_when_a_review_card_is_forgotten():
    review_card = _review_card()
    assert review(review_card, Rating.AGAIN, NOW, NO_FUZZ).state.lapses == review_card.lapses + 1
    assert review(new_card_state(NOW), Rating.AGAIN, NOW, NO_FUZZ).state.lapses == 0


def test_reps_count_every_review():
    assert review(new_card_state(NOW), Rating.GOOD, NOW, NO_FUZZ).state.reps == 1


def test_desired_retention_changes_intervals():
    state = _review_card()
    low = review(state, Rating.GOOD, NOW, SchedulerSettings(desired_retention=0.8, enable_fuzzing=False))
    high = review(state, Rating.GOOD, NOW, SchedulerSettings(desired_retention=0.95, enable_fuzzing=False))
    assert low.interval > high.interval


def test_learning_steps_come_from_settings():
    settings = SchedulerSettings(learning_steps=(2, 30), enable_fuzzing=False)
    assert review(new_card_state(NOW), Rating.AGAIN, NOW, settings).interval == timedelta(minutes=2)


def test_state_round_trips_through_json():
    state = _review_card()
    assert CardState.from_json(state.to_json()) == state


def test_non_utc_now_is_accepted():
    from zoneinfo import ZoneInfo

    local = NOW.astimezone(ZoneInfo("Europe/Paris"))
    assert (
        review(new_card_state(NOW), Rating.GOOD, local, NO_FUZZ).state.due
        == review(new_card_state(NOW), Rating.GOOD, NOW, NO_FUZZ).state.due
    )


def test_naive_now_is_refused():
    with pytest.raises(ValueError, match="naive"):
        review(new_card_state(NOW), Rating.GOOD, datetime(2026, 1, 1), NO_FUZZ)  # noqa: DTZ001


def test_retrievability_is_zero_for_new_and_falls_with_time():
    state = _review_card(days_since=1)
    assert retrievability(new_card_state(NOW), NOW) == 0.0
    assert retrievability(state, NOW) > retrievability(state, NOW + timedelta(days=60)) > 0


@pytest.mark.parametrize(
    ("interval", "label"),
    [
        (timedelta(seconds=30), "30s"),
        (timedelta(minutes=10), "10m"),
        (timedelta(hours=5), "5h"),
        (timedelta(days=4), "4d"),
        (timedelta(days=75), "2.5mo"),
        (timedelta(days=438), "1.2y"),
    ],
)
def test_format_interval_like_anki(interval, label):
    assert format_interval(interval) == label


def test_study_day_rolls_over_at_four_local():
    tz = "America/New_York"  # UTC-5 in March before DST
    before = datetime(2026, 3, 2, 8, 59, tzinfo=UTC)  # 03:59 local
    after = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # 04:00 local
    assert str(study_day(before, tz)) == "2026-03-01"
    assert str(study_day(after, tz)) == "2026-03-02"
    start, end = study_day_bounds(after, tz)
    assert start == after
    assert end == after + timedelta(days=1)
