"""What the first weeks can carry: `nice -n 19 python -m tests.simulation.ceiling [--seeds 1 2 3]`
(`--assumptions issue` and `--cache DIR` as for `python -m tests.simulation`).

Upper bounds for docs/learning.md, on the same simulated courses and score as the table:
methods that are given part of the truth (the mean of the course's true weights, each
student's own true values of some parameters), the best shrinkage of a student's own data
given the population exactly (map_fit centred on the course's true mean with the simulator's
own spread of students), and how much a student's own log favours their true weights over the
defaults (log-likelihood ratio, nats).
"""

from __future__ import annotations

import argparse
import statistics

from cards.core import fitting
from tests.simulation import scoring
from tests.simulation.cohort import ASSUMPTIONS, BANK_SHARE, PEOPLE_STDDEV, SPREADS, load_course

SHORT = (0, 1, 2, 3, 17, 18, 19, 20)  # initial stabilities, same-day terms, decay
DIFFICULTY = (4, 5, 6, 7)


def population_spread(spread: str, *, linear_around: tuple[float, ...] | None = None) -> tuple[float, ...]:
    """The simulator's spread of students around their course (cohort.vary), in map_fit's units.
    With `linear_around` (the course's mean, for initial stabilities drawn on a linear scale,
    `--assumptions issue`) the initial stabilities' spread is that linear spread seen on
    map_fit's log scale at the mean (sd / mean): the prior is then exact but for the shape."""
    log_spread, fraction = (x * (1 - BANK_SHARE) ** 0.5 for x in SPREADS[spread])
    out = [(log_spread if i < 4 else fraction) * s for i, s in enumerate(fitting.PEOPLE_SPREAD)]
    if linear_around is not None:
        out[:4] = [fraction * PEOPLE_STDDEV[i] / max(linear_around[i], 0.01) for i in range(4)]
    return tuple(out)


def truth_methods(seen: dict, truth: dict, spread: str, *, linear: bool = False) -> dict:
    mean = tuple(statistics.fmean(w[i] for w in truth.values()) for i in range(fitting.N_PARAMETERS))

    def own(group, rest):
        return {u: tuple(truth[u][i] if i in group else rest[i] for i in range(fitting.N_PARAMETERS)) for u in seen}

    population = population_spread(spread, linear_around=mean if linear else None)
    return {
        "course mean": {u: mean for u in seen},
        "own w0-3,17-20": own(SHORT, fitting.DEFAULT_PARAMETERS),
        "course mean + own w0-3,17-20": own(SHORT, mean),
        "course mean + own w0-7,17-20": own(SHORT + DIFFICULTY, mean),
        "own data, exact prior": {
            u: fitting.map_fit(items, mean, population, sweeps=3) if len(items) >= fitting.MIN_ITEMS else mean
            for u, items in ((u, fitting.items_for(r)) for u, r in seen.items())
        },
    }


def evidence(seen: dict, truth: dict) -> list[float]:
    """Per student: summed log loss of their own training items under the defaults minus under
    their true weights (nats by which their log favours the truth)."""
    out = []
    for u, reviews in seen.items():
        items = [i.item for i in fitting.items_for(reviews)]
        if items:
            out.append(fitting.data_loss(fitting.DEFAULT_PARAMETERS, items) - fitting.data_loss(truth[u], items))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cutoffs", type=int, nargs="+", default=[7, 14])
    parser.add_argument("--assumptions", choices=sorted(ASSUMPTIONS), default="realistic")
    parser.add_argument("--cache", help="A directory the simulated courses are kept in.")
    args = parser.parse_args()
    linear = ASSUMPTIONS[args.assumptions].initial == "linear"
    for cutoff in args.cutoffs:
        results: dict = {}
        nats = []
        for seed in args.seeds:
            for spread in ("moderate", "wide"):
                course = load_course(seed, spread, 30, 90, args.assumptions, args.cache)
                seen = scoring.training_reviews(course, cutoff)
                truth = {s.user_id: s.weights for s in course.students}
                chosen = truth_methods(seen, truth, spread, linear=linear)
                found = scoring.evaluate(course, cutoff, {n: (lambda _s, c=c: c) for n, c in chosen.items()})
                for name, result in found.items():
                    results.setdefault(name, []).append(result)
                nats += evidence(seen, truth)
        print(
            f"day {cutoff}: a student's own log favours their true weights over the defaults by a median of "
            f"{statistics.median(nats):.1f} nats ({sum(n < 2 for n in nats) / len(nats):.0%} under 2)"
        )
        for name, found in results.items():
            captured = statistics.fmean(r.captured for r in found)
            worse = sum(r.worse for r in found) / sum(r.students for r in found)
            print(
                f"  {name}: {100 * captured:.0f}% captured (worst course {100 * min(r.captured for r in found):.0f}%), "
                f"{100 * worse:.0f}% of students worse"
            )


if __name__ == "__main__":
    main()
