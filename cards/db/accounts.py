"""Who a request is: the session with its signed-in user, the API token's user, the user's
permissions and time zone, each in one plain statement, measured.

Through the ORM `UserModel._default_manager.get(pk=...)` took 0.18 ms, of which the
database ~0.02 ms; with the session read and the time zone that was a quarter of the study
page's ~2 ms (tests/bench, in-process). ModelBackend reads the permissions in two ORM
queries (~0.4 ms of an instructor page); here one."""

from __future__ import annotations

from datetime import datetime
from functools import lru_cache

from django.contrib.auth import get_user_model
from django.db import connection

from cards.db.dialect import db_moment, fetch, instance, py_moment
from cards.models import Profile

_SESSION_USER = """
    SELECT s.session_data, s.expire_date, {user}, p.id AS p__id, p.timezone AS p__timezone
    FROM cards_session s
    LEFT JOIN {user_table} u ON u.id = s.user_id
    LEFT JOIN cards_profile p ON p.user_id = u.id
    WHERE s.session_key = %(key)s AND s.expire_date > %(now)s
"""
_API_KEY_USER = """
    SELECT t.key AS t__key, t.created AS t__created, {user}, p.id AS p__id, p.timezone AS p__timezone
    FROM authtoken_token t JOIN {user_table} u ON u.id = t.user_id
    LEFT JOIN cards_profile p ON p.user_id = u.id
    WHERE t.key = %(key)s
"""
_USER_BY_ID = """
    SELECT {user}, p.id AS p__id, p.timezone AS p__timezone
    FROM {user_table} u LEFT JOIN cards_profile p ON p.user_id = u.id
    WHERE u.id = %(id)s
"""
_PERMISSIONS = """
    SELECT ct.app_label, p.codename FROM auth_permission p
    JOIN django_content_type ct ON ct.id = p.content_type_id
    WHERE p.id IN (
        SELECT up.permission_id FROM {user_permissions} up WHERE up.{user_column} = %(id)s
        UNION
        SELECT gp.permission_id FROM auth_group_permissions gp
        JOIN {user_groups} ug ON ug.{group_column} = gp.group_id WHERE ug.{groups_user_column} = %(id)s
    )
"""


@lru_cache(maxsize=4)
def _user_sql(template: str) -> str:
    """A statement reading whole user rows as `u` ({user}: its columns as u__<attname>)."""
    User = get_user_model()
    user_columns = ", ".join(f"u.{f.attname} AS u__{f.attname}" for f in User._meta.concrete_fields)
    return template.format(user=user_columns, user_table=connection.ops.quote_name(User._meta.db_table))


def _user_with_profile(row: dict):
    """The user of a row with the profile's id and time zone (LEFT JOIN) attached, so its
    time zone costs no further query (see user_timezone)."""
    user = instance(get_user_model(), row, prefix="u")
    user.profile = (
        instance(Profile, {**row, "p__user_id": user.pk}, prefix="p", names=("id", "user_id", "timezone"))
        if row["p__id"]
        else None
    )
    return user


def user_by_id(user_id):
    """The user with this id and their profile, or None: the signed-in user of a web request
    whose session came from a cache (cards.accounts), whose time zone every page uses."""
    rows = fetch(_user_sql(_USER_BY_ID), {"id": user_id})
    return _user_with_profile(rows[0]) if rows else None


def session_with_user(session_key: str, *, now: datetime):
    """(session data, expiry, signed-in user with their profile or None) of a live session,
    in one statement; None if there is no such session or it has expired."""
    rows = fetch(_user_sql(_SESSION_USER), {"key": session_key, "now": db_moment(now)})
    if not rows:
        return None
    row = rows[0]
    user = _user_with_profile(row) if row["u__id"] is not None else None  # LEFT JOIN: none before sign-in
    return row["session_data"], py_moment(row["expire_date"]), user


def token_user(key: str):
    """(token, user with their profile) of an API token, in one statement; None if no such token."""
    from rest_framework.authtoken.models import Token

    rows = fetch(_user_sql(_API_KEY_USER), {"key": key})
    if not rows:
        return None
    user = _user_with_profile(rows[0])
    token = instance(Token, {**rows[0], "t__user_id": user.pk}, prefix="t", names=("key", "user_id", "created"))
    token.user = user
    return token, user


@lru_cache(maxsize=1)
def _permissions_sql() -> str:
    User = get_user_model()
    perms, groups = User.user_permissions.through._meta, User.groups.through._meta
    quote = connection.ops.quote_name
    return _PERMISSIONS.format(
        user_permissions=quote(perms.db_table),
        user_column=quote(perms.get_field(User._meta.model_name).column),
        user_groups=quote(groups.db_table),
        group_column=quote(groups.get_field("group").column),
        groups_user_column=quote(groups.get_field(User._meta.model_name).column),
    )


def user_permissions(user_id) -> set[str]:
    """{"app_label.codename"} the user holds directly or through a group."""
    return {f"{row['app_label']}.{row['codename']}" for row in fetch(_permissions_sql(), {"id": user_id})}
