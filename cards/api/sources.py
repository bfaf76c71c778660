"""API teaching: source material and its passages. Creating a source splits it into
passages with stable keys; editing it saves a new version and flags the questions citing a
changed or removed passage, exactly as the web's source page does (the same services)."""

from __future__ import annotations

from django.db.models import Count, Q
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated, require_instructor
from cards.converters import MAX_ID, parse_id
from cards.models import Passage, Question, Source
from cards.permissions import authored_decks, authored_sources, instructor_deck, instructor_source
from cards.services import authoring

REMOVED_ORDER = authoring.REMOVED_PASSAGE_ORDER


class NewSourceSerializer(serializers.Serializer):
    deck = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, help_text="The deck whose questions will cite it (one of yours)."
    )
    title = serializers.CharField(max_length=200)
    text = serializers.CharField(
        max_length=authoring.MAX_SOURCE_CHARS,
        help_text="The material; blank lines separate passages, Markdown headings name them.",
    )


class SourceEditSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False)
    text = serializers.CharField(max_length=authoring.MAX_SOURCE_CHARS, required=False)


SOURCE_FIELDS = {
    "id": serializers.IntegerField(),
    "slug": serializers.CharField(),
    "title": serializers.CharField(),
    "version": serializers.IntegerField(),
    "decks": serializers.ListField(child=serializers.IntegerField(), help_text="Your decks that use it."),
    "passage_count": serializers.IntegerField(),
    "needs_review": serializers.IntegerField(help_text="Questions citing it that are flagged for review."),
    "updated_at": serializers.DateTimeField(),
}
SOURCE_DETAIL_FIELDS = {
    **SOURCE_FIELDS,
    "text": serializers.CharField(),
    "flagged_questions": serializers.ListField(
        child=serializers.IntegerField(), help_text="Ids of the questions to check against the new text."
    ),
    "revisions": serializers.ListField(
        child=inline_serializer(
            "SourceRevision", {"version": serializers.IntegerField(), "created_at": serializers.DateTimeField()}
        )
    ),
}
SourceDetailOut = inline_serializer("SourceDetail", SOURCE_DETAIL_FIELDS)
SourceUpdateOut = inline_serializer(
    "SourceUpdate",
    {
        **SOURCE_DETAIL_FIELDS,
        "changed_passages": serializers.ListField(child=serializers.CharField()),
        "removed_passages": serializers.ListField(child=serializers.CharField()),
        "newly_flagged": serializers.IntegerField(help_text="Questions this edit flagged for review."),
    },
)


def _sources(user):
    return (
        authored_sources(user)
        .annotate(
            passage_count=Count("passages", filter=Q(passages__order__lt=REMOVED_ORDER), distinct=True),
            flagged=Count("passages__questions", filter=Q(passages__questions__needs_review=True), distinct=True),
        )
        .prefetch_related("decks")
        .order_by("title", "pk")
    )


def _source_out(source: Source, deck_ids: set[int]) -> dict:
    return {
        "id": source.pk,
        "slug": source.slug,
        "title": source.title,
        "version": source.version,
        "decks": sorted(d.pk for d in source.decks.all() if d.pk in deck_ids),
        "passage_count": source.passage_count,
        "needs_review": source.flagged,
        "updated_at": source.updated_at,
    }


def _source_detail(user, source_id: int) -> dict:
    source = _sources(user).get(pk=source_id)
    flagged = Question.objects.filter(passage__source=source, needs_review=True).order_by("pk")
    return {
        **_source_out(source, set(authored_decks(user).values_list("pk", flat=True))),
        "text": source.text,
        "flagged_questions": list(flagged.values_list("pk", flat=True)),
        "revisions": [
            {"version": r.version, "created_at": r.created_at} for r in source.revisions.order_by("-version")
        ],
    }


@extend_schema(
    methods=["GET"],
    operation_id="v1_teach_sources_list",
    parameters=[OpenApiParameter("deck", int, description="Only the sources of this deck.")],
    responses={
        200: paginated("Sources", inline_serializer("Source", SOURCE_FIELDS, many=True)),
        403: ErrorSerializer,
    },
)
@extend_schema(
    methods=["POST"],
    request=NewSourceSerializer,
    responses={201: SourceDetailOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET", "POST"])
def teach_sources(request):
    """Your sources (filter ?deck=); or add one to a deck: it is split into passages."""
    require_instructor(request)
    if request.method == "GET":
        sources = _sources(request.user)
        deck_id = parse_id(request.query_params.get("deck"))
        if deck_id is not None:
            sources = sources.filter(decks=deck_id)
        deck_ids = set(authored_decks(request.user).values_list("pk", flat=True))
        return page_of(request, sources, lambda s: _source_out(s, deck_ids))
    data = NewSourceSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    deck = instructor_deck(request.user, data.validated_data["deck"])
    source = authoring.source_create(
        owner=request.user, title=data.validated_data["title"], text=data.validated_data["text"], deck=deck
    )
    return Response(_source_detail(request.user, source.pk), status=201)


@extend_schema(methods=["GET"], responses={200: SourceDetailOut, 403: ErrorSerializer, 404: ErrorSerializer})
@extend_schema(
    methods=["PATCH"],
    request=SourceEditSerializer,
    responses={200: SourceUpdateOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET", "PATCH"])
def teach_source_detail(request, source_id: int):
    """One of your sources with its text and versions. PATCH saves a new version when the text
    changes: passages keep their keys, and questions citing a changed or removed passage are
    flagged for review (clear the flag with POST questions/<id>/reviewed/)."""
    require_instructor(request)
    source = instructor_source(request.user, source_id)
    if request.method == "GET":
        return Response(_source_detail(request.user, source.pk))
    data = SourceEditSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    result = authoring.source_update(
        source=source,
        title=data.validated_data.get("title", source.title),
        text=data.validated_data.get("text", source.text),
        author=request.user,
    )
    return Response(
        {
            **_source_detail(request.user, source.pk),
            "changed_passages": result.changed_passages,
            "removed_passages": result.removed_passages,
            "newly_flagged": result.flagged_questions,
        }
    )


PASSAGE_FIELDS = {
    "id": serializers.IntegerField(),
    "key": serializers.CharField(help_text="Cite it as {source: <slug>, passage: <key>}."),
    "heading": serializers.CharField(),
    "text": serializers.CharField(),
    "order": serializers.IntegerField(),
    "cited_by": serializers.IntegerField(help_text="Questions citing it."),
}


@extend_schema(
    responses={
        200: paginated("Passages", inline_serializer("Passage", PASSAGE_FIELDS, many=True)),
        403: ErrorSerializer,
        404: ErrorSerializer,
    }
)
@api_view(["GET"])
def teach_source_passages(request, source_id: int):
    """The source's current passages in reading order, with how many questions cite each."""
    require_instructor(request)
    source = instructor_source(request.user, source_id)
    passages = (
        Passage.objects.filter(source=source, order__lt=REMOVED_ORDER)
        .annotate(cited_by=Count("questions"))
        .order_by("order")
    )
    return page_of(
        request,
        passages,
        lambda p: {
            "id": p.pk,
            "key": p.key,
            "heading": p.heading,
            "text": p.text,
            "order": p.order,
            "cited_by": p.cited_by,
        },
    )
