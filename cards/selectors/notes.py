"""Reads of a student's flags and notes: only ever their own."""

from __future__ import annotations

from cards.models import QuestionNote


def notes_of(user, *, flagged_only: bool = False):
    """The student's notes, newest first, with their questions (for the notes page and API)."""
    notes = QuestionNote.objects.filter(user=user).select_related("question__deck", "question__topic")
    return notes.filter(flagged=True) if flagged_only else notes


def note_on(user, question_id: int) -> QuestionNote | None:
    return QuestionNote.objects.filter(user=user, question_id=question_id).first()


def flagged_question_ids(user):
    return QuestionNote.objects.filter(user=user, flagged=True).values("question_id")
