"""API quizzes: a student's quizzes and attempts, and an instructor's item analysis."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.response import Response

from cards.api.study import AnswerSerializer
from cards.api.support import ErrorSerializer, page_of, paginated
from cards.core import grading
from cards.models import Attempt
from cards.permissions import COHORT_PERMISSION, instructor_course
from cards.selectors.cohort import course_item_analysis
from cards.selectors.quizzes import attempt_as_of, attempt_items, quizzes_for_student, reveal_allowed
from cards.services import quizzes as quiz_services

QUIZ_FIELDS = {
    "id": serializers.IntegerField(),
    "title": serializers.CharField(),
    "course": serializers.IntegerField(),
    "num_questions": serializers.IntegerField(),
    "time_limit_minutes": serializers.IntegerField(allow_null=True),
    "opens_at": serializers.DateTimeField(allow_null=True),
    "closes_at": serializers.DateTimeField(allow_null=True),
    "attempts_allowed": serializers.IntegerField(),
    "attempts_used": serializers.IntegerField(),
}
ATTEMPT_QUESTION = inline_serializer(
    "AttemptQuestion",
    {
        "id": serializers.IntegerField(),
        "number": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "prompt": serializers.CharField(),
        "choices": serializers.ListField(
            child=inline_serializer(
                "AttemptChoice", {"id": serializers.IntegerField(), "text": serializers.CharField()}
            )
        ),
        "answer": serializers.DictField(allow_null=True),
        "correct": serializers.BooleanField(allow_null=True),
        "correct_answer": serializers.CharField(allow_null=True),
        "explanation": serializers.CharField(allow_null=True),
    },
    many=True,
)
AttemptOut = inline_serializer(
    "Attempt",
    {
        "id": serializers.IntegerField(),
        "quiz": serializers.IntegerField(),
        "status": serializers.CharField(),
        "started_at": serializers.DateTimeField(),
        "deadline": serializers.DateTimeField(allow_null=True),
        "remaining_seconds": serializers.IntegerField(allow_null=True),
        "submitted_at": serializers.DateTimeField(allow_null=True),
        "auto_submitted": serializers.BooleanField(),
        "score": serializers.FloatField(allow_null=True),
        "max_score": serializers.FloatField(allow_null=True),
        "questions": ATTEMPT_QUESTION,
    },
)


def _attempt_body(attempt) -> dict:
    """The attempt as the student may see it now: the key only where the review options allow."""
    now = timezone.now()
    show_score = reveal_allowed(attempt.quiz.show_score, attempt=attempt, now=now)
    remaining = None
    if attempt.deadline and not attempt.is_submitted:
        remaining = max(0, int((attempt.deadline - now).total_seconds()))
    questions = []
    for item in attempt_items(attempt, now=now):
        q = item.question
        questions.append(
            {
                "id": q.pk,
                "number": item.number,
                "kind": q.kind,
                "prompt": grading.cloze_front(q.prompt, 1) if q.kind == "cloze" else q.prompt,
                "choices": [{"id": c.pk, "text": c.text} for c in item.choices],
                "answer": item.response.answer if item.response else None,
                "correct": item.response.correct if (item.response and item.show_correct) else None,
                "correct_answer": item.correct_answer if item.show_correct else None,
                "explanation": q.explanation if item.show_explanation else None,
            }
        )
    return {
        "id": attempt.pk,
        "quiz": attempt.quiz_id,
        "status": attempt.status,
        "started_at": attempt.started_at,
        "deadline": attempt.deadline,
        "remaining_seconds": remaining,
        "submitted_at": attempt.submitted_at,
        "auto_submitted": attempt.auto_submitted,
        "score": attempt.score if show_score else None,
        "max_score": attempt.max_score if show_score else None,
        "questions": questions,
    }


def _own_attempt(request, attempt_id: int):
    attempt = Attempt.objects.select_related("quiz").filter(pk=attempt_id, user=request.user).first()
    if attempt is None:
        raise ApiNotFound("No such attempt among yours.")
    return attempt_as_of(attempt, now=timezone.now())  # read as submitted once its time is up; never written here


@extend_schema(responses={200: paginated("Quizzes", inline_serializer("Quiz", QUIZ_FIELDS, many=True))})
@api_view(["GET"])
def quizzes(request):
    """Your instructors' quizzes in your courses."""
    items = [
        {
            "id": q.pk,
            "title": q.title,
            "course": q.course_id,
            "num_questions": q.num_questions,
            "time_limit_minutes": q.time_limit_minutes,
            "opens_at": q.opens_at,
            "closes_at": q.closes_at,
            "attempts_allowed": q.attempts_allowed,
            "attempts_used": q.my_attempts,
        }
        for q in quizzes_for_student(request.user).filter(is_practice=False)
    ]
    return page_of(request, items)


@extend_schema(request=None, responses={201: AttemptOut, 404: ErrorSerializer, 409: ErrorSerializer})
@api_view(["POST"])
def quiz_attempts(request, quiz_id: int):
    """Start an attempt, or resume the one in progress."""
    quiz = quizzes_for_student(request.user).filter(pk=quiz_id).first()
    if quiz is None:
        raise ApiNotFound("No such quiz among yours.")
    attempt = quiz_services.attempt_start(user=request.user, quiz=quiz, now=timezone.now())
    return Response(_attempt_body(attempt), status=201)


@extend_schema(responses={200: AttemptOut, 404: ErrorSerializer})
@api_view(["GET"])
def attempt_detail(request, attempt_id: int):
    return Response(_attempt_body(_own_attempt(request, attempt_id)))


class AttemptAnswerSerializer(AnswerSerializer):
    question = serializers.IntegerField(min_value=1)
    card = None
    review_id = None
    reps = None
    rating = None
    response_ms = None

    def validate(self, attrs):
        if not any(f in attrs for f in self.ANSWER_FIELDS):
            raise serializers.ValidationError({"choice": ["Send one of choice, choices, text or truefalse."]})
        return super().validate(attrs)


@extend_schema(
    request=AttemptAnswerSerializer,
    responses={200: AttemptOut, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
)
@api_view(["POST"])
def attempt_answer(request, attempt_id: int):
    """Save (or change) the answer to one question of the attempt."""
    _own_attempt(request, attempt_id)  # someone else's attempt is 404 whatever the body
    data = AttemptAnswerSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    quiz_services.attempt_answer(
        user=request.user,
        attempt_id=attempt_id,
        question_id=v["question"],
        answer={f: v[f] for f in AnswerSerializer.ANSWER_FIELDS if f in v},
        now=timezone.now(),
    )
    return Response(_attempt_body(_own_attempt(request, attempt_id)))


@extend_schema(request=None, responses={200: AttemptOut, 404: ErrorSerializer, 409: ErrorSerializer})
@api_view(["POST"])
def attempt_submit(request, attempt_id: int):
    quiz_services.attempt_submit(user=request.user, attempt_id=attempt_id, now=timezone.now())
    return Response(_attempt_body(_own_attempt(request, attempt_id)))


ItemOut = inline_serializer(
    "ItemStats",
    {
        "question": serializers.IntegerField(),
        "uid": serializers.CharField(),
        "responses": serializers.IntegerField(),
        "facility": serializers.FloatField(allow_null=True),
        "discrimination": serializers.FloatField(allow_null=True),
        "point_biserial": serializers.FloatField(allow_null=True),
        "flags": serializers.ListField(child=serializers.CharField()),
        "distractors": serializers.DictField(child=serializers.IntegerField()),
    },
    many=True,
)


@extend_schema(responses={200: paginated("ItemAnalysis", ItemOut), 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["GET"])
def item_analysis(request, course_id: int):
    """Item statistics of a course you teach (facility, discrimination, point-biserial, distractors)."""
    if not request.user.has_perm(COHORT_PERMISSION):
        raise ApiPermissionDenied("Instructors only.")
    course = instructor_course(request.user, course_id)
    items = [
        {
            "question": q.pk,
            "uid": q.uid,
            "responses": s.responses,
            "facility": s.facility,
            "discrimination": s.discrimination,
            "point_biserial": s.point_biserial,
            "flags": s.flags,
            "distractors": {str(k): v for k, v in s.distractors.items()},
        }
        for q, s in course_item_analysis(course)
    ]
    return page_of(request, items)
