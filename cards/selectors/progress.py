"""A student's progress, as the dashboard and the API's stats read it. Every read is a
statement of cards.db (the days of the charts and the streak: cards.db.days; mastery, weakest
items, retention, leeches: cards.db.progress), measured there; this module is their one door
for views and the API."""

from __future__ import annotations

from cards.db.days import STREAK_WINDOWS, due_per_day, reviews_per_day, streak, study_days
from cards.db.progress import Leech, WeakItem, leeches, topic_mastery, true_retention, weakest_items

__all__ = [
    "STREAK_WINDOWS",
    "Leech",
    "WeakItem",
    "due_per_day",
    "leeches",
    "reviews_per_day",
    "streak",
    "study_days",
    "topic_mastery",
    "true_retention",
    "weakest_items",
]
