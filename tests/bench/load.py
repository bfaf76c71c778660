"""gunicorn on loopback driven by wrk: the scenarios, interleaved with the reference view, and the load test."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import threading
import time
import uuid
from pathlib import Path
from urllib.request import urlopen

from tests.bench.common import (
    BLOCK_SIZE,
    CONNECTIONS,
    GUNICORN,
    HERE,
    LOAD_DRAIN,
    LOAD_SECONDS,
    LOAD_STUDENTS,
    ROOT,
    ROUNDS,
    SCENARIOS,
    SLICE,
)
from tests.bench.inprocess import server_env

# --- gunicorn and wrk ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    def __init__(self, db_url: str, workdir: Path):
        self.port = free_port()
        self.log = workdir / "gunicorn.log"
        self.proc = subprocess.Popen(  # noqa: S603 - our own venv's gunicorn, fixed arguments
            [
                str(GUNICORN),
                "quizapp.wsgi",
                "--workers",
                "2",
                "--worker-class",
                "sync",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "/dev/null",
                "--error-logfile",
                str(self.log),
            ],
            cwd=ROOT,
            env=server_env(db_url, hosts="127.0.0.1"),
            start_new_session=True,
        )
        self.url = f"http://127.0.0.1:{self.port}"

    def wait(self, path: str) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited: see {self.log}")
            try:
                with urlopen(self.url + path, timeout=2) as reply:  # noqa: S310 - loopback
                    if reply.status == 200 and len(self.workers()) == 2:
                        return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("gunicorn did not come up in 30 s")

    def workers(self) -> list[int]:
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == self.proc.pid:
                pids.append(int(stat.parent.name))
        return pids

    def rss_mb(self) -> float:
        biggest = 0
        for pid in self.workers():
            try:
                for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                    if line.startswith("VmRSS:"):
                        biggest = max(biggest, int(line.split()[1]))
            except OSError:
                continue
        return biggest / 1024

    def warm(self) -> None:
        """Each worker imports lazily: make both pay that before anything is measured."""
        for _ in range(20):
            with urlopen(self.url + "/healthz/", timeout=5):  # noqa: S310 - loopback
                pass

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()


class RssSampler(threading.Thread):
    def __init__(self, server: Server):
        super().__init__(daemon=True)
        self.server, self.peak, self.running = server, 0.0, True

    def run(self):
        while self.running:
            self.peak = max(self.peak, self.server.rss_mb())
            time.sleep(0.25)

    def stop(self) -> float:
        self.running = False
        self.join()
        return max(self.peak, self.server.rss_mb())


def wrk(server: Server, mode: str, students: Path, workdir: Path, *, seconds: int, connections: int, **extra):
    exe = shutil.which("wrk")
    sampler = RssSampler(server)
    sampler.start()
    cmd = [exe, f"-t{connections}", f"-c{connections}", f"-d{seconds}s", "--timeout", "30s"]
    cmd += ["-s", str(HERE / "study.lua"), server.url, "--", mode, str(students), str(connections), str(workdir)]
    cmd += [extra.get("ref_path", "/"), str(extra.get("drain_at", "")), str(BLOCK_SIZE)]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 120, check=False)  # noqa: S603
    rss = sampler.stop()
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if line is None:
        raise RuntimeError(f"wrk {mode} failed:\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["seconds"] = result["duration_us"] / 1e6
    result["rps"] = result["requests"] / result["seconds"]
    result["rss_mb"] = rss
    result["socket_errors"] = sum(result[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return result


def combine(parts: list[dict]) -> dict:
    """Slices of one scenario as one result: summed counts, median percentiles, peak RSS."""
    out = {k: sum(p[k] for p in parts) for k in parts[0] if isinstance(parts[0][k], int) and not k.endswith("_us")}
    out["seconds"] = sum(p["seconds"] for p in parts)
    out["rps"] = out["requests"] / out["seconds"]
    for k in ("p50_us", "p95_us", "p99_us"):
        out[k] = statistics.median(p[k] for p in parts)
    out["max_us"] = max(p["max_us"] for p in parts)
    out["rss_mb"] = max(p["rss_mb"] for p in parts)
    return out


def scenario_students(rows: list[str], workdir: Path) -> dict[str, Path]:
    """Each scenario's students file. The loops answer cards, so each loop has its own third of
    the class (every third student of the ranking): one loop's answers do not leave the next
    with students who have nothing left to study. The `next` scenarios answer nothing and use
    them all."""
    loops = [mode for mode in SCENARIOS if mode.endswith("-loop")]
    files = {}
    for mode in SCENARIOS:
        mine = rows[loops.index(mode) :: len(loops)] if mode in loops else rows
        files[mode] = workdir / f"students-{mode}.txt"
        files[mode].write_text("\n".join(mine) + "\n")
    return files


def interleaved(server: Server, mode: str, students: Path, workdir: Path, ref_path: str) -> tuple[dict, dict]:
    refs, runs = [], []
    for _ in range(ROUNDS):
        refs.append(wrk(server, "ref", students, workdir, seconds=SLICE, connections=CONNECTIONS, ref_path=ref_path))
        runs.append(wrk(server, mode, students, workdir, seconds=SLICE, connections=CONNECTIONS))
    return combine(refs), combine(runs)


# --- the load test ------------------------------------------------------------------------------


def load_test(server: Server, people, workdir: Path) -> dict:
    from cards.models import ReviewLog

    students = people["ranked"][:LOAD_STUDENTS]
    path = workdir / "load-students.txt"
    path.write_text("\n".join(people["rows"][:LOAD_STUDENTS]) + "\n")
    for old in workdir.glob("accepted-*.txt"):
        old.unlink()
    ids = [u.pk for u in students]
    before = ReviewLog.objects.filter(user_id__in=ids).count()
    drain_at = int(time.time()) + LOAD_SECONDS - LOAD_DRAIN
    result = wrk(server, "load", path, workdir, seconds=LOAD_SECONDS, connections=LOAD_STUDENTS, drain_at=drain_at)
    after = ReviewLog.objects.filter(user_id__in=ids).count()
    seen = []
    for f in workdir.glob("accepted-*.txt"):
        seen += [line.strip() for line in f.read_text().splitlines() if line.strip()]
    found = ReviewLog.objects.filter(user_id__in=ids, review_id__in=[uuid.UUID(x) for x in seen]).count()
    active = max(1.0, drain_at - (time.time() - result["seconds"]))  # the seconds before the drain
    result.update(
        {
            "active_rps": (result["nexts"] + result["answers"]) / active,
            "rows_added": after - before,
            "ids_logged": len(seen),
            "ids_distinct": len(set(seen)),
            "ids_found": found,
        }
    )
    result["consistent"] = after - before == result["accepted"] == len(seen) == len(set(seen)) == found
    return result
