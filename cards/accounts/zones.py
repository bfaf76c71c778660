"""Times in the reader's own time zone: every page of a signed-in user is rendered (and every
date or time they type is read) in the zone of their profile, not in UTC.

The zone comes with the user: the session's statement reads it (cards.db.accounts), so
activating it costs no query."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.utils import timezone

from cards.selectors.study import user_timezone


@lru_cache(maxsize=1024)
def zone(name: str):
    """The zone of this name, UTC for a name the time zone database does not know."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


class TimeZoneMiddleware:
    """Activates the signed-in user's time zone for the request (Django's date filters, forms
    and `timezone.localtime` follow it); anonymous requests stay in settings.TIME_ZONE."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return self.get_response(request)
        with timezone.override(zone(user_timezone(user))):
            return self.get_response(request)
