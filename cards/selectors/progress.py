"""A student's progress, as the dashboard and the API's stats read it. Every read is a
statement of cards.db (the days of the charts and the streak: cards.db.days; mastery, weakest
items, retention, suspended cards: cards.db.progress; today's counts: cards.db.queue; the courses
with an exam date: cards.db.exams), measured there;
this module is their one door for views and the API. The dashboard's statements go together
(`dashboard`): one round trip on PostgreSQL."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from cards.db import days, exams, progress
from cards.db import queue as queue_counts
from cards.db.days import STREAK_WINDOWS, due_per_day, reviews_per_day, streak, study_days
from cards.db.dialect import run_together
from cards.db.exams import ExamCourse
from cards.db.progress import SuspendedCard, WeakItem, suspended, topic_mastery, true_retention, weakest_items
from cards.selectors.study import Today, today_from

__all__ = [
    "STREAK_WINDOWS",
    "SuspendedCard",
    "WeakItem",
    "due_per_day",
    "reviews_per_day",
    "streak",
    "suspended",
    "study_days",
    "topic_mastery",
    "true_retention",
    "weakest_items",
]


@dataclass(frozen=True)
class Dashboard:
    today: Today  # what /study/ counts: left to study today, reviews done today
    due: dict[date, int]  # cards falling due per local day, from today
    history: dict[date, int]  # reviews per local day
    recalled: int  # of `reviewed`, over the last 30 days
    reviewed: int
    mastery: list[tuple]
    streak: int
    weakest: list[WeakItem]
    suspended: list[SuspendedCard]  # leeches and cards the student suspended
    done_new: dict[int, int]  # new cards seen today, per course (an exam's pace counts from the day's start)
    exam_courses: list[ExamCourse]  # the courses with an exam date, own or the course's (perhaps past)


def dashboard(
    *, user_id: int, tz_name: str, now: datetime, day: tuple, today: date, forecast_days: int, history_days: int
) -> Dashboard:
    """Everything the dashboard shows, its nine statements sent together (the exam panels start
    from `exam_courses`: cards.selectors.exams.upcoming_exams); `day`: (day start, day end) of
    the student's study day."""
    day_start, day_end = day
    statements = [
        queue_counts.deck_counts_statement(user_id=user_id, now=now, day_end=day_end),
        queue_counts.done_by_course_statement(user_id=user_id, day_start=day_start),
        days.due_per_day_statement(user_id=user_id, tz_name=tz_name, today=today, days=forecast_days),
        days.reviews_per_day_statement(
            user_id=user_id, tz_name=tz_name, since=day_end - timedelta(days=history_days + 1), until=day_end
        ),
        progress.true_retention_statement(user_id=user_id, since=now - timedelta(days=30)),
        progress.mastery_and_weakest_statement(user_id=user_id, now=now),
        days.streak_statement(user_id=user_id, tz_name=tz_name, now=now),
        progress.suspended_statement(user_id=user_id),
        exams.exam_courses_statement(user_id=user_id),
    ]
    by_deck, done, due, history, (recalled, reviewed), (mastery, weakest), run, suspended_cards, exam_courses = (
        run_together(statements)
    )
    if run is None:  # the run goes back further than the first window
        run = streak(user_id=user_id, tz_name=tz_name, now=now, start=1)
    return Dashboard(
        today=today_from(by_deck, done, now=now, tz_name=tz_name),
        due=due,
        history=history,
        recalled=recalled,
        reviewed=reviewed,
        mastery=mastery,
        streak=run,
        weakest=weakest,
        suspended=suspended_cards,
        done_new={course_id: d["new"] for course_id, d in done.items()},
        exam_courses=exam_courses,
    )
