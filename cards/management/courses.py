"""What the commands that work per course share: the `--course` option, read and checked."""

from __future__ import annotations

from django.core.management.base import CommandError

from cards.models import Course


def add_course_option(parser) -> None:
    parser.add_argument("--course", type=int, action="append", help="Only this course id (repeatable).")


def chosen_courses(course: list[int] | None):
    """Every course by id, or those `--course` named; a CommandError names ids that do not exist."""
    courses = Course.objects.order_by("pk")
    if course:
        courses = courses.filter(pk__in=course)
        missing = set(course) - set(courses.values_list("pk", flat=True))
        if missing:
            raise CommandError(f"no course with id {', '.join(map(str, sorted(missing)))}")
    return courses
