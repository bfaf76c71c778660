"""Reads of the study loop: the queue (cards.db.queue), what a student may study, today's counts."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, F, OuterRef, Q, Subquery

from cards.core import exams
from cards.core import queue as policy
from cards.core.queue import QueueCounts
from cards.db.queue import StudyPlace, StudyQueue, deck_counts, done_by_course, study_place, study_queue
from cards.models import Card, Choice, Course, Deck, Enrollment, Profile, Question, ReviewLog
from cards.selectors.scheduler import fitted_parameters
from cards.selectors.terms import CHOICE_KINDS

__all__ = ["StudyPlace", "StudyQueue", "study_place", "study_queue"]  # the queue's reads, from cards.db


def user_timezone(user) -> str:
    """The student's time zone: no query when the profile came with the user (the session's
    and the API token's reads bring it along), else one."""
    if get_user_model().profile.is_cached(user):
        try:
            return user.profile.timezone or "UTC"
        except Profile.DoesNotExist:
            return "UTC"
    return Profile.objects.filter(user_id=user.pk).values_list("timezone", flat=True).first() or "UTC"


def live_reviews(user_id: int):
    """Reviews that count: answers, not undo markers, and not undone."""
    return ReviewLog.objects.filter(user_id=user_id, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)


# What today's live reviews count toward: every one, new cards, and reviews of cards that
# were in the Review state (the daily limits cap the last two). cards.db.done_today is the
# same in SQL.
DONE_FILTERS = {
    "total": None,
    "new": Q(was_new=True),
    "reviews": Q(was_new=False, state_before__state=Card.State.REVIEW),
}


def reviews_done_today(*, user_id: int, course_id: int | None, since: datetime) -> dict[str, int]:
    qs = live_reviews(user_id).filter(reviewed_at__gte=since)
    if course_id is not None:
        qs = qs.filter(card__course_id=course_id)
    return qs.aggregate(**{name: Count("id", filter=f) for name, f in DONE_FILTERS.items()})


def studyable_cards(user_id: int):
    return Card.objects.filter(user_id=user_id, suspended=False, question__status=Question.Status.PUBLISHED)


def shuffled(choices: list[Choice], question: Question, shuffle_seed: str | None) -> list[Choice]:
    """The choices in the order the student sees them: the same seed, the same order, so the
    feedback after an answer lists them as the question showed them (true/false: as stored)."""
    choices = list(choices)
    if shuffle_seed is not None and question.kind != Question.Kind.TRUEFALSE:
        random.Random(shuffle_seed).shuffle(choices)  # nosec B311 - display order, not a secret
    return choices


def card_choices(question: Question, *, shuffle_seed: str | None = None) -> list[Choice]:
    """A question's choices (none for the typed kinds), shuffled when a seed is given."""
    if question.kind not in CHOICE_KINDS:
        return []
    choices = Choice.objects.filter(question_id=question.pk).order_by("order", "id")
    return shuffled(list(choices), question, shuffle_seed)


def choice_order_seed(card_id: int, reps: int) -> str:
    return f"{card_id}:{reps}"


def next_learning_due(*, user_id: int, deck_id: int, day_end: datetime):
    """When the next learning step of today comes back (for a 'come back in 4 min' screen)."""
    return (
        studyable_cards(user_id)
        .filter(deck_id=deck_id, state__in=[1, 3], last_review__isnull=False, due__lt=day_end)
        .exclude(buried_until__gt=F("due"))  # a buried sibling does not come back at its step
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )


@dataclass(frozen=True)
class DeckRow:
    deck: Deck
    course: Course
    counts: QueueCounts


@dataclass(frozen=True)
class StudyHome:
    rows: list[DeckRow]
    done_today: int


@dataclass(frozen=True)
class Today:
    left: QueueCounts  # what may still be studied today, over every deck
    done: int  # live reviews today


def study_today(*, user_id: int, now: datetime, day_start: datetime, day_end: datetime, tz_name: str) -> Today:
    """What the student may still study today over every deck: the sums of /study/'s columns
    (each deck capped by its course's limits less what was done today), so the dashboard's
    'New', 'Learning' and 'Due' are the study page's; and today's reviews. Two statements
    (cards.db.queue)."""
    return today_from(
        deck_counts(user_id=user_id, now=now, day_end=day_end),
        done_by_course(user_id=user_id, day_start=day_start),
        now=now,
        tz_name=tz_name,
    )


_EMPTY_DONE = {"total": 0, "new": 0, "reviews": 0}


def new_limits(by_deck: dict, done: dict, *, now: datetime, tz_name: str) -> dict[int, int]:
    """{course: today's new-card allowance} from the deck counts (cards.db.queue.deck_counts)
    and today's done counts: the course's daily limit, raised to the pace that shows every
    unseen card before the student's exam (cards.core.exams.new_allowance), as the study
    queue and the answer count it."""
    courses: dict[int, dict] = {}
    for (_deck_id, course_id), raw in by_deck.items():
        course = courses.setdefault(course_id, {"limit": raw["new_per_day"], "exam": raw["exam_date"], "unseen": 0})
        course["unseen"] += raw["unseen"]
    return {
        course_id: exams.new_allowance(
            limit=c["limit"],
            unseen=c["unseen"] if c["exam"] else None,
            done_new=done.get(course_id, _EMPTY_DONE)["new"],
            days=exams.days_left(now, c["exam"], tz_name),
        )
        for course_id, c in courses.items()
    }


def today_from(by_deck: dict, done: dict, *, now: datetime, tz_name: str) -> Today:
    """`study_today` from what its two statements read."""
    limits = new_limits(by_deck, done, now=now, tz_name=tz_name)
    counts = [
        policy.capped(
            raw,
            new_per_day=limits[course_id],
            reviews_per_day=raw["reviews_per_day"],
            done=done.get(course_id, _EMPTY_DONE),
        )
        for (_deck_id, course_id), raw in by_deck.items()
    ]
    left = QueueCounts(
        new=sum(c.new for c in counts), learning=sum(c.learning for c in counts), due=sum(c.due for c in counts)
    )
    return Today(left=left, done=sum(d["total"] for d in done.values()))


def study_decks(*, user, now: datetime, day_start: datetime, day_end: datetime) -> StudyHome:
    """Every deck the student studies with its capped counts, and today's reviews: four queries
    (the counts are cards.db.queue's statements)."""
    courses = {
        c.pk: c for c in Course.objects.filter(enrollments__user=user).prefetch_related("decks").order_by("title")
    }
    raw = deck_counts(user_id=user.pk, now=now, day_end=day_end)
    done = done_by_course(user_id=user.pk, day_start=day_start)
    limits = new_limits(raw, done, now=now, tz_name=user_timezone(user))
    empty_raw = {"new": 0, "learning": 0, "due": 0, "total": 0}
    rows = []
    for course in courses.values():
        for deck in course.decks.all():
            counts = policy.capped(
                raw.get((deck.pk, course.pk), empty_raw),
                new_per_day=limits.get(course.pk, course.new_per_day),
                reviews_per_day=course.reviews_per_day,
                done=done.get(course.pk, _EMPTY_DONE),
            )
            rows.append(DeckRow(deck=deck, course=course, counts=counts))
    return StudyHome(rows=rows, done_today=sum(r["total"] for r in done.values()))


def card_for_reveal(*, user, card_id: int, deck_id: int):
    """A flashcard of the deck the student may turn over, with their retention for its course
    and exam date there and the fitted parameters that schedule them (one statement)."""
    enrollment = Enrollment.objects.filter(user=user, course=OuterRef("course_id"))
    return (
        studyable_cards(user.pk)
        .filter(pk=card_id, deck_id=deck_id, question__kind=Question.Kind.FLASHCARD)
        .select_related("question")
        .annotate(
            student_retention=Subquery(enrollment.values("desired_retention")[:1]),
            student_exam=Subquery(enrollment.values("exam_date")[:1]),
            fitted_parameters=fitted_parameters(user.pk),
        )
        .first()
    )
