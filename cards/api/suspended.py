"""API suspended cards: list them (per deck), suspend one, put one back into the reviews.

The web's Suspended list (/study/<course>/<deck>/suspended/) and the dashboard read the same
statement (cards.db.progress.suspended)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.response import Response

from cards.api.support import ErrorSerializer
from cards.converters import MAX_ID, parse_id
from cards.models import Deck
from cards.selectors.progress import suspended as suspended_cards
from cards.services import study as study_services

SuspendedOut = inline_serializer(
    "SuspendedCard",
    {
        "card": serializers.IntegerField(),
        "course": serializers.IntegerField(),
        "deck": serializers.IntegerField(),
        "deck_title": serializers.CharField(),
        "kind": serializers.CharField(),
        "prompt": serializers.CharField(help_text="The card's front (a cloze card: its own blank hidden)."),
        "lapses": serializers.IntegerField(),
        "leech": serializers.BooleanField(help_text="Suspended by the scheduler after 8 lapses."),
    },
    many=True,
)


class CardIn(serializers.Serializer):
    card = serializers.IntegerField(min_value=1, max_value=MAX_ID)


CardSuspendedOut = inline_serializer(
    "CardSuspended", {"card": serializers.IntegerField(), "suspended": serializers.BooleanField()}
)


@extend_schema(
    parameters=[OpenApiParameter("deck", int, required=False, description="Only this deck's cards.")],
    responses={200: SuspendedOut, 400: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET"])
def study_suspended(request):
    """The user's suspended cards (leeches and cards they suspended), by deck."""
    cards = suspended_cards(user_id=request.user.pk)
    if "deck" in request.query_params:
        deck_id = parse_id(request.query_params["deck"])
        if deck_id is None:
            return Response(
                {"code": "invalid", "detail": "deck: a deck id.", "fields": {"deck": "A deck id."}}, status=400
            )
        if not Deck.objects.filter(pk=deck_id, courses__enrollments__user=request.user).exists():
            raise ApiNotFound("No such deck among yours.")
        cards = [c for c in cards if c.deck_id == deck_id]
    return Response(
        [
            {
                "card": c.card_id,
                "course": c.course_id,
                "deck": c.deck_id,
                "deck_title": c.deck_title,
                "kind": c.kind,
                "prompt": c.shown,
                "lapses": c.lapses,
                "leech": c.leech,
            }
            for c in cards
        ]
    )


def _set_suspended(request, *, suspended: bool) -> Response:
    data = CardIn(data=request.data)
    data.is_valid(raise_exception=True)
    card = study_services.set_card_suspended(
        user=request.user, card_id=data.validated_data["card"], suspended=suspended
    )
    return Response({"card": card.pk, "suspended": card.suspended})


@extend_schema(request=CardIn, responses={200: CardSuspendedOut, 400: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def study_suspend(request):
    """Take one of the user's cards out of their reviews until they unsuspend it."""
    return _set_suspended(request, suspended=True)


@extend_schema(request=CardIn, responses={200: CardSuspendedOut, 400: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def study_unsuspend(request):
    """Put one of the user's suspended cards (a leech too) back into their reviews."""
    return _set_suspended(request, suspended=False)
