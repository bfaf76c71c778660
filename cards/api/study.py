"""API study loop: the next card, answering it (idempotent by review id), undo, and stats."""

from __future__ import annotations

from datetime import UTC, timedelta

from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view, authentication_classes, throttle_classes
from rest_framework.exceptions import NotFound as ApiNotFound
from rest_framework.response import Response

from cards.api.support import STUDY_AUTH_SCHEMA, STUDY_AUTHENTICATION, AnswerThrottle, ErrorSerializer
from cards.converters import MAX_ID, parse_id
from cards.core import exams, grading, scheduling
from cards.selectors import progress
from cards.selectors.blocks import class_shares, share_of
from cards.selectors.feedback import fresh_feedback, review_feedback
from cards.selectors.scheduler import student_schedule
from cards.selectors.study import choice_order_seed, shuffled, study_queue, study_today, user_timezone
from cards.selectors.terms import CHOICE_KINDS
from cards.services import study as study_services

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
        # The student's retention, exam date and fitted parameters: one query, for flashcards only.
        retention, own_exam, parameters = student_schedule(user_id=request.user.pk, course_id=course.pk)
        settings = course.scheduler_settings(retention, parameters, safety_critical=question.safety_critical)
        outcomes = scheduling.next_states(study_services.card_state(card), now, settings, card_id=card.pk)
        exam = exams.effective_exam(own_exam, course.exam_date)
        outcomes = exams.capped_all(outcomes, now, exams.due_cap(now, exam, user_timezone(request.user)))
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


FEEDBACK_FIELDS = {
    "id": serializers.IntegerField(),
    "text": serializers.CharField(),
    "correct": serializers.BooleanField(),
    "picked": serializers.BooleanField(),
    "feedback": serializers.CharField(allow_blank=True),
}
ClassSharesOut = inline_serializer(
    "ClassShares",
    {
        "students": serializers.IntegerField(help_text="Classmates who answered it (first tries)."),
        "right": serializers.FloatField(allow_null=True, help_text="Share right; null under 10 students."),
        "choices": serializers.DictField(
            child=serializers.FloatField(), help_text="Share per choice id; empty under 10 students."
        ),
    },
    allow_null=True,
    help_text="How the class answered it on their first try, from the course's class snapshot "
    "(null: not shown yet, or the snapshot does not cover the question).",
)


def class_body(share) -> dict | None:
    """A question's ClassShares as the API shows it (shares only once MIN_CLASS answered)."""
    if share is None:
        return None
    return {
        "students": share.students,
        "right": share.right if share.shown else None,
        "choices": {str(cid): v for cid, v in share.choices.items()} if share.shown else {},
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
        "typo_of": serializers.CharField(
            allow_null=True, help_text="Accepted with a typo: the answer as spelled (null otherwise)."
        ),
        "self_graded": serializers.BooleanField(
            help_text='Counted as right because the student said so ("I was right").'
        ),
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
        "class_shares": ClassSharesOut,
    },
)


def answer_body(fb, *, replayed: bool, share=None) -> dict:
    """The outcome of a review (a `Feedback`): the same body whether it was just recorded
    (built from what the answer wrote) or replayed (rebuilt from the log); `share`: how the
    class answered the question (a ClassShares, None when the snapshot does not cover it)."""
    after = scheduling.CardState.from_json(fb.log.state_after)
    question = fb.question
    return {
        "review_id": str(fb.log.review_id),
        "replayed": replayed,
        "correct": bool(fb.log.correct),
        "score": float(fb.log.score or 0.0),
        "rating": fb.log.rating,
        "correct_answer": fb.correct_answer,
        "typo_of": fb.typo_of,
        "self_graded": fb.overridden,
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
        "class_shares": class_body(share),
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
        share = _share_read(fb)
    else:
        fb = fresh_feedback(outcome.card, list(outcome.choices), outcome.log)
        share = share_of(*outcome.class_share) if outcome.class_share else None
    return Response(answer_body(fb, replayed=outcome.replayed, share=share))


def _share_read(fb):
    """How the class answered the question of a feedback rebuilt from the log (a replay, an
    override): one query of its own, where a fresh answer read it with the card."""
    return class_shares(fb.card.course_id, [fb.question.pk]).get(fb.question.pk)


class OverrideSerializer(serializers.Serializer):
    review_id = serializers.UUIDField(help_text="The typed answer graded wrong.")
    new_review_id = serializers.UUIDField(help_text="A fresh id for the review that counts it right (idempotency).")


@extend_schema(
    request=OverrideSerializer,
    responses={200: AnswerOut, 400: ErrorSerializer, 404: ErrorSerializer, 409: ErrorSerializer},
)
@api_view(["POST"])
def study_override(request):
    """Count a typed answer graded wrong as correct (Good): "I was right". The wrong review is
    undone and the answer recorded again, correct, marked self-graded. Replaying the same
    new_review_id returns the same body."""
    data = OverrideSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    v = data.validated_data
    outcome = study_services.override_review(
        user=request.user, review_id=v["review_id"], new_review_id=v["new_review_id"], now=timezone.now()
    )
    fb = review_feedback(user=request.user, review_id=outcome.log.review_id, with_rerate=False)
    return Response(answer_body(fb, replayed=outcome.replayed, share=_share_read(fb)))


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
    today = study_today(user_id=request.user.pk, now=now, day_start=day_start, day_end=day_end, tz_name=tz)
    recalled, total = progress.true_retention(user_id=request.user.pk, since=now - timedelta(days=30))
    days_streak = progress.streak(user_id=request.user.pk, tz_name=tz, now=now)
    mastery = progress.topic_mastery(user_id=request.user.pk, now=now)
    return Response(
        {
            # the web's one definition: reviews due today within the daily limit, as /study/ counts them
            "due_today": today.left.due,
            "reviews_today": today.done,
            "streak": days_streak,
            "true_retention": (recalled / total) if total else None,
            "retention_reviews": total,
            "mastery": [{"topic": t, "name": name, "mastery": value, "cards": n} for t, name, value, n in mastery],
        }
    )
