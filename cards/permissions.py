"""Who may see what. Object access goes through helpers that raise 404 for other people's
objects (never revealing that they exist) and 403 for the wrong role."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404

from cards.models import Course, Deck

AUTHOR_PERMISSION = "cards.author_content"
COHORT_PERMISSION = "cards.view_cohort_stats"


def is_instructor(user) -> bool:
    return user.is_authenticated and user.has_perm(AUTHOR_PERMISSION)


def instructor_required(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not is_instructor(request.user):
            raise PermissionDenied("Instructors only.")
        return view(request, *args, **kwargs)

    return wrapper


def student_course_and_deck(user, course_id: int, deck_id: int) -> tuple[Course, Deck]:
    """The course (which the user is enrolled in) and one of its decks, or 404."""
    course = Course.objects.filter(pk=course_id, enrollments__user=user).first()
    if course is None:
        raise Http404("No such course among yours.")
    deck = course.decks.filter(pk=deck_id).first()
    if deck is None:
        raise Http404("No such deck in this course.")
    return course, deck
