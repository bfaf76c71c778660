"""Class analytics snapshots (cards.models.stats): computed by the database's aggregates
(cards.selectors.cohort), stored in one transaction, and read by the instructor's analytics
page.

A GET never writes: the page shows the stored snapshot with its age (stale past
CLASS_STATS_MAX_AGE_MINUTES). It is made by "Recalculate now" (a POST) and by
`manage.py refresh_class_stats`, which a scheduler runs."""

from __future__ import annotations

import time
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from cards.core import analytics
from cards.models import ClassShare, ClassStats, Course, StudentStats
from cards.selectors import cohort


def _item_entry(question, stats: analytics.ItemStats) -> dict:
    return {
        "id": question.pk,
        "uid": question.uid,
        "kind": question.kind,
        "prompt": question.prompt,
        "responses": stats.responses,
        "facility": stats.facility,
        "discrimination": stats.discrimination,
        "point_biserial": stats.point_biserial,
        "flags": list(stats.flags),
        # first tries per choice: how the class answered, shown to students after they answer
        "choices": {str(choice_id): n for choice_id, n in stats.distractors.items()},
    }


def refresh(course: Course, *, now: datetime | None = None) -> ClassStats:
    """Compute the course's class statistics now and store them, replacing the last."""
    now = now or timezone.now()
    started = time.perf_counter()
    topics = cohort.class_topic_mastery(course, now=now)
    forgetting = cohort.class_forgetting(course, now=now)
    items = [_item_entry(q, s) for q, s in cohort.course_item_analysis(course)]
    safety = cohort.class_safety_recall(course, now=now)
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
        # How the class answered each question, a row each: what an answer reads by its key.
        ClassShare.objects.filter(course=course).delete()
        ClassShare.objects.bulk_create(
            [
                ClassShare(
                    course=course,
                    question_id=e["id"],
                    students=e["responses"],
                    right=e["facility"],
                    choices=e["choices"],
                )
                for e in items
            ],
            batch_size=500,
        )
        stats, _created = ClassStats.objects.update_or_create(
            course=course,
            defaults={
                "computed_at": now,
                "seconds": time.perf_counter() - started,
                "students": len(rows),
                "topics": topics,
                "forgetting": forgetting,
                "items": items,
                "safety": safety,
            },
        )
    return stats
