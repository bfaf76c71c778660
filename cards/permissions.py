"""Who may see what. Object access goes through helpers that raise 404 for other people's
objects (never revealing that they exist) and 403 for the wrong role."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from cards.models import Course, Deck, Question, QuestionReport, Quiz, Source

AUTHOR_PERMISSION = "cards.author_content"
COHORT_PERMISSION = "cards.view_cohort_stats"


def is_instructor(user) -> bool:
    return user.is_authenticated and user.has_perm(AUTHOR_PERMISSION)


TEACH_LINK_TTL = 300  # seconds a process may show a role change late, in the nav only


def teach_link_cache_key(user_id: int) -> str:
    return f"teach-link:{user_id}"


def shows_teach_link(user) -> bool:
    """Whether the nav shows the Teach link: `is_instructor`, remembered per user. Loading
    the permissions cost every page two queries, a quarter of a study page's time
    (tests/bench). Only the link is remembered: every instructor view checks
    `is_instructor` itself. Role changes forget it at once (cards.accounts.signals); with a
    per-process cache another process may show the old link for up to TEACH_LINK_TTL."""
    if not user.is_authenticated:
        return False
    key = teach_link_cache_key(user.pk)
    shown = cache.get(key)
    if shown is None:
        shown = is_instructor(user)
        cache.set(key, shown, TEACH_LINK_TTL)
    return shown


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


def taught_courses(user):
    """Courses the user owns or co-teaches."""
    return Course.objects.filter(Q(owner=user) | Q(instructors=user)).distinct()


def authored_decks(user):
    """Decks the user owns, or that are attached to a course they teach."""
    return Deck.objects.filter(Q(owner=user) | Q(courses__in=taught_courses(user))).distinct()


def instructor_course(user, course_id: int) -> Course:
    """A course the user owns or co-teaches, or 404."""
    course = Course.objects.filter(Q(owner_id=user.pk) | Q(instructors=user.pk), pk=course_id).order_by("pk").first()
    if course is None:
        raise Http404("No such course among yours.")
    return course


def instructor_deck(user, deck_id: int) -> Deck:
    deck = authored_decks(user).filter(pk=deck_id).first()
    if deck is None:
        raise Http404("No such deck among yours.")
    return deck


def instructor_question(user, question_id: int) -> Question:
    question = (
        Question.objects.filter(pk=question_id, deck__in=authored_decks(user))
        .select_related("deck", "topic", "passage__source")
        .first()
    )
    if question is None:
        raise Http404("No such question among yours.")
    return question


def authored_sources(user):
    """Sources the user owns, or that are attached to one of their decks."""
    return Source.objects.filter(Q(owner=user) | Q(decks__in=authored_decks(user))).distinct()


def instructor_source(user, source_id: int) -> Source:
    source = authored_sources(user).filter(pk=source_id).first()
    if source is None:
        raise Http404("No such source among yours.")
    return source


def instructor_report(user, report_id: int) -> QuestionReport:
    report = QuestionReport.objects.filter(pk=report_id, question__deck__in=authored_decks(user)).first()
    if report is None:
        raise Http404("No such report among yours.")
    return report


def instructor_quiz(user, quiz_id: int) -> Quiz:
    """A quiz (not a student's practice quiz) of a course the user owns or co-teaches, or 404."""
    quiz = (
        Quiz.objects.filter(pk=quiz_id, is_practice=False, course__in=taught_courses(user))
        .select_related("course")
        .first()
    )
    if quiz is None:
        raise Http404("No such quiz among yours.")
    return quiz
