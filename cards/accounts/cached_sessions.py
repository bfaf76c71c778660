"""cards.accounts.sessions over a shared cache (settings: REDIS_URL), as Django's cached_db: a session
found in the cache costs no query (its user is read by cards.accounts.backend), one that is not is read
from cards_session with its user."""

from __future__ import annotations

from django.contrib.sessions.backends import cached_db

from cards.accounts.sessions import UserColumn


class SessionStore(UserColumn, cached_db.SessionStore):
    pass
