"""Workload forecasts where a desired retention is chosen: a student's per course (linked from
their preferences), and the course's on its settings page (cards.views.teach_courses). The
simulation and its cache are cards.selectors.forecast; this module draws it."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cards.core import charts
from cards.core.forecast import RECOMMENDED_BAND
from cards.selectors.forecast import WorkloadForecast, student_forecast
from cards.selectors.study import user_timezone

PARAMETER_SOURCES = {
    "own": "your own fitted parameters",
    "course": "the course's fitted parameters",
    "default": "FSRS's default parameters",
}


def _percent(retention: float) -> str:
    return f"{round(retention * 100)}%"


def forecast_context(workload: WorkloadForecast, *, whose: str) -> dict:
    """What templates/cards/partials/forecast.html draws: the average reviews a day at each
    retention (recommended ones marked), the current retention's days, and the table rows."""
    fc = workload.forecast
    rows = list(fc.rows)
    labels = [_percent(r.retention) for r in rows]
    current = workload.current
    chart = charts.bar_chart(
        [(label, round(r.per_day, 1)) for label, r in zip(labels, rows, strict=True)],
        title=f"Expected reviews a day over the next {fc.days} days, by desired retention",
        y_label="reviews a day",
        marked=[i for i, r in enumerate(rows) if r.recommended],
        marked_note="Recommended",
        chart_id=f"forecast-{whose}-{workload.course.pk}",
    )
    days_chart = charts.bar_chart(
        [(f"day {n}", round(v, 1)) for n, v in enumerate(current.reviews, start=1)] if current else [],
        title=f"Expected reviews each day at {_percent(current.retention) if current else ''}",
        y_label="reviews",
        chart_id=f"forecast-days-{whose}-{workload.course.pk}",
    )
    return {
        "workload": workload,
        "forecast_rows": rows,
        "forecast_chart": chart,
        "forecast_days_chart": days_chart,
        "forecast_days_table": charts.data_table(
            [(f"day {n}", round(v, 1)) for n, v in enumerate(current.reviews, start=1)] if current else [],
            caption=f"Expected reviews each day at {_percent(current.retention) if current else ''}",
            headers=("Day", "Reviews"),
        ),
        "band": [_percent(b) for b in RECOMMENDED_BAND],
        "parameters_text": PARAMETER_SOURCES[workload.parameters],
        "whose": whose,
    }


@login_required
@require_GET
def retention_forecast(request, course_id: int):
    """The student's expected reviews a day at each desired retention, from their own cards."""
    workload = student_forecast(
        user=request.user, course_id=course_id, now=timezone.now(), tz_name=user_timezone(request.user)
    )
    if workload is None:
        raise Http404("You are not enrolled in this course.")
    return render(request, "cards/student/forecast.html", forecast_context(workload, whose="student"))
