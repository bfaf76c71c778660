"""Signals: forget what is remembered about a user's role when the role changes, and give a
new enrolment its cards however the enrolment was made."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.cache import cache
from django.db.models.signals import m2m_changed, post_save

from cards.models import Enrollment
from cards.permissions import teach_link_cache_key
from cards.services.courses import ensure_cards_for_course

ROLE_CHANGES = ("post_add", "post_remove", "post_clear", "pre_clear")


def _forget(user_ids) -> None:
    cache.delete_many([teach_link_cache_key(pk) for pk in user_ids])


def user_roles_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    """A user's groups or permissions changed (from either side of the relation)."""
    if action not in ROLE_CHANGES:
        return
    User = get_user_model()
    if isinstance(instance, User):
        _forget([instance.pk])
    elif action == "pre_clear" or pk_set:
        # The group side: its members now (and on clear, before they go).
        _forget(instance.user_set.values_list("pk", flat=True) if action == "pre_clear" else pk_set)


def group_permissions_changed(sender, instance, action, reverse, pk_set, **kwargs) -> None:
    if action not in ROLE_CHANGES:
        return
    # From the group's side the group is the instance; from the permission's, pk_set holds
    # the groups (all of them on a clear: forget every member of a group with it).
    if isinstance(instance, Group):
        groups = [instance.pk]
    else:
        groups = pk_set if pk_set else Group.objects.filter(permissions=instance).values_list("pk", flat=True)
    User = get_user_model()
    _forget(User.objects.filter(groups__in=list(groups)).values_list("pk", flat=True).distinct())


def user_saved(sender, instance, **kwargs) -> None:
    """is_superuser or is_active may have changed."""
    _forget([instance.pk])


def connect() -> None:
    User = get_user_model()
    m2m_changed.connect(user_roles_changed, sender=User.groups.through, dispatch_uid="teach-link-groups")
    m2m_changed.connect(user_roles_changed, sender=User.user_permissions.through, dispatch_uid="teach-link-perms")
    m2m_changed.connect(group_permissions_changed, sender=Group.permissions.through, dispatch_uid="teach-link-group")
    post_save.connect(user_saved, sender=User, dispatch_uid="teach-link-user")
    post_save.connect(enrollment_saved, sender=Enrollment, dispatch_uid="cards-for-enrollment")


def enrollment_saved(sender, instance, created, **kwargs) -> None:
    """A new enrolment, however it was made (the join page, the admin, a script): the student
    gets a card for every published question of the course's decks."""
    if created and not kwargs.get("raw"):
        ensure_cards_for_course(course=instance.course, user_ids=[instance.user_id])
