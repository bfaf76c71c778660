"""Workload forecast, pure: no Django, no clock. Expected reviews a day over the next days for
several desired retentions, as Anki 24.11's FSRS simulator shows before one is chosen.

Two parts, added day by day:
- the cards not studied yet: fsrs-rs-python's `simulate` (the simulator inside Anki), with the
  course's daily new-card limit, learning and relearning step counts and longest interval;
- the cards already studied (Anki's simulator starts from them too, but fsrs-rs-python 0.9.3's
  `simulate` takes no existing cards): each from its own stability, difficulty, last review and
  due date, reviewed on its due day with recall drawn from FSRS's forgetting curve, then
  rescheduled at the retention simulated by fsrs-rs's own `next_states` (a lapse goes through one
  relearning step, fsrs-rs's short-term stability), the ratings of a recalled card drawn with
  the simulator's default Hard / Good / Easy shares. Due dates stay as they are (as in Anki, a
  new retention applies from each card's next review).
Both are averaged over SAMPLES seeded runs, the same seeds for every retention (common random
numbers: the curves differ by the retention, not by the luck of the draw). The daily review
limit applies to the sum: what it leaves waits for the next day.

The recommendation (docs/learning.md): the band 0.80-0.95 (inside the 0.75-0.95 the FSRS4Anki
scheduler recommends), and in it the retention with the least work per card remembered
(reviews and first views over the period per expected card recalled at its end) marked.
"""

from __future__ import annotations

import math
import random
from collections.abc import Sequence
from dataclasses import dataclass

import fsrs_rs_python as rs

RETENTIONS: tuple[float, ...] = (0.70, 0.75, 0.80, 0.85, 0.90, 0.93, 0.95, 0.97)
RECOMMENDED_BAND = (0.80, 0.95)
HORIZON_DAYS = 30
SAMPLES = 8
# Studied cards times runs per retention: ~0.3 ms each (measured here), so a forecast of a
# student with any number of studied cards stays near a quarter of a second.
STUDIED_CARD_RUNS = 800
_DEFAULTS = rs.default_simulator_config()
# A recalled card's rating: Hard, Good, Easy (fsrs-rs's simulator defaults, from Anki users).
REVIEW_RATING_SHARES: tuple[float, float, float] = tuple(_DEFAULTS.review_rating_prob)


@dataclass(frozen=True)
class StudiedCard:
    """A card already studied, as of today: its memory, days since its last review, and days
    until it is due (0 or less: due today)."""

    stability: float
    difficulty: float
    elapsed_days: int
    due_in_days: int
    safety_critical: bool = False  # scheduled at the deck's safety retention at least


@dataclass(frozen=True)
class Deck:
    """What is simulated: the parameters that schedule the student, their studied cards, how
    many are still new, and the course's limits and steps."""

    parameters: tuple[float, ...]
    studied: tuple[StudiedCard, ...]
    new_cards: int
    new_per_day: int
    reviews_per_day: int
    maximum_interval: int
    learning_steps: int
    relearning_steps: int
    safety_new_cards: int = 0  # of new_cards, those of safety-critical questions
    safety_retention: float = 0.0  # their retention floor (cards.core.scheduling.card_retention)


@dataclass(frozen=True)
class RetentionForecast:
    retention: float
    reviews: tuple[float, ...]  # expected reviews each day (not counting first views of new cards)
    new: tuple[float, ...]  # expected new cards seen each day
    remembered: float  # expected cards recalled at the end of the period
    recommended: bool = False
    optimal: bool = False

    @property
    def total(self) -> float:
        return sum(self.reviews)

    @property
    def per_day(self) -> float:
        return self.total / len(self.reviews) if self.reviews else 0.0

    @property
    def peak(self) -> float:
        return max(self.reviews, default=0.0)

    @property
    def work_per_card(self) -> float | None:
        """Reviews and first views over the period per card expected to be recalled at its end."""
        if self.remembered <= 0:
            return None
        return (self.total + sum(self.new)) / self.remembered


@dataclass(frozen=True)
class Forecast:
    days: int
    rows: tuple[RetentionForecast, ...]

    @property
    def optimal(self) -> RetentionForecast | None:
        return next((row for row in self.rows if row.optimal), None)

    def row(self, retention: float) -> RetentionForecast | None:
        """The row of the grid's retention nearest to `retention`."""
        return min(self.rows, key=lambda r: abs(r.retention - retention), default=None)


def _config(deck: Deck, days: int, cards: int, new_per_day: int) -> rs.SimulatorConfig:
    # Every field but those set here keeps fsrs-rs's default (Anki users' rating shares and
    # step transitions, the seconds each answer takes).
    config = rs.default_simulator_config()
    config.deck_size = cards
    config.learn_span = days
    config.learn_limit = new_per_day
    config.review_limit = deck.reviews_per_day
    config.max_ivl = float(deck.maximum_interval)
    config.learning_step_count = deck.learning_steps
    config.relearning_step_count = deck.relearning_steps
    config.max_cost_perday = math.inf
    return config


def _new_cards(deck: Deck, retention: float, days: int, seeds: Sequence[int]) -> tuple[list[float], list[float], float]:
    """Expected reviews and first views a day of the cards not studied yet (fsrs-rs's
    simulator), and how many of them are recalled at the end (its memorised count)."""
    reviews, new, remembered = [0.0] * days, [0.0] * days, 0.0
    if deck.new_cards <= 0 or deck.new_per_day <= 0:
        return reviews, new, remembered
    # Safety-critical cards at their own retention, in a run of their own with their share of
    # the daily new-card limit.
    safety = min(deck.safety_new_cards, deck.new_cards)
    safety_limit = min(deck.new_per_day, max(1, round(deck.new_per_day * safety / deck.new_cards))) if safety else 0
    groups = [
        (deck.new_cards - safety, deck.new_per_day - safety_limit, retention),
        (safety, safety_limit, max(retention, deck.safety_retention)),
    ]
    for cards, limit, group_retention in groups:
        if cards <= 0 or limit <= 0:
            continue
        config = _config(deck, days, cards, limit)
        for seed in seeds:
            result = rs.simulate(list(deck.parameters), group_retention, config, seed)
            for day in range(days):
                reviews[day] += result.review_cnt_per_day[day] / len(seeds)
                new[day] += result.learn_cnt_per_day[day] / len(seeds)
            remembered += result.memorized_cnt_per_day[days - 1] / len(seeds)
    return reviews, new, remembered


def _interval(stability: float, retention: float, factor: float, decay: float, maximum: int) -> int:
    days = stability / factor * (retention ** (1 / decay) - 1)
    return int(min(max(round(days), 1), maximum))


def _studied_cards(deck: Deck, retention: float, days: int, seeds: Sequence[int]) -> tuple[list[float], float]:
    """Expected reviews a day of the studied cards, and how many of them are recalled at the end."""
    fsrs = rs.FSRS(list(deck.parameters))
    decay = -deck.parameters[20]  # FSRS-6: R = (1 + factor * t / S) ** decay
    factor = 0.9 ** (1 / decay) - 1
    hard, good, _easy = REVIEW_RATING_SHARES
    reviews = [0.0] * days
    remembered = 0.0
    weight = 1 / len(seeds)
    for seed in seeds:
        rng = random.Random(seed)  # noqa: S311  # nosec B311 - a simulation, not a secret
        for card in deck.studied:
            target = max(retention, deck.safety_retention) if card.safety_critical else retention
            stability, difficulty = card.stability, card.difficulty
            last, due = -card.elapsed_days, max(card.due_in_days, 0)
            while due < days:
                elapsed = due - last
                recall = (1 + factor * elapsed / stability) ** decay
                states = fsrs.next_states(rs.MemoryState(stability, difficulty), target, elapsed)
                if rng.random() >= recall:
                    memory = states.again.memory
                    if deck.relearning_steps:  # a relearning step the same day (short-term stability)
                        memory = fsrs.next_states(memory, target, 0).good.memory
                else:
                    draw = rng.random()
                    memory = (states.hard if draw < hard else states.good if draw < hard + good else states.easy).memory
                stability, difficulty = memory.stability, memory.difficulty
                reviews[due] += weight
                last, due = due, due + _interval(stability, target, factor, decay, deck.maximum_interval)
            remembered += weight * (1 + factor * (days - last) / stability) ** decay
    return reviews, remembered


def _limited(reviews: list[float], limit: int) -> list[float]:
    """Daily reviews under the daily limit, what it leaves carried to the next day."""
    out, backlog = [], 0.0
    for wanted in reviews:
        backlog += wanted
        done = min(backlog, float(limit))
        out.append(done)
        backlog -= done
    return out


def samples_for(deck: Deck) -> int:
    """Runs to average: SAMPLES for a small deck, fewer for a large one, whose daily sum over
    many cards varies little from run to run (and whose runs cost the most)."""
    return max(1, min(SAMPLES, STUDIED_CARD_RUNS // max(len(deck.studied), 1)))


def forecast(deck: Deck, *, retentions: Sequence[float] = RETENTIONS, days: int = HORIZON_DAYS) -> Forecast:
    """Expected reviews a day over `days` days at each of `retentions`, the recommended ones
    and the optimal one marked. Deterministic: the same deck gives the same forecast."""
    seeds = range(1, samples_for(deck) + 1)
    rows = []
    for retention in retentions:
        new_reviews, new, new_remembered = _new_cards(deck, retention, days, seeds)
        old_reviews, remembered = _studied_cards(deck, retention, days, seeds)
        reviews = _limited([a + b for a, b in zip(new_reviews, old_reviews, strict=True)], deck.reviews_per_day)
        rows.append(
            RetentionForecast(
                retention=retention,
                reviews=tuple(reviews),
                new=tuple(new),
                remembered=remembered + new_remembered,
                recommended=RECOMMENDED_BAND[0] <= retention <= RECOMMENDED_BAND[1],
            )
        )
    return Forecast(days=days, rows=tuple(_mark_optimal(rows)))


def _mark_optimal(rows: list[RetentionForecast]) -> list[RetentionForecast]:
    candidates = [r for r in rows if r.recommended and r.work_per_card is not None]
    if not candidates:
        return rows
    best = min(candidates, key=lambda r: (r.work_per_card, -r.retention))
    return [RetentionForecast(**{**r.__dict__, "optimal": r is best}) for r in rows]
