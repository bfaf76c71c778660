"""API: a student's exam date in a course. Until the exam, every card comes back before the
exam day, and the intervals the API shows (GET /api/v1/study/next/) honour it."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer
from cards.errors import NotFound
from cards.selectors.exams import exam_date
from cards.selectors.study import user_timezone
from cards.services import exams as exam_services

ExamOut = inline_serializer(
    "Exam",
    {
        "date": serializers.DateField(allow_null=True, help_text="The exam date in force: yours, else the course's."),
        "own_date": serializers.DateField(allow_null=True, help_text="The date you set (null: none)."),
        "course_date": serializers.DateField(allow_null=True, help_text="The course's date, set by its instructors."),
        "days_left": serializers.IntegerField(
            allow_null=True, help_text="Study days from today to the exam (0 on the day; null without one or after it)."
        ),
    },
)


class ExamIn(serializers.Serializer):
    date = serializers.DateField(help_text="YYYY-MM-DD: today or later, within five years.")


def _out(request, course_id: int) -> Response:
    exam = exam_date(user=request.user, course_id=course_id, now=timezone.now(), tz_name=user_timezone(request.user))
    if exam is None:
        raise NotFound("You are not enrolled in this course.", code="not_enrolled")
    return Response({"date": exam.date, "own_date": exam.own, "course_date": exam.course, "days_left": exam.days_left})


@extend_schema(methods=["GET"], responses={200: ExamOut, 404: ErrorSerializer})
@extend_schema(methods=["PUT"], request=ExamIn, responses={200: ExamOut, 400: ErrorSerializer, 404: ErrorSerializer})
@extend_schema(methods=["DELETE"], responses={200: ExamOut, 404: ErrorSerializer})
@api_view(["GET", "PUT", "DELETE"])
def course_exam(request, course_id: int):
    """Your exam date in a course you are enrolled in: GET reads it, PUT {"date": "YYYY-MM-DD"}
    sets your own, DELETE clears yours (the course's date, if any, applies again)."""
    if request.method == "PUT":
        data = ExamIn(data=request.data)
        data.is_valid(raise_exception=True)
        exam_services.set_exam_date(
            user=request.user, course_id=course_id, exam=data.validated_data["date"], now=timezone.now()
        )
    elif request.method == "DELETE":
        exam_services.clear_exam_date(user=request.user, course_id=course_id)
    return _out(request, course_id)
