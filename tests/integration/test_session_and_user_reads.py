"""The session engine and auth backend read with plain queries (cards/sessions,
cards/accounts/backend.py), the user with the session; they must still behave as Django's: expiry,
deactivation, password changes, the user's fields."""

from datetime import timedelta

from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils import timezone

from cards.accounts.backend import ModelBackend
from cards.accounts.sessions import SessionStore
from cards.models import UserSession


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
    UserSession.objects.update(expire_date=timezone.now() - timedelta(seconds=1))
    response = client.get(reverse("cards:study_home"))
    assert response.status_code == 302 and reverse("login") in response["Location"]


def test_a_deactivated_student_is_signed_out(client, student):
    client.force_login(student)
    get_user_model().objects.filter(pk=student.pk).update(is_active=False)
    assert client.get(reverse("cards:study_home")).status_code == 302


def test_a_page_reads_the_session_user_and_time_zone_in_one_query(client, student, django_assert_num_queries):
    from django.contrib.auth import SESSION_KEY

    from cards.accounts.sessions import SessionStore
    from cards.selectors.study import user_timezone

    client.force_login(student)
    key = client.session.session_key
    assert UserSession.objects.get(session_key=key).user_id == student.pk
    store = SessionStore(key)
    with django_assert_num_queries(1):  # the session, its user and their profile
        assert store[SESSION_KEY] == str(student.pk)
        assert store.preloaded_user.pk == student.pk
        assert user_timezone(store.preloaded_user) == student.profile.timezone


def test_the_web_request_takes_its_user_from_the_session_query(client, student, django_assert_num_queries):
    from django.test import RequestFactory

    from cards.accounts.backend import AuthenticationMiddleware
    from cards.accounts.sessions import SessionStore

    client.force_login(student)
    request = RequestFactory().get("/")
    request.session = SessionStore(client.session.session_key)
    AuthenticationMiddleware(lambda r: None).process_request(request)
    with django_assert_num_queries(1):
        assert request.user.pk == student.pk and request.user.is_authenticated
        assert request.user.username == student.username


def test_a_password_change_elsewhere_signs_the_old_session_out(client, student):
    client.force_login(student)
    assert client.get(reverse("cards:study_home")).status_code == 200
    student.set_password("a-new-long-password-9")
    student.save()
    assert client.get(reverse("cards:study_home")).status_code == 302


def test_deleting_a_user_ends_their_sessions(client, student):
    client.force_login(student)
    assert UserSession.objects.filter(user=student).count() == 1
    student.delete()
    assert not UserSession.objects.exists()
    assert client.get(reverse("cards:study_home")).status_code == 302


def test_a_session_before_sign_in_has_no_user(db):
    from cards.accounts.sessions import SessionStore

    store = SessionStore()
    store["seen"] = True
    store.save()
    assert UserSession.objects.get(session_key=store.session_key).user_id is None
    again = SessionStore(store.session_key)
    assert again["seen"] is True and again.preloaded_user is None


def test_sign_in_and_out_keep_the_user_column_in_step(client, student):
    response = client.post(reverse("login"), {"username": student.username, "password": "correct-horse-battery"})
    assert response.status_code == 302, response.content[:300]
    key = client.cookies["sessionid"].value
    assert UserSession.objects.get(session_key=key).user_id == student.pk
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(user=student).exists()


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


def test_the_upgrade_moves_live_sessions_with_their_user_and_a_rollback_moves_them_back(student):
    """Migration 0010: signed-in students stay signed in; expired sessions and sessions of
    users who no longer exist stay behind; nothing is left in Django's table to revive."""
    from importlib import import_module

    from django.apps import apps
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore as DjangoStore
    from django.contrib.sessions.models import Session

    later = timezone.now() + timedelta(days=1)
    data = {SESSION_KEY: str(student.pk), BACKEND_SESSION_KEY: "cards.accounts.backend.ModelBackend"}
    data[HASH_SESSION_KEY] = student.get_session_auth_hash()
    encode = DjangoStore().encode
    Session.objects.create(session_key="a" * 32, session_data=encode(data), expire_date=later)
    Session.objects.create(session_key="b" * 32, session_data=encode({"seen": 1}), expire_date=later)
    Session.objects.create(session_key="c" * 32, session_data=encode(data), expire_date=timezone.now() - timedelta(1))
    Session.objects.create(session_key="d" * 32, session_data=encode({SESSION_KEY: "999999"}), expire_date=later)
    migration = import_module("cards.migrations.0010_user_sessions")
    migration.move_live_sessions(apps, None)
    moved = dict(UserSession.objects.values_list("session_key", "user_id"))
    assert moved == {"a" * 32: student.pk, "b" * 32: None}
    assert not Session.objects.exists()
    from django.test import Client

    client = Client()
    client.cookies["sessionid"] = "a" * 32
    assert client.get(reverse("cards:study_home")).status_code == 200
    migration.move_sessions_back(apps, None)
    assert set(Session.objects.values_list("session_key", flat=True)) == {"a" * 32, "b" * 32}


def test_the_cached_engine_keeps_the_user_column_and_signs_in_from_cache_or_database(
    settings, student, django_assert_num_queries
):
    """cards.sessions.cached (REDIS_URL; here over the local-memory cache): a session found in
    the cache is read without a query, one that is not with its user."""
    from django.contrib.auth import SESSION_KEY
    from django.core.cache import cache
    from django.test import Client

    from cards.accounts.cached_sessions import SessionStore as CachedStore

    settings.SESSION_ENGINE = "cards.accounts.cached_sessions"
    client = Client()
    client.force_login(student)
    key = client.session.session_key
    assert UserSession.objects.get(session_key=key).user_id == student.pk
    with django_assert_num_queries(0):  # from the cache
        assert CachedStore(key)[SESSION_KEY] == str(student.pk)
    assert client.get(reverse("cards:study_home")).status_code == 200
    cache.clear()
    store = CachedStore(key)
    assert store[SESSION_KEY] == str(student.pk) and store.preloaded_user.pk == student.pk  # from the table
    assert client.get(reverse("cards:study_home")).status_code == 200
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(session_key=key).exists()
