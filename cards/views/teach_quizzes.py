"""Instructor quiz pages: a course's quizzes, and making, editing, closing, archiving and
deleting one. Behind `instructor_required`; another course's quiz is 404."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.errors import InvalidInput
from cards.forms import QuizForm
from cards.permissions import instructor_course, instructor_quiz, instructor_required
from cards.selectors.quizzes import course_quizzes, quiz_state
from cards.services import quizzes as quiz_services


@instructor_required
@require_GET
def course_quizzes_page(request, course_id: int):
    course = instructor_course(request.user, course_id)
    now = timezone.now()
    rows = [(quiz, quiz_state(quiz, now=now)) for quiz in course_quizzes(course)]
    return render(
        request,
        "cards/instructor/quizzes.html",
        {"course": course, "rows": rows, "zone": timezone.get_current_timezone_name()},
    )


def _save(request, form, course, quiz=None):
    """The form's quiz created or updated; None (with the error on the form) if refused."""
    data = dict(form.cleaned_data)
    try:
        if quiz is None:
            return quiz_services.quiz_create(course=course, created_by=request.user, **data)
        return quiz_services.quiz_update(quiz=quiz, **data)
    except InvalidInput as exc:
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return None


@instructor_required
@require_http_methods(["GET", "POST"])
def quiz_new(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = QuizForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        quiz = _save(request, form, course)
        if quiz is not None:
            messages.success(request, f"Quiz “{quiz.title}” created: students see it on their Quizzes page.")
            return redirect("cards:course_quizzes", course_id=course.pk)
    return render(request, "cards/instructor/quiz_form.html", {"course": course, "form": form, "quiz": None})


@instructor_required
@require_http_methods(["GET", "POST"])
def quiz_edit(request, quiz_id: int):
    quiz = instructor_quiz(request.user, quiz_id)
    form = QuizForm(request.POST or None, course=quiz.course, quiz=quiz)
    if request.method == "POST" and form.is_valid():
        saved = _save(request, form, quiz.course, quiz)
        if saved is not None:
            messages.success(request, f"Quiz “{saved.title}” saved: attempts already started keep their questions.")
            return redirect("cards:course_quizzes", course_id=quiz.course_id)
    context = {"course": quiz.course, "form": form, "quiz": quiz, "attempts": quiz.attempts.count()}
    return render(request, "cards/instructor/quiz_form.html", context)


@instructor_required
@require_POST
def quiz_close(request, quiz_id: int):
    quiz = quiz_services.quiz_close(quiz=instructor_quiz(request.user, quiz_id), now=timezone.now())
    messages.success(request, f"“{quiz.title}” is closed: no new attempts; attempts in progress ended now.")
    return redirect("cards:course_quizzes", course_id=quiz.course_id)


@instructor_required
@require_POST
def quiz_archive(request, quiz_id: int):
    archived = request.POST.get("archived", "1") != "0"
    quiz = quiz_services.quiz_archive(quiz=instructor_quiz(request.user, quiz_id), archived=archived)
    if archived:
        messages.success(request, f"“{quiz.title}” archived: students no longer see it; results are kept.")
    else:
        messages.success(request, f"“{quiz.title}” is back on the students' Quizzes page.")
    return redirect("cards:course_quizzes", course_id=quiz.course_id)


@instructor_required
@require_POST
def quiz_delete(request, quiz_id: int):
    quiz = instructor_quiz(request.user, quiz_id)
    try:
        quiz_services.quiz_delete(quiz=quiz)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Quiz “{quiz.title}” deleted.")
    return redirect("cards:course_quizzes", course_id=quiz.course_id)
