"""The student's progress dashboard: what is due, how much they study, what they remember."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cards.core import analytics, charts, scheduling
from cards.reads import run_together
from cards.selectors import (
    due_per_day_read,
    leeches_read,
    reviews_per_day_read,
    streak_read,
    topic_mastery_read,
    true_retention_read,
    user_timezone,
    weakest_items_read,
)

FORECAST_DAYS = 30
HISTORY_DAYS = 90


@login_required
@require_GET
def dashboard(request):
    user = request.user
    now = timezone.now()
    tz = user_timezone(user)
    today = scheduling.study_day(now, tz)
    _start, day_end = scheduling.study_day_bounds(now, tz)
    # Seven independent reads, sent together (one round trip on PostgreSQL: cards.reads).
    due, history, (recalled, total), mastery, streak, weakest, leeches = run_together(
        [
            due_per_day_read(user_id=user.pk, tz_name=tz, today=today, days=FORECAST_DAYS),
            reviews_per_day_read(user_id=user.pk, tz_name=tz, since=day_end - timedelta(days=HISTORY_DAYS + 1)),
            true_retention_read(user_id=user.pk, since=now - timedelta(days=30)),
            topic_mastery_read(user_id=user.pk, now=now),
            streak_read(user_id=user.pk, tz_name=tz, now=now),
            weakest_items_read(user_id=user.pk, now=now),
            leeches_read(user_id=user.pk),
        ]
    )
    forecast = analytics.forecast(due, today, days=FORECAST_DAYS)
    daily = analytics.daily_counts(history, today, days_back=HISTORY_DAYS)
    forecast_points = [(d.isoformat(), n) for d, n in forecast]
    daily_points = [(d.isoformat(), n) for d, n in daily]
    mastery_rows = [(name, value) for _slug, name, value, _n in mastery]
    context = {
        "due_today": forecast[0][1] if forecast else 0,
        "due_tomorrow": forecast[1][1] if len(forecast) > 1 else 0,
        "streak": streak,
        "retention": analytics.true_retention(recalled, total),
        "retention_reviews": total,
        "reviews_90": sum(n for _d, n in daily),
        # Chart markup comes escaped from cards.core.charts (it is marked safe there).
        "forecast_chart": charts.bar_chart(forecast_points, title="Reviews due, next 30 days", y_label="reviews"),
        "forecast_table": charts.data_table(
            forecast_points, caption="Reviews due per day", headers=("Day", "Reviews due")
        ),
        "daily_chart": charts.bar_chart(
            daily_points, title="Reviews per day, last 90 days", y_label="reviews", highlight_last=True
        ),
        "daily_table": charts.data_table(daily_points, caption="Reviews per day", headers=("Day", "Reviews")),
        "mastery_chart": charts.percent_bars(mastery_rows, title="Mastery per topic") if mastery_rows else "",
        "mastery": mastery,
        "weakest": weakest,
        "leeches": leeches,
    }
    return render(request, "cards/student/dashboard.html", context)
