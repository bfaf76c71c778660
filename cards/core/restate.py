"""A card's memory state recomputed from its review log with other parameters, pure.

After a refit (cards.services.scheduler_params) the log is the truth: each card's stability
and difficulty are what its live reviews give under the new parameters; its due date stays
(Anki's default when parameters change: nothing is rescheduled unless the student asks)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from datetime import datetime

from cards.core.scheduling import CardState, Rating, SchedulerSettings, new_card_state, review


def recomputed(reviews: Iterable[tuple[int, datetime, bool]], settings: SchedulerSettings) -> CardState | None:
    """The state a card's live reviews ((rating, reviewed_at, was_new), oldest first) lead to
    under `settings`; a review that found the card new starts again from a new card. None for
    no review."""
    settings = replace(settings, enable_fuzzing=False)
    state = None
    for rating, reviewed_at, was_new in reviews:
        if state is None or was_new:
            state = new_card_state(reviewed_at)
        state = review(state, Rating(rating), reviewed_at, settings).state
    return state
