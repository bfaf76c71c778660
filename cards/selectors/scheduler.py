"""Reads for fitting and showing scheduler parameters: a course's review log as the fitting
code takes it (cards.core.fitting.Review), and which parameters schedule a student."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.db.models import BigIntegerField, Count, JSONField, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce

from cards.core.fitting import DEFAULT_PARAMETERS, Review
from cards.models import Card, Enrollment, ReviewLog, SchedulerParameters


def course_reviews(course_id: int) -> dict[int, list[Review]]:
    """{user_id: [Review, ...]}: every live review (not undone) of the course's cards, per
    student, oldest first. The log is the truth; undo rows and undone reviews are left out."""
    rows = (
        ReviewLog.objects.filter(card__course_id=course_id, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)
        .exclude(rating__isnull=True)
        .order_by("reviewed_at", "id")
        .values_list("user_id", "card_id", "reviewed_at", "rating")
    )
    out: dict[int, list[Review]] = {}
    for user_id, card_id, reviewed_at, rating in rows.iterator(chunk_size=2000):
        out.setdefault(user_id, []).append(Review(card_id=card_id, reviewed_at=reviewed_at, rating=rating))
    return out


def card_reviews(*, user_id: int, course_id: int) -> dict[int, list[tuple[int, datetime, bool]]]:
    """{card_id: [(rating, reviewed_at, was_new), ...]}: one student's live reviews in a
    course, oldest first (was_new: the review found the card new, as after a question's
    revision reset it)."""
    rows = (
        ReviewLog.objects.filter(
            user_id=user_id, card__course_id=course_id, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True
        )
        .exclude(rating__isnull=True)
        .order_by("reviewed_at", "id")
        .values_list("card_id", "rating", "reviewed_at", "was_new")
    )
    out: dict[int, list[tuple[int, datetime, bool]]] = {}
    for card_id, rating, reviewed_at, was_new in rows:
        out.setdefault(card_id, []).append((rating, reviewed_at, was_new))
    return out


def reviewed_cards(*, user_id: int, course_id: int):
    return Card.objects.filter(user_id=user_id, course_id=course_id, last_review__isnull=False)


@dataclass(frozen=True)
class ParametersInUse:
    """Which parameters schedule a student in a course, and the fits there are."""

    enrollment: Enrollment
    own: SchedulerParameters | None  # the student's own fit, whether used or not
    course: SchedulerParameters | None

    @property
    def current(self) -> SchedulerParameters | None:
        if self.own is not None and self.enrollment.own_parameters:
            return self.own
        return self.course

    @property
    def source(self) -> str:
        """'own', 'course' or 'default'."""
        current = self.current
        if current is None:
            return "default"
        return "own" if current.enrollment_id else "course"

    @property
    def parameters(self) -> tuple[float, ...]:
        current = self.current
        return tuple(current.parameters) if current else DEFAULT_PARAMETERS


def parameters_in_use(enrollment: Enrollment) -> ParametersInUse:
    return parameters_by_course([enrollment])[enrollment.course_id]


def parameters_by_course(enrollments: list[Enrollment]) -> dict[int, ParametersInUse]:
    """{course_id: ParametersInUse} of a student's enrolments, in one query."""
    if not enrollments:
        return {}
    mine = Q(enrollment_id__in=[e.pk for e in enrollments]) | Q(
        course_id__in=[e.course_id for e in enrollments], enrollment__isnull=True
    )
    own, course = {}, {}
    for fit in SchedulerParameters.objects.filter(mine):
        if fit.enrollment_id:
            own[fit.enrollment_id] = fit
        else:
            course[fit.course_id] = fit
    return {
        e.course_id: ParametersInUse(enrollment=e, own=own.get(e.pk), course=course.get(e.course_id))
        for e in enrollments
    }


def effective_parameters(*, course_id: int) -> dict[int, tuple[float, ...] | None]:
    """{user_id: parameters} that schedule each enrolled student (None: FSRS's defaults)."""
    fits = {f.enrollment_id: tuple(f.parameters) for f in SchedulerParameters.objects.filter(course_id=course_id)}
    out: dict[int, tuple[float, ...] | None] = {}
    for enrollment_id, user_id, own in Enrollment.objects.filter(course_id=course_id).values_list(
        "id", "user_id", "own_parameters"
    ):
        parameters = (fits.get(enrollment_id) if own else None) or fits.get(None)
        out[user_id] = None if parameters == DEFAULT_PARAMETERS else parameters
    return out


def fitted_parameters(user_id: int, field: str = "parameters"):
    """An annotation of a Card queryset: the parameters that schedule the card's student in its
    course (their own fit if they use it, else the course's; None: FSRS's defaults), as the
    answer read (cards.db.answer) has them, in the same statement; `field="parameter_set"`:
    the id of their ParameterSet, which the review log records."""
    own = SchedulerParameters.objects.filter(
        enrollment__user_id=user_id, enrollment__course_id=OuterRef("course_id"), enrollment__own_parameters=True
    ).values(field)[:1]
    course = SchedulerParameters.objects.filter(course_id=OuterRef("course_id"), enrollment__isnull=True).values(field)[
        :1
    ]
    output = JSONField() if field == "parameters" else BigIntegerField()
    return Coalesce(Subquery(own), Subquery(course), output_field=output)


def student_schedule(*, user_id: int, course_id: int) -> tuple[float | None, date | None, tuple | None]:
    """(the student's own desired retention, own exam date, the fitted parameters that schedule
    them) in a course, in one query; (None, None, None) when not enrolled."""
    row = (
        Enrollment.objects.filter(user_id=user_id, course_id=course_id)
        .annotate(fitted=fitted_parameters(user_id))
        .values_list("desired_retention", "exam_date", "fitted")
        .first()
    )
    if row is None:
        return None, None, None
    retention, exam, fitted = row
    return retention, exam, tuple(fitted) if fitted else None


@dataclass(frozen=True)
class CourseScheduling:
    """How a course's students are scheduled, for its instructors: the course's fit (None
    before its first refit), how many students are enrolled, and how many of them are scheduled
    with a fit of their own, and with FSRS's defaults because these predicted their reviews
    better than both the class's fit and their own."""

    fit: SchedulerParameters | None
    students: int
    own: int
    defaults: int


def course_scheduling(course_id: int) -> CourseScheduling:
    on_own_row = Q(own_parameters=True, scheduler_fit__isnull=False)
    counts = Enrollment.objects.filter(course_id=course_id).aggregate(
        students=Count("pk"),
        own=Count("pk", filter=on_own_row & ~Q(scheduler_fit__source="default")),
        defaults=Count("pk", filter=on_own_row & Q(scheduler_fit__source="default")),
    )
    return CourseScheduling(
        fit=SchedulerParameters.objects.filter(course_id=course_id, enrollment__isnull=True).first(), **counts
    )
