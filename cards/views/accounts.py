"""Account responses shared by the web login and the API login."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from cards.errors import InvalidInput
from cards.forms import COMMON_TIMEZONES
from cards.models import Profile
from cards.services.courses import preferences_save


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


@login_required
@require_http_methods(["GET", "POST"])
def preferences(request):
    """Time zone, and per course a desired retention of the student's own."""
    enrollments = list(request.user.enrollments.select_related("course").order_by("course__title"))
    profile = Profile.objects.filter(user=request.user).first()
    errors: dict[str, str] = {}
    if request.method == "POST":
        retention = {}
        for e in enrollments:
            raw = request.POST.get(f"retention_{e.course_id}", "").strip()
            try:
                retention[e.course_id] = round(float(raw) / 100, 4) if raw else None
            except ValueError:
                errors[f"retention_{e.course_id}"] = "Enter a percentage, e.g. 90."
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
    rows = [
        {
            "enrollment": e,
            "course_default": round(e.course.desired_retention * 100),
            "mine": round(e.desired_retention * 100) if e.desired_retention else "",
        }
        for e in enrollments
    ]
    return render(
        request,
        "registration/preferences.html",
        {
            "rows": rows,
            "timezones": COMMON_TIMEZONES,
            "errors": errors,
            "current_tz": profile.timezone if profile else "UTC",
        },
    )
