"""The study streak looks back in growing windows (cards.db.days.STREAK_WINDOWS); runs
that cross a window's edge must count the same as one look over 400 days."""

from datetime import UTC, datetime, timedelta

import pytest

from cards.core import analytics, scheduling
from cards.core.days import local_day_spans
from cards.db.days import STREAK_WINDOWS, streak, study_days
from cards.models import Card
from tests.factories import ReviewLogFactory

NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)


def review_on(card, moments):
    for moment in moments:
        ReviewLogFactory(card=card, reviewed_at=moment)


def the_long_way(user, tz="UTC"):
    """The streak as one look over the last 400 study days, whole (what the windows must
    agree with)."""
    first = scheduling.study_day(NOW - timedelta(days=400), tz)
    since = local_day_spans(tz, first, first)[0][1]
    days = study_days(user_id=user.pk, tz_name=tz, since=since, until=NOW)
    return analytics.streak(days, scheduling.study_day(NOW, tz))


@pytest.mark.parametrize(
    ("length", "skip_today"),
    [(0, False), (1, False), (3, True), (7, False), (8, False), (9, True), (31, False), (33, False), (130, True)],
)
def test_runs_of_any_length_across_the_windows(student, length, skip_today):
    card = Card.objects.filter(user=student).first()
    start = 1 if skip_today else 0
    review_on(card, [NOW - timedelta(days=d, hours=2) for d in range(start, start + length)])
    # an older, separate run must not join: a gap of two days (so that with no run at all,
    # yesterday is a gap too), then more study
    review_on(card, [NOW - timedelta(days=d, hours=2) for d in range(start + length + 2, start + length + 7)])
    assert streak(user_id=student.pk, tz_name="UTC", now=NOW) == the_long_way(student) == length


def test_a_run_longer_than_the_last_window_stops_there(student):
    card = Card.objects.filter(user=student).first()
    review_on(card, [NOW - timedelta(days=d, hours=2) for d in range(0, 450)])
    assert streak(user_id=student.pk, tz_name="UTC", now=NOW) == the_long_way(student)
    assert STREAK_WINDOWS[-1] - 1 <= streak(user_id=student.pk, tz_name="UTC", now=NOW) <= STREAK_WINDOWS[-1] + 1


def test_the_streak_counts_local_days(student):
    card = Card.objects.filter(user=student).first()
    # 02:00 in Sydney is before the 04:00 rollover: it belongs to the previous study day
    review_on(card, [NOW - timedelta(days=d, hours=1) for d in range(0, 12)])
    assert streak(user_id=student.pk, tz_name="Australia/Sydney", now=NOW) == the_long_way(student, "Australia/Sydney")
