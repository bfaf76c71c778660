"""Class analytics snapshots (cards.models.stats): computed by the database's aggregates
(cards.selectors), stored in one transaction, and read by the instructor's analytics page.

A snapshot is redone on view when it is older than CLASS_STATS_MAX_AGE and took less than
CLASS_STATS_REDO_SECONDS to make (every small class stays current); a large class's is
redone by `manage.py refresh_class_stats` on a schedule, or by "Recalculate now"."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from cards import selectors
from cards.core import analytics
from cards.models import ClassStats, Course, StudentStats
from cards.reads import run_one


def max_age() -> timedelta:
    return timedelta(minutes=settings.CLASS_STATS_MAX_AGE_MINUTES)


def redo_seconds() -> float:
    return settings.CLASS_STATS_REDO_SECONDS


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
    topics = selectors.class_topic_mastery(course, now=now)
    forgetting = selectors.class_forgetting(course, now=now)
    items = [_item_entry(q, s) for q, s in selectors.course_item_analysis(course)]
    students = selectors.student_progress(course, now=now)
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
    stats: ClassStats
    fresh: bool  # made within max_age()


def current(course: Course, *, now: datetime | None = None) -> Snapshot:
    """The snapshot the page shows (see shown)."""
    return shown(course, run_one(selectors.class_stats_header_read(course_id=course.pk)), now=now)


def shown(course: Course, stored: ClassStats | None, *, now: datetime | None = None) -> Snapshot:
    """The snapshot to show, given the stored one (read by the caller, its tables deferred:
    they are read only when the page renders them, a cache miss): itself, or redone first if
    there is none, or if it is older than max_age() and was quick to make."""
    now = now or timezone.now()
    stats = stored
    if stats is None or (now - stats.computed_at > max_age() and stats.seconds < redo_seconds()):
        stats = refresh(course, now=now)
    return Snapshot(stats=stats, fresh=now - stats.computed_at <= max_age())


def item_rows(stats: ClassStats) -> list[tuple[SimpleNamespace, analytics.ItemStats]]:
    """The snapshot's items as (question, statistics) pairs, the shape of
    selectors.course_item_analysis (the question carries pk, uid and kind)."""
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
