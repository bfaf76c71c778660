"""Pure parts of custom blocks: spreading sibling questions apart, and where a score stands
among the class's."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

T = TypeVar("T")


def spread_siblings(items: Sequence[T], key: Callable[[T], Hashable | None]) -> list[T]:
    """The items reordered so that siblings (equal non-None keys: questions citing the same
    passage) are never next to each other where that can be avoided: at each place, the
    family with the most items left that is not the one just placed (ties: the family met
    first in `items`, which the caller has shuffled). Items with no key are their own family."""
    families: dict[Hashable, list[T]] = {}
    for n, item in enumerate(items):
        k = key(item)
        families.setdefault(("sibling", k) if k is not None else ("alone", n), []).append(item)
    order = list(families)  # first appearance breaks ties
    result: list[T] = []
    previous = None
    while len(result) < len(items):
        candidates = [k for k in order if families[k] and k != previous] or [k for k in order if families[k]]
        chosen = max(candidates, key=lambda k: (len(families[k]), -order.index(k)))
        result.append(families[chosen].pop(0))
        previous = chosen
    return result


def percentile(score: float, others: Sequence[float]) -> int | None:
    """The share of `others` (the class's scores) below `score`, ties counting half, in
    percent; None with no one to compare against."""
    if not others:
        return None
    below = sum(1 for s in others if s < score)
    ties = sum(1 for s in others if s == score)
    return round(100 * (below + ties / 2) / len(others))
