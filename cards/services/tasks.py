"""Background tasks (django-tasks, the backport of Django 6's django.tasks): the work no request
should wait for. Each task only calls a service, which is atomic: a task that fails part-way
leaves nothing half-written.

A failing task is logged (logger `cards.tasks`, with its traceback), recorded as failed by
the backend (the database backend's rows are in the admin, "Tasks Database Backend"), and
enqueued again with `attempt` + 1 after settings.TASK_RETRY_DELAYS, up to
settings.TASK_MAX_ATTEMPTS attempts in all. The immediate backend (tests, TASKS_BACKEND=
immediate) retries at once.

Enqueue after the writes a task reads are committed: `enqueue_on_commit`.
"""

from __future__ import annotations

import functools
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from cards.models import Course
from cards.services import class_stats, scheduler_params

logger = logging.getLogger("cards.tasks")


def _retry(the_task, *, attempt: int, kwargs: dict) -> None:
    backend = the_task.get_backend()
    delays = settings.TASK_RETRY_DELAYS
    if backend.supports_defer:
        delay = timedelta(seconds=delays[min(attempt - 1, len(delays) - 1)])
        the_task = the_task.using(run_after=timezone.now() + delay)
    the_task.enqueue(attempt=attempt + 1, **kwargs)


def retried(function):
    """A task of `function` (keyword arguments, JSON values) that is retried when it raises."""

    @functools.wraps(function)
    def run(*, attempt: int = 1, **kwargs):
        try:
            return function(**kwargs)
        except Exception:
            last = attempt >= settings.TASK_MAX_ATTEMPTS
            logger.exception(
                "task %s%r failed (attempt %d of %d)%s",
                function.__name__,
                kwargs,
                attempt,
                settings.TASK_MAX_ATTEMPTS,
                ": giving up" if last else "; it is enqueued again",
            )
            if not last:
                _retry(the_task, attempt=attempt, kwargs=kwargs)
            raise

    the_task = task()(run)
    return the_task


def enqueue_on_commit(the_task, **kwargs) -> None:
    """Enqueue once the current transaction commits (at once outside one)."""
    transaction.on_commit(lambda: the_task.enqueue(**kwargs))


@retried
def refresh_class_stats(*, course_id: int) -> dict:
    """The course's class analytics snapshot, recalculated (cards.services.class_stats)."""
    course = Course.objects.filter(pk=course_id).first()
    if course is None:
        return {"course_id": course_id, "skipped": "no such course"}
    stats = class_stats.refresh(course)
    return {"course_id": course_id, "students": stats.students, "seconds": round(stats.seconds, 3)}


@retried
def close_expired_attempts() -> dict:
    """Submit every quiz attempt and timed block whose time ran out (cards.services.quizzes,
    cards.services.blocks)."""
    from cards.services import blocks, quizzes  # quizzes -> study -> tasks: imported when run

    now = timezone.now()
    return {"submitted": quizzes.close_expired_attempts(now=now), "blocks": blocks.close_expired_blocks(now=now)}


@retried
def fit_course_parameters(*, course_id: int) -> dict:
    """Fit the course's scheduler parameters and each enrolled student's, keeping a new fit only
    where it predicts held-out reviews better (cards.services.scheduler_params)."""
    return scheduler_params.refit_course(course_id=course_id, now=timezone.now())
