"""Quizzes: a set of questions taken in one sitting, possibly timed, reviewed as allowed."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class Quiz(models.Model):
    class Reveal(models.TextChoices):
        IMMEDIATELY = "immediately", "Immediately (after each answer)"
        AFTER_SUBMISSION = "after_submission", "After submission"
        AFTER_CLOSE = "after_close", "After the quiz closes"
        NEVER = "never", "Never"

    # What an instructor sets (the quiz form, cards.services.quizzes.quiz_update).
    SETTINGS = (
        "title",
        "num_questions",
        "time_limit_minutes",
        "opens_at",
        "closes_at",
        "attempts_allowed",
        "show_score",
        "show_correct",
        "show_explanations",
    )

    course = models.ForeignKey("cards.Course", related_name="quizzes", on_delete=models.CASCADE)
    title = models.CharField(max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL)
    is_practice = models.BooleanField(default=False, help_text="A student's own practice quiz.")
    topics = models.ManyToManyField("cards.Topic", blank=True)
    questions = models.ManyToManyField("cards.Question", blank=True, help_text="Hand-picked questions.")
    num_questions = models.PositiveSmallIntegerField(default=10)
    time_limit_minutes = models.PositiveSmallIntegerField(null=True, blank=True)
    opens_at = models.DateTimeField(null=True, blank=True)
    closes_at = models.DateTimeField(null=True, blank=True)
    attempts_allowed = models.PositiveSmallIntegerField(default=1, help_text="0 means unlimited.")
    show_score = models.CharField(max_length=20, choices=Reveal.choices, default=Reveal.AFTER_SUBMISSION)
    show_correct = models.CharField(max_length=20, choices=Reveal.choices, default=Reveal.AFTER_SUBMISSION)
    show_explanations = models.CharField(max_length=20, choices=Reveal.choices, default=Reveal.AFTER_SUBMISSION)
    # Taken off the students' list but kept with its attempts and results: a quiz that was
    # taken is archived, never deleted (cards.services.quizzes.quiz_delete refuses it).
    archived = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title


class Attempt(models.Model):
    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    quiz = models.ForeignKey(Quiz, related_name="attempts", on_delete=models.CASCADE)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="attempts", on_delete=models.CASCADE)
    number = models.PositiveSmallIntegerField(default=1)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    # The draw, fixed at the start so a reload shows the same quiz: [question id, ...]
    # and {question id: [choice id, ...]} in display order.
    question_ids = models.JSONField(default=list)
    choice_orders = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at"]
        constraints = [models.UniqueConstraint(fields=["quiz", "user", "number"], name="attempt_number_unique")]
        indexes = [models.Index(fields=["user", "status"])]

    def __str__(self) -> str:
        return f"{self.user} on {self.quiz} #{self.number}"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED


class Response(models.Model):
    attempt = models.ForeignKey(Attempt, related_name="responses", on_delete=models.CASCADE)
    question = models.ForeignKey("cards.Question", related_name="responses", on_delete=models.CASCADE)
    question_revision = models.PositiveIntegerField()
    answer = models.JSONField(default=dict)
    correct = models.BooleanField(default=False)
    score = models.FloatField(default=0.0)
    first_answered_at = models.DateTimeField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["attempt", "question"], name="response_unique")]

    def __str__(self) -> str:
        return f"response to {self.question_id} in attempt {self.attempt_id}"
