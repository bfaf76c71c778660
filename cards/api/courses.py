"""API courses and decks: what the user may study, and joining a course."""

from __future__ import annotations

from django.utils import timezone
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated
from cards.converters import MAX_ID
from cards.core import scheduling
from cards.errors import NotFound
from cards.models import Course
from cards.selectors.study import study_decks, user_timezone
from cards.services import courses as course_services

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
    return page_of(request, items)


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
    return page_of(request, items)
