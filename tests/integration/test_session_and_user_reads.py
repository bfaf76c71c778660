"""The session engine and auth backend read with plain queries (cards/sessions.py,
cards/auth.py); they must still behave as Django's: expiry, deactivation, the user's fields."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import timezone

from cards.auth import ModelBackend
from cards.sessions import SessionStore


def test_a_signed_in_student_is_read_back_with_every_field(client, student):
    client.force_login(student)
    response = client.get(reverse("cards:study_home"))
    assert response.status_code == 200
    user = response.wsgi_request.user
    fresh = get_user_model().objects.get(pk=student.pk)
    for field in get_user_model()._meta.concrete_fields:
        assert getattr(user, field.attname) == getattr(fresh, field.attname), field.attname
    assert user.last_login is not None and user.last_login.tzinfo is not None
    assert user.is_active is True and user.is_superuser is False


def test_an_expired_session_signs_the_student_out(client, student):
    client.force_login(student)
    Session.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("cards:study_home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_deactivated_student_is_signed_out(client, student):
    client.force_login(student)
    get_user_model().objects.filter(pk=student.pk).update(is_active=False)
    assert client.get(reverse("cards:study_home")).status_code == 302


def test_a_deleted_user_and_an_unknown_session_key_read_as_nothing(student):
    assert ModelBackend().get_user(student.pk + 10_000) is None
    store = SessionStore("x" * 32)
    assert store.load() == {}
    assert store.session_key is None


def test_the_session_store_round_trips_and_keeps_the_expiry(db):
    store = SessionStore()
    store["answer"] = 42
    store.set_expiry(3600)
    store.save()
    again = SessionStore(store.session_key)
    assert again["answer"] == 42
    row = again._get_session_from_db()
    assert row.expire_date.tzinfo is not None
    assert abs((row.expire_date - timezone.now()).total_seconds() - 3600) < 60


def _django_permissions(user):
    from django.contrib.auth.backends import ModelBackend as DjangoBackend

    return DjangoBackend().get_all_permissions(get_user_model().objects.get(pk=user.pk))


def test_permissions_are_those_django_reads_from_groups_and_the_user(django_assert_num_queries, instructor, student):
    from django.contrib.auth.models import Group, Permission

    extra = Permission.objects.get(codename="view_course")
    instructor.user_permissions.add(extra)
    other_group = Group.objects.create(name="reviewers")
    other_group.permissions.add(Permission.objects.get(codename="change_question"))
    instructor.groups.add(other_group)
    mine = get_user_model().objects.get(pk=instructor.pk)
    with django_assert_num_queries(1):
        perms = ModelBackend().get_all_permissions(mine)
    assert perms == _django_permissions(instructor)
    assert {"cards.author_content", "cards.view_course", "cards.change_question"} <= perms
    assert mine.has_perm("cards.view_cohort_stats") and not mine.has_perm("cards.delete_course")
    # a student holds nothing; an inactive user and a per-object check get nothing
    assert ModelBackend().get_all_permissions(get_user_model().objects.get(pk=student.pk)) == set()
    get_user_model().objects.filter(pk=instructor.pk).update(is_active=False)
    assert ModelBackend().get_all_permissions(get_user_model().objects.get(pk=instructor.pk)) == set()
    assert ModelBackend().get_all_permissions(mine, obj=object()) == set()


def test_a_superuser_holds_every_permission(db):
    from django.contrib.auth.models import Permission

    boss = get_user_model().objects.create_superuser("boss", "b@example.com", "x-long-password-1")
    perms = ModelBackend().get_all_permissions(boss)
    assert len(perms) == Permission.objects.count() and perms == _django_permissions(boss)
