"""API custom blocks: the pools' sizes, create, list, get, answer, submit; someone else's
block is 404. The key, explanation and passage of a question appear only where the page
shows them (tutor: once answered; timed: once submitted)."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.response import Response

from cards.api.quizzes import AttemptAnswerSerializer
from cards.api.study import AnswerSerializer, ClassSharesOut, class_body
from cards.api.support import ErrorSerializer, page_of, paginated
from cards.converters import MAX_ID, parse_id
from cards.core import grading
from cards.models import Block, Enrollment
from cards.selectors.blocks import (
    block_as_of,
    block_for,
    block_items,
    block_percentile,
    blocks_of,
    day_end_for,
    item_shares,
    pool_sizes,
)
from cards.selectors.study import user_timezone
from cards.services import blocks as block_services

BLOCK_FIELDS = {
    "id": serializers.IntegerField(),
    "course": serializers.IntegerField(),
    "mode": serializers.CharField(),
    "pool": serializers.CharField(),
    "topics": serializers.ListField(child=serializers.IntegerField()),
    "size": serializers.IntegerField(),
    "seconds_per_question": serializers.IntegerField(allow_null=True),
    "status": serializers.CharField(),
    "started_at": serializers.DateTimeField(),
    "deadline": serializers.DateTimeField(allow_null=True),
    "remaining_seconds": serializers.IntegerField(allow_null=True),
    "submitted_at": serializers.DateTimeField(allow_null=True),
    "auto_submitted": serializers.BooleanField(),
    "score": serializers.FloatField(allow_null=True),
    "max_score": serializers.FloatField(allow_null=True),
}
PassageOut = inline_serializer(
    "BlockPassage",
    {
        "source": serializers.CharField(),
        "key": serializers.CharField(),
        "quote": serializers.CharField(),
        "text": serializers.CharField(),
    },
    allow_null=True,
)
BLOCK_QUESTION = inline_serializer(
    "BlockQuestion",
    {
        "card": serializers.IntegerField(),
        "question": serializers.IntegerField(),
        "number": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "prompt": serializers.CharField(),
        "choices": serializers.ListField(
            child=inline_serializer("BlockChoice", {"id": serializers.IntegerField(), "text": serializers.CharField()})
        ),
        "answer": serializers.DictField(allow_null=True),
        "response_ms": serializers.IntegerField(allow_null=True),
        "revealed": serializers.BooleanField(),
        "correct": serializers.BooleanField(allow_null=True),
        "correct_answer": serializers.CharField(allow_null=True),
        "explanation": serializers.CharField(allow_null=True),
        "passage": PassageOut,
        "class_shares": ClassSharesOut,
    },
    many=True,
)
BlockOut = inline_serializer(
    "Block",
    {
        **BLOCK_FIELDS,
        "percentile": serializers.IntegerField(
            allow_null=True, help_text="Once submitted: your percentile in the course on these questions."
        ),
        "questions": BLOCK_QUESTION,
    },
)


def _summary(block: Block) -> dict:
    remaining = None
    if block.deadline and not block.is_submitted:
        remaining = max(0, int((block.deadline - timezone.now()).total_seconds()))
    return {
        "id": block.pk,
        "course": block.course_id,
        "mode": block.mode,
        "pool": block.pool,
        "topics": block.topic_ids,
        "size": block.size,
        "seconds_per_question": block.seconds_per_question,
        "status": block.status,
        "started_at": block.started_at,
        "deadline": block.deadline,
        "remaining_seconds": remaining,
        "submitted_at": block.submitted_at,
        "auto_submitted": block.auto_submitted,
        "score": block.score,
        "max_score": block.max_score,
    }


def _passage(question) -> dict | None:
    if question.passage is None:
        return None
    passage = question.passage
    return {"source": passage.source.title, "key": passage.key, "quote": question.quote, "text": passage.text}


def block_body(block: Block) -> dict:
    questions = []
    items = block_items(block)
    shares = item_shares(items)  # read with the items; shown only once revealed
    for item in items:
        q, shown = item.question, item.revealed
        questions.append(
            {
                "card": item.card.pk,
                "question": q.pk,
                "number": item.number,
                "kind": q.kind,
                "prompt": grading.cloze_front(q.prompt, item.card.cloze) if q.kind == "cloze" else q.prompt,
                "choices": [{"id": c.pk, "text": c.text} for c in item.choices],
                "answer": item.answer.answer if item.answer else None,
                "response_ms": item.answer.response_ms if item.answer else None,
                "revealed": shown,
                "correct": item.answer.correct if (item.answer and shown) else None,
                "correct_answer": item.correct_answer if shown else None,
                "explanation": q.explanation if shown else None,
                "passage": _passage(q) if shown else None,
                "class_shares": class_body(item.share) if shown else None,
            }
        )
    percentile = block_percentile(items, shares) if block.is_submitted else None
    return {**_summary(block), "percentile": percentile, "questions": questions}


def _own_block(request, block_id: int) -> Block:
    block = block_for(request.user, block_id)
    if block is None:
        raise ApiNotFound("No such block among yours.")
    return block_as_of(block, now=timezone.now())  # read as submitted once its time is up; never written here


class BlockInSerializer(serializers.Serializer):
    course = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    topics = serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=MAX_ID), required=False, max_length=200
    )
    pool = serializers.ChoiceField(choices=Block.Pool.values, default=Block.Pool.ALL)
    size = serializers.IntegerField(min_value=1, max_value=block_services.MAX_SIZE, default=20)
    mode = serializers.ChoiceField(choices=Block.Mode.values, default=Block.Mode.TUTOR)
    seconds_per_question = serializers.IntegerField(
        min_value=block_services.SECONDS_RANGE[0],
        max_value=block_services.SECONDS_RANGE[1],
        required=False,
        help_text="Timed mode: seconds a question (default 90).",
    )


@extend_schema(
    methods=["GET"],
    operation_id="blocks_list",
    responses={200: paginated("Blocks", inline_serializer("BlockSummary", BLOCK_FIELDS, many=True))},
)
@extend_schema(
    methods=["POST"], request=BlockInSerializer, responses={201: BlockOut, 400: ErrorSerializer, 404: ErrorSerializer}
)
@api_view(["GET", "POST"])
def blocks(request):
    """GET: your blocks, newest first. POST: start a block (the draw, the choice order and,
    in timed mode, the deadline are fixed now)."""
    if request.method == "GET":
        now = timezone.now()
        return page_of(request, [_summary(block_as_of(b, now=now)) for b in blocks_of(request.user)])
    data = BlockInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    block = block_services.block_create(
        user=request.user,
        course_id=v["course"],
        topic_ids=v.get("topics", []),
        pool=v["pool"],
        size=v["size"],
        mode=v["mode"],
        seconds_per_question=v.get("seconds_per_question"),
        now=timezone.now(),
    )
    return Response(block_body(block), status=201)


PoolsOut = inline_serializer("BlockPools", {name: serializers.IntegerField() for name in Block.Pool.values})


@extend_schema(
    parameters=[
        OpenApiParameter("course", int, required=True),
        OpenApiParameter("topics", int, many=True, required=False, description="Topic ids; none: all topics."),
    ],
    responses={200: PoolsOut, 400: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET"])
def block_pools(request):
    """How many questions each pool of a course has (for the chosen topics)."""
    course_id = parse_id(request.query_params.get("course", ""))
    if course_id is None:
        return Response(
            {
                "code": "invalid",
                "detail": "course: a course id is required.",
                "fields": {"course": "A course id is required."},
            },
            status=400,
        )
    if not Enrollment.objects.filter(user=request.user, course_id=course_id).exists():
        raise ApiNotFound("No such course among yours.")
    topic_ids = [t for t in (parse_id(v) for v in request.query_params.getlist("topics")) if t is not None]
    now = timezone.now()
    day_end = day_end_for(now, user_timezone(request.user))
    return Response(pool_sizes(user=request.user, course_id=course_id, topic_ids=topic_ids, now=now, day_end=day_end))


@extend_schema(responses={200: BlockOut, 404: ErrorSerializer})
@api_view(["GET"])
def block_detail(request, block_id: int):
    return Response(block_body(_own_block(request, block_id)))


class BlockAnswerSerializer(AttemptAnswerSerializer):
    """An answer as an attempt's is (one answer field), to a card of the block."""

    question = None
    card = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    response_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False, allow_null=True)


@extend_schema(
    request=BlockAnswerSerializer,
    responses={200: BlockOut, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
)
@api_view(["POST"])
def block_answer(request, block_id: int):
    """Answer one question (`card`) of the block: in tutor mode once, in timed mode as often as
    you like until the end; the first answer is also a review of your card."""
    _own_block(request, block_id)  # someone else's block is 404 whatever the body
    data = BlockAnswerSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    block_services.block_answer(
        user=request.user,
        block_id=block_id,
        card_id=v["card"],
        answer={f: v[f] for f in AnswerSerializer.ANSWER_FIELDS if f in v},
        response_ms=v.get("response_ms"),
        now=timezone.now(),
    )
    return Response(block_body(_own_block(request, block_id)))


@extend_schema(request=None, responses={200: BlockOut, 404: ErrorSerializer, 409: ErrorSerializer})
@api_view(["POST"])
def block_submit(request, block_id: int):
    _own_block(request, block_id)
    block_services.block_submit(user=request.user, block_id=block_id, now=timezone.now())
    return Response(block_body(_own_block(request, block_id)))
