"""API flags and notes: a student's own, create, read, change, delete; anyone else's is 404."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated
from cards.converters import MAX_ID
from cards.core.rendering import render_markdown
from cards.models import QuestionNote
from cards.models.blocks import NOTE_MAX_LENGTH
from cards.selectors.notes import notes_of
from cards.services import notes as note_services

NOTE_FIELDS = {
    "id": serializers.IntegerField(),
    "question": serializers.IntegerField(),
    "flagged": serializers.BooleanField(),
    "text": serializers.CharField(allow_blank=True),
    "html": serializers.CharField(allow_blank=True, help_text="The note's Markdown, rendered and sanitised."),
    "updated_at": serializers.DateTimeField(),
}
NoteOut = inline_serializer("Note", NOTE_FIELDS)


class NoteChangeSerializer(serializers.Serializer):
    flagged = serializers.BooleanField(required=False)
    text = serializers.CharField(required=False, allow_blank=True, max_length=NOTE_MAX_LENGTH, trim_whitespace=False)


class NoteInSerializer(NoteChangeSerializer):
    question = serializers.IntegerField(min_value=1, max_value=MAX_ID)


def note_body(note: QuestionNote) -> dict:
    return {
        "id": note.pk,
        "question": note.question_id,
        "flagged": note.flagged,
        "text": note.text,
        "html": render_markdown(note.text),
        "updated_at": note.updated_at,
    }


@extend_schema(
    methods=["GET"],
    operation_id="notes_list",
    responses={200: paginated("Notes", inline_serializer("Note", NOTE_FIELDS, many=True))},
)
@extend_schema(
    methods=["POST"], request=NoteInSerializer, responses={201: NoteOut, 400: ErrorSerializer, 404: ErrorSerializer}
)
@api_view(["GET", "POST"])
def notes(request):
    """GET: your flags and notes, newest first (`?flagged=1`: flagged only). POST: flag or note a
    question you study (one note per question: a second POST changes it)."""
    if request.method == "GET":
        found = notes_of(request.user, flagged_only=request.query_params.get("flagged") == "1")
        return page_of(request, [note_body(n) for n in found])
    data = NoteInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    note = note_services.note_save(
        user=request.user, question_id=v["question"], flagged=v.get("flagged"), text=v.get("text"), now=timezone.now()
    )
    return Response(note_body(note), status=201)


@extend_schema(methods=["GET"], operation_id="note_retrieve", responses={200: NoteOut, 404: ErrorSerializer})
@extend_schema(
    methods=["PATCH"],
    request=NoteChangeSerializer,
    responses={200: NoteOut, 400: ErrorSerializer, 404: ErrorSerializer},
)
@extend_schema(methods=["DELETE"], responses={204: None, 404: ErrorSerializer})
@api_view(["GET", "PATCH", "DELETE"])
def note_detail(request, note_id: int):
    note = QuestionNote.objects.filter(pk=note_id, user=request.user).first()
    if note is None:
        raise ApiNotFound("No such note among yours.")
    if request.method == "GET":
        return Response(note_body(note))
    if request.method == "DELETE":
        note_services.note_delete(user=request.user, note_id=note.pk)
        return Response(status=204)
    data = NoteChangeSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    note = note_services.note_update(
        user=request.user, note_id=note.pk, flagged=v.get("flagged"), text=v.get("text"), now=timezone.now()
    )
    return Response(note_body(note))
