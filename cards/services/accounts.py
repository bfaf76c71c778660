"""Roles and accounts."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission
from django.db import transaction

INSTRUCTORS_GROUP = "Instructors"
INSTRUCTOR_PERMISSIONS = ("author_content", "view_cohort_stats")


@transaction.atomic
def setup_roles() -> Group:
    """The Instructors group with the custom permissions (idempotent)."""
    group, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    perms = Permission.objects.filter(content_type__app_label="cards", codename__in=INSTRUCTOR_PERMISSIONS)
    group.permissions.add(*perms)
    return group


def make_instructor(user) -> None:
    user.groups.add(setup_roles())
