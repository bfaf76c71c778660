from datetime import UTC, date, datetime, timedelta

import pytest

from cards.core.analytics import (
    ItemStats,
    card_retrievabilities,
    daily_counts,
    discrimination_index,
    distractor_counts,
    facility,
    forecast,
    item_analysis,
    item_flags,
    mastery,
    point_biserial,
    retention_counts,
    streak,
    true_retention,
)
from cards.core.scheduling import CardState, Rating, SchedulerSettings, State, new_card_state, review

# Five students (ids 1-5), three 0/1 items.
#
#   student  q1  q2  q3  total
#      1      0   0   0    0
#      2      0   0   1    1
#      3      1   0   1    2
#      4      1   1   0    2
#      5      1   1   0    2
#
# Groups: k = ceil(0.27 * 5) = ceil(1.35) = 2. Sorted by (total, id): 1(0) 2(1) 3(2) 4(2) 5(2).
# Lower group = students 1, 2; upper group = students 4, 5. Students 3, 4, 5 tie on 2: the
# tie-break by id sends 4 and 5 (the larger ids) up, and leaves 3 in the middle.
MATRIX = {
    1: {"q1": 0, "q2": 0, "q3": 0},
    2: {"q1": 0, "q2": 0, "q3": 1},
    3: {"q1": 1, "q2": 0, "q3": 1},
    4: {"q1": 1, "q2": 1, "q3": 0},
    5: {"q1": 1, "q2": 1, "q3": 0},
}
TOTALS = {s: float(sum(items.values())) for s, items in MATRIX.items()}


def _item(question):
    return {s: float(items[question]) for s, items in MATRIX.items()}


# --- facility --------------------------------------------------------------------------


def test_facility_is_share_correct():
    assert facility(3, 5) == pytest.approx(0.6)  # 3 / 5


def test_facility_of_partial_credit_is_mean_score():
    assert facility(1.5, 3) == pytest.approx(0.5)  # (1 + 0.5 + 0) / 3


def test_facility_none_without_responses():
    assert facility(0, 0) is None


# --- discrimination index ----------------------------------------------------------------


def test_discrimination_index_hand_computed():
    # q1: upper (4, 5) = (1 + 1) / 2 = 1; lower (1, 2) = (0 + 0) / 2 = 0; D = 1 - 0 = 1
    assert discrimination_index(TOTALS, _item("q1")) == pytest.approx(1.0)
    # q2: upper (4, 5) = 1; lower (1, 2) = 0; D = 1
    assert discrimination_index(TOTALS, _item("q2")) == pytest.approx(1.0)
    # q3: upper (4, 5) = (0 + 0) / 2 = 0; lower (1, 2) = (0 + 1) / 2 = 0.5; D = 0 - 0.5 = -0.5
    assert discrimination_index(TOTALS, _item("q3")) == pytest.approx(-0.5)


def test_discrimination_ties_broken_by_student_id():
    # All totals equal: sorted by id, lower = 1, 2 and upper = 3, 4 (k = ceil(0.27 * 4) = 2).
    # D = (1 + 1) / 2 - (0 + 0) / 2 = 1
    scores = {4: 1.0, 2: 1.0, 3: 1.0, 1: 1.0}
    item = {1: 0.0, 2: 0.0, 3: 1.0, 4: 1.0}
    assert discrimination_index(scores, item) == pytest.approx(1.0)


def test_discrimination_does_not_depend_on_dict_order():
    shuffled_totals = dict(reversed(list(TOTALS.items())))
    shuffled_item = dict(reversed(list(_item("q3").items())))
    assert discrimination_index(shuffled_totals, shuffled_item) == discrimination_index(TOTALS, _item("q3"))


def test_discrimination_group_size_not_inflated_by_float_error():
    # 0.27 * 100 = 27.000000000000004 in floating point; the groups must still be 27, not 28.
    # Students 0-72 score 0 on the item, 73-99 score 1: with k = 27 the upper group is exactly
    # the 27 right answers (D = 1 - 0 = 1); with k = 28 it would take one wrong one (D < 1).
    scores = {s: float(s) for s in range(100)}
    item = {s: 1.0 if s >= 73 else 0.0 for s in range(100)}
    assert discrimination_index(scores, item) == pytest.approx(1.0)


def test_discrimination_groups_never_overlap():
    # 3 students, fraction 0.5: ceil(1.5) = 2 is capped at 3 // 2 = 1, so student 2 is in neither.
    # upper = student 3 (1), lower = student 1 (0): D = 1
    scores = {1: 0.0, 2: 1.0, 3: 2.0}
    item = {1: 0.0, 2: 1.0, 3: 1.0}
    assert discrimination_index(scores, item, fraction=0.5) == pytest.approx(1.0)


def test_discrimination_only_counts_students_who_answered_the_item():
    # Student 3 did not see the item: the 2 who did form groups of 1. D = 1 - 0 = 1
    assert discrimination_index({1: 0.0, 2: 5.0, 3: 9.0}, {1: 0.0, 2: 1.0}) == pytest.approx(1.0)


def test_discrimination_none_for_one_student_or_empty_groups():
    assert discrimination_index({1: 3.0}, {1: 1.0}) is None
    assert discrimination_index({}, {}) is None
    assert discrimination_index(TOTALS, _item("q1"), fraction=0) is None


def test_discrimination_rejects_fraction_above_half():
    with pytest.raises(ValueError, match="fraction"):
        discrimination_index(TOTALS, _item("q1"), fraction=0.6)


# --- point-biserial (rest score) -------------------------------------------------------


def test_point_biserial_hand_computed_with_rest_score():
    # q1: x = (0, 0, 1, 1, 1), rest = total - x = (0, 1, 1, 1, 1); means 0.6 and 0.8
    #   dx = (-.6, -.6, .4, .4, .4), dy = (-.8, .2, .2, .2, .2)
    #   Sxy = .48 - .12 + 3 * .08 = .6; Sxx = 2 * .36 + 3 * .16 = 1.2; Syy = .64 + 4 * .04 = .8
    #   r = .6 / sqrt(1.2 * .8) = .6 / sqrt(.96) = 0.6124
    assert point_biserial(TOTALS, _item("q1")) == pytest.approx(0.6124, abs=1e-4)
    # q3: x = (0, 1, 1, 0, 0), rest = (0, 0, 1, 2, 2); means 0.4 and 1
    #   dx = (-.4, .6, .6, -.4, -.4), dy = (-1, -1, 0, 1, 1)
    #   Sxy = .4 - .6 + 0 - .4 - .4 = -1; Sxx = 3 * .16 + 2 * .36 = 1.2; Syy = 4
    #   r = -1 / sqrt(4.8) = -0.4564
    assert point_biserial(TOTALS, _item("q3")) == pytest.approx(-0.4564, abs=1e-4)


def test_point_biserial_leaves_the_item_out_of_the_total():
    # q2: x = (0, 0, 0, 1, 1), rest = (0, 1, 2, 1, 1); means 0.4 and 1
    #   dx = (-.4, -.4, -.4, .6, .6), dy = (-1, 0, 1, 0, 0); Sxy = .4 + 0 - .4 + 0 + 0 = 0, r = 0.
    # Against the uncorrected total (0, 1, 2, 2, 2) it would be 1.2 / sqrt(1.2 * 2.8) = 0.65:
    # only because the item's own score is part of the total.
    assert point_biserial(TOTALS, _item("q2")) == pytest.approx(0.0, abs=1e-12)


def test_point_biserial_none_when_everyone_right():
    scores = {1: 3.0, 2: 2.0, 3: 1.0}
    assert point_biserial(scores, {1: 1.0, 2: 1.0, 3: 1.0}) is None  # Var(x) = 0


def test_point_biserial_none_when_rest_scores_all_equal():
    # rest = (2 - 1, 1 - 0) = (1, 1): Var(rest) = 0
    assert point_biserial({1: 2.0, 2: 1.0}, {1: 1.0, 2: 0.0}) is None


def test_point_biserial_none_for_fewer_than_two_students():
    assert point_biserial({1: 2.0}, {1: 1.0}) is None
    assert point_biserial({}, {}) is None


def test_point_biserial_two_students_is_perfect():
    # x = (1, 0), rest = (2, 1): both move together, r = 1
    assert point_biserial({1: 3.0, 2: 1.0}, {1: 1.0, 2: 0.0}) == pytest.approx(1.0)


# --- distractors, flags ----------------------------------------------------------------


def test_distractor_counts_include_zeros_and_keep_order():
    picks = [(11,), (12,), (11,), (11, 13), ()]
    # 11: responses 1, 3, 4 -> 3; 12: response 2 -> 1; 13: response 4 -> 1; 14: none -> 0
    counts = distractor_counts(picks, [14, 11, 12, 13])
    assert counts == {14: 0, 11: 3, 12: 1, 13: 1}
    assert list(counts) == [14, 11, 12, 13]


def test_distractor_counts_one_per_response_and_ignore_unknown_ids():
    assert distractor_counts([(1, 1), (99,)], [1, 2]) == {1: 1, 2: 0}


def test_distractor_counts_no_responses():
    assert distractor_counts([], ["a", "b"]) == {"a": 0, "b": 0}


@pytest.mark.parametrize(
    ("fac", "disc", "pbis", "expected"),
    [
        (0.6, 0.5, 0.4, []),
        (0.6, -0.1, 0.3, ["negative_discrimination"]),
        (0.6, 0.3, -0.05, ["negative_discrimination"]),
        (0.9, 0.3, 0.3, ["too_easy"]),  # 0.9 is already too easy
        (0.2, 0.3, 0.3, ["too_hard"]),  # 0.2 is already too hard
        (0.21, 0.2, 0.3, []),  # 0.2 is no longer weak
        (0.5, 0.0, 0.1, ["weak_discrimination"]),
        (0.5, 0.19, 0.1, ["weak_discrimination"]),
        (1.0, 0.0, None, ["too_easy", "weak_discrimination"]),
        (None, None, None, []),
    ],
)
def test_item_flags(fac, disc, pbis, expected):
    assert item_flags(fac, disc, pbis) == expected


# --- item analysis ---------------------------------------------------------------------


def _responses():
    picks = {1: (10,), 0: (11,)}  # choice 10 is right, 11 the distractor
    return [(s, q, float(x), picks[x]) for s, items in MATRIX.items() for q, x in items.items()]


def test_item_analysis_hand_computed():
    choices = {"q1": (10, 11), "q2": (10, 11), "q3": (10, 11)}
    stats = {s.question_id: s for s in item_analysis(_responses(), choices)}
    q1, q2, q3 = stats["q1"], stats["q2"], stats["q3"]
    # q1: 3 of 5 right; D = 1, r = 0.6124 (see above)
    assert (q1.responses, q1.facility, q1.flags) == (5, pytest.approx(0.6), [])
    assert q1.discrimination == pytest.approx(1.0)
    assert q1.point_biserial == pytest.approx(0.6124, abs=1e-4)
    assert q1.distractors == {10: 3, 11: 2}
    # q2: 2 of 5; D = 1, r = 0: nothing to flag
    assert (q2.facility, q2.flags) == (pytest.approx(0.4), [])
    # q3: 2 of 5; D = -0.5, r = -0.4564
    assert q3.facility == pytest.approx(0.4)
    assert q3.discrimination == pytest.approx(-0.5)
    assert q3.flags == ["negative_discrimination"]
    assert q3.distractors == {10: 2, 11: 3}


def test_item_analysis_counts_first_response_only():
    rows = [
        (1, "q", 0.0, (2,)),
        (2, "q", 1.0, (1,)),
        (1, "q", 1.0, (1,)),  # retake: ignored
    ]
    [stats] = item_analysis(rows, {"q": (1, 2)})
    # facility = (0 + 1) / 2; the retake adds neither a response nor a pick
    assert (stats.responses, stats.facility, stats.distractors) == (2, 0.5, {1: 1, 2: 1})


def test_item_analysis_partial_credit_facility_is_mean_score():
    rows = [(1, "m", 1.0, (1, 2)), (2, "m", 0.5, (1,)), (3, "m", 0.0, (3,))]
    [stats] = item_analysis(rows, {"m": (1, 2, 3)})
    assert stats.facility == pytest.approx(0.5)  # (1 + 0.5 + 0) / 3
    assert stats.distractors == {1: 2, 2: 1, 3: 1}


def test_item_analysis_everyone_right():
    rows = [(s, "easy", 1.0, (1,)) for s in (1, 2, 3)] + [(s, "hard", s / 3, ()) for s in (1, 2, 3)]
    stats = {s.question_id: s for s in item_analysis(rows, {"easy": (1, 2)})}
    easy = stats["easy"]
    # Var(x) = 0: no correlation. Upper and lower means are both 1: D = 0.
    assert easy.facility == 1.0
    assert easy.point_biserial is None
    assert easy.discrimination == 0.0
    assert easy.flags == ["too_easy", "weak_discrimination"]
    assert easy.distractors == {1: 3, 2: 0}
    # A question without choices (typed answers) comes after those with choices.
    assert list(stats) == ["easy", "hard"]
    assert stats["hard"].distractors == {}


def test_item_analysis_no_responses():
    assert item_analysis([], {}) == []
    assert item_analysis([], {"q": (1, 2)}) == [
        ItemStats("q", 0, None, None, None, [], {1: 0, 2: 0}),
    ]


def test_item_analysis_one_student():
    [stats] = item_analysis([(1, "q", 1.0, (5,))], {"q": (5, 6)})
    # one student: facility is defined, the group and correlation statistics are not
    assert (stats.facility, stats.discrimination, stats.point_biserial) == (1.0, None, None)
    assert stats.flags == ["too_easy"]


def test_item_analysis_rejects_scores_outside_zero_one():
    with pytest.raises(ValueError, match="outside 0..1"):
        item_analysis([(1, "q", 2.0, ())], {})


# --- retention, mastery ----------------------------------------------------------------


def test_true_retention():
    assert true_retention(45, 50) == pytest.approx(0.9)  # 45 / 50
    assert true_retention(0, 0) is None


def test_retention_counts_only_review_state_and_rating_above_again():
    reviews = [
        (State.REVIEW, Rating.GOOD),  # recalled
        (State.REVIEW, Rating.HARD),  # recalled: Hard is still a pass
        (State.REVIEW, Rating.AGAIN),  # lapse
        (State.LEARNING, Rating.GOOD),  # not counted
        (State.RELEARNING, Rating.AGAIN),  # not counted
    ]
    assert retention_counts(reviews) == (2, 3)
    assert true_retention(*retention_counts(reviews)) == pytest.approx(2 / 3)


def test_mastery_is_mean_retrievability():
    assert mastery([0.9, 0.6, 0.0]) == pytest.approx(0.5)  # (0.9 + 0.6 + 0) / 3
    assert mastery(x for x in [1.0]) == 1.0
    assert mastery([]) is None


def test_card_retrievabilities_new_card_is_zero_reviewed_card_is_high():
    now = datetime(2026, 3, 1, 12, tzinfo=UTC)
    settings = SchedulerSettings(enable_fuzzing=False)
    reviewed = review(new_card_state(now), Rating.GOOD, now - timedelta(hours=1), settings).state
    values = card_retrievabilities([CardState(), reviewed], now, settings)
    assert values[0] == 0.0
    assert 0.5 < values[1] <= 1.0


# --- streak, forecast, daily counts ----------------------------------------------------

TODAY = date(2026, 3, 10)


def _days_ago(*offsets):
    return {TODAY - timedelta(days=n) for n in offsets}


def test_streak_ending_today():
    assert streak(_days_ago(0, 1, 2, 4), TODAY) == 3  # 10, 9, 8; gap on 7


def test_streak_ending_yesterday_when_today_not_studied_yet():
    assert streak(_days_ago(1, 2), TODAY) == 2  # 9, 8


def test_streak_broken():
    assert streak(_days_ago(2, 3), TODAY) == 0
    assert streak(set(), TODAY) == 0


def test_streak_rejects_datetimes():
    with pytest.raises(TypeError, match="expected a date"):
        streak({datetime(2026, 3, 10, 9, tzinfo=UTC)}, TODAY)


def test_forecast_counts_overdue_on_today():
    due = [TODAY - timedelta(days=5), TODAY, TODAY + timedelta(days=2), TODAY + timedelta(days=2)]
    result = forecast(due + [TODAY + timedelta(days=3)], TODAY, days=3)
    # today: 1 overdue + 1 due; +1: none; +2: two; +3 is past the 3-day window
    assert result == [(TODAY, 2), (TODAY + timedelta(days=1), 0), (TODAY + timedelta(days=2), 2)]


def test_forecast_default_thirty_days_zero_filled():
    result = forecast([], TODAY)
    assert len(result) == 30
    assert result[0] == (TODAY, 0)
    assert result[-1] == (TODAY + timedelta(days=29), 0)
    assert forecast([TODAY], TODAY, days=0) == []


def test_daily_counts_zero_filled_oldest_first():
    reviews = [TODAY, TODAY, TODAY - timedelta(days=2), TODAY - timedelta(days=3), TODAY + timedelta(days=1)]
    # window = 8, 9, 10; the review 3 days ago and the one tomorrow fall outside
    assert daily_counts(reviews, TODAY, days_back=3) == [
        (TODAY - timedelta(days=2), 1),
        (TODAY - timedelta(days=1), 0),
        (TODAY, 2),
    ]


@pytest.mark.parametrize("days", [3, 30])
def test_counts_per_day_give_what_one_date_per_event_gives(days):
    """The dashboard passes the database's {day: count}; the result is that of the expanded list."""
    counted = {TODAY - timedelta(days=5): 3, TODAY: 2, TODAY + timedelta(days=2): 4, TODAY + timedelta(days=40): 1}
    expanded = [day for day, n in counted.items() for _ in range(n)]
    assert forecast(counted, TODAY, days=days) == forecast(expanded, TODAY, days=days)
    assert daily_counts(counted, TODAY, days_back=days) == daily_counts(expanded, TODAY, days_back=days)
    assert forecast(counted, TODAY, days=days)[0] == (TODAY, 5)  # 3 overdue + 2 due today
    with pytest.raises(TypeError, match="expected a date"):
        forecast({datetime(2026, 3, 10, 9, tzinfo=UTC): 1}, TODAY)


def test_daily_counts_default_ninety_days():
    result = daily_counts([], TODAY)
    assert len(result) == 90
    assert result[0][0] == TODAY - timedelta(days=89)
    assert result[-1] == (TODAY, 0)
