"""The study queue's policy, pure: daily caps, and which of the queue heads comes first.

Learning steps due now come first, then reviews due today (within today's review limit),
then new cards (within today's new-card limit), each by due date then id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

REVIEW_STATE = 2  # scheduling.State.REVIEW


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    due: int
    total: int | None = None  # every card of the deck: the study home shows it, the queue does not count it

    @property
    def remaining(self) -> int:
        return self.new + self.learning + self.due


def capped(raw: dict, *, new_per_day: int, reviews_per_day: int, done: dict) -> QueueCounts:
    """The counts a student may still study today: `raw` (new, learning, due, total?) capped
    by the course's daily limits less what `done` (new, reviews) already used."""
    return QueueCounts(
        new=min(raw["new"], max(0, new_per_day - done["new"])),
        learning=raw["learning"],
        due=min(raw["due"], max(0, reviews_per_day - done["reviews"])),
        total=raw.get("total"),
    )


@dataclass(frozen=True)
class Head:
    """A queue's first card: its id, scheduling state, due date and last review."""

    card_id: int
    state: int
    due: datetime
    last_review: datetime | None


def first_head(heads: list[Head], counts: QueueCounts) -> Head | None:
    """The card to show among the heads of the queues, or None when nothing may be studied."""

    def rank(head: Head) -> int | None:
        if head.last_review is None:
            return 2 if counts.new > 0 else None
        if head.state != REVIEW_STATE:
            return 0
        return 1 if counts.due > 0 else None

    ranked = [(r, head.due, head.card_id, head) for head in heads if (r := rank(head)) is not None]
    return min(ranked)[3] if ranked else None
