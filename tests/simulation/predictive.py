"""The posterior predictive against the MAP: `nice -n 19 python -m tests.simulation.predictive`.

`map_fit` returns the most probable parameters (MAP); what minimises the expected log loss is
the posterior predictive, each review's recall averaged over the parameters the student's log
leaves plausible. Here the posterior is approximated around the MAP by a Gaussian (Laplace:
the objective's full Hessian in map_fit's units, by finite differences), `--draws` parameter
vectors are drawn from it, and each scored review is predicted by the mean of their recalls.
Two priors: the policy's (centred on the course's fit, STUDENT_SPREAD) and the exact one
(the course's true mean, the simulator's spread of students), on the same courses and score
as the table (docs/learning.md, "What the data carry").
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
from collections.abc import Sequence

from cards.core import fitting
from cards.core.fitting import _from_z, _to_z
from tests.simulation import scoring
from tests.simulation.ceiling import population_spread
from tests.simulation.cohort import simulate_course

STEP = 0.05  # finite-difference step, in prior units


def cholesky(matrix: list[list[float]]) -> list[list[float]]:
    """Lower-triangular L with L L^T = matrix; ValueError when it is not positive definite."""
    n = len(matrix)
    lower = [[0.0] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1):
            rest = matrix[i][j] - sum(lower[i][k] * lower[j][k] for k in range(j))
            if i == j:
                if rest <= 0:
                    raise ValueError("not positive definite")
                lower[i][i] = math.sqrt(rest)
            else:
                lower[i][j] = rest / lower[j][j]
    return lower


def solve_upper(lower: list[list[float]], e: Sequence[float]) -> list[float]:
    """x with L^T x = e: for e standard normal, x is normal with covariance (L L^T)^-1."""
    n = len(lower)
    x = [0.0] * n
    for i in reversed(range(n)):
        x[i] = (e[i] - sum(lower[k][i] * x[k] for k in range(i + 1, n))) / lower[i][i]
    return x


def laplace_draws(items, center, spread, mode, draws: int, rng: random.Random) -> list[tuple[float, ...]]:
    """Parameter vectors drawn from the Laplace approximation of the posterior around `mode`
    (summed log loss of `items` plus the Gaussian prior of map_fit)."""
    data = [i.item for i in sorted(items, key=lambda i: i.reviewed_at)]
    z = _to_z(center, spread, mode)
    n = len(z)

    def objective(point):
        return fitting.data_loss(_from_z(center, spread, point), data) + 0.5 * sum(x * x for x in point)

    def moved(*steps):
        point = list(z)
        for i, sign in steps:
            point[i] += sign * STEP
        return objective(point)

    at = objective(z)
    up = [moved((i, 1)) for i in range(n)]
    hessian = [[0.0] * n for _ in range(n)]
    for i in range(n):
        hessian[i][i] = (up[i] - 2 * at + moved((i, -1))) / STEP**2
        for j in range(i):
            hessian[i][j] = hessian[j][i] = (moved((i, 1), (j, 1)) - up[i] - up[j] + at) / STEP**2
    ridge = 0.0
    while True:  # a mode at a bound can leave the estimate indefinite: add the least ridge that helps
        try:
            lower = cholesky(
                [[h + (ridge if i == j else 0.0) for j, h in enumerate(row)] for i, row in enumerate(hessian)]
            )
            break
        except ValueError:
            ridge = max(0.5, 2 * ridge)
    out = []
    for _ in range(draws):
        x = solve_upper(lower, [rng.gauss(0, 1) for _ in range(n)])
        out.append(_from_z(center, spread, [a + b for a, b in zip(z, x, strict=True)]))
    return out


def predictive_loss(scored: scoring.Scored, draws: list[tuple[float, ...]]) -> float:
    recalls = [scored.recall(d) for d in draws]
    return scored.loss_of([sum(r) / len(r) for r in zip(*recalls, strict=True)])


def compare(course, cutoff: int, draws: int, rng: random.Random) -> dict[str, tuple[float, int, int]]:
    """{method: (share of the oracle's gain, students worse, students)} at one cut-off."""
    seen, scored = scoring.training_reviews(course, cutoff), scoring.scored_reviews(course, cutoff)
    truth = {s.user_id: s.weights for s in course.students}
    mean = tuple(statistics.fmean(w[i] for w in truth.values()) for i in range(fitting.N_PARAMETERS))
    course_fit = fitting.fit_course(seen, held_out=False)
    users = [u for u, sc in scored.items() if sc.n]
    base = {u: scored[u].loss(fitting.DEFAULT_PARAMETERS) for u in users}
    n = sum(scored[u].n for u in users)
    oracle = sum(base[u] - scored[u].loss(truth[u]) for u in users) / n
    priors = {
        "policy": (course_fit.parameters, fitting.STUDENT_SPREAD),
        "exact prior": (mean, population_spread(course.spread)),
    }
    losses: dict[str, dict] = {}
    for name, (center, spread) in priors.items():
        for u in users:
            items = fitting.items_for(seen[u])
            if len(items) < fitting.MIN_ITEMS:
                mode = tuple(center)
            elif name == "policy":
                mode = fitting.fit_student(seen[u], course_fit, held_out=False).parameters
            else:
                mode = fitting.map_fit(items, center, spread, sweeps=3)
            losses.setdefault(f"{name}: MAP", {})[u] = predicted = scored[u].loss(mode)
            if len(items) >= fitting.MIN_ITEMS:
                predicted = predictive_loss(scored[u], laplace_draws(items, center, spread, mode, draws, rng))
            losses.setdefault(f"{name}: predictive", {})[u] = predicted
    return {
        method: (
            sum(base[u] - loss[u] for u in users) / n / oracle,
            sum(1 for u in users if loss[u] > base[u] + 1e-9),
            len(users),
        )
        for method, loss in losses.items()
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--cutoffs", type=int, nargs="+", default=[7, 14])
    parser.add_argument("--draws", type=int, default=16)
    args = parser.parse_args()
    results: dict = {}
    for seed in args.seeds:
        for spread in ("moderate", "wide"):
            course = simulate_course(seed, spread=spread, students=30, days=90)
            for cutoff in args.cutoffs:
                found = compare(course, cutoff, args.draws, random.Random(seed * 1000 + cutoff))
                for method, row in found.items():
                    results.setdefault((cutoff, method), []).append(row)
                line = " ".join(f"{m}={100 * c:.0f}%/{w}" for m, (c, w, _n) in found.items())
                print(f"seed {seed} {spread} day {cutoff}: {line}", flush=True)
    for (cutoff, method), rows in sorted(results.items()):
        captured = [r[0] for r in rows]
        worse = sum(r[1] for r in rows) / sum(r[2] for r in rows)
        print(
            f"day {cutoff} {method}: {100 * statistics.fmean(captured):.0f}% "
            f"(worst course {100 * min(captured):.0f}%), {100 * worse:.0f}% of students worse"
        )


if __name__ == "__main__":
    main()
