"""A student's flags and private notes on questions: written only by their owner."""

from __future__ import annotations

from datetime import datetime

from django.db import transaction

from cards.errors import InvalidInput, NotFound
from cards.models import QuestionNote
from cards.models.blocks import NOTE_MAX_LENGTH
from cards.services.authoring import get_question_for_report


def _clean_text(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > NOTE_MAX_LENGTH:
        raise InvalidInput(f"A note is at most {NOTE_MAX_LENGTH} characters.", code="note_too_long", field="text")
    return text


@transaction.atomic
def note_save(
    *, user, question_id: int, now: datetime, flagged: bool | None = None, text: str | None = None
) -> QuestionNote:
    """Create or change the student's note on a question they study (one per question);
    None leaves that part as it was."""
    question = get_question_for_report(user=user, question_id=question_id)
    note = QuestionNote.objects.select_for_update().filter(user=user, question=question).first()
    if note is None:
        note = QuestionNote(user=user, question=question)
    if flagged is not None:
        note.flagged = flagged
    if text is not None:
        note.text = _clean_text(text)
    note.updated_at = now
    note.save()
    return note


@transaction.atomic
def note_update(
    *, user, note_id: int, now: datetime, flagged: bool | None = None, text: str | None = None
) -> QuestionNote:
    note = QuestionNote.objects.select_for_update().filter(pk=note_id, user=user).first()
    if note is None:
        raise NotFound("No such note among yours.", code="note_not_found")
    if flagged is not None:
        note.flagged = flagged
    if text is not None:
        note.text = _clean_text(text)
    note.updated_at = now
    note.save(update_fields=["flagged", "text", "updated_at"])
    return note


@transaction.atomic
def note_delete(*, user, note_id: int) -> None:
    deleted, _ = QuestionNote.objects.filter(pk=note_id, user=user).delete()
    if not deleted:
        raise NotFound("No such note among yours.", code="note_not_found")
