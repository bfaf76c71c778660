"""Fitted FSRS parameters: one current fit per course and one per enrolment."""

from __future__ import annotations

from django.db import models
from django.db.models import Q


class ParameterSet(models.Model):
    """A set of FSRS-6 weights as it scheduled reviews: written once, never changed or deleted.
    A refit that replaces a fit points its SchedulerParameters row at a new set, and every
    review-log row points at the set that scheduled it (none: FSRS's defaults), so
    `manage.py verify_reviews` replays each review with its own parameters."""

    parameters = models.JSONField(help_text="The 21 FSRS-6 weights.")
    created_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"parameter set {self.pk}"


class SchedulerParameters(models.Model):
    """The parameters that schedule a course's students (enrollment empty) or one student
    (enrollment set), with what they rest on: when fitted, on how many training reviews, and
    their log loss and RMSE(bins) on held-out later reviews. A refit replaces them only if it
    predicts held-out reviews better (cards.services.scheduler_params); `checked_at` is the
    last refit, kept or not, from which new reviews are counted toward the next."""

    course = models.ForeignKey("cards.Course", related_name="scheduler_fits", on_delete=models.CASCADE)
    enrollment = models.OneToOneField(
        "cards.Enrollment", null=True, blank=True, related_name="scheduler_fit", on_delete=models.CASCADE
    )
    parameters = models.JSONField(help_text="The 21 FSRS-6 weights.")
    # The same weights as a set the review log can point at (a new set for each new fit).
    parameter_set = models.ForeignKey(ParameterSet, null=True, blank=True, related_name="+", on_delete=models.PROTECT)
    source = models.CharField(max_length=20, help_text="course, student+course, ...")
    fitted_at = models.DateTimeField()
    checked_at = models.DateTimeField()
    n_reviews = models.PositiveIntegerField(help_text="Training reviews the fit rests on.")
    log_loss = models.FloatField(null=True, blank=True, help_text="On held-out later reviews.")
    rmse_bins = models.FloatField(null=True, blank=True, help_text="RMSE(bins) on held-out later reviews.")
    # The course's row only: how far its students' own fits may move, chosen at the last refit.
    student_spread = models.FloatField(
        null=True,
        blank=True,
        help_text="Of the spread between people, for the parameters a student's first weeks measure "
        "(cards.core.fitting.student_spread); the course's row only.",
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["course"], condition=Q(enrollment__isnull=True), name="scheduler_parameters_course_unique"
            ),
        ]
        verbose_name_plural = "scheduler parameters"

    def __str__(self) -> str:
        who = f"enrolment {self.enrollment_id}" if self.enrollment_id else "the course"
        return f"parameters of {who} in course {self.course_id}"
