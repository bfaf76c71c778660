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


def class_percentile(right: int, facilities: Sequence[float]) -> int | None:
    """Where `right` questions right stands among the class on these questions, in percent
    (those below, ties counting half): the class's number right is taken as the sum of
    independent first tries, each right with its question's facility (the share of the
    class right on its first try), a Poisson-binomial distribution. An approximation (a
    strong student is strong on every question), but read from the class snapshot alone,
    never from each student's answers. None with no question to compare on."""
    if not facilities:
        return None
    chances = [1.0]  # chances[k]: probability of k right so far
    for p in facilities:
        p = min(max(p, 0.0), 1.0)
        step = [0.0] * (len(chances) + 1)
        for k, chance in enumerate(chances):
            step[k] += chance * (1 - p)
            step[k + 1] += chance * p
        chances = step
    right = max(0, min(right, len(facilities)))
    below = sum(chances[:right])
    return round(100 * (below + chances[right] / 2))
