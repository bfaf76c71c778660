"""The session engine: Django's database sessions in cards_session (cards.models.UserSession),
whose user column lets one query read a request's session with its signed-in user and their
profile (cards.db.accounts.session_with_user). The user is handed to the auth backend
(cards.accounts.backend), so a signed-in page starts with one query instead of three (session, user,
time zone). Writing, expiry and clearing are Django's.

`cards.accounts.cached_sessions` is the same over a shared cache (REDIS_URL), as Django's cached_db."""

from __future__ import annotations

from django.contrib.auth import SESSION_KEY, get_user_model
from django.contrib.sessions.backends import db
from django.core.exceptions import ValidationError
from django.utils import timezone

from cards.db.accounts import session_with_user


def signed_in_user_id(data: dict):
    """The user id a session's data names (None before sign-in, or if it is not one)."""
    value = data.get(SESSION_KEY)
    if value is None:
        return None
    try:
        return get_user_model()._meta.pk.to_python(value)
    except ValidationError:
        return None


class UserColumn:
    """Keeps the session's user column in step with its data, and reads the session with
    its user. `preloaded_user`: the user row read with the session (None when there is
    none, or the session came from a cache)."""

    preloaded_user = None

    @classmethod
    def get_model_class(cls):
        from cards.models import UserSession

        return UserSession

    def create_model_instance(self, data):
        session = super().create_model_instance(data)
        session.user_id = signed_in_user_id(data)
        return session

    async def acreate_model_instance(self, data):
        session = await super().acreate_model_instance(data)
        session.user_id = signed_in_user_id(data)
        return session

    def _get_session_from_db(self):
        found = session_with_user(self.session_key, now=timezone.now())
        if found is None:
            self._session_key = None
            return None
        session_data, expire_date, user = found
        self.preloaded_user = user
        return self.model(
            session_key=self.session_key,
            session_data=session_data,
            expire_date=expire_date,
            user_id=user.pk if user is not None else None,
        )


class SessionStore(UserColumn, db.SessionStore):
    pass
