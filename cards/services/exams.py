"""A student's exam date per course (the course's own, set by its instructors in the course
settings, is the default). Until the exam, every card comes back before the exam day
(cards.core.exams); the cap applies to the reviews made from now on, due dates already set
stay until the card's next review."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.db import transaction

from cards.core import scheduling
from cards.errors import InvalidInput, NotFound
from cards.models import Enrollment
from cards.selectors.study import user_timezone

MAX_AHEAD = timedelta(days=5 * 366)  # an exam date further than this is a typo


def _enrollment(user, course_id: int) -> Enrollment:
    enrollment = Enrollment.objects.select_for_update().filter(user=user, course_id=course_id).first()
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.", code="not_enrolled")
    return enrollment


@transaction.atomic
def set_exam_date(*, user, course_id: int, exam: date, now: datetime) -> Enrollment:
    """The student's own exam date in a course: today (their study day) or later, within five years."""
    enrollment = _enrollment(user, course_id)
    today = scheduling.study_day(now, user_timezone(user))
    if exam < today:
        raise InvalidInput(f"The exam date {exam.isoformat()} is in the past.", code="exam_in_past", field="date")
    if exam > today + MAX_AHEAD:
        raise InvalidInput(
            f"The exam date {exam.isoformat()} is more than five years away.", code="exam_too_far", field="date"
        )
    enrollment.exam_date = exam
    enrollment.save(update_fields=["exam_date"])
    return enrollment


@transaction.atomic
def clear_exam_date(*, user, course_id: int) -> Enrollment:
    """Forget the student's own exam date: the course's applies again, if it has one."""
    enrollment = _enrollment(user, course_id)
    enrollment.exam_date = None
    enrollment.save(update_fields=["exam_date"])
    return enrollment
