"""`make bench`: throughput, latency, queries and memory of the study hot paths, side by side
with the framework's limit, plus the class-scale pages and the load test.

    make bench                                   # SQLite, full population (~6 minutes)
    BENCH_QUICK=1 make bench                     # smaller class, 5 s per scenario (< 2 minutes)
    DATABASE_URL=postgres://... make bench       # the same on PostgreSQL

What it does, in order:

1. Builds a bench database of its own (SQLite: a file under $BENCH_DIR, default
   /tmp/quizapp-bench; PostgreSQL: <name>_bench next to the DATABASE_URL database), never the
   dev database: migrate + `manage.py seed_population` into a template, cloned for each run
   (the template is kept while the seed parameters, the generator and the migrations stay the
   same, and rebuilt each day, since histories end "now").
2. Measures in-process (Django test client, timeit-like loops): queries per request of each
   scenario, the flat cost (light student vs heavy student), the cost of answering a card
   against the reference view, and the class-scale pages (with EXPLAIN of their heaviest
   queries).
3. Starts gunicorn on 127.0.0.1 (2 sync workers, DEBUG=0, DJANGO_SETTINGS_MODULE=tests.bench.settings,
   persistent connections) and drives it with wrk (tests/bench/study.lua), at most 60 s per
   scenario, sampling the workers' RSS; the reference runs before, between and after the
   others and their ratios use the mean of its runs.
4. The load test: 50 students studying at once for 30 s, then the review log is checked
   against the answers the load generator saw accepted.
5. Stops everything it started, prints the table and writes it to docs/benchmarks.md.
"""

from __future__ import annotations

import shutil
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.bench.common import (
    BACKLOG_DAYS,
    DOC,
    LOAD_SECONDS,
    LOAD_STUDENTS,
    POOL,
    QUICK,
    ROOT,
    ROUNDS,
    SCENARIOS,
    SLICE,
    log,
)
from tests.bench.database import bench_database
from tests.bench.inprocess import (
    answer_cost,
    bench_people,
    class_pages,
    collectstatic,
    flat_cost,
    queries_per_request,
    setup_django,
    table_sizes,
)
from tests.bench.load import Server, interleaved, load_test, scenario_students
from tests.bench.report import render, write_doc


def main() -> int:
    started = time.monotonic()
    if shutil.which("wrk") is None:
        print("make bench needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    db = bench_database()
    # Histories end 30 days ago (at midnight UTC, so a template serves the whole day): the
    # students come back to a month's backlog of due cards (70 on average, 30 or more for 85%
    # of the class; a week's backlog left the loops meeting "nothing to study" once for every
    # two answers), so every loop request is a real answer or the page of a real card.
    now_anchor = (datetime.now(UTC) - timedelta(days=BACKLOG_DAYS)).strftime("%Y-%m-%dT00:00:00+00:00")
    db.prepare(now_anchor)
    setup_django(db.url)
    collectstatic()
    workdir = Path(tempfile.mkdtemp(prefix="quizapp-bench-"))
    log("preparing students, tokens and sessions")
    people = bench_people()
    students = scenario_students(people["rows"][LOAD_STUDENTS:POOL], workdir)
    log("in-process: queries per request, flat cost, answer cost, class-scale pages")
    queries = queries_per_request(people)
    flat = flat_cost(people)
    cost = answer_cost(people)
    pages = class_pages(people)
    sizes = table_sizes()
    from django.db import connections

    connections.close_all()
    ref_path = f"/bench/reference/{people['topic'].pk}/"
    server = Server(db.url, workdir)
    results, load = {}, None
    try:
        server.wait(ref_path)
        server.warm()
        for mode in SCENARIOS:
            log(f"wrk {mode}: {ROUNDS} x ({SLICE} s reference + {SLICE} s {mode})")
            results[mode] = interleaved(server, mode, students[mode], workdir, ref_path)
        log(f"load test: {LOAD_STUDENTS} students for {LOAD_SECONDS} s")
        load = load_test(server, people, workdir)
    finally:
        server.stop()
    command = " ".join(
        [*(["BENCH_QUICK=1"] if QUICK else []), *(["DATABASE_URL=postgres://..."] if db.vendor != "sqlite" else [])]
        + ["make bench"]
    )
    text = render(db, people, results, queries, flat, cost, pages, sizes, load, command, started)
    print()
    print(text)
    write_doc(db, text)
    log(f"written to {DOC.relative_to(ROOT)}; done in {time.monotonic() - started:.0f} s")
    shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
