"""Account responses shared by the web login and the API login."""

from __future__ import annotations

import math

from axes.helpers import get_cool_off
from django.http import JsonResponse
from django.shortcuts import render
from django.utils import timezone


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
