"""Django's ModelBackend and AuthenticationMiddleware, with the signed-in user of each
request read by the session's own query.

Measured (tests/bench, in-process): `UserModel._default_manager.get(pk=...)` took 0.18 ms, of
which the database ~0.02 ms; the rest builds and compiles the same SQL on every request.
On the study page (~2 ms in all) that, with the session read, was a quarter of the time, so
the row is read with a plain statement and the user built as the ORM would
(cards.db.accounts.user_by_id, beside the API token's user lookup). Then the session's query
took the user (and their time zone) along (cards.accounts.sessions): the middleware hands that row
to the backend for Django's own `get_user`, which still checks the session's hash and that
the user may sign in. Likewise the permissions a page checks (`has_perm`) come from one
query instead of two."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar

from django.contrib import auth
from django.contrib.auth import SESSION_KEY, backends, middleware
from django.utils.functional import SimpleLazyObject

from cards.db.accounts import user_by_id, user_permissions

# The user row read with this request's session, while Django's get_user runs (see below).
_session_user: ContextVar = ContextVar("session_user", default=None)


@contextmanager
def _reading_user_of(session) -> Iterator[None]:
    session.get(SESSION_KEY)  # loads the session (and the user with it) if nothing did yet
    token = _session_user.set(getattr(session, "preloaded_user", None))
    try:
        yield
    finally:
        _session_user.reset(token)


def _user(request):
    if not hasattr(request, "_cached_user"):
        with _reading_user_of(request.session):
            request._cached_user = auth.get_user(request)
    return request._cached_user


class AuthenticationMiddleware(middleware.AuthenticationMiddleware):
    """Django's, but `request.user` is built from the row the session's query read."""

    def process_request(self, request):
        super().process_request(request)
        request.user = SimpleLazyObject(lambda: _user(request))


class ModelBackend(backends.ModelBackend):
    def get_user(self, user_id):
        user = _session_user.get()
        if user is None or user.pk != user_id:
            user = user_by_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None

    def get_all_permissions(self, user_obj, obj=None):
        # As ModelBackend: nothing for inactive, anonymous or per-object checks; everything
        # for a superuser; remembered on the user object for the rest of the request.
        if not user_obj.is_active or user_obj.is_anonymous or obj is not None:
            return set()
        if not hasattr(user_obj, "_perm_cache"):
            user_obj._perm_cache = (
                super().get_all_permissions(user_obj) if user_obj.is_superuser else user_permissions(user_obj.pk)
            )
        return user_obj._perm_cache
