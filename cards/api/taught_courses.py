"""API teaching: an instructor's own courses, as /teach/courses/ offers them: listed, created,
their settings changed, the join code renewed, decks attached or detached, co-instructors
added, the scheduler's fit read and refitted. Every write is the service the web page calls."""

from __future__ import annotations

from django.db.models import Count
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import api_view
from rest_framework.response import Response

from cards.api.support import ErrorSerializer, page_of, paginated, require_instructor
from cards.converters import MAX_ID
from cards.core.fitting import DEFAULT_PARAMETERS
from cards.models import Course
from cards.permissions import instructor_course, instructor_deck, taught_courses
from cards.selectors.scheduler import course_scheduling
from cards.services import authoring, tasks


def _steps(help_text: str) -> serializers.ListField:
    return serializers.ListField(
        child=serializers.IntegerField(min_value=1, max_value=1440),
        min_length=1,
        max_length=20,
        required=False,
        help_text=help_text,
    )


class CourseInSerializer(serializers.Serializer):
    """A course's settings, validated as the web's course form validates them."""

    title = serializers.CharField(max_length=200)
    is_open = serializers.BooleanField(required=False, help_text="Open courses are visible to every student.")
    desired_retention = serializers.FloatField(min_value=0.7, max_value=0.99, required=False)
    safety_retention = serializers.FloatField(
        min_value=0.7, max_value=0.99, required=False, help_text="The desired retention of safety-critical questions."
    )
    new_per_day = serializers.IntegerField(min_value=0, max_value=10_000, required=False)
    reviews_per_day = serializers.IntegerField(min_value=0, max_value=100_000, required=False)
    learning_steps = _steps("Minutes, e.g. [1, 10].")
    relearning_steps = _steps("Minutes after a lapse, e.g. [10].")
    maximum_interval = serializers.IntegerField(min_value=1, max_value=36_500, required=False, help_text="Days.")
    enable_fuzz = serializers.BooleanField(required=False)
    exam_date = serializers.DateField(
        required=False, allow_null=True, help_text="The course's exam (YYYY-MM-DD): students inherit it."
    )


SETTINGS = [name for name in CourseInSerializer._declared_fields if name != "title"]
TAUGHT_COURSE_FIELDS = {
    "id": serializers.IntegerField(),
    "title": serializers.CharField(),
    "join_code": serializers.CharField(),
    "is_open": serializers.BooleanField(),
    "desired_retention": serializers.FloatField(),
    "safety_retention": serializers.FloatField(),
    "new_per_day": serializers.IntegerField(),
    "reviews_per_day": serializers.IntegerField(),
    "learning_steps": serializers.ListField(child=serializers.IntegerField()),
    "relearning_steps": serializers.ListField(child=serializers.IntegerField()),
    "maximum_interval": serializers.IntegerField(),
    "enable_fuzz": serializers.BooleanField(),
    "exam_date": serializers.DateField(allow_null=True),
    "decks": serializers.ListField(child=serializers.IntegerField()),
    "instructors": serializers.ListField(child=serializers.CharField()),
    "student_count": serializers.IntegerField(),
}
TaughtCourseOut = inline_serializer("TaughtCourse", TAUGHT_COURSE_FIELDS)


def _courses(user):
    return (
        taught_courses(user)
        .annotate(student_count=Count("enrollments", distinct=True))
        .prefetch_related("decks", "instructors")
        .order_by("title", "pk")
    )


def _course_out(course: Course) -> dict:
    return {
        "id": course.pk,
        "title": course.title,
        "join_code": course.join_code,
        **{name: getattr(course, name) for name in SETTINGS},
        "decks": sorted(d.pk for d in course.decks.all()),
        "instructors": sorted(u.username for u in course.instructors.all()),
        "student_count": course.student_count,
    }


def _one(user, course_id: int) -> dict:
    return _course_out(_courses(user).get(pk=instructor_course(user, course_id).pk))


@extend_schema(
    methods=["GET"],
    operation_id="v1_teach_courses_list",
    responses={
        200: paginated("TaughtCourses", inline_serializer("TaughtCourse", TAUGHT_COURSE_FIELDS, many=True)),
        403: ErrorSerializer,
    },
)
@extend_schema(
    methods=["POST"],
    request=CourseInSerializer,
    responses={201: TaughtCourseOut, 400: ErrorSerializer, 403: ErrorSerializer},
)
@api_view(["GET", "POST"])
def teach_courses(request):
    """The courses you own or co-teach; or create one (you become its owner and instructor)."""
    require_instructor(request)
    if request.method == "GET":
        return page_of(request, _courses(request.user), _course_out)
    data = CourseInSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    course = authoring.course_create(owner=request.user, **data.validated_data)
    return Response(_one(request.user, course.pk), status=201)


@extend_schema(methods=["GET"], responses={200: TaughtCourseOut, 403: ErrorSerializer, 404: ErrorSerializer})
@extend_schema(
    methods=["PATCH"],
    request=CourseInSerializer,
    responses={200: TaughtCourseOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["GET", "PATCH"])
def teach_course_detail(request, course_id: int):
    """One of your courses; PATCH changes the settings given (the others stay)."""
    require_instructor(request)
    course = instructor_course(request.user, course_id)
    if request.method == "PATCH":
        data = CourseInSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        authoring.course_update(course=course, **data.validated_data)
    return Response(_one(request.user, course.pk))


@extend_schema(request=None, responses={200: TaughtCourseOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["POST"])
def teach_course_code(request, course_id: int):
    """A new join code; the old one stops working."""
    require_instructor(request)
    course = authoring.course_regenerate_code(course=instructor_course(request.user, course_id))
    return Response(_one(request.user, course.pk))


class CourseDeckSerializer(serializers.Serializer):
    deck = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="One of your decks.")
    action = serializers.ChoiceField(
        choices=["attach", "detach"],
        default="attach",
        help_text="attach: enrolled students get its published questions; detach: it stops being "
        "offered (students keep their history).",
    )


@extend_schema(
    request=CourseDeckSerializer,
    responses={200: TaughtCourseOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["POST"])
def teach_course_decks(request, course_id: int):
    """Attach one of your decks to the course, or detach it."""
    require_instructor(request)
    course = instructor_course(request.user, course_id)
    data = CourseDeckSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    deck = instructor_deck(request.user, data.validated_data["deck"])
    if data.validated_data["action"] == "detach":
        authoring.course_detach_deck(course=course, deck=deck)
    else:
        authoring.course_attach_deck(course=course, deck=deck)
    return Response(_one(request.user, course.pk))


class CoInstructorSerializer(serializers.Serializer):
    username = serializers.CharField(max_length=150)


@extend_schema(
    request=CoInstructorSerializer,
    responses={200: TaughtCourseOut, 400: ErrorSerializer, 403: ErrorSerializer, 404: ErrorSerializer},
)
@api_view(["POST"])
def teach_course_instructors(request, course_id: int):
    """Add a co-instructor (another instructor, by username)."""
    require_instructor(request)
    course = instructor_course(request.user, course_id)
    data = CoInstructorSerializer(data=request.data)
    data.is_valid(raise_exception=True)
    authoring.course_add_instructor(course=course, username=data.validated_data["username"])
    return Response(_one(request.user, course.pk))


class CourseSchedulingOut(serializers.Serializer):
    """How the course's students are scheduled, as the course page's "How the class is
    scheduled" says it (docs/learning.md)."""

    source = serializers.ChoiceField(
        choices=["default", "course"], help_text="default: FSRS's defaults; course: the class's fit."
    )
    parameters = serializers.ListField(child=serializers.FloatField(), help_text="The 21 FSRS-6 weights in use.")
    fitted_at = serializers.DateTimeField(allow_null=True)
    checked_at = serializers.DateTimeField(allow_null=True, help_text="The last refit, whether it kept a new fit.")
    n_reviews = serializers.IntegerField(help_text="Training reviews the class's fit rests on.")
    log_loss = serializers.FloatField(allow_null=True, help_text="On the class's held-out latest days.")
    rmse_bins = serializers.FloatField(allow_null=True)
    student_spread = serializers.FloatField(
        allow_null=True, help_text="How far students' own fits may move, as the last refit chose it."
    )
    students = serializers.IntegerField()
    students_on_own_fit = serializers.IntegerField()
    students_on_defaults = serializers.IntegerField(
        help_text="Students scheduled with FSRS's defaults: they predicted their later reviews better than both fits."
    )


class RefitOut(serializers.Serializer):
    status = serializers.CharField(help_text="The refit task's status: SUCCESSFUL, FAILED, or READY (queued).")
    result = serializers.DictField(allow_null=True, help_text="What the refit did, once it has run.")
    scheduling = CourseSchedulingOut()


def _scheduling(course_id: int) -> dict:
    state = course_scheduling(course_id)
    fit = state.fit
    fitted = fit is not None and fit.source != "default"
    return {
        "source": "course" if fitted else "default",
        "parameters": list(fit.parameters) if fitted else list(DEFAULT_PARAMETERS),
        "fitted_at": fit.fitted_at if fitted else None,
        "checked_at": fit.checked_at if fit is not None else None,
        "n_reviews": fit.n_reviews if fitted else 0,
        "log_loss": fit.log_loss if fitted else None,
        "rmse_bins": fit.rmse_bins if fitted else None,
        "student_spread": fit.student_spread if fit is not None else None,
        "students": state.students,
        "students_on_own_fit": state.own,
        "students_on_defaults": state.defaults,
    }


@extend_schema(methods=["GET"], responses={200: CourseSchedulingOut, 403: ErrorSerializer, 404: ErrorSerializer})
@extend_schema(methods=["POST"], request=None, responses={200: RefitOut, 403: ErrorSerializer, 404: ErrorSerializer})
@api_view(["GET", "POST"])
def teach_course_scheduling(request, course_id: int):
    """Which parameters schedule the class; POST refits them now (the nightly refit's task, in
    the background: `status` READY until a worker has run it)."""
    require_instructor(request)
    course = instructor_course(request.user, course_id)
    if request.method == "GET":
        return Response(CourseSchedulingOut(_scheduling(course.pk)).data)
    result = tasks.fit_course_parameters.enqueue(course_id=course.pk)
    done = result.return_value if result.is_finished and result.status == "SUCCESSFUL" else None
    return Response(RefitOut({"status": result.status, "result": done, "scheduling": _scheduling(course.pk)}).data)
