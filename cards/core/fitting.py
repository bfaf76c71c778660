"""Fitting FSRS parameters to review logs, pure: no Django, no clock. Wraps fsrs-rs-python.

The review log is the truth: each live review of a card (undone reviews left out) with its
time and rating. `fit_course` fits one set of parameters to all of a course's students;
`fit_student` fits one student and combines it with the course's fit (the policy, and why,
in docs/learning.md). Every result is a `Fit` whose parameters `fsrs.Scheduler` accepts.

Training must count elapsed days as the scheduler does. fsrs 6.3.2 (cards.core.scheduling)
takes whole 24-hour periods between the UTC moments of two reviews, `(now - last_review).days`,
whatever the study day: a card due tomorrow evening that the queue offers from 04:00 and is
answered 20 hours after its last review counts 0 days (a same-day review, FSRS's short-term
stability), not 1. `elapsed_days` is that count; study days (`study_day`, 04:00 local) only
decide which reviews are held out together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import fsrs
import fsrs_rs_python as rs

from cards.core.scheduling import DAY_ROLLOVER_HOUR

DEFAULT_PARAMETERS: tuple[float, ...] = tuple(fsrs.scheduler.DEFAULT_PARAMETERS)
LOWER_BOUNDS: tuple[float, ...] = tuple(fsrs.scheduler.LOWER_BOUNDS_PARAMETERS)
UPPER_BOUNDS: tuple[float, ...] = tuple(fsrs.scheduler.UPPER_BOUNDS_PARAMETERS)
N_PARAMETERS = len(DEFAULT_PARAMETERS)

# fsrs-rs's own thresholds (fsrs-rs 6.6, training.rs): under MIN_ITEMS training items it returns
# the defaults; under MIN_FULL_ITEMS it fits only the four initial stabilities.
MIN_ITEMS = 8
MIN_FULL_ITEMS = 64


@dataclass(frozen=True)
class Review:
    """One live review: which card, when (an aware datetime), and the rating (1-4)."""

    card_id: int | str
    reviewed_at: datetime
    rating: int


@dataclass(frozen=True)
class Fit:
    """Parameters and what they rest on: `n_reviews` training items (reviews a day or more after
    the card's previous one), their log loss and RMSE(bins) on held-out later reviews when
    measured, and `source` (default, course, student, or student+course when combined).
    `evidence`: the summed log loss of the same fitting on each of the rolling folds' later
    days (rolling_folds), what held_out_choice compares."""

    parameters: tuple[float, ...]
    n_reviews: int
    source: str
    log_loss: float | None = None
    rmse_bins: float | None = None
    evidence: float | None = None


DEFAULT_FIT = Fit(parameters=DEFAULT_PARAMETERS, n_reviews=0, source="default")


def clamp_parameters(values: Iterable[float]) -> tuple[float, ...]:
    """`values` brought inside fsrs 6.3.2's bounds. fsrs-rs computes in float32: a parameter
    at its bound (0.8 becomes 0.800000011920929) can sit just outside it, and fsrs.Scheduler
    refuses the whole vector."""
    values = [float(v) for v in values]
    if len(values) != N_PARAMETERS:
        raise ValueError(f"expected {N_PARAMETERS} parameters, got {len(values)}")
    if not all(math.isfinite(v) for v in values):
        raise ValueError(f"parameters must be finite numbers: {values}")
    return tuple(min(max(v, lo), hi) for v, lo, hi in zip(values, LOWER_BOUNDS, UPPER_BOUNDS, strict=True))


def elapsed_days(previous: datetime, current: datetime) -> int:
    """Days between two reviews as the scheduler counts them: whole 24-hour periods between
    the UTC moments (fsrs 6.3.2, `Scheduler.review_card`)."""
    return (current.astimezone(UTC) - previous.astimezone(UTC)).days


def study_day(moment: datetime, tz_name: str = "UTC", day_start_hour: int = DAY_ROLLOVER_HOUR) -> date:
    """The study day of a moment: its local date `day_start_hour` hours earlier."""
    return (moment.astimezone(ZoneInfo(tz_name)) - timedelta(hours=day_start_hour)).date()


def by_card(reviews: Iterable[Review]) -> dict:
    """{card_id: [Review, ...]} in time order (ties keep their input order)."""
    cards: dict = {}
    for review in reviews:
        cards.setdefault(review.card_id, []).append(review)
    for history in cards.values():
        history.sort(key=lambda r: r.reviewed_at)
    return cards


def card_steps(history: Sequence[Review]) -> list[tuple[int, int]]:
    """A card's reviews (in time order) as (rating, elapsed days): the first counts 0 days."""
    out, previous = [], None
    for review in history:
        out.append((review.rating, 0 if previous is None else elapsed_days(previous, review.reviewed_at)))
        previous = review.reviewed_at
    return out


def fsrs_item(steps: Sequence[tuple[int, int]]) -> rs.FSRSItem:
    return rs.FSRSItem([rs.FSRSReview(rating, delta) for rating, delta in steps])


@dataclass(frozen=True)
class Item:
    """A training item: a card's reviews up to and including one made a day or more after the
    previous one (what FSRS predicts: was it recalled?), when that review was made, the card
    (fsrs-rs weighs recent items more, per card) and the days since the card's previous review."""

    item: rs.FSRSItem
    reviewed_at: datetime
    card_key: int
    days: int = 0


def items_for(reviews: Iterable[Review], *, card_key_base: int = 0) -> list[Item]:
    """Training items from one student's reviews (every card's history, any order)."""
    items = []
    for index, history in enumerate(by_card(reviews).values()):
        steps = card_steps(history)
        for position in range(1, len(steps)):
            if steps[position][1] > 0:
                items.append(
                    Item(
                        fsrs_item(steps[: position + 1]),
                        history[position].reviewed_at,
                        card_key_base + index,
                        steps[position][1],
                    )
                )
    items.sort(key=lambda i: i.reviewed_at)
    return items


def fit_parameters(items: Sequence[Item], *, num_relearning_steps: int = 1) -> tuple[float, ...]:
    """fsrs-rs's fit of `items`, clamped into fsrs's bounds (the defaults under MIN_ITEMS items;
    only the initial stabilities under MIN_FULL_ITEMS)."""
    if len(items) < MIN_ITEMS:
        return DEFAULT_PARAMETERS
    ordered = sorted(items, key=lambda i: i.reviewed_at)
    fitted = rs.FSRS(list(DEFAULT_PARAMETERS)).compute_parameters(
        [i.item for i in ordered], num_relearning_steps=num_relearning_steps
    )
    return clamp_parameters(fitted)


# How much people differ, parameter by parameter: fsrs-rs's spread of fitted parameters across
# Anki users (training.rs PARAMS_STDDEV), its prior; the initial stabilities on a log scale.
PEOPLE_SPREAD = (1.0, 1.0, 1.0, 1.0, 0.57, 0.28, 0.6, 0.12, 0.39, 0.18, 0.33, 0.3, 0.09, 0.16, 0.57, 0.25)
PEOPLE_SPREAD += (1.03, 0.31, 0.32, 0.14, 0.27)
# A parameter whose data curvature and pull (in prior units) are both under this is left alone.
CARRIED = 0.2
LOG_SCALED = 4  # parameters 0-3 (initial stabilities) vary on a log scale


def _from_z(center: Sequence[float], spread: Sequence[float], z: Sequence[float]) -> tuple[float, ...]:
    values = [
        c * math.exp(s * x) if i < LOG_SCALED else c + s * x
        for i, (c, s, x) in enumerate(zip(center, spread, z, strict=True))
    ]
    return clamp_parameters(values)


def data_loss(parameters: Sequence[float], items: Sequence[rs.FSRSItem]) -> float:
    """Summed log loss of `items` (fsrs-rs's recency-weighted mean times their number); infinite
    where fsrs-rs finds no finite loss (it refuses such parameters with a ValueError)."""
    try:
        return rs.FSRS(list(parameters)).evaluate(items).log_loss * len(items)
    except ValueError:
        return math.inf


def map_fit(
    items: Sequence[Item],
    center: Sequence[float],
    spread: Sequence[float],
    *,
    start: Sequence[float] | None = None,
    sweeps: int = 4,
    free: Sequence[int] | None = None,
) -> tuple[float, ...]:
    """The parameters that best explain `items` while staying near `center`: the minimum of
    summed log loss + half the squared distance from `center` in units of `spread` (a Gaussian
    prior; the initial stabilities on a log scale). A parameter the data say little about keeps
    its centre; one they determine follows them. From `center` (or `start` if it scores
    better), one parameter at a time: a Newton step from finite differences, kept only if it
    lowers the objective. With `free`, only those parameters are searched; the others keep
    their centre's values."""
    data = [i.item for i in sorted(items, key=lambda i: i.reviewed_at)]
    if not data:
        return clamp_parameters(center)

    def objective(point):
        return data_loss(_from_z(center, spread, point), data) + 0.5 * sum(x * x for x in point)

    z = [0.0] * N_PARAMETERS
    value = objective(z)
    if start is not None:
        z_start = _to_z(center, spread, clamp_parameters(start))
        start_value = objective(z_start)
        if start_value < value:
            z, value = z_start, start_value
    h = 0.02
    active = list(range(N_PARAMETERS)) if free is None else sorted(free)
    for _ in range(sweeps):
        moved = 0.0
        for i in list(active):
            up, down = list(z), list(z)
            up[i] += h
            down[i] -= h
            f_up, f_down = objective(up), objective(down)
            curvature = (f_up - 2 * value + f_down) / (h * h)
            gradient = (f_up - f_down) / (2 * h)
            if curvature < 1 + CARRIED and abs(gradient) < CARRIED:
                active.remove(i)  # the data hardly bear on it: it keeps its value
                continue
            step = -gradient / curvature if curvature > 0 else -math.copysign(0.5, gradient)
            step = max(-1.0, min(1.0, step))
            for _try in range(3):
                trial = list(z)
                trial[i] += step
                trial_value = objective(trial)
                if trial_value < value:
                    z, value = trial, trial_value
                    moved = max(moved, abs(step))
                    break
                step /= 3
        if moved < 0.01:
            break
    return _from_z(center, spread, z)


def _to_z(center: Sequence[float], spread: Sequence[float], values: Sequence[float]) -> list[float]:
    return [
        (math.log(v / c) if i < LOG_SCALED else v - c) / s
        for i, (c, s, v) in enumerate(zip(center, spread, values, strict=True))
    ]


# A course's students are more alike than all of Anki's users: a student's own fit may move
# from the course's by about a third of the spread of people (0.35: of 0.25, 0.35 and 0.5, the
# best at 14 and 30 days on the simulated courses of seeds 1-3; docs/learning.md).
STUDENT_SPREAD = tuple(0.35 * s for s in PEOPLE_SPREAD)
# How much more a course's students may differ in what their first weeks measure best, how long
# a first answer is remembered (the initial stabilities), is the cohort's to say: student_spread
# picks it. (Widening the same-day terms and decay with them did worse: docs/learning.md.)
WIDENED = (0, 1, 2, 3)
WIDENINGS = (0.35, 0.5, 0.7, 1.0, 1.4, 2.0)  # of people's spread, for WIDENED


def widened(fraction: float) -> tuple[float, ...]:
    """STUDENT_SPREAD with the WIDENED parameters at `fraction` of people's spread."""
    return tuple((fraction if i in WIDENED else 0.35) * s for i, s in enumerate(PEOPLE_SPREAD))


def student_spread(
    reviews_by_student: Mapping,
    center: Sequence[float],
    *,
    zones: Mapping | None = None,
    day_start_hour: int = DAY_ROLLOVER_HOUR,
) -> tuple[float, tuple[float, ...]]:
    """(fraction, spread): how far the students' own fits may move from `center`, chosen by the
    cohort's held-out reviews. Each student with enough data is fitted on their earlier study
    days (split_by_day) with each of WIDENINGS for the initial stabilities, and the
    widening whose fits predict the students' latest days best, summed over the cohort, is
    kept (the narrowest on a tie). Students who differ little (as Anki users do) keep about a
    third of people's spread; a cohort whose first reviews differ widely gets room to follow
    them (docs/learning.md, "Choosing the students' spread"). Under two students with a
    split, STUDENT_SPREAD."""
    zones = zones or {}
    splits = []
    for user, reviews in reviews_by_student.items():
        items = items_for(reviews)
        earlier, later = split_by_day(items, zones.get(user) or "UTC", day_start_hour)
        if len(earlier) >= MIN_ITEMS and later:
            splits.append((earlier, [i.item for i in later], fit_parameters(earlier)))
    if len(splits) < 2:
        return 0.35, STUDENT_SPREAD
    scores = {}
    for fraction in WIDENINGS:
        spread = widened(fraction)
        scores[fraction] = sum(
            data_loss(map_fit(earlier, center, spread, start=start, sweeps=3), later)
            for earlier, later, start in splits
        )
    best = min(WIDENINGS, key=lambda f: (scores[f], f))
    return best, widened(best)


HELD_OUT_SHARE = 0.2  # of a fit's items, its latest study days, to measure it on


def measure(parameters: Sequence[float], items: Sequence[Item]) -> tuple[float, float] | None:
    """(log loss, RMSE(bins)) of `parameters` on `items` (fsrs-rs's evaluation); None for none."""
    if not items:
        return None
    result = rs.FSRS(list(parameters)).evaluate([i.item for i in items])
    return float(result.log_loss), float(result.rmse_bins)


def split_by_day(items: Sequence[Item], tz_name: str = "UTC", day_start_hour: int = DAY_ROLLOVER_HOUR):
    """(earlier, later): the items of the latest study days, about HELD_OUT_SHARE of them, held
    out (a day's reviews stay together); (items, []) when there are too few days."""
    ordered = sorted(items, key=lambda i: i.reviewed_at)
    days = sorted({study_day(i.reviewed_at, tz_name, day_start_hour) for i in ordered})
    if len(days) < 2:
        return ordered, []
    target = len(ordered) * (1 - HELD_OUT_SHARE)
    cut_day = study_day(ordered[min(int(target), len(ordered) - 1)].reviewed_at, tz_name, day_start_hour)
    cut_day = max(cut_day, days[1])
    earlier = [i for i in ordered if study_day(i.reviewed_at, tz_name, day_start_hour) < cut_day]
    return earlier, ordered[len(earlier) :]


def rolling_folds(items: Sequence[Item], tz_name: str = "UTC", day_start_hour: int = DAY_ROLLOVER_HOUR) -> list:
    """The time-series folds a refit is judged on ("rolling origin"): the latest study days
    (split_by_day) against what precedes them, then the latest days of that earlier part
    against what precedes it; a fold only where its earlier part holds MIN_ITEMS. Two folds
    give the choice twice the evidence of one (docs/learning.md, "The product's guard")."""
    folds = []
    earlier = items
    for _ in range(2):
        earlier, later = split_by_day(earlier, tz_name, day_start_hour)
        if len(earlier) < MIN_ITEMS or not later:
            break
        folds.append((earlier, later))
    return folds


def _evidence(parameters_per_fold: Sequence[Sequence[float]], folds) -> float:
    """Summed log loss on each fold's later days of that fold's parameters."""
    return sum(data_loss(p, [i.item for i in later]) for p, (_e, later) in zip(parameters_per_fold, folds, strict=True))


def _held_out(fit_items, items: Sequence[Item], day: tuple[str, int], **fit_kw) -> tuple:
    """(log loss, RMSE(bins), evidence): the first two of the same fitting done on the earlier
    items, on the later (a time-series split), and its evidence on the rolling folds; (None,
    None, None) when there is too little to split."""
    folds = rolling_folds(items, *day)
    if not folds:
        return None, None, None
    fitted = [fit_items(earlier, **fit_kw) for earlier, _later in folds]
    log_loss, rmse = measure(fitted[0], folds[0][1])
    return log_loss, rmse, _evidence(fitted, folds)


def held_out_choice(
    fit: Fit,
    current: Sequence[float],
    items: Sequence[Item],
    tz_name: str = "UTC",
    day_start_hour: int = DAY_ROLLOVER_HOUR,
) -> Fit | None:
    """What should schedule the owner of `items` after a refit: whichever of the new fit, the
    parameters in use (`current`) and FSRS's defaults predicts the later days of the rolling
    folds best, summed over them (rolling_folds). The new fit is judged by its `evidence` (the
    same fitting done on each fold's earlier days), the other two on the same days. Returns
    the new fit, a Fit of the defaults (source "default", measured as a fit is), or None to
    keep `current`: on a tie, when nothing can be held out, and for an unmeasured new fit. The
    product's refit (cards.services.scheduler_params) and the simulation's "product" column
    use this one rule (docs/learning.md, "The product's guard")."""
    folds = rolling_folds(items, tz_name, day_start_hour)
    if not folds:
        return None
    options: list[tuple[float, Fit | None]] = [(_evidence([current] * len(folds), folds), None)]
    if fit.evidence is not None and fit.source != "default":
        options.append((fit.evidence, fit))
    if tuple(current) != DEFAULT_PARAMETERS:
        evidence = _evidence([DEFAULT_PARAMETERS] * len(folds), folds)
        log_loss, rmse = measure(DEFAULT_PARAMETERS, folds[0][1])
        options.append((evidence, Fit(DEFAULT_PARAMETERS, fit.n_reviews, "default", log_loss, rmse, evidence)))
    return min(options, key=lambda option: option[0])[1]


def course_items(reviews_by_student: Mapping) -> list[Item]:
    items: list[Item] = []
    for index, reviews in enumerate(reviews_by_student.values()):
        items += items_for(reviews, card_key_base=index * 1_000_000)
    return items


# A course's fit becomes its students' centre only once its log holds MIN_FULL_ITEMS reviews
# made LONG_INTERVAL days or more after the card's previous one (docs/learning.md): a first
# week holds first reviews at 1-6 days, which leave the parameters of longer intervals
# (recall stability growth, decay, difficulty) to trade off against each other, and a course
# fit that explains that week well predicted the next month worse than the defaults.
LONG_INTERVAL = 7


def has_long_intervals(items: Sequence[Item], days: int = LONG_INTERVAL) -> bool:
    return sum(1 for i in items if i.days >= days) >= MIN_FULL_ITEMS


# What a course's log says of memory at longer intervals (how stability grows after a recall and
# after a lapse, w8-w16, and the curve's decay, w20) it says only once it holds reviews made
# SETTLED_INTERVAL days or more after the card's previous one. Before that (a log of two weeks
# or less) the course's fit moves the parameters those first reviews measure, EARLY: the initial
# stabilities, difficulty and the same-day terms; the others keep the defaults. Fitted on a
# two-week log, the long-interval parameters traded off against each other and extrapolated
# badly: on one simulated course in six the course's fit predicted the next month worse than
# the defaults for most students (docs/learning.md, "What a two-week log can carry").
SETTLED_INTERVAL = 14
EARLY = (0, 1, 2, 3, 4, 5, 6, 7, 17, 18, 19)


# A course's bank moves its students' parameters less than people differ: the course's fit is
# kept near the defaults with half of people's spread, and searched from the defaults (not from
# fsrs-rs's unregularised fit, whose basin a short search stays in). On seeds 1-3 at day 14 this
# captured 52% of the oracle's gain (worst course 35%, 16% of students worse) against 49% (25%,
# 19%) for people's spread started from fsrs-rs's fit (docs/learning.md).
COURSE_SPREAD = tuple(0.5 * s for s in PEOPLE_SPREAD)


def _course_parameters(items: Sequence[Item], *, num_relearning_steps: int = 1) -> tuple[float, ...]:
    if len(items) < MIN_ITEMS or not has_long_intervals(items):
        return DEFAULT_PARAMETERS
    free = None if has_long_intervals(items, SETTLED_INTERVAL) else EARLY
    return map_fit(items, DEFAULT_PARAMETERS, COURSE_SPREAD, sweeps=4, free=free)


def _student_parameters(
    items: Sequence[Item], *, center, spread=STUDENT_SPREAD, num_relearning_steps: int = 1
) -> tuple[float, ...]:
    if len(items) < MIN_ITEMS:
        return tuple(center)
    start = fit_parameters(items, num_relearning_steps=num_relearning_steps)
    return map_fit(items, center, spread, start=start, sweeps=3)


def fit_course(
    reviews_by_student: Mapping,
    *,
    tz_name: str = "UTC",
    day_start_hour: int = DAY_ROLLOVER_HOUR,
    num_relearning_steps: int = 1,
    held_out: bool = True,
) -> Fit:
    """One fit from all of a course's students' reviews ({student: [Review, ...]}): the
    parameters that explain them best while staying near the defaults (map_fit, half of
    people's spread, searched from the defaults). Under MIN_ITEMS training items, or before the
    log holds reviews at LONG_INTERVAL days or more, the defaults; before it holds reviews at
    SETTLED_INTERVAL days or more, only the EARLY parameters move. With `held_out`, its log
    loss and RMSE(bins) are those of the same fitting done without the latest study days, on
    them."""
    items = course_items(reviews_by_student)
    kw = {"num_relearning_steps": num_relearning_steps}
    parameters = _course_parameters(items, **kw)
    source = "course" if len(items) >= MIN_ITEMS and has_long_intervals(items) else "default"
    log_loss = rmse = evidence = None
    if held_out:
        log_loss, rmse, evidence = _held_out(_course_parameters, items, (tz_name, day_start_hour), **kw)
    return Fit(parameters, len(items), source, log_loss, rmse, evidence)


def fit_student(
    reviews: Sequence[Review],
    course: Fit,
    *,
    tz_name: str = "UTC",
    day_start_hour: int = DAY_ROLLOVER_HOUR,
    num_relearning_steps: int = 1,
    held_out: bool = True,
    spread: Sequence[float] = STUDENT_SPREAD,
) -> Fit:
    """A student's fit: their own reviews explained by parameters kept near the course's
    (map_fit with `spread`: the cohort's, from student_spread), so each parameter moves as far
    as their data carry it; the course's parameters under MIN_ITEMS training items. Held-out
    measures as fit_course."""
    items = items_for(reviews)
    kw = {"num_relearning_steps": num_relearning_steps, "center": course.parameters, "spread": tuple(spread)}
    parameters = _student_parameters(items, **kw)
    source = "student+course" if len(items) >= MIN_ITEMS else course.source
    log_loss = rmse = evidence = None
    if held_out:
        log_loss, rmse, evidence = _held_out(_student_parameters, items, (tz_name, day_start_hour), **kw)
    return Fit(parameters, len(items), source, log_loss, rmse, evidence)
