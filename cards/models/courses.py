"""Courses, who belongs to them, and each student's own study preferences."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models

from cards.core.scheduling import SchedulerSettings, card_retention

JOIN_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I look-alikes


def new_join_code() -> str:
    return "".join(secrets.choice(JOIN_CODE_ALPHABET) for _ in range(8))


def default_learning_steps() -> list[int]:
    return [1, 10]


def default_relearning_steps() -> list[int]:
    return [10]


class Course(models.Model):
    title = models.CharField(max_length=200)
    join_code = models.CharField(max_length=12, unique=True, default=new_join_code)
    is_open = models.BooleanField(default=False, help_text="Open courses are visible to every student without a code.")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="owned_courses",
        on_delete=models.SET_NULL,
    )
    instructors = models.ManyToManyField(settings.AUTH_USER_MODEL, related_name="taught_courses", blank=True)
    decks = models.ManyToManyField("cards.Deck", related_name="courses", blank=True)

    # Scheduler defaults for the course (students may override retention).
    desired_retention = models.FloatField(default=0.9, validators=[MinValueValidator(0.7), MaxValueValidator(0.99)])
    learning_steps = models.JSONField(default=default_learning_steps, help_text="Minutes.")
    relearning_steps = models.JSONField(default=default_relearning_steps, help_text="Minutes.")
    maximum_interval = models.PositiveIntegerField(default=36500, help_text="Days.")
    enable_fuzz = models.BooleanField(default=True)
    new_per_day = models.PositiveIntegerField(default=20)
    reviews_per_day = models.PositiveIntegerField(default=200)
    bury_siblings = models.BooleanField(
        default=True,
        help_text="After a question is answered in study, the questions citing the same passage wait until the "
        "next study day, so that the next card does not give the answer away.",
    )
    exam_date = models.DateField(
        null=True, blank=True, help_text="The course's exam: students inherit it unless they set their own."
    )
    safety_retention = models.FloatField(
        default=0.95,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.99)],
        help_text="The desired retention of safety-critical questions (a student's own higher retention wins).",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return self.title

    def scheduler_settings(
        self,
        desired_retention: float | None = None,
        parameters: tuple[float, ...] | list | None = None,
        *,
        safety_critical: bool = False,
    ) -> SchedulerSettings:
        """The FSRS settings of this course, with a student's own retention if they set one
        and the fitted parameters that schedule them (None: FSRS's defaults); a
        safety-critical question is scheduled at the course's safety retention at least."""
        return SchedulerSettings(
            desired_retention=card_retention(
                desired_retention or self.desired_retention, self.safety_retention, safety_critical=safety_critical
            ),
            parameters=tuple(parameters) if parameters else None,
            learning_steps=tuple(self.learning_steps),
            relearning_steps=tuple(self.relearning_steps),
            maximum_interval=self.maximum_interval,
            enable_fuzzing=self.enable_fuzz,
        )


class Enrollment(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="enrollments", on_delete=models.CASCADE)
    course = models.ForeignKey(Course, related_name="enrollments", on_delete=models.CASCADE)
    desired_retention = models.FloatField(
        null=True,
        blank=True,
        validators=[MinValueValidator(0.7), MaxValueValidator(0.99)],
        help_text="Overrides the course default when set.",
    )
    own_parameters = models.BooleanField(
        default=True,
        help_text="Schedule with the student's own fitted parameters when they have them (else the course's).",
    )
    exam_date = models.DateField(null=True, blank=True, help_text="The student's own exam date (else the course's).")
    joined_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "course"], name="enrollment_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.course}"


class Profile(models.Model):
    """Per-user preferences the scheduler needs: whose 'today' it is."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, related_name="profile", on_delete=models.CASCADE)
    timezone = models.CharField(max_length=64, default="UTC")

    def __str__(self) -> str:
        return f"profile of {self.user}"
