"""The study queue's policy, pure: daily caps, and which of the queue heads comes first.

Learning steps due now come first, then reviews due today (within today's review limit),
then new cards (within today's new-card limit), each by due date then id. A new card's due
date is its place in the order new cards are introduced in (`mixed_new_order`), as in Anki."""

from __future__ import annotations

import random
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


@dataclass(frozen=True)
class NewCard:
    """What the order of a student's new cards depends on: the card (any key), its question's
    topic and kind, and its fact (the passage it cites; the question itself when it cites
    none: a cloze question's deletions are one fact)."""

    key: object
    topic: object
    kind: str
    fact: object


def fact_of(*, question_id: int, passage_id: int | None) -> tuple:
    """What a question asks about: the passage it cites (questions citing one passage are
    siblings), else the question itself (its cloze deletions are one fact)."""
    return ("passage", passage_id) if passage_id else ("question", question_id)


def mixed_new_order(cards: list[NewCard], *, seed: int) -> list[NewCard]:
    """The order new cards are introduced in, as Anki's "gather by deck, sort by random card,
    interleaved": topics taken in turn, within a topic the kinds in turn, each pick random
    (seeded, so a student's order is stable), and never two cards of one fact in a row
    (a card whose fact is the previous card's waits for the next card that differs)."""
    rng = random.Random(seed)  # noqa: S311  # nosec B311 - an order, not a secret
    by_topic: dict[object, dict[str, list[NewCard]]] = {}
    for card in cards:
        by_topic.setdefault(card.topic, {}).setdefault(card.kind, []).append(card)
    topics = []
    for kinds in by_topic.values():
        for pile in kinds.values():
            rng.shuffle(pile)
        piles = list(kinds.values())
        rng.shuffle(piles)
        topics.append(_round_robin(piles))
    rng.shuffle(topics)
    return _spread_facts(_round_robin(topics))


def _round_robin(piles: list[list]) -> list:
    """One from each pile in turn until all are empty; larger piles keep their share spread
    over the whole order rather than piling up at its end."""
    total = sum(len(p) for p in piles)
    if total == 0:
        return []
    # Each pile's items placed at evenly spaced points of [0, 1), then merged by position.
    placed = [((i + 0.5) / len(pile), n, item) for n, pile in enumerate(piles) for i, item in enumerate(pile)]
    placed.sort(key=lambda t: (t[0], t[1]))
    return [item for _pos, _n, item in placed]


def _spread_facts(order: list[NewCard]) -> list[NewCard]:
    """`order`, except that a card of the previous card's fact is held back until a card of
    another fact has gone (only when nothing else is left do two of a fact follow)."""
    out: list[NewCard] = []
    held: list[NewCard] = []
    source = iter(order)
    while len(out) < len(order):
        previous = out[-1].fact if out else _NO_FACT
        ready = next((i for i, card in enumerate(held) if card.fact != previous), None)
        if ready is not None:
            out.append(held.pop(ready))
            continue
        card = next(source, None)
        if card is None:  # only cards of the previous card's fact are left
            out.append(held.pop(0))
        elif card.fact == previous:
            held.append(card)
        else:
            out.append(card)
    return out


_NO_FACT = object()
