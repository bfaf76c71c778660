"""What every part of `make bench` shares: paths, the run's sizes and durations, a log line."""

from __future__ import annotations

import os
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DOC = ROOT / "docs" / "benchmarks.md"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SEED = 1
BACKLOG_DAYS = 30  # the class's histories end this many days before the run
SIZES = (
    {"students": 200, "questions": 200, "days": 365, "heavy_cards": 10_000, "heavy_reviews": 100_000}
    if QUICK
    else {"students": 1000, "questions": 200, "days": 365, "heavy_cards": 10_000, "heavy_reviews": 100_000}
)
# Each scenario runs in ROUNDS slices of SLICE seconds, each right after a slice of the
# reference: its ratio compares requests made in neighbouring seconds, which is what keeps
# it meaningful on a machine whose load changes while the bench runs.
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2" if QUICK else "3"))
SLICE = int(os.environ.get("BENCH_SECONDS", "3" if QUICK else "5"))
LOAD_SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "10" if QUICK else "30"))
LOAD_DRAIN = 3  # the load test sends nothing in its last seconds: no answer left in flight
SCENARIOS = ["api-next", "api-loop", "html-next", "html-loop", "htmx-loop", "block-tutor"]
# block-tutor: a student through tutor blocks of this many questions (study.lua). It runs
# last: its answers review cards of the students it uses, which the loops before it study.
BLOCK_SIZE = 10
assert ROUNDS * SLICE <= 60 and LOAD_SECONDS <= 60, "at most 60 s per scenario"
CONNECTIONS = 4  # two sync workers, two requests queued behind them
LOAD_STUDENTS = 50
POOL = 1000 if not QUICK else 200  # students the scenarios use (the first LOAD_STUDENTS for the load test)
SECRET = "bench-" + "k" * 50


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)
