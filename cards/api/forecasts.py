"""API: workload forecasts, the expected reviews a day over the next 30 days at each desired
retention (cards.core.forecast): a student's in a course they are enrolled in, from their own
cards; an instructor's of their course, for a student starting it."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, require_instructor
from cards.core.forecast import RECOMMENDED_BAND
from cards.errors import NotFound
from cards.permissions import instructor_course
from cards.selectors.forecast import WorkloadForecast, course_forecast, student_forecast
from cards.selectors.study import user_timezone

_ROW = inline_serializer(
    "ForecastRow",
    {
        "retention": serializers.FloatField(),
        "reviews_per_day": serializers.ListField(
            child=serializers.FloatField(), help_text="Expected reviews each day, today's study day first."
        ),
        "new_per_day": serializers.ListField(
            child=serializers.FloatField(), help_text="Expected new cards seen each day."
        ),
        "average": serializers.FloatField(help_text="Reviews a day over the period."),
        "peak": serializers.FloatField(help_text="The busiest day's reviews."),
        "total": serializers.FloatField(),
        "remembered": serializers.FloatField(help_text="Cards expected to be recalled at the end of the period."),
        "work_per_card": serializers.FloatField(
            allow_null=True, help_text="Reviews and first views per card remembered at the end."
        ),
        "recommended": serializers.BooleanField(),
        "optimal": serializers.BooleanField(help_text="The least work per card remembered in the recommended band."),
    },
    many=True,
)
ForecastOut = inline_serializer(
    "Forecast",
    {
        "course": serializers.IntegerField(),
        "days": serializers.IntegerField(),
        "current_retention": serializers.FloatField(help_text="The retention in force (yours, else the course's)."),
        "parameters": serializers.ChoiceField(choices=["own", "course", "default"]),
        "studied_cards": serializers.IntegerField(),
        "new_cards": serializers.IntegerField(),
        "recommended_band": serializers.ListField(child=serializers.FloatField()),
        "optimal_retention": serializers.FloatField(allow_null=True),
        "retentions": _ROW,
    },
)


def _out(workload: WorkloadForecast) -> dict:
    fc = workload.forecast
    optimal = fc.optimal
    return {
        "course": workload.course.pk,
        "days": fc.days,
        "current_retention": workload.current_retention,
        "parameters": workload.parameters,
        "studied_cards": workload.studied,
        "new_cards": workload.new_cards,
        "recommended_band": list(RECOMMENDED_BAND),
        "optimal_retention": optimal.retention if optimal else None,
        "retentions": [
            {
                "retention": r.retention,
                "reviews_per_day": [round(v, 2) for v in r.reviews],
                "new_per_day": [round(v, 2) for v in r.new],
                "average": round(r.per_day, 2),
                "peak": round(r.peak, 2),
                "total": round(r.total, 2),
                "remembered": round(r.remembered, 2),
                "work_per_card": None if r.work_per_card is None else round(r.work_per_card, 3),
                "recommended": r.recommended,
                "optimal": r.optimal,
            }
            for r in fc.rows
        ],
    }


@extend_schema(responses={200: ForecastOut, 401: ErrorSerializer, 404: ErrorSerializer})
@api_view(["GET"])
def course_forecast_api(request, course_id: int):
    """Your expected reviews a day over the next 30 days at each desired retention (0.70-0.97)
    in a course you are enrolled in, simulated from your cards with the parameters that
    schedule you."""
    workload = student_forecast(
        user=request.user, course_id=course_id, now=timezone.now(), tz_name=user_timezone(request.user)
    )
    if workload is None:
        raise NotFound("You are not enrolled in this course.", code="not_enrolled")
    return Response(_out(workload))


@extend_schema(responses={200: ForecastOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["GET"])
def teach_course_forecast(request, course_id: int):
    """For one of your courses: a student starting it today, every card new, scheduled with the
    course's fitted parameters (else FSRS's defaults), at each desired retention."""
    require_instructor(request)
    return Response(_out(course_forecast(course=instructor_course(request.user, course_id))))
