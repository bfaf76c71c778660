"""Instructor course pages: a course's settings, join code, decks and co-instructors. Behind
`instructor_required`; another instructor's course is 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from cards.converters import parse_id
from cards.errors import InvalidInput
from cards.forms import CoInstructorForm, CourseForm
from cards.permissions import authored_decks, instructor_course, instructor_deck, instructor_required
from cards.selectors.forecast import course_forecast
from cards.selectors.scheduler import course_scheduling
from cards.services import authoring, tasks
from cards.views.forecasts import forecast_context


@instructor_required
@require_http_methods(["GET", "POST"])
def course_new(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = authoring.course_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Course created. Students join with the code {course.join_code}.")
        return redirect("cards:course_detail", course_id=course.pk)
    return render(request, "cards/instructor/course_form.html", {"form": form})


@instructor_required
@require_http_methods(["GET", "POST"])
def course_detail(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        authoring.course_update(course=course, **{name: form.cleaned_data[name] for name in CourseForm.Meta.fields})
        messages.success(request, "Course settings saved.")
        return redirect("cards:course_detail", course_id=course.pk)
    scheduling = course_scheduling(course.pk)
    context = {
        "course": course,
        "form": form,
        "instructor_form": CoInstructorForm(),
        "attached": course.decks.order_by("title"),
        "attachable": authored_decks(request.user).exclude(courses=course).order_by("title"),
        "instructors": course.instructors.order_by("username"),
        "student_count": scheduling.students,
        "quiz_count": course.quizzes.filter(is_practice=False, archived=False).count(),
        "scheduling": scheduling,
        **forecast_context(course_forecast(course=course), whose="course"),
    }
    return render(request, "cards/instructor/course_detail.html", context)


@instructor_required
@require_POST
def course_refit(request, course_id: int):
    """Refit the course's scheduler parameters now ("Refit now"), as the nightly refit does: a
    background task (cards.services.tasks); with the immediate backend it is done before the
    page returns."""
    course = instructor_course(request.user, course_id)
    result = tasks.fit_course_parameters.enqueue(course_id=course.pk)
    if result.is_finished and result.status == "SUCCESSFUL":
        done = result.return_value
        course_fit = (
            "a new fit of the class's parameters predicts better and replaces them"
            if done.get("course_fit") == "replaced"
            else "the class's parameters are unchanged (no new fit predicts better)"
        )
        replaced = done.get("students_replaced", 0)
        messages.success(
            request,
            f"Refitted: {course_fit}; {replaced} student{'s' if replaced != 1 else ''}' own fit"
            f"{'s' if replaced != 1 else ''} replaced.",
        )
    elif result.is_finished:
        messages.error(request, "The refit failed; it is retried in the background and logged.")
    else:
        messages.success(request, "Refit queued: it runs in the background; reload this page in a moment to see it.")
    return redirect(reverse("cards:course_detail", args=[course.pk]) + "#scheduling")


def confirm_first(request, *, title: str, message: str, button: str, cancel: str, fields: dict | None = None):
    """The confirm step of a change that is hard to undo, or None once confirmed: the first
    POST renders this page (writing nothing), whose button posts again with confirmed=yes."""
    if request.POST.get("confirmed") == "yes":
        return None
    confirm = {
        "title": title,
        "message": message,
        "button": button,
        "cancel": cancel,
        "action": request.path,
        "fields": fields or {},
    }
    return render(request, "cards/instructor/confirm.html", {"confirm": confirm})


@instructor_required
@require_POST
def course_code(request, course_id: int):
    course = instructor_course(request.user, course_id)
    students = course.enrollments.count()
    asked = confirm_first(
        request,
        title="Make a new join code?",
        message=f"The code {course.join_code} stops working at once: anyone you gave it to (students not yet "
        f"enrolled, a printed handout) will need the new one. The {students} enrolled student"
        f"{'s' if students != 1 else ''} stay enrolled.",
        button="Make a new code",
        cancel=reverse("cards:course_detail", args=[course.pk]),
    )
    if asked:
        return asked
    course = authoring.course_regenerate_code(course=course)
    messages.success(request, f"New join code: {course.join_code}. The old one no longer works.")
    return redirect("cards:course_detail", course_id=course.pk)


@instructor_required
@require_POST
def course_decks(request, course_id: int):
    course = instructor_course(request.user, course_id)
    deck_id = parse_id(request.POST.get("deck"))
    if deck_id is None:
        raise Http404("No such deck.")
    deck = instructor_deck(request.user, deck_id)
    if request.POST.get("action") == "detach":
        students = course.enrollments.count()
        asked = students and confirm_first(
            request,
            title=f"Remove {deck.title} from {course.title}?",
            message=f"{students} enrolled student{'s' if students != 1 else ''} will no longer study its "
            "questions in this course. Their cards and history are kept, to come back if you add the deck again.",
            button="Remove the deck",
            cancel=reverse("cards:course_detail", args=[course.pk]),
            fields={"deck": deck.pk, "action": "detach"},
        )
        if asked:
            return asked
        authoring.course_detach_deck(course=course, deck=deck)
        messages.success(request, f"{deck.title} removed from the course; students keep their history.")
    else:
        authoring.course_attach_deck(course=course, deck=deck)
        messages.success(request, f"{deck.title} added: enrolled students get its published questions.")
    return redirect("cards:course_detail", course_id=course.pk)


@instructor_required
@require_POST
def course_instructors(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = CoInstructorForm(request.POST)
    if form.is_valid():
        try:
            authoring.course_add_instructor(course=course, username=form.cleaned_data["username"])
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Co-instructor added.")
    return redirect("cards:course_detail", course_id=course.pk)
