"""The student's progress dashboard: what is due, how much they study, what they remember."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from cards.core import analytics, charts, scheduling
from cards.selectors import progress
from cards.selectors.exams import upcoming_exams
from cards.selectors.study import user_timezone

FORECAST_DAYS = 30
HISTORY_DAYS = 90
EXAM_DAILY_UP_TO = 61  # days of an exam's workload shown a bar a day; beyond, a bar a week


def exam_panel(exam) -> dict:
    """An exam's section: the exam (cards.selectors.exams.ExamDate), its predicted recall per
    topic and its daily workload until the exam, as charts with their tables."""
    workload = [(d.isoformat(), n) for d, n in exam.workload]
    per = "day"
    if len(workload) > EXAM_DAILY_UP_TO:  # an exam months away: a bar a week (from today's)
        weeks = [workload[i : i + 7] for i in range(0, len(workload), 7)]
        workload = [(week[0][0], sum(n for _d, n in week)) for week in weeks]
        per = "week"
    recall = [(t.topic, t.recall) for t in exam.topics if t.studied]
    return {
        "exam": exam,
        "recall_chart": charts.percent_bars(
            recall, title="Predicted recall on the exam day, per topic", chart_id=f"exam-recall-{exam.course_id}"
        )
        if recall
        else "",
        "workload_chart": charts.bar_chart(
            workload,
            title=f"Reviews due per {per} until the exam",
            y_label="reviews",
            highlight_last=True,
            chart_id=f"exam-workload-{exam.course_id}",
        ),
        "workload_table": charts.data_table(
            workload,
            caption=f"Reviews due per {per} until the exam",
            headers=("Day" if per == "day" else "Week from", "Reviews due"),
        ),
    }


@login_required
@require_GET
def dashboard(request):
    user = request.user
    now = timezone.now()
    tz = user_timezone(user)
    today = scheduling.study_day(now, tz)
    day_start, day_end = scheduling.study_day_bounds(now, tz)
    # Today's numbers are the study queue's (capped by the daily limits, learning due now),
    # the same as /study/ shows; the forecast counts the cards falling due on later days.
    board = progress.dashboard(
        user_id=user.pk,
        tz_name=tz,
        now=now,
        day=(day_start, day_end),
        today=today,
        forecast_days=FORECAST_DAYS,
        history_days=HISTORY_DAYS,
    )
    due, history, mastery = board.due, board.history, board.mastery
    recalled, total = board.recalled, board.reviewed
    forecast = analytics.forecast(due, today, days=FORECAST_DAYS)
    daily = analytics.daily_counts(history, today, days_back=HISTORY_DAYS)
    forecast_points = [(d.isoformat(), n) for d, n in forecast]
    daily_points = [(d.isoformat(), n) for d, n in daily]
    mastery_rows = [(name, value) for _slug, name, value, _n in mastery]
    context = {
        "left_today": board.today.left,
        "due_tomorrow": forecast[1][1] if len(forecast) > 1 else 0,
        "streak": board.streak,
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
        "weakest": board.weakest,
        "suspended": board.suspended,
        "exams": [
            exam_panel(exam)
            for exam in upcoming_exams(
                user=user, now=now, tz_name=tz, done_new=board.done_new, courses=board.exam_courses
            )
        ],
    }
    return render(request, "cards/student/dashboard.html", context)
