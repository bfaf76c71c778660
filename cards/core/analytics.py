"""Item analysis (classical test theory) and study statistics, pure: no Django, no clock.

The database layer aggregates rows and passes plain values in (dicts of scores, lists of
dates, counts); everything here is arithmetic on those values. Functions that need "today"
take it as an argument: pass the student's study day (`cards.core.scheduling.study_day`), so the
04:00 rollover applies here too.

Item scores are 0..1 (partial credit from `cards.core.grading`, 1 = fully right). A student's
total score is the sum of their item scores.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from cards.core.scheduling import CardState, Rating, SchedulerSettings, State, retrievability

# An item nearly everyone gets right (or wrong) tells the instructor little about who knows
# the topic. Common CTT rules of thumb: facility 0.2-0.9 is the useful band, a discrimination
# index below 0.2 is weak, below 0 means the better students do worse on the item.
EASY_FACILITY = 0.9  # facility >= this: "too_easy"
HARD_FACILITY = 0.2  # facility <= this: "too_hard"
WEAK_DISCRIMINATION = 0.2  # 0 <= discrimination < this: "weak_discrimination"
GROUP_FRACTION = 0.27  # Kelley's upper/lower 27% groups

# Below this a variance counts as zero (float sums of equal values can leave ~1e-17).
_ZERO_VARIANCE = 1e-12

StudentId = Hashable  # must also be sortable among themselves (ties are broken by id)
QuestionId = Hashable
ChoiceId = Hashable


# --- item analysis ---------------------------------------------------------------------


def facility(correct: float, total: int) -> float | None:
    """Facility (CTT difficulty, p-value): p = correct / total.

    `correct` may be a sum of partial-credit scores, which makes p the mean item score.
    None when nobody answered (total == 0).
    """
    if total <= 0:
        return None
    return correct / total


def _paired(scores: Mapping[StudentId, float], item: Mapping[StudentId, float]) -> list[tuple[StudentId, float, float]]:
    """(student, total score, item score) for the students in both mappings.

    A student with no score for the item did not see it (another pool, left early) and is
    left out rather than counted as wrong.
    """
    return [(s, float(scores[s]), float(x)) for s, x in item.items() if s in scores]


def discrimination_index(
    scores: Mapping[StudentId, float],
    item: Mapping[StudentId, float],
    fraction: float = GROUP_FRACTION,
) -> float | None:
    """Upper-lower discrimination index: D = mean(item | upper group) - mean(item | lower group).

    Students who answered the item are ranked by total score; the upper and lower groups are
    the top and bottom k = ceil(fraction * n) students (capped at n // 2, so the groups never
    overlap). Ties are broken by student id, for determinism: students are sorted by
    (total, student id), the lower group is the first k and the upper group the last k, so
    among students with equal totals the smaller ids rank lower.

    D runs from -1 to 1. None with fewer than 2 students or when k is 0 (fraction 0).
    """
    if not 0 <= fraction <= 0.5:
        raise ValueError("fraction must be between 0 and 0.5")
    ranked = sorted(_paired(scores, item), key=lambda row: (row[1], row[0]))
    n = len(ranked)
    if n < 2:
        return None
    # round() first: 0.27 * 100 is 27.000000000000004 in floating point, and ceil would give 28.
    k = min(math.ceil(round(fraction * n, 9)), n // 2)
    if k == 0:
        return None
    lower = [x for _, _, x in ranked[:k]]
    upper = [x for _, _, x in ranked[-k:]]
    return sum(upper) / k - sum(lower) / k


def point_biserial(scores: Mapping[StudentId, float], item: Mapping[StudentId, float]) -> float | None:
    """Corrected item-total correlation: Pearson r between the item score x and the rest score y.

        y = total - x;  r = sum((x - mean x)(y - mean y)) / sqrt(sum((x - mean x)^2) * sum((y - mean y)^2))

    The rest score leaves the item out of the total: otherwise the item correlates with
    itself, which inflates r, the more so the fewer items the quiz has. For 0/1 items this is
    the point-biserial correlation. Only students in both mappings count. None with fewer
    than 2 students or when either variance is zero (everyone scored the same).
    """
    pairs = [(x, total - x) for _, total, x in _paired(scores, item)]
    n = len(pairs)
    if n < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / n
    mean_y = sum(y for _, y in pairs) / n
    sxx = sum((x - mean_x) ** 2 for x, _ in pairs)
    syy = sum((y - mean_y) ** 2 for _, y in pairs)
    if sxx <= _ZERO_VARIANCE or syy <= _ZERO_VARIANCE:
        return None
    sxy = sum((x - mean_x) * (y - mean_y) for x, y in pairs)
    return max(-1.0, min(1.0, sxy / math.sqrt(sxx * syy)))


def distractor_counts(picks: Iterable[Iterable[ChoiceId]], choice_ids: Sequence[ChoiceId]) -> dict[ChoiceId, int]:
    """How many responses picked each choice: count[c] = #{responses whose picks include c}.

    Every choice in `choice_ids` is present (zero when nobody picked it), in that order. A
    choice listed twice in one response counts once; ids not in `choice_ids` (a choice
    deleted since) are ignored.
    """
    counts = dict.fromkeys(choice_ids, 0)
    for picked in picks:
        for choice in set(picked):
            if choice in counts:
                counts[choice] += 1
    return counts


def item_flags(facility: float | None, discrimination: float | None, point_biserial: float | None) -> list[str]:
    """Review codes for an item, in this order (None values raise no flag):

    - "negative_discrimination": discrimination < 0 or point-biserial < 0
    - "too_easy": facility >= EASY_FACILITY
    - "too_hard": facility <= HARD_FACILITY
    - "weak_discrimination": 0 <= discrimination < WEAK_DISCRIMINATION
    """
    flags = []
    if (discrimination is not None and discrimination < 0) or (point_biserial is not None and point_biserial < 0):
        flags.append("negative_discrimination")
    if facility is not None and facility >= EASY_FACILITY:
        flags.append("too_easy")
    if facility is not None and facility <= HARD_FACILITY:
        flags.append("too_hard")
    if discrimination is not None and 0 <= discrimination < WEAK_DISCRIMINATION:
        flags.append("weak_discrimination")
    return flags


@dataclass(frozen=True)
class ItemStats:
    question_id: QuestionId
    responses: int  # students who answered, first attempts only
    facility: float | None
    discrimination: float | None
    point_biserial: float | None
    flags: list[str] = field(default_factory=list)
    distractors: dict[ChoiceId, int] = field(default_factory=dict)


def item_analysis(
    responses: Iterable[tuple[StudentId, QuestionId, float, Iterable[ChoiceId]]],
    choice_ids_by_question: Mapping[QuestionId, Sequence[ChoiceId]],
) -> list[ItemStats]:
    """Stats per item from (student, question, score 0..1, picked choice ids) rows.

    Only the first response per (student, question) counts, so pass rows oldest first: a
    retake after seeing the answer says more about memory than about the item. A student's
    total is the sum of their counted scores over all the items given; each item's
    facility is its mean score, its discrimination and point-biserial use those totals.

    One ItemStats per question: those in `choice_ids_by_question` first, in its order (with
    zero responses when nobody answered them), then any other question in order of first
    response (with no distractors, e.g. typed answers).
    """
    first: dict[tuple[StudentId, QuestionId], tuple[float, tuple[ChoiceId, ...]]] = {}
    order = list(choice_ids_by_question)
    known = set(order)
    for student, question, score, picked in responses:
        if not 0 <= score <= 1:
            raise ValueError(f"score {score!r} for question {question!r} is outside 0..1")
        if (student, question) in first:
            continue
        first[student, question] = (float(score), tuple(picked))
        if question not in known:
            known.add(question)
            order.append(question)

    totals: dict[StudentId, float] = {}
    by_item: dict[QuestionId, dict[StudentId, float]] = {}
    picks: dict[QuestionId, list[tuple[ChoiceId, ...]]] = {}
    for (student, question), (score, picked) in first.items():
        totals[student] = totals.get(student, 0.0) + score
        by_item.setdefault(question, {})[student] = score
        picks.setdefault(question, []).append(picked)

    results = []
    for question in order:
        item = by_item.get(question, {})
        fac = facility(sum(item.values()), len(item))
        disc = discrimination_index(totals, item)
        pbis = point_biserial(totals, item)
        results.append(
            ItemStats(
                question_id=question,
                responses=len(item),
                facility=fac,
                discrimination=disc,
                point_biserial=pbis,
                flags=item_flags(fac, disc, pbis),
                distractors=distractor_counts(picks.get(question, ()), choice_ids_by_question.get(question, ())),
            )
        )
    return results


# --- study statistics ------------------------------------------------------------------


def retention_counts(reviews: Iterable[tuple[int, int]]) -> tuple[int, int]:
    """(recalled, total) from (card state before the review, rating) pairs.

    Only reviews of cards in the Review state count (learning steps are minutes apart and
    say little about memory); recalled means rating > Again.
    """
    recalled = total = 0
    for state, rating in reviews:
        if state == State.REVIEW:
            total += 1
            recalled += rating > Rating.AGAIN
    return recalled, total


def true_retention(recalled: int, total: int) -> float | None:
    """True retention = recalled / total, over reviews of cards in the Review state
    (recalled: rating > 1; see `retention_counts`). None when there were none."""
    if total <= 0:
        return None
    return recalled / total


def card_retrievabilities(
    states: Iterable[CardState], now: datetime, settings: SchedulerSettings = SchedulerSettings()
) -> list[float]:
    """FSRS predicted recall of each card at `now` (0 for a card never reviewed)."""
    return [retrievability(state, now, settings) for state in states]


def mastery(retrievabilities: Iterable[float]) -> float | None:
    """Mastery = mean predicted recall R over the cards: sum(R) / n. None for no cards.

    Cards never reviewed have R = 0, so unstudied cards pull mastery down.
    """
    values = list(retrievabilities)
    if not values:
        return None
    return sum(values) / len(values)


def _check_date(day: date) -> None:
    # A datetime is a date too, but never equal to one: it would silently count nowhere.
    if isinstance(day, datetime) or not isinstance(day, date):
        raise TypeError(f"expected a date, got {day!r}: convert moments with cards.core.scheduling.study_day")


def streak(study_days: set[date], today: date) -> int:
    """Consecutive study days ending today, or ending yesterday when today has no study yet
    (the streak is not lost until the day is over). 0 when neither day has any study."""
    days = set(study_days)
    for day in days:
        _check_date(day)
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def _per_day(days: Iterable[date] | Mapping[date, int]) -> Counter[date]:
    """Events per day, from one date per event or from {date: count} already counted (what
    the database returns: no Python loop over its rows)."""
    counts: Counter[date] = Counter(dict(days)) if isinstance(days, Mapping) else Counter(days)
    for day in counts:
        _check_date(day)
    return counts


def forecast(due_dates: Iterable[date] | Mapping[date, int], today: date, days: int = 30) -> list[tuple[date, int]]:
    """Reviews due per day for `days` days from today: [(today + i, #due on that day)].
    `due_dates`: one date per card, or {date: cards}.

    Overdue cards (due before today) are counted on today; due after the window, ignored.
    """
    if days < 0:
        raise ValueError("days must not be negative")
    last = today + timedelta(days=days - 1)
    counts: Counter[date] = Counter()
    for due, n in _per_day(due_dates).items():
        if due <= last:
            counts[max(due, today)] += n
    return [(day, counts[day]) for day in (today + timedelta(days=i) for i in range(days))]


def daily_counts(days: Iterable[date] | Mapping[date, int], today: date, days_back: int = 90) -> list[tuple[date, int]]:
    """Reviews per day over the last `days_back` days including today, oldest first,
    zero-filled: [(today - days_back + 1 + i, #reviews on that day)]. `days` has one date
    per review, or is {date: reviews}; dates outside the window are ignored."""
    if days_back < 0:
        raise ValueError("days_back must not be negative")
    first = today - timedelta(days=days_back - 1)
    counts = _per_day(days)
    return [(day, counts[day]) for day in (first + timedelta(days=i) for i in range(days_back))]


def item_stats_from_sums(question_id, sums, picks: Mapping, choice_ids: Sequence) -> ItemStats:
    """One question's statistics from its first answers reduced in the database
    (cards.db.item_stats.ItemSums, None when nobody answered): the formulas above."""
    if sums is None or not sums.n:
        return ItemStats(
            question_id=question_id,
            responses=0,
            facility=None,
            discrimination=None,
            point_biserial=None,
            flags=[],
            distractors=dict.fromkeys(choice_ids, 0),
        )
    n, k = sums.n, sums.k
    fac = facility(sums.sum_x, n)
    discrimination = sums.upper / k - sums.lower / k if n >= 2 and k else None
    point_biserial = None
    if n >= 2 and sums.sxx > _ZERO_VARIANCE and sums.syy > _ZERO_VARIANCE:
        point_biserial = max(-1.0, min(1.0, sums.sxy / math.sqrt(sums.sxx * sums.syy)))
    return ItemStats(
        question_id=question_id,
        responses=n,
        facility=fac,
        discrimination=discrimination,
        point_biserial=point_biserial,
        flags=item_flags(fac, discrimination, point_biserial),
        distractors={cid: picks.get(cid, 0) for cid in choice_ids},
    )
