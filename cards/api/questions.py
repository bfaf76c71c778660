"""API authoring: an instructor's questions, listed, created, edited and published."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated, require_instructor
from cards.converters import MAX_ID, parse_id
from cards.core import grading
from cards.models import Question
from cards.permissions import authored_decks, instructor_deck, instructor_question
from cards.services import authoring
from cards.services.banks import question_data


def _question_out(question: Question) -> dict:
    return {
        "id": question.pk,
        "deck": question.deck_id,
        "revision": question.revision,
        "needs_review": question.needs_review,
        **question_data(question, list(question.choices.all())),
        "safety_critical": question.safety_critical,
    }


_ANSWER_LIST = {"type": "array", "items": {"type": "string", "maxLength": 200}, "maxItems": 30}


@extend_schema_field(
    {
        "oneOf": [
            _ANSWER_LIST,
            {
                "type": "object",
                "additionalProperties": _ANSWER_LIST,
                "maxProperties": 30,
            },
        ],
        "description": (
            'A short answer\'s accepted answers (a list), or a cloze\'s alternatives per blank: {"c1": ["CNS"]}.'
        ),
    }
)
class AnswersField(serializers.Field):
    """A short answer's accepted answers, or a cloze question's alternatives per blank
    ({"c1": ["CNS"]}); whether the blanks exist is the bank validator's to say."""

    default_error_messages = {
        "invalid": (
            # DRF formats the message: the braces are doubled
            'Give a list of accepted answers, or for a cloze an object of alternatives per blank: {{"c1": ["CNS"]}}.'
        )
    }

    def to_internal_value(self, data):
        answer_list = serializers.ListField(child=serializers.CharField(max_length=200), max_length=30)
        if isinstance(data, list):
            return answer_list.run_validation(data)
        if isinstance(data, dict) and len(data) <= 30:
            return {key: answer_list.run_validation(values) for key, values in data.items()}
        self.fail("invalid")

    def to_representation(self, value):
        return value


class QuestionInSerializer(serializers.Serializer):
    # Required to create; a PATCH (partial) may leave it out, and cannot move a question.
    deck = serializers.IntegerField(min_value=1, max_value=MAX_ID, error_messages={"required": "Which deck?"})
    kind = serializers.ChoiceField(choices=grading.KINDS, required=False)
    topic = serializers.CharField(max_length=50, required=False)
    prompt = serializers.CharField(max_length=5000, required=False)
    back = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    choices = serializers.ListField(
        child=inline_serializer(
            "ChoiceIn",
            {
                "text": serializers.CharField(max_length=1000),
                "correct": serializers.BooleanField(),
                "feedback": serializers.CharField(max_length=2000, required=False, allow_blank=True, default=""),
            },
        ),
        required=False,
        max_length=12,
    )
    answers = AnswersField(required=False)
    explanation = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    source = inline_serializer(
        "SourceIn",
        {
            "source": serializers.CharField(max_length=80),
            "passage": serializers.CharField(max_length=120),
            "quote": serializers.CharField(max_length=2000),
        },
        required=False,
    )
    status = serializers.ChoiceField(choices=Question.Status.values, required=False)
    tags = serializers.ListField(child=serializers.CharField(max_length=50), required=False, max_length=30)
    safety_critical = serializers.BooleanField(
        required=False, help_text="Scheduled at the course's safety retention; flagged in class analytics."
    )
    change = serializers.ChoiceField(choices=["minor", "substantive"], required=False, default="minor")


QUESTION_FIELDS = {
    "id": serializers.IntegerField(),
    "deck": serializers.IntegerField(),
    "revision": serializers.IntegerField(),
    "uid": serializers.CharField(),
    "kind": serializers.CharField(),
    "topic": serializers.CharField(),
    "prompt": serializers.CharField(),
    "status": serializers.CharField(),
    "safety_critical": serializers.BooleanField(),
}
QuestionOut = inline_serializer("Question", QUESTION_FIELDS)


@extend_schema(
    methods=["GET"],
    operation_id="v1_questions_list",
    parameters=[
        OpenApiParameter("deck", int),
        OpenApiParameter("needs_review", bool, description="Only the questions flagged by a source edit."),
    ],
    responses={
        200: paginated("Questions", inline_serializer("Question", QUESTION_FIELDS, many=True)),
        403: ErrorSerializer,
    },
)
@extend_schema(
    methods=["POST"],
    request=QuestionInSerializer,
    responses={201: QuestionOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET", "POST"])
def questions(request):
    """List your questions (filter ?deck=, ?needs_review=true), or create one (same validation as the editor)."""
    require_instructor(request)
    if request.method == "GET":
        qs = (
            Question.objects.filter(deck__in=authored_decks(request.user))
            .select_related("topic", "passage__source")
            .prefetch_related("choices")
            .order_by("deck_id", "uid")
        )
        deck_id = parse_id(request.query_params.get("deck"))
        if deck_id is not None:
            qs = qs.filter(deck_id=deck_id)
        if request.query_params.get("needs_review") in ("1", "true"):
            qs = qs.filter(needs_review=True)
        return page_of(request, qs, _question_out)
    data = QuestionInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = dict(data.validated_data)
    deck = instructor_deck(request.user, v.pop("deck"))
    change = v.pop("change")
    question = authoring.question_save(deck=deck, data=v, author=request.user, change=change)
    return Response(_question_out(question), status=201)


@extend_schema(methods=["GET"], responses={200: QuestionOut, 403: ErrorSerializer, 404: ErrorSerializer})
@extend_schema(
    methods=["PATCH"],
    request=QuestionInSerializer,
    responses={200: QuestionOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET", "PATCH"])
def question_detail(request, question_id: int):
    require_instructor(request)
    question = instructor_question(request.user, question_id)
    if request.method == "GET":
        return Response(_question_out(question))
    data = QuestionInSerializer(data=request.data, partial=True)
    data.is_valid(raise_exception=True)
    v = dict(data.validated_data)
    v.pop("deck", None)
    change = v.pop("change", "minor")
    merged = {**question_data(question, list(question.choices.all())), **v}
    question = authoring.question_save(
        deck=question.deck, data=merged, author=request.user, question=question, change=change
    )
    return Response(_question_out(question))


@extend_schema(
    request=None, responses={200: QuestionOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer}
)
@api_view(["POST"])
def question_publish(request, question_id: int):
    require_instructor(request)
    question = authoring.question_set_status(
        question=instructor_question(request.user, question_id), status=Question.Status.PUBLISHED
    )
    return Response(_question_out(question))


@extend_schema(request=None, responses={200: QuestionOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def question_reviewed(request, question_id: int):
    """You checked the question against its passage's new text: clear its needs_review flag."""
    require_instructor(request)
    question = authoring.question_mark_reviewed(question=instructor_question(request.user, question_id))
    return Response(_question_out(question))
