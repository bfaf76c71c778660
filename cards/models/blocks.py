"""Question-bank study: a student's private flags and notes on questions, and custom blocks
(a draw of their own cards taken in tutor or timed mode, as UWorld and AMBOSS do it)."""

from __future__ import annotations

from django.conf import settings
from django.db import models

NOTE_MAX_LENGTH = 5000


class QuestionNote(models.Model):
    """A student's flag and private Markdown note on one question; nobody else reads it."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="question_notes", on_delete=models.CASCADE)
    question = models.ForeignKey("cards.Question", related_name="notes", on_delete=models.CASCADE)
    flagged = models.BooleanField(default=False)
    text = models.TextField(blank=True, max_length=NOTE_MAX_LENGTH)
    updated_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "question"], name="question_note_unique")]
        ordering = ["-updated_at", "-id"]

    def __str__(self) -> str:
        return f"note of {self.user_id} on {self.question_id}"
