"""Class analytics snapshots (cards.models.stats): computed by the database's aggregates
(cards.selectors.cohort), stored in one transaction, and read by the instructor's analytics
page.

A GET never writes: the page shows the stored snapshot with its age (stale past
CLASS_STATS_MAX_AGE_MINUTES). It is made by "Recalculate now" (a POST) and by
`manage.py refresh_class_stats`, which a scheduler runs."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cards.core import analytics
from cards.models import ClassStats, Course, StudentStats
from cards.selectors import cohort


def max_age() -> timedelta:
    return timedelta(minutes=settings.CLASS_STATS_MAX_AGE_MINUTES)


def _item_entry(question, stats: analytics.ItemStats) -> dict:
    return {
        "id": question.pk,
        "uid": question.uid,
        "kind": question.kind,
        "responses": stats.responses,
        "facility": stats.facility,
        "discrimination": stats.discrimination,
        "point_biserial": stats.point_biserial,
        "flags": list(stats.flags),
    }


def refresh(course: Course, *, now: datetime | None = None) -> ClassStats:
    """Compute the course's class statistics now and store them, replacing the last."""
    now = now or timezone.now()
    started = time.perf_counter()
    topics = cohort.class_topic_mastery(course, now=now)
    forgetting = cohort.class_forgetting(course, now=now)
    items = [_item_entry(q, s) for q, s in cohort.course_item_analysis(course)]
    students = cohort.student_progress(course, now=now)
    rows = [
        StudentStats(
            course=course,
            user_id=s["user_id"],
            username=s["user__username"],
            cards=s["cards"],
            studied=s["studied"],
            reviews_7d=s["reviews_7d"],
            lapses=s["lapses"] or 0,
            mastery=s["mastery"],
            last_review=s["last_review"],
        )
        for s in students
    ]
    with transaction.atomic():
        # One refresh of a course at a time: a second waits for the course row's lock, then
        # replaces the first's rows (SQLite: the IMMEDIATE transaction serialises writers).
        list(Course.objects.select_for_update().filter(pk=course.pk).values_list("pk", flat=True))
        StudentStats.objects.filter(course=course).delete()
        StudentStats.objects.bulk_create(rows, batch_size=500)
        stats, _created = ClassStats.objects.update_or_create(
            course=course,
            defaults={
                "computed_at": now,
                "seconds": time.perf_counter() - started,
                "students": len(rows),
                "topics": topics,
                "forgetting": forgetting,
                "items": items,
            },
        )
    return stats


@dataclass(frozen=True)
class Snapshot:
    stats: ClassStats | None  # None: never computed
    fresh: bool  # made within max_age()


def current(course: Course, *, now: datetime | None = None) -> Snapshot:
    """The stored snapshot the page shows, its tables deferred (read only when the page
    renders them), and whether it is recent: a read, never a refresh."""
    now = now or timezone.now()
    stats = cohort.class_stats_header(course_id=course.pk)
    return Snapshot(stats=stats, fresh=stats is not None and now - stats.computed_at <= max_age())


def item_rows(stats: ClassStats) -> list[tuple[SimpleNamespace, analytics.ItemStats]]:
    """The snapshot's items as (question, statistics) pairs, the shape of
    cohort.course_item_analysis (the question carries pk, uid and kind)."""
    return [
        (
            SimpleNamespace(pk=e["id"], uid=e["uid"], kind=e["kind"]),
            analytics.ItemStats(
                question_id=e["id"],
                responses=e["responses"],
                facility=e["facility"],
                discrimination=e["discrimination"],
                point_biserial=e["point_biserial"],
                flags=list(e["flags"]),
            ),
        )
        for e in stats.items
    ]
