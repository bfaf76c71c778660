"""Scoring fits on a simulated course: log loss in expectation on the next 30 days' reviews.

At a cut-off of c days, a method sees every review made before it and returns parameters per
student; each review of the next 30 days made a day or more after the card's previous one is
scored with the recall the parameters predict from the card's history (the scheduler's day
count), averaged over the outcome with the true recall probability: the expected log loss
-(p* ln p + (1 - p*) ln(1 - p)). Realised outcomes would add noise that no method controls.

Gain is the log loss with the defaults minus the method's, pooled over the course's scored
reviews; a method's share of the oracle's gain (the true weights) is what it captures. A
student is worse off when their own scored reviews' loss is above the defaults'.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import fsrs_rs_python as rs

from cards.core import fitting
from tests.simulation.cohort import DAY_START_HOUR, START, Course, Memory

WINDOW_DAYS = 30
EPS = 1e-6

# A method: (each student's reviews before the cut-off) -> {user_id: parameters}.
Method = Callable[[dict], dict]


@dataclass
class Scored:
    """One student's scored reviews at one cut-off: per card, the fsrs-rs item up to the end of
    the window, and for each scored review its position, elapsed days and true recall."""

    cards: list[rs.FSRSItem]
    targets: list[list[tuple[int, int, float]]]
    n: int

    def recall(self, parameters) -> list[float]:
        """The recall `parameters` predict for each scored review (in `targets` order)."""
        memory = Memory(parameters)
        states = rs.FSRS(list(parameters)).historical_memory_state_batch(self.cards)
        return [
            memory.recall(card_states[position - 1].stability, days)
            for card_states, targets in zip(states, self.targets, strict=True)
            for position, days, _truth in targets
        ]

    def loss(self, parameters) -> float:
        """Summed expected log loss of the scored reviews under `parameters`."""
        return self.loss_of(self.recall(parameters))

    def loss_of(self, predicted: list[float]) -> float:
        """Summed expected log loss of predicted recalls (any predictor's, e.g. an average)."""
        truths = [truth for targets in self.targets for _p, _d, truth in targets]
        total = 0.0
        for p, truth in zip(predicted, truths, strict=True):
            p = min(max(p, EPS), 1 - EPS)
            total -= truth * math.log(p) + (1 - truth) * math.log(1 - p)
        return total


def cut_moment(days: int):
    return START + timedelta(days=days, hours=DAY_START_HOUR)


def training_reviews(course: Course, cutoff: int) -> dict:
    """{user_id: [fitting.Review, ...]}: what a method may see at the cut-off."""
    cut = cut_moment(cutoff)
    return {
        s.user_id: [fitting.Review(r.card_id, r.reviewed_at, r.rating) for r in s.reviews if r.reviewed_at < cut]
        for s in course.students
    }


def scored_reviews(course: Course, cutoff: int) -> dict:
    cut, end = cut_moment(cutoff), cut_moment(cutoff + WINDOW_DAYS)
    out = {}
    for student in course.students:
        histories: dict = {}
        for r in student.reviews:
            if r.reviewed_at < end:
                histories.setdefault(r.card_id, []).append(r)
        cards, targets, n = [], [], 0
        for history in histories.values():
            steps = fitting.card_steps([fitting.Review(r.card_id, r.reviewed_at, r.rating) for r in history])
            chosen = [
                (i, steps[i][1], r.true_recall)
                for i, r in enumerate(history)
                if r.reviewed_at >= cut and r.true_recall is not None
            ]
            if chosen:
                cards.append(fitting.fsrs_item(steps))
                targets.append(chosen)
                n += len(chosen)
        out[student.user_id] = Scored(cards, targets, n)
    return out


@dataclass
class Result:
    """One method on one course at one cut-off: the course's pooled gain over the defaults, the
    oracle's, and which students ended worse than with the defaults."""

    gain: float
    oracle_gain: float
    worse: int
    students: int

    @property
    def captured(self) -> float:
        return self.gain / self.oracle_gain if self.oracle_gain > 0 else float("nan")


def evaluate(course: Course, cutoff: int, methods: dict[str, Method]) -> dict[str, Result]:
    seen = training_reviews(course, cutoff)
    scored = scored_reviews(course, cutoff)
    truth = {s.user_id: s.weights for s in course.students}
    base = {u: sc.loss(fitting.DEFAULT_PARAMETERS) for u, sc in scored.items() if sc.n}
    oracle = {u: scored[u].loss(truth[u]) for u in base}
    n_reviews = sum(scored[u].n for u in base)
    oracle_gain = sum(base[u] - oracle[u] for u in base) / n_reviews
    results = {}
    for name, method in methods.items():
        chosen = method(seen)
        losses = {u: scored[u].loss(chosen.get(u, fitting.DEFAULT_PARAMETERS)) for u in base}
        results[name] = Result(
            gain=sum(base[u] - losses[u] for u in base) / n_reviews,
            oracle_gain=oracle_gain,
            worse=sum(1 for u in base if losses[u] > base[u] + 1e-9),
            students=len(base),
        )
    return results
