"""Background tasks (cards.services.tasks, django-tasks): they run on the immediate backend in
tests and on the database backend's worker (`manage.py db_worker`) elsewhere; a failing task
is logged, retried, loses nothing, and shows in the admin."""

from datetime import timedelta
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from cards.models import Attempt, ClassStats, StudentStats
from cards.services import class_stats, tasks
from tests.factories import AttemptFactory, QuizFactory
from tests.integration.test_dashboards import make_students

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}


def test_tests_run_tasks_on_the_immediate_backend(course, student):
    result = tasks.refresh_class_stats.enqueue(course_id=course.pk)
    assert result.status == "SUCCESSFUL"
    assert result.return_value["students"] == 1
    assert ClassStats.objects.get(course=course).students == 1


def test_recalculate_now_enqueues_the_refresh(instructor_client, course, student):
    response = instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]), follow=True)
    assert "Statistics recalculated in" in response.content.decode()
    assert ClassStats.objects.filter(course=course).exists()


@pytest.mark.django_db(transaction=True)  # the worker manages its own transactions and connections
@override_settings(TASKS=DATABASE_TASKS)
def test_with_the_database_backend_recalculate_now_says_it_is_queued_and_the_worker_runs_it(
    instructor_client, course, student
):
    response = instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]), follow=True)
    assert "Recalculation queued" in response.content.decode()
    assert not ClassStats.objects.filter(course=course).exists()  # not yet: the worker makes it
    row = DBTaskResult.objects.get()
    assert row.task_path == "cards.services.tasks.refresh_class_stats" and row.status == "READY"
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())
    row.refresh_from_db()
    assert row.status == "SUCCESSFUL"
    assert ClassStats.objects.get(course=course).students == 1


def _fail_bulk_create(monkeypatch, times: int):
    calls = {"n": 0}
    real = StudentStats.objects.bulk_create

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] <= times:
            raise RuntimeError("disk full")
        return real(*args, **kwargs)

    monkeypatch.setattr(StudentStats.objects, "bulk_create", flaky)
    return calls


def test_a_failing_task_is_logged_and_retried_and_the_old_snapshot_survives(course, student, monkeypatch, caplog):
    before = class_stats.refresh(course)
    make_students(course, 2, start=50)
    calls = _fail_bulk_create(monkeypatch, times=1)
    result = tasks.refresh_class_stats.enqueue(course_id=course.pk)
    assert result.status == "FAILED"  # the first attempt, as the admin lists it
    assert "RuntimeError" in result.errors[0].traceback
    expected = f"refresh_class_stats{{'course_id': {course.pk}}} failed (attempt 1 of 3); it is enqueued again"
    assert expected in caplog.text
    assert calls["n"] == 2  # retried (at once on the immediate backend), and the retry succeeded
    assert ClassStats.objects.get(course=course).students == 3
    assert ClassStats.objects.get(course=course).computed_at > before.computed_at


def test_a_task_that_keeps_failing_gives_up_after_the_last_attempt_without_losing_data(
    course, student, monkeypatch, caplog
):
    class_stats.refresh(course)
    kept = list(StudentStats.objects.filter(course=course).values_list("user_id", flat=True))
    calls = _fail_bulk_create(monkeypatch, times=99)
    tasks.refresh_class_stats.enqueue(course_id=course.pk)
    assert calls["n"] == 3
    assert "failed (attempt 3 of 3): giving up" in caplog.text
    # each attempt rolled back: the last good snapshot is whole
    assert list(StudentStats.objects.filter(course=course).values_list("user_id", flat=True)) == kept


@pytest.mark.django_db(transaction=True)  # the worker manages its own transactions and connections
@override_settings(TASKS=DATABASE_TASKS)
def test_on_the_database_backend_a_retry_waits_and_the_failure_shows_in_the_admin(course, student, monkeypatch, client):
    _fail_bulk_create(monkeypatch, times=1)
    tasks.refresh_class_stats.enqueue(course_id=course.pk)
    call_command("db_worker", "--batch", "--no-startup-delay", "--no-reload", stdout=StringIO())
    failed, retry = DBTaskResult.objects.order_by("enqueued_at")
    assert failed.status == "FAILED" and "disk full" in failed.traceback
    assert retry.status == "READY" and retry.args_kwargs["kwargs"] == {"attempt": 2, "course_id": course.pk}
    assert retry.run_after > timezone.now() + timedelta(seconds=30)  # after TASK_RETRY_DELAYS[0]
    admin = get_user_model().objects.create_superuser("root", "root@example.org", "pw-long-enough-1")
    client.force_login(admin)
    page = client.get(reverse("admin:django_tasks_database_dbtaskresult_changelist"))
    assert page.status_code == 200
    html = page.content.decode()
    assert "refresh_class_stats" in html and "Failed" in html


@pytest.mark.parametrize("enqueue", [False, True])
def test_close_expired_attempts_runs_here_or_as_a_task(db, student, course, enqueue):
    quiz = QuizFactory(course=course)
    attempt = AttemptFactory(quiz=quiz, user=student, deadline=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("close_expired_attempts", *(["--enqueue"] if enqueue else []), stdout=out)
    attempt.refresh_from_db()
    assert attempt.status != Attempt.Status.IN_PROGRESS
    assert ("SUCCESSFUL" if enqueue else "submitted 1 expired attempt(s)") in out.getvalue()
