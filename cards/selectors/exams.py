"""Reads of exam dates: a student's in a course, and what the dashboard shows of them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import Count, Q

from cards.core import exams
from cards.models import Enrollment
from cards.selectors.study import studyable_cards


@dataclass(frozen=True)
class ExamDate:
    course_id: int
    course_title: str
    own: date | None  # the student's own date
    course: date | None  # the course's, set by its instructors
    days_left: int | None  # to the exam in force, from today's study day; None without one or after it
    new_left: int = 0  # the student's cards of the course never studied
    new_per_day: int = 0

    @property
    def date(self) -> date | None:
        return exams.effective_exam(self.own, self.course)

    @property
    def pace(self) -> int | None:
        """New cards a day needed to see them all before the exam."""
        return exams.new_cards_pace(new_left=self.new_left, days=self.days_left)

    @property
    def limit_too_low(self) -> bool:
        return self.pace is not None and self.pace > self.new_per_day


def _exam(enrollment, now: datetime, tz_name: str, new_left: int = 0) -> ExamDate:
    course = enrollment.course
    own, course_date = enrollment.exam_date, course.exam_date
    return ExamDate(
        course_id=course.pk,
        course_title=course.title,
        own=own,
        course=course_date,
        days_left=exams.days_left(now, exams.effective_exam(own, course_date), tz_name),
        new_left=new_left,
        new_per_day=course.new_per_day,
    )


def exam_date(*, user, course_id: int, now: datetime, tz_name: str) -> ExamDate | None:
    """The student's exam date in a course; None when they are not enrolled in it."""
    enrollment = Enrollment.objects.select_related("course").filter(user=user, course_id=course_id).first()
    return None if enrollment is None else _exam(enrollment, now, tz_name)


def upcoming_exams(*, user, now: datetime, tz_name: str) -> list[ExamDate]:
    """The student's courses with an exam still to come (own or the course's), soonest first,
    with their new cards left (two queries)."""
    enrollments = list(
        Enrollment.objects.select_related("course")
        .filter(user=user)
        .filter(Q(exam_date__isnull=False) | Q(course__exam_date__isnull=False))
    )
    if not enrollments:
        return []
    new_left = dict(
        studyable_cards(user.pk)
        .filter(course_id__in=[e.course_id for e in enrollments], last_review__isnull=True)
        .values("course_id")
        .annotate(n=Count("id"))
        .values_list("course_id", "n")
    )
    rows = [_exam(e, now, tz_name, new_left.get(e.course_id, 0)) for e in enrollments]
    return sorted((r for r in rows if r.days_left is not None), key=lambda r: r.days_left)
