"""Fitted scheduler parameters: refit a course (its own fit and each student's), keep for
each whichever of the new fit, the parameters in use and FSRS's defaults predicts their
held-out reviews best, recompute memory states from the log, and let a student go back to the
course's parameters.

The fitting itself is cards.core.fitting (the policy and its measurements: docs/learning.md).
A refit runs as a background task (cards.services.tasks.fit_course_parameters): after every
REFIT_EVERY reviews of a student since the course's last refit (the answer service enqueues
it) and nightly (`manage.py refit_scheduler`, from cron)."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from cards.core import fitting, restate
from cards.core.fitting import DEFAULT_PARAMETERS, Fit
from cards.db.answer import REFIT_EVERY
from cards.errors import InvalidInput, NotFound
from cards.models import Card, Course, Enrollment, ParameterSet, Profile, SchedulerParameters
from cards.selectors import scheduler as reads

__all__ = ["REFIT_EVERY", "refit_course", "restate_student", "use_own_parameters"]


def _store(row: SchedulerParameters | None, *, course_id, enrollment_id, fit: Fit | None, now: datetime):
    """Save the new fit over `row` (fit None: only note the check)."""
    if row is None:
        row = SchedulerParameters(
            course_id=course_id,
            enrollment_id=enrollment_id,
            parameters=list(DEFAULT_PARAMETERS),
            source="default",
            fitted_at=now,
            n_reviews=0,
        )
    if fit is not None:
        row.parameters = list(fitting.clamp_parameters(fit.parameters))
        row.source, row.n_reviews = fit.source, fit.n_reviews
        row.log_loss, row.rmse_bins, row.fitted_at = fit.log_loss, fit.rmse_bins, now
    if row.parameter_set_id is None or row.parameter_set.parameters != row.parameters:
        # A new set for new weights: the reviews they schedule point at it (the old set stays
        # for the reviews it scheduled).
        row.parameter_set = ParameterSet.objects.create(parameters=row.parameters, created_at=now)
    row.checked_at = now
    row.save()
    return row


def _as_fit(row: SchedulerParameters | None) -> Fit:
    if row is None:
        return fitting.DEFAULT_FIT
    return Fit(tuple(row.parameters), row.n_reviews, row.source, row.log_loss, row.rmse_bins)


def refit_course(*, course_id: int, now: datetime) -> dict:
    """Fit the course and each enrolled student; store the fits that predict better; then
    recompute the memory states of every student whose parameters changed. Each student's
    change is its own transaction: a failure part-way keeps what was done and loses nothing."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return {"course_id": course_id, "skipped": "no such course"}
    reviews = reads.course_reviews(course_id)
    before = reads.effective_parameters(course_id=course_id)
    rows = {
        r.enrollment_id: r
        for r in SchedulerParameters.objects.filter(course_id=course_id).select_related("parameter_set")
    }

    course_fit = fitting.fit_course(reviews)
    current = rows.get(None)
    chosen = fitting.held_out_choice(course_fit, _as_fit(current).parameters, fitting.course_items(reviews))
    with transaction.atomic():
        rows[None] = _store(current, course_id=course_id, enrollment_id=None, fit=chosen, now=now)
    center = _as_fit(rows[None])

    zones = dict(Profile.objects.filter(user__enrollments__course_id=course_id).values_list("user_id", "timezone"))
    widening, spread = fitting.student_spread(reviews, center.parameters, zones=zones)
    SchedulerParameters.objects.filter(pk=rows[None].pk).update(student_spread=widening)
    replaced = 0
    for enrollment_id, user_id in Enrollment.objects.filter(course_id=course_id).values_list("id", "user_id"):
        own = reviews.get(user_id, [])
        if not own:
            continue
        tz_name = zones.get(user_id) or "UTC"
        fit = fitting.fit_student(own, center, tz_name=tz_name, spread=spread)
        mine = rows.get(enrollment_id)
        in_use = mine.parameters if mine is not None else center.parameters
        choice = fitting.held_out_choice(fit, in_use, fitting.items_for(own), tz_name)
        if choice is not None:
            replaced += 1
            with transaction.atomic():
                rows[enrollment_id] = _store(
                    mine, course_id=course_id, enrollment_id=enrollment_id, fit=choice, now=now
                )
        elif mine is not None:
            with transaction.atomic():
                _store(mine, course_id=course_id, enrollment_id=enrollment_id, fit=None, now=now)

    after = reads.effective_parameters(course_id=course_id)
    restated = sum(
        restate_student(course=course, user_id=user_id, parameters=parameters)
        for user_id, parameters in after.items()
        if parameters != before.get(user_id)
    )
    return {
        "course_id": course_id,
        "course_fit": "kept" if chosen is None else "defaults" if chosen.source == "default" else "replaced",
        "course_reviews": course_fit.n_reviews,
        "student_spread": widening,
        "students_replaced": replaced,
        "cards_restated": restated,
    }


@transaction.atomic
def restate_student(*, course: Course, user_id: int, parameters) -> int:
    """Recompute the stability and difficulty of the student's reviewed cards in the course
    from their live reviews under `parameters` (None: the defaults); due dates stay. Returns
    how many cards changed."""
    settings = course.scheduler_settings(parameters=parameters)
    history = reads.card_reviews(user_id=user_id, course_id=course.pk)
    changed = []
    for card in reads.reviewed_cards(user_id=user_id, course_id=course.pk).select_for_update():
        state = restate.recomputed(history.get(card.pk, ()), settings)
        if state is None:
            continue
        if (card.stability, card.difficulty) != (state.stability, state.difficulty):
            card.stability, card.difficulty = state.stability, state.difficulty
            changed.append(card)
    Card.objects.bulk_update(changed, ["stability", "difficulty"], batch_size=500)
    return len(changed)


@transaction.atomic
def use_own_parameters(*, user, course_id: int, own: bool | None) -> Enrollment:
    """The student chooses: their own fitted parameters (when they have them) or the course's.
    Memory states are recomputed from the log for the parameters now in use; due dates stay."""
    enrollment = Enrollment.objects.select_for_update().filter(user=user, course_id=course_id).first()
    if enrollment is None:
        raise NotFound("You are not enrolled in this course.", code="not_enrolled")
    if not isinstance(own, bool):
        raise InvalidInput(
            "Choose your own parameters (own=1) or the course's (own=0).", code="invalid_choice", field="own"
        )
    if enrollment.own_parameters == own:
        return enrollment
    before = reads.parameters_in_use(enrollment).parameters
    enrollment.own_parameters = own
    enrollment.save(update_fields=["own_parameters"])
    after = reads.parameters_in_use(enrollment)
    if after.parameters != before:
        course = Course.objects.get(pk=course_id)
        restate_student(course=course, user_id=user.pk, parameters=after.current and after.parameters)
    return enrollment
