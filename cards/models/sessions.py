"""Web sign-in sessions: Django's database session, with the signed-in user's id as a column.

The column lets one query read a request's session together with its user and their
profile (cards.accounts.sessions), where Django's session table, which keeps the user id only
inside the signed session data, needs a query for each. It also ties a session to its user:
deleting a user ends their sessions at once."""

from __future__ import annotations

from importlib import import_module

from django.conf import settings
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models


class UserSession(AbstractBaseSession):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        related_name="web_sessions",
        on_delete=models.CASCADE,
        help_text="Who signed in with this session (empty before sign-in).",
    )

    class Meta(AbstractBaseSession.Meta):
        db_table = "cards_session"

    @classmethod
    def get_session_store_class(cls):
        # The configured engine (cards.accounts.sessions or its cached twin), by name: the
        # models layer imports nothing above it.
        return import_module(settings.SESSION_ENGINE).SessionStore
