"""Study state: one Card per student x question x cloze deletion, and the review log."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class Card(models.Model):
    class State(models.IntegerChoices):
        # Values match fsrs.State, so they pass through the scheduler unchanged.
        LEARNING = 1, "Learning"
        REVIEW = 2, "Review"
        RELEARNING = 3, "Relearning"

    # No index of its own: card_user_due and the queue indexes lead with the user, and a spare
    # user index misled PostgreSQL's generic plan of the study queue (migration 0011).
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="cards", on_delete=models.CASCADE, db_index=False)
    question = models.ForeignKey("cards.Question", related_name="cards", on_delete=models.CASCADE)
    # Denormalised from question.deck so a deck's queue is one index range scan.
    deck = models.ForeignKey("cards.Deck", related_name="cards", on_delete=models.CASCADE)
    # The course whose scheduler settings apply to this card.
    course = models.ForeignKey("cards.Course", related_name="cards", on_delete=models.CASCADE)
    cloze = models.PositiveSmallIntegerField(default=0, help_text="Cloze number; 0 otherwise.")

    state = models.PositiveSmallIntegerField(choices=State.choices, default=State.LEARNING)
    step = models.PositiveSmallIntegerField(null=True, blank=True, default=0)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField()
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    suspended = models.BooleanField(default=False)
    # A card forgotten again and again (8 lapses, as Anki) is a leech: suspended and listed.
    leech = models.BooleanField(default=False)
    # Buried (Anki's "bury siblings"): a question citing the same passage as one just
    # answered in study waits until this moment, the student's next study day.
    buried_until = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "question", "cloze"], name="card_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "due"], name="card_user_due"),
            models.Index(fields=["user", "deck", "due"], name="card_user_deck_due"),
            # A student's cards of one course (a block's pools, the block form's counts):
            # without it SQLite, which keeps no statistics, read them through the course's
            # index, every classmate's card (234,000 rows, 22 ms a block; docs/performance.md).
            models.Index(fields=["user", "course"], name="card_user_course"),
            # The study queue reads each of its queues through an index of its own, so the
            # next card and the capped counts cost the same at 10 cards or 10,000
            # (cards.selectors.study_queue): new cards in due order, and reviewed cards by
            # state (learning steps, reviews) in due order; suspended cards are left out and
            # the question id and the burial are carried, so counting reads the index alone.
            models.Index(
                fields=["user", "deck", "due", "id", "question", "buried_until"],
                condition=Q(last_review__isnull=True, suspended=False),
                name="card_new_queue",
            ),
            models.Index(
                fields=["user", "deck", "state", "due", "id", "question", "buried_until"],
                condition=Q(last_review__isnull=False, suspended=False),
                name="card_reviewed_queue",
            ),
        ]

    def __str__(self) -> str:
        suffix = f" c{self.cloze}" if self.cloze else ""
        return f"card {self.pk} ({self.question_id}{suffix}) of {self.user_id}"

    @property
    def is_new(self) -> bool:
        return self.last_review is None


RATING_NAMES = {1: "Again", 2: "Hard", 3: "Good", 4: "Easy"}


class ReviewLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise ReviewLogIsAppendOnly("review log rows are never updated")

    def delete(self):
        raise ReviewLogIsAppendOnly("review log rows are never deleted")


class ReviewLogIsAppendOnly(Exception):
    pass


class ReviewLog(models.Model):
    """Append-only history of answers. An undo is a new row pointing at the undone one."""

    class Kind(models.TextChoices):
        REVIEW = "review", "Review"
        UNDO = "undo", "Undo"

    # PROTECT: months of a student's work are never deleted as a side effect of deleting
    # their card or account (a cascade would bypass the queryset guard below).
    # No single-column indexes on user and card: reviewlog_user_time and reviewlog_card_time
    # lead with them. The spare user index also misled PostgreSQL's generic plan for the
    # study queue into reading a heavy student's whole history (docs/benchmarks.md).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, related_name="review_logs", on_delete=models.PROTECT, db_index=False
    )
    card = models.ForeignKey(Card, related_name="logs", on_delete=models.PROTECT, db_index=False)
    kind = models.CharField(max_length=8, choices=Kind.choices, default=Kind.REVIEW)
    undoes = models.OneToOneField("self", null=True, blank=True, related_name="undone_by", on_delete=models.PROTECT)
    # "I was right": a typed answer graded wrong that the student claimed right. The wrong
    # review is undone (an undo row) and this review, correct, points at it; the scheduler
    # takes it as any correct answer. A plain foreign key: a unique one would make SQLite
    # rebuild the table, dropping the append-only trigger (migration 0015).
    overrides = models.ForeignKey("self", null=True, blank=True, related_name="overridden_by", on_delete=models.PROTECT)
    review_id = models.UUIDField(default=uuid.uuid4)
    question_revision = models.PositiveIntegerField()
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    answer = models.JSONField(default=dict, blank=True)
    correct = models.BooleanField(null=True)
    score = models.FloatField(null=True, blank=True)
    response_ms = models.PositiveIntegerField(null=True, blank=True)
    was_new = models.BooleanField(default=False)
    reviewed_at = models.DateTimeField()
    state_before = models.JSONField()
    state_after = models.JSONField()
    # The fitted parameters that scheduled this review (empty: FSRS's defaults, or a review
    # logged before they were recorded, migration 0019). No index: read with the card's log.
    parameter_set = models.ForeignKey(
        "cards.ParameterSet", null=True, blank=True, related_name="+", on_delete=models.PROTECT, db_index=False
    )

    objects = ReviewLogQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "review_id"], name="reviewlog_review_id_unique"),
        ]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="reviewlog_user_time"),
            models.Index(fields=["card", "reviewed_at"], name="reviewlog_card_time"),
            # First answers of cards (item analysis reads them for a whole class): one entry
            # per card instead of a walk through every card's history.
            models.Index(fields=["card"], condition=Q(was_new=True), name="reviewlog_first_answer"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.review_id} of card {self.card_id}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ReviewLogIsAppendOnly("review log rows are never updated")
        # Always an INSERT: a new instance carrying an existing id must fail, not overwrite.
        kwargs["force_insert"] = True
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ReviewLogIsAppendOnly("review log rows are never deleted")

    @property
    def rating_label(self) -> str:
        return RATING_NAMES.get(self.rating, "")
