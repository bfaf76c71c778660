"""A student's progress: the dashboard's aggregates (the ORM) and its days (cards.db.days)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Avg, Count, Q

from cards.db.days import STREAK_WINDOWS, due_per_day, reviews_per_day, streak, study_days
from cards.db.functions import retrievability_expression
from cards.models import Card
from cards.selectors.study import live_reviews, studyable_cards

__all__ = ["STREAK_WINDOWS", "due_per_day", "reviews_per_day", "streak", "study_days"]  # from cards.db.days


def true_retention(*, user_id: int, since: datetime) -> tuple[int, int]:
    """(recalled, total) over reviews of cards that were in the Review state."""
    found = (
        live_reviews(user_id)
        .filter(reviewed_at__gte=since, state_before__state=Card.State.REVIEW)
        .aggregate(total=Count("id"), recalled=Count("id", filter=Q(rating__gt=1)))
    )
    return found["recalled"], found["total"]


def topic_mastery(*, user_id: int, now: datetime) -> list[tuple]:
    """[(topic slug, name, mean predicted recall, cards)] over the student's studyable cards:
    one aggregate (the SQL twin of FSRS retrievability, cards.db.functions)."""
    return list(
        studyable_cards(user_id)
        .values("question__topic__slug", "question__topic__name")
        .annotate(mastery=Avg(retrievability_expression(now)), cards=Count("id"))
        .order_by("question__topic__name", "question__topic__slug")
        .values_list("question__topic__slug", "question__topic__name", "mastery", "cards")
    )


@dataclass(frozen=True)
class WeakItem:
    card_id: int
    prompt: str
    topic: str
    lapses: int
    retrievability: float


def weakest_items(*, user_id: int, now: datetime, limit: int = 10) -> list[WeakItem]:
    """The student's reviewed cards with the lowest predicted recall now (most lapses first
    among equals), ranked in the database."""
    rows = (
        studyable_cards(user_id)
        .filter(last_review__isnull=False)
        .annotate(recall=retrievability_expression(now))
        .order_by("recall", "-lapses", "id")
        .values_list("id", "question__prompt", "question__topic__name", "lapses", "recall")[:limit]
    )
    return [WeakItem(*row) for row in rows]


@dataclass(frozen=True)
class Leech:
    card_id: int
    prompt: str
    lapses: int


def leeches(*, user_id: int) -> list[Leech]:
    """The student's leeches (suspended after too many lapses), most lapses first."""
    rows = (
        Card.objects.filter(user_id=user_id, leech=True)
        .order_by("-lapses", "id")
        .values_list("id", "question__prompt", "lapses")
    )
    return [Leech(*row) for row in rows]
