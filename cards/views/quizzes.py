"""Student quiz pages: pick or start a quiz, answer (saved as given), submit, review."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.converters import parse_id
from cards.errors import DomainError, NotFound
from cards.models import Attempt, Course, Topic
from cards.selectors.quizzes import attempt_items, quizzes_for_student, reveal_allowed
from cards.services import quizzes as quiz_services
from cards.views.student import answer_from_post

PRACTICE_LENGTHS = (5, 10, 20)


@login_required
@require_GET
def quiz_list(request):
    courses = Course.objects.filter(enrollments__user=request.user).order_by("title")
    in_progress = Attempt.objects.filter(user=request.user, status=Attempt.Status.IN_PROGRESS).select_related("quiz")
    context = {
        "quizzes": [q for q in quizzes_for_student(request.user) if not q.is_practice],
        "courses": courses,
        "topics": Topic.objects.filter(questions__deck__courses__in=courses).distinct().order_by("name"),
        "lengths": PRACTICE_LENGTHS,
        "in_progress": in_progress,
        "past": Attempt.objects.filter(user=request.user, status=Attempt.Status.SUBMITTED)
        .select_related("quiz")
        .order_by("-submitted_at")[:20],
    }
    return render(request, "cards/quizzes/list.html", context)


@login_required
@require_POST
def practice_start(request):
    course = Course.objects.filter(pk=parse_id(request.POST.get("course")) or 0, enrollments__user=request.user).first()
    if course is None:
        raise Http404("No such course among yours.")
    try:
        length = int(request.POST.get("length", "10"))
    except ValueError:
        length = 10
    length = length if length in PRACTICE_LENGTHS else 10
    try:
        quiz = quiz_services.practice_quiz_create(
            user=request.user, course=course, topic_slugs=request.POST.getlist("topics"), length=length
        )
        attempt = quiz_services.attempt_start(user=request.user, quiz=quiz, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cards:quiz_list")
    return redirect("cards:attempt", attempt_id=attempt.pk)


@login_required
@require_POST
def quiz_start(request, quiz_id: int):
    quiz = quizzes_for_student(request.user).filter(pk=quiz_id).first()
    if quiz is None:
        raise Http404("No such quiz among yours.")
    try:
        attempt = quiz_services.attempt_start(user=request.user, quiz=quiz, now=timezone.now())
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("cards:quiz_list")
    return redirect("cards:attempt", attempt_id=attempt.pk)


def _own_attempt(request, attempt_id: int) -> Attempt:
    attempt = Attempt.objects.select_related("quiz", "quiz__course").filter(pk=attempt_id, user=request.user).first()
    if attempt is None:
        raise Http404("No such attempt among yours.")
    return attempt


def _attempt_context(request, attempt: Attempt, *, notice: str = "") -> dict:
    now = timezone.now()
    items = attempt_items(attempt, now=now)
    remaining = None
    if attempt.deadline and not attempt.is_submitted:
        remaining = max(0, int((attempt.deadline - now).total_seconds()))
    return {
        "attempt": attempt,
        "quiz": attempt.quiz,
        "items": items,
        "answered": sum(1 for i in items if i.response is not None),
        "remaining_seconds": remaining,
        "notice": notice,
        "show_score": reveal_allowed(attempt.quiz.show_score, attempt=attempt, now=now),
    }


@login_required
@require_GET
def attempt_page(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    _submit_if_time_is_up(attempt)
    if attempt.is_submitted:
        return redirect("cards:attempt_result", attempt_id=attempt.pk)
    return render(request, "cards/quizzes/attempt.html", _attempt_context(request, attempt))


def _submit_if_time_is_up(attempt: Attempt) -> None:
    """Opening an attempt after its time ran out submits it (a closed browser included)."""
    if quiz_services.attempt_expire(attempt_id=attempt.pk, now=timezone.now(), user=attempt.user):
        attempt.refresh_from_db()


@login_required
@require_POST
def attempt_answer(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    question_id = parse_id(request.POST.get("question"))
    if question_id is None:
        raise Http404("No such question in this attempt.")
    kind = request.POST.get("kind", "")
    notice = ""
    try:
        quiz_services.attempt_answer(
            user=request.user,
            attempt_id=attempt.pk,
            question_id=question_id,
            answer=answer_from_post(kind, request.POST),
            now=timezone.now(),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        notice = exc.message
        status = exc.status
    else:
        status = 200
    attempt.refresh_from_db()
    if attempt.is_submitted:
        if request.htmx:
            response = HttpResponse(status=204)
            response["HX-Redirect"] = reverse("cards:attempt_result", args=[attempt.pk])
            return response
        messages.warning(request, notice or "The attempt is submitted.")
        return redirect("cards:attempt_result", attempt_id=attempt.pk)
    context = _attempt_context(request, attempt, notice=notice)
    if request.htmx:
        item = next(i for i in context["items"] if i.question.pk == question_id)
        return render(
            request, "cards/quizzes/attempt.html#item", {**context, "item": item, "item_notice": notice}, status=status
        )
    if notice:
        messages.error(request, notice)
    return redirect(f"{reverse('cards:attempt', args=[attempt.pk])}#q{question_id}")


@login_required
@require_POST
def attempt_submit(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    try:
        quiz_services.attempt_submit(user=request.user, attempt_id=attempt.pk, now=timezone.now())
    except DomainError as exc:
        messages.warning(request, exc.message)
    return redirect("cards:attempt_result", attempt_id=attempt.pk)


@login_required
@require_http_methods(["GET"])
def attempt_result(request, attempt_id: int):
    attempt = _own_attempt(request, attempt_id)
    _submit_if_time_is_up(attempt)
    if not attempt.is_submitted:
        return redirect("cards:attempt", attempt_id=attempt.pk)
    return render(request, "cards/quizzes/result.html", _attempt_context(request, attempt))
