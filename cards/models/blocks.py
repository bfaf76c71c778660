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


class Block(models.Model):
    """A student's custom block: cards of one course drawn from a pool, answered in one
    sitting (tutor: feedback after each; timed: one clock, feedback at the end). The draw,
    the choice order and the deadline are fixed at the start, as a quiz attempt's are."""

    class Mode(models.TextChoices):
        TUTOR = "tutor", "Tutor (feedback after each question)"
        TIMED = "timed", "Timed (one clock, feedback at the end)"

    class Pool(models.TextChoices):
        UNUSED = "unused", "Unused (never answered)"
        INCORRECT = "incorrect", "Incorrect (wrong on the last answer)"
        FLAGGED = "flagged", "Flagged"
        LOW_RECALL = "low_recall", "Low recall (predicted recall now below 80%)"
        DUE = "due", "Due today"
        ALL = "all", "All"

    class Status(models.TextChoices):
        IN_PROGRESS = "in_progress", "In progress"
        SUBMITTED = "submitted", "Submitted"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="blocks", on_delete=models.CASCADE)
    course = models.ForeignKey("cards.Course", related_name="blocks", on_delete=models.CASCADE)
    mode = models.CharField(max_length=8, choices=Mode.choices, default=Mode.TUTOR)
    pool = models.CharField(max_length=12, choices=Pool.choices, default=Pool.ALL)
    topic_ids = models.JSONField(default=list, blank=True)  # none: every topic
    seconds_per_question = models.PositiveSmallIntegerField(null=True, blank=True)  # timed mode only
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.IN_PROGRESS)
    started_at = models.DateTimeField()
    deadline = models.DateTimeField(null=True, blank=True)
    submitted_at = models.DateTimeField(null=True, blank=True)
    auto_submitted = models.BooleanField(default=False)
    # The draw: [card id, ...] in order, and {question id: [choice id, ...]} as shown.
    card_ids = models.JSONField(default=list)
    choice_orders = models.JSONField(default=dict)
    score = models.FloatField(null=True, blank=True)
    max_score = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["-started_at", "-id"]
        indexes = [models.Index(fields=["user", "status"], name="block_user_status")]

    def __str__(self) -> str:
        return f"block {self.pk} of {self.user_id} ({self.mode}, {len(self.card_ids)} questions)"

    @property
    def is_submitted(self) -> bool:
        return self.status == self.Status.SUBMITTED

    @property
    def size(self) -> int:
        return len(self.card_ids)


class BlockAnswer(models.Model):
    """The answer given to one question of a block; the first one was also a review of the card."""

    block = models.ForeignKey(Block, related_name="answers", on_delete=models.CASCADE)
    card = models.ForeignKey("cards.Card", related_name="block_answers", on_delete=models.CASCADE)
    question_revision = models.PositiveIntegerField()
    answer = models.JSONField(default=dict)
    correct = models.BooleanField(default=False)
    score = models.FloatField(default=0.0)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    first_answered_at = models.DateTimeField()
    answered_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["block", "card"], name="block_answer_unique")]

    def __str__(self) -> str:
        return f"answer to card {self.card_id} in block {self.block_id}"
