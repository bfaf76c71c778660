"""Account responses shared by the web login and the API login."""

from __future__ import annotations

import math
from datetime import date

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods, require_POST

from cards.errors import InvalidInput, NotFound
from cards.forms import ALL_TIMEZONES, RetentionPercent
from cards.models import Profile
from cards.selectors.scheduler import parameters_by_course
from cards.services import exams as exam_services
from cards.services.courses import preferences_save
from cards.services.scheduler_params import use_own_parameters


def lockout_response(request, original_response=None, credentials=None):
    """django-axes lockout: tell the user when they may try again (429 + Retry-After)."""
    cool_off = get_cool_off(request)
    seconds = math.ceil(cool_off.total_seconds()) if cool_off else 900
    minutes = max(1, math.ceil(seconds / 60))
    retry_at = timezone.now() + cool_off if cool_off else None
    detail = (
        f"Too many failed logins for this account from your network. Try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}" + (f" (after {retry_at:%H:%M} UTC)." if retry_at else ".")
    )
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "locked_out", "detail": detail, "retry_after": seconds}, status=429)
    else:
        response = render(request, "registration/locked_out.html", {"detail": detail}, status=429)
    response["Retry-After"] = str(seconds)
    return response


def _retention(raw: str, course_title: str) -> tuple[float | None, str]:
    """A typed desired retention (a whole percentage, RetentionPercent's range) as a share,
    or the error that names the course and what was typed."""
    if not raw:
        return None, ""
    try:
        percent = float(raw)
    except ValueError:
        percent = None
    if percent is None or not percent.is_integer() or not RetentionPercent.MIN <= percent <= RetentionPercent.MAX:
        return None, f"{course_title}: {RetentionPercent.MESSAGE} You entered “{raw}”."
    return round(percent / 100, 4), ""


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Time zone, and per course a desired retention of the student's own (a percentage)."""
    enrollments = list(request.user.enrollments.select_related("course").order_by("course__title"))
    profile = Profile.objects.filter(user=request.user).first()
    errors: dict[str, str] = {}
    typed = {e.course_id: request.POST.get(f"retention_{e.course_id}", "").strip() for e in enrollments}
    if request.method == "POST":
        retention = {}
        for e in enrollments:
            retention[e.course_id], error = _retention(typed[e.course_id], e.course.title)
            if error:
                errors[f"retention_{e.course_id}"] = error
        if not errors:
            try:
                preferences_save(
                    user=request.user, timezone_name=request.POST.get("timezone", ""), retention_by_course=retention
                )
            except InvalidInput as exc:
                errors[exc.field or "timezone"] = exc.message
            else:
                messages.success(request, "Preferences saved.")
                return redirect("cards:preferences")
    fits = parameters_by_course(enrollments)
    rows = [
        {
            "enrollment": e,
            "fits": fits[e.course_id],
            "course_default": round(e.course.desired_retention * 100),
            # What was typed stays on the page when it is refused; else the stored value.
            "mine": typed[e.course_id]
            if request.method == "POST"
            else (round(e.desired_retention * 100) if e.desired_retention else ""),
            "error": errors.get(f"retention_{e.course_id}", ""),
        }
        for e in enrollments
    ]
    current_tz = request.POST.get("timezone") if request.method == "POST" else None
    return render(
        request,
        "registration/preferences.html",
        {
            "rows": rows,
            "timezones": ALL_TIMEZONES,
            "errors": errors,
            "current_tz": current_tz or (profile.timezone if profile else "UTC"),
        },
    )


@login_required
@require_POST
def scheduler_parameters(request, course_id: int):
    """The student chooses which fitted parameters schedule them in a course: their own
    (`own=1`) or the course's (`own=0`, "reset to the course's")."""
    own = {"1": True, "0": False}.get(request.POST.get("own", ""))
    try:
        use_own_parameters(user=request.user, course_id=course_id, own=own)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        messages.error(request, exc.message)
        return redirect("cards:preferences")
    messages.success(
        request,
        "You are scheduled with your own parameters again."
        if own
        else "You are scheduled with the course's parameters now; your cards' due dates stay.",
    )
    return redirect("cards:preferences")


@login_required
@require_POST
def exam_date(request, course_id: int):
    """The student's own exam date in a course (`date`, YYYY-MM-DD; empty clears it)."""
    raw = request.POST.get("date", "").strip()
    try:
        if raw:
            try:
                exam = date.fromisoformat(raw)
            except ValueError:
                raise InvalidInput(
                    f"“{raw}” is not a date: use YYYY-MM-DD.", code="invalid_date", field="date"
                ) from None
            exam_services.set_exam_date(user=request.user, course_id=course_id, exam=exam, now=timezone.now())
            messages.success(request, f"Exam date set: {exam.isoformat()}.")
        else:
            exam_services.clear_exam_date(user=request.user, course_id=course_id)
            messages.success(request, "Your exam date is cleared (the course's applies, if it has one).")
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except InvalidInput as exc:
        messages.error(request, exc.message)
    return redirect(reverse("cards:preferences") + "#exam-dates")
