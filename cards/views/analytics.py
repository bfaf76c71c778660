"""Instructor analytics of their own courses: class mastery, what the class forgets, item
analysis, per-student progress and quiz results, each also as CSV."""

from __future__ import annotations

import csv
import dataclasses
import hashlib

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from cards.core import charts
from cards.models import StudentStats
from cards.permissions import COHORT_PERMISSION, instructor_course, instructor_required
from cards.selectors import cohort
from cards.selectors.cohort import (
    course_item_analysis,
    quiz_attempts,
    student_progress,
)
from cards.services import tasks
from cards.templatetags.authored import score_text

ITEM_SORTS = {
    "uid": lambda row: row[0].uid,
    "facility": lambda row: row[1].facility,
    "discrimination": lambda row: row[1].discrimination,
    "point_biserial": lambda row: row[1].point_biserial,
    "responses": lambda row: row[1].responses,
    "flags": lambda row: -len(row[1].flags),
}


# Statistics of one or two responses say nothing about an item: no flags below this.
MIN_RESPONSES_FOR_FLAGS = 5


def _items(rows) -> list:
    """(question, statistics) rows without flashcards (self-rated, no responses to analyse),
    flagged only once enough students answered."""
    return [
        (q, s if s.responses >= MIN_RESPONSES_FOR_FLAGS else dataclasses.replace(s, flags=[]))
        for q, s in rows
        if q.kind != "flashcard"
    ]


def sorted_items(items: list, key: str, descending: bool) -> list:
    """Sort by a column either way; rows without a value (no responses yet) always last."""
    by = ITEM_SORTS.get(key, ITEM_SORTS["flags"])
    with_value = [row for row in items if by(row) is not None]
    without = [row for row in items if by(row) is None]
    return sorted(with_value, key=by, reverse=descending) + without


def _cohort_course(request, course_id: int):
    if not request.user.has_perm(COHORT_PERMISSION):
        raise PermissionDenied("Class analytics need the view_cohort_stats permission.")
    return instructor_course(request.user, course_id)


def _csv(filename: str, header: list[str], rows) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # so spreadsheets read UTF-8
    writer = csv.writer(response)
    writer.writerow(header)
    writer.writerows(rows)
    return response


def _fmt(value, digits=3):
    return "" if value is None else round(value, digits)


PAGE_ROWS = 50  # students and quiz attempts per page of the analytics page


ATTEMPT_PAGE_COLUMNS = (
    "quiz__title",
    "user__username",
    "number",
    "submitted_at",
    "auto_submitted",
    "score",
    "max_score",
)


def _attempt_rows(page):
    """A page of quiz attempts (ATTEMPT_PAGE_COLUMNS) as the table shows them, with a digest
    of what it shows (the key of its rendered rows). Formatted here: the template's date and
    floatformat filters on 50 rows were a third of the analytics page's time (tests/bench)."""
    zone = timezone.get_current_timezone()
    page.object_list = rows = [
        {
            "quiz": a["quiz__title"],
            "student": a["user__username"],
            "number": a["number"],
            "submitted": a["submitted_at"].astimezone(zone).strftime("%Y-%m-%d %H:%M") if a["submitted_at"] else "",
            "auto_submitted": a["auto_submitted"],
            "score": score_text(a["score"], a["max_score"]),
        }
        for a in page.object_list
    ]
    page.digest = hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest()
    return page


def _page_number(value) -> int:
    """A page number from the query string (1 unless it is a whole number)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 1


@instructor_required
@require_GET
def course_analytics(request, course_id: int):
    """Class mastery, what the class forgets and item analysis from the course's statistics
    snapshot (cards.services.class_stats, shown with its age); students and quiz attempts a
    page at a time."""
    course = _cohort_course(request, course_id)
    number = _page_number(request.GET.get("attempts"))
    offset = (min(max(number, 1), 10**9) - 1) * PAGE_ROWS  # clamped; out of range reads again below
    reads = cohort.analytics_reads(course, attempt_columns=ATTEMPT_PAGE_COLUMNS, offset=offset, limit=PAGE_ROWS)
    snapshot = reads.snapshot
    stats = snapshot.stats
    sort = request.GET.get("sort", "flags")
    students = Paginator(StudentStats.objects.filter(course=course).order_by("username", "user_id"), PAGE_ROWS)
    students.count = reads.students
    attempts = Paginator(quiz_attempts(course, *ATTEMPT_PAGE_COLUMNS), PAGE_ROWS)
    attempts.count = reads.attempts
    # Out of range: the page Paginator.get_page gives (the last), read again.
    in_range = 1 <= number <= attempts.num_pages
    page = Page(reads.attempt_rows, number, attempts) if in_range else attempts.get_page(number)
    context = {
        "course": course,
        "snapshot": snapshot,
        # Callables, which the template calls only when it renders the snapshot's tables,
        # not when it finds them already rendered for this snapshot and sort order.
        "mastery": lambda: stats.topics,
        "mastery_chart": lambda: (
            charts.percent_bars(
                [(m["question__topic__name"], m["mastery"]) for m in stats.topics], title="Class mastery per topic"
            )
            if stats.topics
            else ""
        ),
        "forgetting": lambda: stats.forgetting,
        "safety": lambda: cohort.safety_rows(stats),
        "items": lambda: sorted_items(_items(cohort.item_rows(stats)), sort, request.GET.get("dir") == "desc"),
        "sort": sort,
        "dir": request.GET.get("dir", "asc"),
        "students": students.get_page(request.GET.get("students")),
        "attempts": _attempt_rows(page),
        "zone": timezone.get_current_timezone_name(),  # the rendered rows' dates are in it
    }
    return render(request, "cards/instructor/analytics.html", context)


@instructor_required
@require_POST
def refresh_analytics(request, course_id: int):
    """Recalculate the course's statistics snapshot ("Recalculate now"): a background task
    (cards.services.tasks); with the immediate backend it is done before the page returns."""
    course = _cohort_course(request, course_id)
    result = tasks.refresh_class_stats.enqueue(course_id=course.pk)
    if result.is_finished and result.status == "SUCCESSFUL":
        messages.success(request, f"Statistics recalculated in {result.return_value['seconds']:.1f} s.")
    elif result.is_finished:
        messages.error(request, "Recalculating failed; it is retried in the background and logged.")
    else:
        messages.success(
            request, "Recalculation queued: it runs in the background; reload this page in a moment to see it."
        )
    return redirect("cards:course_analytics", course_id=course.pk)


@instructor_required
@require_GET
def item_detail(request, course_id: int, question_id: int):
    course = _cohort_course(request, course_id)
    row = next(((q, s) for q, s in _items(course_item_analysis(course)) if q.pk == question_id), None)
    if row is None:
        raise Http404("No such question in this course.")
    question, stats = row
    choices = list(question.choices.all())
    total = sum(stats.distractors.values()) or 0
    distractors = [
        (c, stats.distractors.get(c.pk, 0), (stats.distractors.get(c.pk, 0) / total) if total else None)
        for c in choices
    ]
    chart = charts.percent_bars(
        [(c.text[:60], share) for c, _n, share in distractors], title="How often each choice was picked"
    )
    return render(
        request,
        "cards/instructor/item.html",
        {
            "course": course,
            "question": question,
            "stats": stats,
            "distractors": distractors,
            "chart": chart if choices else "",
        },
    )


@instructor_required
@require_GET
def export_items(request, course_id: int):
    course = _cohort_course(request, course_id)
    rows = [
        [
            q.uid,
            q.topic.slug,
            q.kind,
            s.responses,
            _fmt(s.facility),
            _fmt(s.discrimination),
            _fmt(s.point_biserial),
            " ".join(s.flags),
        ]
        for q, s in course_item_analysis(course)
    ]
    return _csv(
        f"item-analysis-course-{course.pk}.csv",
        ["uid", "topic", "kind", "responses", "facility", "discrimination", "point_biserial", "flags"],
        rows,
    )


@instructor_required
@require_GET
def export_students(request, course_id: int):
    course = _cohort_course(request, course_id)
    rows = [
        [
            s["user__username"],
            s["cards"],
            s["studied"],
            s["reviews_7d"],
            s["lapses"] or 0,
            _fmt(s["mastery"]),
            s["last_review"].isoformat() if s["last_review"] else "",
        ]
        for s in student_progress(course, now=timezone.now())
    ]
    return _csv(
        f"students-course-{course.pk}.csv",
        ["student", "cards", "studied", "reviews_7d", "lapses", "mastery", "last_review"],
        rows,
    )


@instructor_required
@require_GET
def export_attempts(request, course_id: int):
    course = _cohort_course(request, course_id)
    rows = [
        [
            a["quiz__title"],
            a["user__username"],
            a["number"],
            a["status"],
            a["started_at"].isoformat(),
            a["submitted_at"].isoformat() if a["submitted_at"] else "",
            "yes" if a["auto_submitted"] else "no",
            _fmt(a["score"], 2),
            _fmt(a["max_score"], 0),
        ]
        for a in quiz_attempts(course, *ATTEMPT_PAGE_COLUMNS, "status", "started_at")
    ]
    return _csv(
        f"quiz-attempts-course-{course.pk}.csv",
        ["quiz", "student", "attempt", "status", "started_at", "submitted_at", "auto_submitted", "score", "max_score"],
        rows,
    )
