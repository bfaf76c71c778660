"""Roles and accounts: instructor roles, student registration, API tokens."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, Group, Permission
from django.db import IntegrityError, transaction
from rest_framework.authtoken.models import Token

from cards.errors import InvalidInput
from cards.models import Profile
from cards.services.courses import enroll_in_open_courses

INSTRUCTORS_GROUP = "Instructors"
INSTRUCTOR_PERMISSIONS = ("author_content", "view_cohort_stats")
USERNAME_TAKEN = "A user with that username already exists."


@transaction.atomic
def setup_roles() -> Group:
    """The Instructors group with the custom permissions (idempotent)."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    perms = Permission.objects.filter(content_type__app_label="cards", codename__in=INSTRUCTOR_PERMISSIONS)
    group.permissions.add(*perms)
    return group


def make_instructor(user) -> None:
    user.groups.add(setup_roles())


@transaction.atomic
def register_student(*, username: str, email: str, password: str, timezone_name: str = "UTC") -> AbstractBaseUser:
    """A new student account: the user, their profile (whose 'today' the scheduler uses) and
    their enrolment in every open course, all or nothing. The caller's form or serializer has
    validated the input (password rules, a free username, a known time zone); a username
    taken meanwhile by a concurrent sign-up is refused here, not left to a 500."""
    try:
        with transaction.atomic():
            user = get_user_model().objects.create_user(username=username, email=email, password=password)
    except IntegrityError as exc:
        raise InvalidInput(USERNAME_TAKEN, code="username_taken", field="username") from exc
    Profile.objects.create(user=user, timezone=timezone_name)
    enroll_in_open_courses(user=user)
    return user


@transaction.atomic
def issue_token(*, user) -> Token:
    """The user's API token: the one they have, or a new one."""
    token, _ = Token.objects.get_or_create(user=user)
    return token


@transaction.atomic
def revoke_token(*, user) -> bool:
    """Revoke the user's API token (whoever holds it is signed out); False if they had none."""
    deleted, _ = Token.objects.filter(user=user).delete()
    return bool(deleted)
