"""JSON API (/api/v1/): the same services and selectors as the pages, for mobile apps and
integrations. Errors are {"code", "detail"} with the right status."""

from __future__ import annotations

import re
import uuid
from datetime import UTC, timedelta

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import exceptions, serializers
from rest_framework.authentication import SessionAuthentication, TokenAuthentication
from rest_framework.authtoken.models import Token
from rest_framework.decorators import api_view, authentication_classes, permission_classes, throttle_classes
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.exceptions import PermissionDenied as ApiPermissionDenied
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from cards.converters import MAX_ID, parse_id
from cards.core import grading, scheduling
from cards.db.accounts import token_user
from cards.errors import NotFound
from cards.models import Attempt, Course, Profile, Question
from cards.permissions import (
    COHORT_PERMISSION,
    authored_decks,
    instructor_course,
    instructor_deck,
    instructor_question,
    is_instructor,
)
from cards.selectors import progress
from cards.selectors.cohort import course_item_analysis
from cards.selectors.feedback import fresh_feedback, review_feedback
from cards.selectors.quizzes import attempt_items, quizzes_for_student, reveal_allowed
from cards.selectors.study import choice_order_seed, due_count, shuffled, study_decks, study_queue, user_timezone
from cards.selectors.terms import CHOICE_KINDS
from cards.services import authoring
from cards.services import courses as course_services
from cards.services import quizzes as quiz_services
from cards.services import study as study_services
from cards.services.banks import question_data
from cards.views.api_support import AnswerThrottle, LoginThrottle, Pagination

User = get_user_model()

ErrorSerializer = inline_serializer("Error", {"code": serializers.CharField(), "detail": serializers.CharField()})


def paginated(name: str, item) -> serializers.Serializer:
    """The paginated envelope of a list response, for the schema."""
    return inline_serializer(
        f"Paginated{name}",
        {
            "count": serializers.IntegerField(),
            "next": serializers.URLField(allow_null=True),
            "previous": serializers.URLField(allow_null=True),
            "results": item,
        },
    )


def _page(request, items: list, *, view=None):
    paginator = Pagination()
    page = paginator.paginate_queryset(items, request, view=view)
    return paginator.get_paginated_response(page)


class TokenAndProfileAuthentication(TokenAuthentication):
    """DRF's token authentication, with the user's profile (their time zone, which every
    study request needs) in the same query: token, user and profile in one."""

    def authenticate_credentials(self, key):
        found = token_user(key)
        if found is None:
            raise exceptions.AuthenticationFailed("Invalid token.")
        token, user = found
        if not user.is_active:
            raise exceptions.AuthenticationFailed("User inactive or deleted.")
        return (user, token)


STUDY_AUTHENTICATION = [TokenAndProfileAuthentication, SessionAuthentication]
# The schema names these as it names DRF's own classes (the same headers, the same cookie).
STUDY_AUTH_SCHEMA = [{"tokenAuth": []}, {"cookieAuth": []}]


# --- auth ------------------------------------------------------------------------------


class CredentialsSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)


class RegisterSerializer(serializers.Serializer):
    username = serializers.RegexField(r"^[\w.@+-]+\Z", max_length=150)
    password = serializers.CharField(max_length=256, trim_whitespace=False)
    email = serializers.EmailField()
    timezone = serializers.CharField(max_length=64, required=False, default="UTC")

    def validate_username(self, value):
        if User.objects.filter(username__iexact=value).exists():
            raise serializers.ValidationError("A user with that username already exists.")
        return value

    def validate_timezone(self, value):
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise serializers.ValidationError("Unknown time zone.") from exc
        return value

    def validate(self, attrs):
        candidate = User(username=attrs["username"], email=attrs["email"])
        try:
            validate_password(attrs["password"], user=candidate)
        except DjangoValidationError as exc:
            raise serializers.ValidationError({"password": list(exc.messages)}) from exc
        return attrs


@extend_schema(
    request=CredentialsSerializer,
    responses={
        200: inline_serializer("TokenOut", {"token": serializers.CharField()}),
        400: ErrorSerializer,
        429: ErrorSerializer,
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def auth_token(request):
    """Exchange a username and password for a token (counts toward the login lockout)."""
    data = CredentialsSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    user = authenticate(
        request._request, username=data.validated_data["username"], password=data.validated_data["password"]
    )
    if user is None:
        return Response({"code": "bad_credentials", "detail": "Wrong username or password."}, status=400)
    token, _ = Token.objects.get_or_create(user=user)
    return Response({"token": token.key})


@extend_schema(request=None, responses={204: None, 401: ErrorSerializer})
@api_view(["POST"])
def auth_logout(request):
    """Revoke the token (or end the session)."""
    Token.objects.filter(user=request.user).delete()
    if request.session.session_key:
        request.session.flush()
    return Response(status=204)


@extend_schema(
    request=RegisterSerializer,
    responses={
        201: inline_serializer("Registered", {"id": serializers.IntegerField(), "username": serializers.CharField()}),
        400: ErrorSerializer,
    },
    auth=[],
)
@api_view(["POST"])
@authentication_classes([])
@permission_classes([AllowAny])
@throttle_classes([LoginThrottle])
def auth_register(request):
    """Create a student account (same password rules as the sign-up page)."""
    data = RegisterSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    with transaction.atomic():
        user = User.objects.create_user(
            username=data.validated_data["username"],
            email=data.validated_data["email"],
            password=data.validated_data["password"],
        )
        Profile.objects.create(user=user, timezone=data.validated_data["timezone"])
        course_services.enroll_in_open_courses(user=user)
    return Response({"id": user.pk, "username": user.username}, status=201)


# --- courses and decks -----------------------------------------------------------------

COURSE_FIELDS = {
    "id": serializers.IntegerField(),
    "title": serializers.CharField(),
    "is_open": serializers.BooleanField(),
    "enrolled": serializers.BooleanField(),
    "decks": serializers.ListField(child=serializers.IntegerField()),
}
CourseOut = inline_serializer("Course", COURSE_FIELDS)


@extend_schema(responses={200: paginated("Courses", inline_serializer("Course", COURSE_FIELDS, many=True))})
@api_view(["GET"])
def courses(request):
    """Courses the user is enrolled in, plus open courses."""
    enrolled = set(request.user.enrollments.values_list("course_id", flat=True))
    rows = Course.objects.filter(pk__in=enrolled) | Course.objects.filter(is_open=True)
    items = [
        {
            "id": c.pk,
            "title": c.title,
            "is_open": c.is_open,
            "enrolled": c.pk in enrolled,
            "decks": [d.pk for d in c.decks.all()],
        }
        for c in rows.distinct().prefetch_related("decks").order_by("title")
    ]
    return _page(request, items)


class JoinSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=12, required=False)
    course = serializers.IntegerField(
        min_value=1, max_value=MAX_ID, required=False, help_text="An open course's id (no code needed)."
    )

    def validate(self, attrs):
        if not attrs.get("code") and not attrs.get("course"):
            raise serializers.ValidationError({"code": ["Give a join code (or an open course's id)."]})
        return attrs


@extend_schema(request=JoinSerializer, responses={200: CourseOut, 400: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def courses_join(request):
    data = JoinSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    if data.validated_data.get("code"):
        enrollment = course_services.join_course_by_code(user=request.user, code=data.validated_data["code"])
        course = enrollment.course
    else:
        course = Course.objects.filter(pk=data.validated_data["course"], is_open=True).first()
        if course is None:
            raise NotFound("No open course with that id.", code="course_not_found", field="course")
        course_services.enroll_student(user=request.user, course=course)
    return Response(
        {
            "id": course.pk,
            "title": course.title,
            "is_open": course.is_open,
            "enrolled": True,
            "decks": list(course.decks.values_list("id", flat=True)),
        }
    )


DECK_FIELDS = {
    "id": serializers.IntegerField(),
    "title": serializers.CharField(),
    "course": serializers.IntegerField(),
    "new": serializers.IntegerField(),
    "learning": serializers.IntegerField(),
    "due": serializers.IntegerField(),
    "total": serializers.IntegerField(),
}


@extend_schema(responses={200: paginated("Decks", inline_serializer("Deck", DECK_FIELDS, many=True))})
@api_view(["GET"])
def decks(request):
    """Decks the user can study, with today's counts (capped by the daily limits)."""
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, user_timezone(request.user))
    home = study_decks(user=request.user, now=now, day_start=day_start, day_end=day_end)
    items = [
        {
            "id": r.deck.pk,
            "title": r.deck.title,
            "course": r.course.pk,
            "new": r.counts.new,
            "learning": r.counts.learning,
            "due": r.counts.due,
            "total": r.counts.total,
        }
        for r in home.rows
    ]
    return _page(request, items)


# --- study -----------------------------------------------------------------------------

CardOut = inline_serializer(
    "StudyCard",
    {
        "id": serializers.IntegerField(),
        "kind": serializers.CharField(),
        "prompt": serializers.CharField(),
        "choices": serializers.ListField(
            child=inline_serializer("ChoiceOut", {"id": serializers.IntegerField(), "text": serializers.CharField()})
        ),
        "cloze": serializers.IntegerField(allow_null=True),
        "back": serializers.CharField(required=False),
        "reps": serializers.IntegerField(),
        "intervals": serializers.DictField(child=serializers.CharField(), required=False),
    },
)
CountsOut = inline_serializer(
    "Counts",
    {"new": serializers.IntegerField(), "learning": serializers.IntegerField(), "due": serializers.IntegerField()},
)
NextOut = inline_serializer("NextCard", {"card": CardOut, "counts": CountsOut})


@extend_schema(
    parameters=[OpenApiParameter("deck", int, required=True)],
    responses={200: NextOut, 204: None, 400: ErrorSerializer, 404: ErrorSerializer},
    auth=STUDY_AUTH_SCHEMA,
)
@api_view(["GET"])
@authentication_classes(STUDY_AUTHENTICATION)
def study_next(request):
    """The next card of a deck, without its answer key; 204 when nothing is due."""
    deck_id = parse_id(request.query_params.get("deck", ""))
    if deck_id is None:
        return Response(
            {"code": "invalid", "detail": "deck: a deck id is required.", "fields": {"deck": "A deck id is required."}},
            status=400,
        )
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, user_timezone(request.user))
    # The course is the first the student joined that has the deck: found by the same query.
    queue = study_queue(
        user_id=request.user.pk, deck_id=deck_id, course=None, now=now, day_start=day_start, day_end=day_end
    )
    if queue is None:
        raise ApiNotFound("No such deck among yours.")
    if queue.card is None:
        return Response(status=204)
    card, counts, course = queue.card, queue.counts, queue.course
    question = card.question
    choices = []
    if question.kind in CHOICE_KINDS:
        order = shuffled(queue.choices, question, choice_order_seed(card.pk, card.reps))
        choices = [{"id": c.pk, "text": c.text} for c in order]
    body = {
        "id": card.pk,
        "kind": question.kind,
        "prompt": grading.cloze_front(question.prompt, card.cloze) if question.kind == "cloze" else question.prompt,
        "choices": choices,
        "cloze": card.cloze or None,
        "reps": card.reps,
    }
    if question.kind == "flashcard":
        body["back"] = question.back  # the student rates a flashcard themselves
        outcomes = scheduling.next_states(
            study_services.card_state(card), now, course.scheduler_settings(), card_id=card.pk
        )
        body["intervals"] = {str(int(r)): o.label for r, o in outcomes.items()}
    return Response({"card": body, "counts": {"new": counts.new, "learning": counts.learning, "due": counts.due}})


class AnswerSerializer(serializers.Serializer):
    card = serializers.IntegerField(min_value=1, max_value=MAX_ID)
    review_id = serializers.UUIDField()
    response_ms = serializers.IntegerField(min_value=0, max_value=86_400_000, required=False, allow_null=True)
    reps = serializers.IntegerField(
        max_value=2**31 - 1,
        min_value=0,
        required=False,
        help_text="The card's reps when shown: refuses a stale second tab.",
    )
    choice = serializers.IntegerField(required=False)
    choices = serializers.ListField(child=serializers.IntegerField(), required=False, max_length=50)
    text = serializers.CharField(required=False, allow_blank=True, max_length=500, trim_whitespace=False)
    truefalse = serializers.BooleanField(required=False)
    rating = serializers.IntegerField(min_value=1, max_value=4, required=False)

    ANSWER_FIELDS = ("choice", "choices", "text", "truefalse")

    def validate(self, attrs):
        given = [f for f in self.ANSWER_FIELDS if f in attrs]
        if len(given) > 1:
            raise serializers.ValidationError({given[1]: ["Send one answer field only."]})
        if not given and "rating" not in attrs:
            raise serializers.ValidationError({"choice": ["Send one of choice, choices, text, truefalse or rating."]})
        return attrs


_UUID_TEXT = re.compile(r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\Z")
_SURROGATES = re.compile("[\ud800-\udfff]")


def _is_int(value, low=None, high=None) -> bool:
    return type(value) is int and (low is None or value >= low) and (high is None or value <= high)


def plain_answer(data) -> dict | None:
    """What AnswerSerializer validates a plainly well-formed answer to, without building the
    serializer: DRF deep-copies its fields for each instance, ~0.3 ms of an answer's ~3 ms
    (cProfile, tests/bench). Anything this does not recognise (a number sent as a string, an
    odd UUID spelling, an invalid value) gives None: the serializer then validates it and
    words the errors. tests/unit/test_plain_answer.py checks both agree."""
    if not isinstance(data, dict) or not _is_int(data.get("card"), 1, MAX_ID):
        return None
    review_id = data.get("review_id")
    if type(review_id) is not str or not _UUID_TEXT.match(review_id):
        return None
    out = {"card": data["card"], "review_id": uuid.UUID(hex=review_id)}
    checks = {
        "response_ms": lambda v: v is None or _is_int(v, 0, 86_400_000),
        "reps": lambda v: _is_int(v, 0, 2**31 - 1),
        "choice": _is_int,
        "choices": lambda v: type(v) is list and len(v) <= 50 and all(_is_int(c) for c in v),
        "text": lambda v: type(v) is str and len(v) <= 500 and "\x00" not in v and not _SURROGATES.search(v),
        "truefalse": lambda v: type(v) is bool,
        "rating": lambda v: _is_int(v, 1, 4),
    }
    for name, valid in checks.items():
        if name in data:
            if not valid(data[name]):
                return None
            out[name] = list(data[name]) if name == "choices" else data[name]
    given = [f for f in AnswerSerializer.ANSWER_FIELDS if f in out]
    if len(given) > 1 or (not given and "rating" not in out):
        return None
    return out


FEEDBACK_FIELDS = {
    "id": serializers.IntegerField(),
    "text": serializers.CharField(),
    "correct": serializers.BooleanField(),
    "picked": serializers.BooleanField(),
    "feedback": serializers.CharField(allow_blank=True),
}
AnswerOut = inline_serializer(
    "AnswerOutcome",
    {
        "review_id": serializers.UUIDField(),
        "replayed": serializers.BooleanField(),
        "correct": serializers.BooleanField(),
        "score": serializers.FloatField(),
        "rating": serializers.IntegerField(),
        "correct_answer": serializers.CharField(),
        "correct_choices": serializers.ListField(child=serializers.IntegerField()),
        "explanation": serializers.CharField(allow_blank=True),
        "feedback": inline_serializer("ChoiceFeedback", FEEDBACK_FIELDS, many=True),
        "source": inline_serializer(
            "SourceOut",
            {
                "source": serializers.CharField(allow_null=True),
                "passage": serializers.CharField(allow_null=True),
                "quote": serializers.CharField(),
            },
        ),
        "due": serializers.DateTimeField(),
        "interval_days": serializers.FloatField(),
        "card_state": inline_serializer(
            "CardStateOut",
            {
                "state": serializers.IntegerField(),
                "stability": serializers.FloatField(allow_null=True),
                "difficulty": serializers.FloatField(allow_null=True),
                "reps": serializers.IntegerField(),
                "lapses": serializers.IntegerField(),
            },
        ),
    },
)


def answer_body(fb, *, replayed: bool) -> dict:
    """The outcome of a review (a `Feedback`): the same body whether it was just recorded
    (built from what the answer wrote) or replayed (rebuilt from the log)."""
    after = scheduling.CardState.from_json(fb.log.state_after)
    question = fb.question
    return {
        "review_id": str(fb.log.review_id),
        "replayed": replayed,
        "correct": bool(fb.log.correct),
        "score": float(fb.log.score or 0.0),
        "rating": fb.log.rating,
        "correct_answer": fb.correct_answer,
        "correct_choices": [r.choice.pk for r in fb.choices if r.choice.correct],
        "explanation": question.explanation,
        "feedback": [
            {
                "id": r.choice.pk,
                "text": r.choice.text,
                "correct": r.choice.correct,
                "picked": r.picked,
                "feedback": r.choice.feedback,
            }
            for r in fb.choices
        ],
        "source": {
            "source": question.passage.source.slug if question.passage else None,
            "passage": question.passage.key if question.passage else None,
            "quote": question.quote,
        },
        "due": after.due.astimezone(UTC).isoformat().replace("+00:00", "Z"),
        "interval_days": round((after.due - fb.log.reviewed_at).total_seconds() / 86400, 6),
        "card_state": {
            "state": after.state,
            "stability": after.stability,
            "difficulty": after.difficulty,
            "reps": after.reps,
            "lapses": after.lapses,
        },
    }


@extend_schema(
    request=AnswerSerializer,
    responses={200: AnswerOut, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer, 429: ErrorSerializer},
    auth=STUDY_AUTH_SCHEMA,
)
@api_view(["POST"])
@authentication_classes(STUDY_AUTHENTICATION)
@throttle_classes([AnswerThrottle])
def study_answer(request):
    """Answer a card. Replaying the same review_id returns the same body and records nothing."""
    v = plain_answer(request.data)
    if v is None:
        data = AnswerSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        v = data.validated_data
    answer = {f: v[f] for f in AnswerSerializer.ANSWER_FIELDS if f in v}
    outcome = study_services.answer_card(
        user=request.user,
        card_id=v["card"],
        answer=answer,
        review_id=v["review_id"],
        now=timezone.now(),
        response_ms=v.get("response_ms"),
        expected_reps=v.get("reps"),
        rating=v.get("rating"),
    )
    if outcome.replayed:
        fb = review_feedback(user=request.user, review_id=outcome.log.review_id, with_rerate=False)
    else:
        fb = fresh_feedback(outcome.card, list(outcome.choices), outcome.log)
    return Response(answer_body(fb, replayed=outcome.replayed))


@extend_schema(
    request=None,
    responses={
        200: inline_serializer(
            "Undone", {"card": serializers.IntegerField(), "undone_review_id": serializers.UUIDField()}
        ),
        409: ErrorSerializer,
    },
)
@api_view(["POST"])
def study_undo(request):
    """Undo the user's last review: the card is restored, the review stays in the log, marked undone."""
    undo = study_services.undo_last_review(user=request.user, now=timezone.now())
    return Response({"card": undo.card_id, "undone_review_id": str(undo.undoes.review_id)})


StatsOut = inline_serializer(
    "Stats",
    {
        "due_today": serializers.IntegerField(),
        "reviews_today": serializers.IntegerField(),
        "streak": serializers.IntegerField(),
        "true_retention": serializers.FloatField(allow_null=True),
        "retention_reviews": serializers.IntegerField(),
        "mastery": inline_serializer(
            "TopicMastery",
            {
                "topic": serializers.CharField(),
                "name": serializers.CharField(),
                "mastery": serializers.FloatField(allow_null=True),
                "cards": serializers.IntegerField(),
            },
            many=True,
        ),
    },
)


@extend_schema(responses={200: StatsOut})
@api_view(["GET"])
def stats(request):
    """Due today, reviews today, streak, true retention (30 days), mastery per topic."""
    now = timezone.now()
    tz = user_timezone(request.user)
    day_start, day_end = scheduling.study_day_bounds(now, tz)
    home = study_decks(user=request.user, now=now, day_start=day_start, day_end=day_end)
    recalled, total = progress.true_retention(user_id=request.user.pk, since=now - timedelta(days=30))
    days_streak = progress.streak(user_id=request.user.pk, tz_name=tz, now=now)
    mastery = progress.topic_mastery(user_id=request.user.pk, now=now)
    return Response(
        {
            "due_today": due_count(user_id=request.user.pk, now=now, until=day_end),
            "reviews_today": home.done_today,
            "streak": days_streak,
            "true_retention": (recalled / total) if total else None,
            "retention_reviews": total,
            "mastery": [{"topic": t, "name": name, "mastery": value, "cards": n} for t, name, value, n in mastery],
        }
    )


# --- instructor: questions ------------------------------------------------------------------


def _require_instructor(request) -> None:
    if not is_instructor(request.user):
        raise ApiPermissionDenied("Instructors only.")


def _question_out(question: Question) -> dict:
    return {
        "id": question.pk,
        "deck": question.deck_id,
        "revision": question.revision,
        "needs_review": question.needs_review,
        **question_data(question, list(question.choices.all())),
    }


class QuestionInSerializer(serializers.Serializer):
    deck = serializers.IntegerField(min_value=1, max_value=MAX_ID, required=False)
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
    answers = serializers.ListField(child=serializers.CharField(max_length=200), required=False, max_length=30)
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
}
QuestionOut = inline_serializer("Question", QUESTION_FIELDS)


@extend_schema(
    methods=["GET"],
    operation_id="v1_questions_list",
    parameters=[OpenApiParameter("deck", int)],
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
    """List your questions (filter ?deck=), or create one (same validation as the editor)."""
    _require_instructor(request)
    if request.method == "GET":
        qs = (
            Question.objects.filter(deck__in=authored_decks(request.user))
            .select_related("topic", "passage__source")
            .prefetch_related("choices")
            .order_by("deck_id", "uid")
        )
        if request.query_params.get("deck", "").isdigit():
            qs = qs.filter(deck_id=int(request.query_params["deck"]))
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request)
        return paginator.get_paginated_response([_question_out(q) for q in page])
    data = QuestionInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = dict(data.validated_data)
    if "deck" not in v:
        return Response({"code": "invalid", "detail": "deck: required.", "fields": {"deck": "Which deck?"}}, status=400)
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
    _require_instructor(request)
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


@extend_schema(request=None, responses={200: QuestionOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def question_publish(request, question_id: int):
    _require_instructor(request)
    question = authoring.question_set_status(
        question=instructor_question(request.user, question_id), status=Question.Status.PUBLISHED
    )
    return Response(_question_out(question))


# --- quizzes ---------------------------------------------------------------------------------

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
    if quiz_services.attempt_expire(attempt_id=attempt.pk, now=timezone.now(), user=request.user):
        attempt.refresh_from_db()
    return attempt


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
    return _page(request, items)


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
    return _page(request, items)
