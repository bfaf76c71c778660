"""The table of docs/learning.md: `nice -n 19 python -m tests.simulation [--seeds 1 2 3]`.

Each seed makes one moderate and one wide course (30 students x 90 days); every method is
scored at the cut-offs on the next 30 days (tests/simulation/scoring.py). Half the courses run
in one extra process (--serial: none). `--assumptions issue` draws the truth as the issue's
reference simulator appears to (tests/simulation/cohort.py, Assumptions); `--cache DIR` keeps
each simulated course in DIR and reads it back next time.
"""

from __future__ import annotations

import argparse
import time
from multiprocessing import Pool

from cards.core import fitting
from tests.simulation import scoring
from tests.simulation.cohort import ASSUMPTIONS, load_course

CUTOFFS = (7, 14, 30, 60)
METHODS = ("course", "blend 50/50", "issue blend", "policy", "product")
DEFAULT_METHODS = ("course", "blend 50/50", "policy", "product")


def product(seen: dict) -> dict:
    """What the product's first refit leaves in use (cards.services.scheduler_params): for the
    course and then each student, whichever of the new fit, the parameters in use (the
    defaults; for a student, the course's) and the defaults predicts the held-out latest days
    best (fitting.held_out_choice)."""
    fit = fitting.fit_course(seen)
    course = fitting.held_out_choice(fit, fitting.DEFAULT_PARAMETERS, fitting.course_items(seen))
    course = course or fitting.DEFAULT_FIT
    _widening, spread = fitting.student_spread(seen, course.parameters)
    chosen = {}
    for user, reviews in seen.items():
        own = fitting.fit_student(reviews, course, spread=spread)
        choice = fitting.held_out_choice(own, course.parameters, fitting.items_for(reviews))
        chosen[user] = (choice or course).parameters
    return chosen


def methods_for(seen: dict, methods=DEFAULT_METHODS) -> dict:
    """{name: {user_id: parameters}} for what was seen before a cut-off."""
    out = {"product": product(seen)} if "product" in methods else {}
    if methods == ("product",):
        return out
    course = fitting.fit_course(seen, held_out=False)
    out["course"] = {u: course.parameters for u in seen}
    _widening, spread = fitting.student_spread(seen, course.parameters) if "policy" in methods else (0, None)
    own = {}
    if "blend 50/50" in methods or "issue blend" in methods:
        own = {u: fitting.fit_parameters(fitting.items_for(r)) for u, r in seen.items()}
    if "blend 50/50" in methods:
        out["blend 50/50"] = {u: mean(own[u], course.parameters) for u in seen}
    if "issue blend" in methods:
        # The blend: with fsrs-rs's own fit of the course's pooled log, from the first week.
        pooled = fitting.fit_parameters(fitting.course_items(seen))
        out["issue blend"] = {u: mean(own[u], pooled) for u in seen}
    if "policy" in methods:
        out["policy"] = {
            u: fitting.fit_student(r, course, held_out=False, spread=spread).parameters for u, r in seen.items()
        }
    return {name: chosen for name, chosen in out.items() if name in methods}


def mean(a, b) -> tuple[float, ...]:
    return tuple((x + y) / 2 for x, y in zip(a, b, strict=True))


def run_course(job: tuple) -> list[tuple]:
    seed, spread, students, days, methods, cutoffs, assumptions, cache = job
    course = load_course(seed, spread, students, days, assumptions, cache)
    rows = []
    for cutoff in cutoffs:
        if cutoff + scoring.WINDOW_DAYS > days:
            continue
        chosen = methods_for(scoring.training_reviews(course, cutoff), methods)
        results = scoring.evaluate(course, cutoff, {name: (lambda s, p=p: p) for name, p in chosen.items()})
        rows += [(seed, spread, cutoff, name, r) for name, r in results.items()]
    return rows


def table(rows: list[tuple], methods=DEFAULT_METHODS) -> str:
    lines = [
        "| cut-off | " + " | ".join(f"{m}: gain captured (min) | {m}: students worse" for m in methods) + " |",
        "|---" * (1 + 2 * len(methods)) + "|",
    ]
    for cutoff in CUTOFFS:
        cells = []
        for method in methods:
            found = [r for (_s, _sp, c, m, r) in rows if c == cutoff and m == method]
            if not found:
                continue
            captured = [r.captured for r in found]
            worse = sum(r.worse for r in found) / sum(r.students for r in found)
            cells.append(f"{100 * sum(captured) / len(captured):.0f}% ({100 * min(captured):.0f}%)")
            cells.append(f"{100 * worse:.0f}%")
        if cells:
            lines.append(f"| day {cutoff} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1, 2, 3])
    parser.add_argument("--students", type=int, default=30)
    parser.add_argument("--days", type=int, default=90)
    parser.add_argument("--serial", action="store_true", help="No extra process.")
    parser.add_argument("--cutoffs", type=int, nargs="+", default=list(CUTOFFS), help="Days of data seen.")
    parser.add_argument("--methods", nargs="+", choices=METHODS, default=list(DEFAULT_METHODS), help="Which columns.")
    parser.add_argument(
        "--assumptions", choices=sorted(ASSUMPTIONS), default="realistic", help="How the truth is drawn."
    )
    parser.add_argument("--cache", help="A directory to keep the simulated courses in.")
    args = parser.parse_args()
    jobs = [
        (seed, spread, args.students, args.days, tuple(args.methods), tuple(args.cutoffs), args.assumptions, args.cache)
        for seed in args.seeds
        for spread in ("moderate", "wide")
    ]
    started = time.time()
    rows = []

    def report(course_rows):
        rows.extend(course_rows)
        seed, spread = course_rows[0][:2]
        line = " ".join(f"{c}:{m}={100 * r.captured:.0f}%/{r.worse}" for (_s, _sp, c, m, r) in course_rows)
        print(f"seed {seed} {spread}: {line}", flush=True)

    if args.serial:
        for job in jobs:
            report(run_course(job))
    else:
        with Pool(1) as pool:
            pending = pool.map_async(run_course, jobs[1::2])
            for job in jobs[::2]:
                report(run_course(job))
            for course_rows in pending.get():
                report(course_rows)
    print(table(rows, args.methods))
    print(f"{len(jobs)} courses in {time.time() - started:.0f} s")


if __name__ == "__main__":
    main()
