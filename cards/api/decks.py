"""API teaching: an instructor's decks (listed with their question counts, created, read)
and the topics questions are filed under."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated, require_instructor
from cards.models import Deck, Topic
from cards.permissions import authored_decks, instructor_deck, taught_courses
from cards.selectors.content import STATUS_COUNTS, with_question_counts
from cards.services import authoring


class DeckInSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True, default="")


COUNTS = ("total", *STATUS_COUNTS, "needs_review")
AUTHORED_DECK_FIELDS = {
    "id": serializers.IntegerField(),
    "slug": serializers.CharField(),
    "title": serializers.CharField(),
    "description": serializers.CharField(),
    "sources": serializers.ListField(child=serializers.IntegerField()),
    "courses": serializers.ListField(child=serializers.IntegerField(), help_text="Your courses that offer it."),
    "questions": inline_serializer("DeckQuestionCounts", {name: serializers.IntegerField() for name in COUNTS}),
}
AuthoredDeckOut = inline_serializer("AuthoredDeck", AUTHORED_DECK_FIELDS)


def _decks(user):
    return with_question_counts(authored_decks(user)).prefetch_related("sources", "courses").order_by("title", "pk")


def _deck_out(deck: Deck, course_ids: set[int]) -> dict:
    return {
        "id": deck.pk,
        "slug": deck.slug,
        "title": deck.title,
        "description": deck.description,
        "sources": sorted(s.pk for s in deck.sources.all()),
        "courses": sorted(c.pk for c in deck.courses.all() if c.pk in course_ids),
        "questions": {name: getattr(deck, f"n_{name}") for name in COUNTS},
    }


def _my_course_ids(user) -> set[int]:
    return set(taught_courses(user).values_list("pk", flat=True))


@extend_schema(
    methods=["GET"],
    operation_id="v1_teach_decks_list",
    responses={
        200: paginated("AuthoredDecks", inline_serializer("AuthoredDeck", AUTHORED_DECK_FIELDS, many=True)),
        403: ErrorSerializer,
    },
)
@extend_schema(
    methods=["POST"],
    request=DeckInSerializer,
    responses={201: AuthoredDeckOut, 400: ErrorSerializer, 403: ErrorSerializer},
)
@api_view(["GET", "POST"])
def teach_decks(request):
    """The decks you own or that your courses offer, with their question counts; or create one."""
    require_instructor(request)
    if request.method == "GET":
        course_ids = _my_course_ids(request.user)
        return page_of(request, _decks(request.user), lambda d: _deck_out(d, course_ids))
    data = DeckInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    deck = authoring.deck_create(owner=request.user, **data.validated_data)
    return Response(_deck_out(_decks(request.user).get(pk=deck.pk), _my_course_ids(request.user)), status=201)


@extend_schema(responses={200: AuthoredDeckOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["GET"])
def teach_deck_detail(request, deck_id: int):
    require_instructor(request)
    deck = instructor_deck(request.user, deck_id)
    return Response(_deck_out(_decks(request.user).get(pk=deck.pk), _my_course_ids(request.user)))


class SafetyTagInSerializer(serializers.Serializer):
    tag = serializers.CharField(max_length=100, help_text="A tag of the deck's questions.")
    critical = serializers.BooleanField(help_text="true: mark them safety-critical; false: unmark them.")


@extend_schema(
    request=SafetyTagInSerializer,
    responses={
        200: inline_serializer(
            "SafetyTagResult",
            {
                "tag": serializers.CharField(),
                "critical": serializers.BooleanField(),
                "changed": serializers.IntegerField(help_text="Questions whose flag changed."),
            },
        ),
        400: ErrorSerializer,
        403: ErrorSerializer,
        404: ErrorSerializer,
    },
)
@api_view(["POST"])
def teach_deck_safety(request, deck_id: int):
    """Mark (or unmark) every question of the deck with a tag as safety-critical: scheduled at
    each course's safety retention. No new revision: the flag is not content."""
    require_instructor(request)
    deck = instructor_deck(request.user, deck_id)
    data = SafetyTagInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    tag, critical = data.validated_data["tag"], data.validated_data["critical"]
    changed = authoring.deck_tag_safety(deck=deck, tag=tag, critical=critical)
    return Response({"tag": tag, "critical": critical, "changed": changed})


class TopicInSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    slug = serializers.SlugField(max_length=50, required=False, help_text="Made from the name when left out.")


TOPIC_FIELDS = {"slug": serializers.CharField(), "name": serializers.CharField()}
TopicOut = inline_serializer("Topic", TOPIC_FIELDS)


@extend_schema(
    methods=["GET"],
    operation_id="v1_teach_topics_list",
    responses={200: paginated("Topics", inline_serializer("Topic", TOPIC_FIELDS, many=True)), 403: ErrorSerializer},
)
@extend_schema(
    methods=["POST"], request=TopicInSerializer, responses={201: TopicOut, 400: ErrorSerializer, 403: ErrorSerializer}
)
@api_view(["GET", "POST"])
def teach_topics(request):
    """The topics a question can be filed under (shared by every deck); or add one."""
    require_instructor(request)
    if request.method == "GET":
        return page_of(request, Topic.objects.order_by("name", "slug"), lambda t: {"slug": t.slug, "name": t.name})
    data = TopicInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    topic = authoring.topic_create(**data.validated_data)
    return Response({"slug": topic.slug, "name": topic.name}, status=201)
