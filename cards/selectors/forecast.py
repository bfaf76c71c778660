"""Workload forecasts (cards.core.forecast) of a student in a course, from their own cards, and
of a course, for a student starting it: read, simulated, and kept in the cache under a digest
of everything simulated (parameters, card states, limits, the day), so a page seen again the
same day with nothing changed costs one query and no simulation. A GET writes no row."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.db.models import Q, Sum

from cards.core import forecast as sim
from cards.core.fitting import DEFAULT_PARAMETERS
from cards.core.scheduling import study_day
from cards.models import Card, Course, Enrollment, Question, SchedulerParameters
from cards.selectors.scheduler import parameters_in_use

CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class WorkloadForecast:
    course: Course
    forecast: sim.Forecast
    current_retention: float  # the retention in force: the student's own, else the course's
    parameters: str  # which parameters schedule it: "own", "course" or "default"
    studied: int  # cards already studied (simulated from their own state)
    new_cards: int  # cards not studied yet

    @property
    def current(self) -> sim.RetentionForecast | None:
        return self.forecast.row(self.current_retention)


def _simulated(deck: sim.Deck, current: float) -> sim.Forecast:
    """The forecast at the grid's retentions and the one in force (a student's 88% is
    simulated as such, not read off the 90% row), from the cache when the same inputs were
    simulated before."""
    retentions = tuple(sorted({*sim.RETENTIONS, round(current, 2)}))
    key = "forecast:" + hashlib.blake2b(repr((deck, retentions)).encode(), digest_size=16).hexdigest()
    found = cache.get(key)
    if found is None:
        found = sim.forecast(deck, retentions=retentions)
        cache.set(key, found, CACHE_SECONDS)
    return found


def _deck(course: Course, parameters, *, studied=(), new_cards: int, safety_new: int) -> sim.Deck:
    return sim.Deck(
        parameters=tuple(parameters),
        studied=tuple(studied),
        new_cards=new_cards,
        new_per_day=course.new_per_day,
        reviews_per_day=course.reviews_per_day,
        maximum_interval=course.maximum_interval,
        learning_steps=len(course.learning_steps),
        relearning_steps=len(course.relearning_steps),
        safety_new_cards=safety_new,
        safety_retention=course.safety_retention,
    )


def student_forecast(*, user, course_id: int, now: datetime, tz_name: str) -> WorkloadForecast | None:
    """The student's forecast in a course they are enrolled in (None: not enrolled), from their
    studyable cards: those studied from their memory and due date, the others as new."""
    enrollment = Enrollment.objects.filter(user=user, course_id=course_id).select_related("course").first()
    if enrollment is None:
        return None
    course = enrollment.course
    in_use = parameters_in_use(enrollment)
    today = study_day(now, tz_name)
    rows = Card.objects.filter(
        user=user, course_id=course_id, suspended=False, question__status=Question.Status.PUBLISHED
    ).values_list("stability", "difficulty", "last_review", "due", "question__safety_critical")
    studied, new_cards, safety_new = [], 0, 0
    for stability, difficulty, last_review, due, safety in rows:
        if last_review is None or not stability or not difficulty:
            new_cards += 1
            safety_new += bool(safety)
            continue
        studied.append(
            sim.StudiedCard(
                stability=round(stability, 4),
                difficulty=round(difficulty, 4),
                elapsed_days=(today - study_day(last_review, tz_name)).days,
                due_in_days=(study_day(due, tz_name) - today).days,
                safety_critical=bool(safety),
            )
        )
    studied.sort(key=lambda c: (c.due_in_days, c.elapsed_days, c.stability, c.difficulty, c.safety_critical))
    deck = _deck(course, in_use.parameters, studied=studied, new_cards=new_cards, safety_new=safety_new)
    current = enrollment.desired_retention or course.desired_retention
    return WorkloadForecast(
        course=course,
        forecast=_simulated(deck, current),
        current_retention=current,
        parameters=in_use.source,
        studied=len(studied),
        new_cards=new_cards,
    )


def course_forecast(*, course: Course) -> WorkloadForecast:
    """The forecast of a student starting the course today: every card of its published
    questions new, scheduled with the course's fitted parameters (else FSRS's defaults)."""
    fitted = (
        SchedulerParameters.objects.filter(course=course, enrollment__isnull=True)
        .values_list("parameters", flat=True)
        .first()
    )
    totals = Question.objects.filter(deck__courses=course, status=Question.Status.PUBLISHED).aggregate(
        cards=Sum("card_count"), safety=Sum("card_count", filter=Q(safety_critical=True))
    )
    new_cards = totals["cards"] or 0
    deck = _deck(course, fitted or DEFAULT_PARAMETERS, new_cards=new_cards, safety_new=totals["safety"] or 0)
    return WorkloadForecast(
        course=course,
        forecast=_simulated(deck, course.desired_retention),
        current_retention=course.desired_retention,
        parameters="default" if not fitted or tuple(fitted) == DEFAULT_PARAMETERS else "course",
        studied=0,
        new_cards=new_cards,
    )
