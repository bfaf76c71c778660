"""Reads of exam dates: a student's in a course, and what the dashboard shows of them."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime

from django.db.models import Exists, OuterRef

from cards.core import exams, scheduling
from cards.db.exams import ExamCourse, exam_courses
from cards.models import Course, Enrollment
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
    done_new: int = 0  # new cards seen today
    topics: list[exams.TopicRecall] = field(default_factory=list)  # predicted exam-day recall per topic
    workload: list[tuple[date, int]] = field(default_factory=list)  # reviews due per day until the exam

    @property
    def date(self) -> date | None:
        return exams.effective_exam(self.own, self.course)

    @property
    def pace(self) -> int | None:
        """New cards a day needed to see them all before the exam (None on the exam day)."""
        return exams.new_cards_pace(unseen=self.new_left, done_new=self.done_new, days=self.days_left)

    @property
    def new_allowance(self) -> int:
        """Today's new cards: the course's limit, raised to the pace when it falls short."""
        unseen = self.new_left if self.date else None
        return exams.new_allowance(limit=self.new_per_day, unseen=unseen, done_new=self.done_new, days=self.days_left)

    @property
    def limit_too_low(self) -> bool:
        """The course's daily limit would leave cards unseen on the exam day."""
        return self.pace is not None and self.pace > self.new_per_day


def _exam(course: ExamCourse, now: datetime, tz_name: str, new_left: int = 0, done_new: int = 0) -> ExamDate:
    return ExamDate(
        course_id=course.course_id,
        course_title=course.course_title,
        own=course.own,
        course=course.course_exam,
        days_left=exams.days_left(now, exams.effective_exam(course.own, course.course_exam), tz_name),
        new_left=new_left,
        new_per_day=course.new_per_day,
        done_new=done_new,
    )


def exam_date(*, user, course_id: int, now: datetime, tz_name: str) -> ExamDate | None:
    """The student's exam date in a course; None when they are not enrolled in it."""
    enrollment = Enrollment.objects.select_related("course").filter(user=user, course_id=course_id).first()
    if enrollment is None:
        return None
    course = enrollment.course
    return _exam(
        ExamCourse(course.pk, course.title, course.new_per_day, enrollment.exam_date, course.exam_date), now, tz_name
    )


def upcoming_exams(
    *,
    user,
    now: datetime,
    tz_name: str,
    done_new: dict[int, int] | None = None,
    courses: list[ExamCourse] | None = None,
) -> list[ExamDate]:
    """The student's courses with an exam still to come (own or the course's), soonest first,
    with their new cards left, today's allowance (`done_new`: {course: new cards seen today}),
    the predicted exam-day recall per topic and the reviews due per day until the exam: one
    query without an exam, two with (every studied card's stability, last review and due date
    of those courses, read once). `courses`: the student's courses with an exam date
    (cards.db.exams), when the caller read them with its other statements (the dashboard)."""
    if courses is None:
        courses = exam_courses(user_id=user.pk)
    ahead = [
        e for e in courses if exams.days_left(now, exams.effective_exam(e.own, e.course_exam), tz_name) is not None
    ]
    if not ahead:
        return []
    in_course_decks = Course.decks.through.objects.filter(course_id=OuterRef("course_id"), deck_id=OuterRef("deck_id"))
    rows = (
        studyable_cards(user.pk)
        .filter(course_id__in=[e.course_id for e in ahead])
        .filter(Exists(in_course_decks))
        .values_list("course_id", "question__topic__name", "stability", "last_review", "due")
    )
    by_course: dict[int, list[exams.ExamCard]] = {}
    for course_id, topic, stability, last_review, due in rows:
        by_course.setdefault(course_id, []).append(exams.ExamCard(topic, stability, last_review, due))
    done_new = done_new or {}
    out = []
    for e in ahead:
        cards = by_course.get(e.course_id, [])
        exam = _exam(e, now, tz_name, sum(1 for c in cards if c.last_review is None), done_new.get(e.course_id, 0))
        moment = exams.day_start(exam.date, tz_name)
        today = scheduling.study_day(now, tz_name)
        out.append(
            replace(
                exam,
                topics=exams.topic_recall(cards, moment, e.fitted),
                workload=exams.daily_workload(cards, today=today, exam=exam.date, tz_name=tz_name),
            )
        )
    return sorted(out, key=lambda r: r.days_left)
