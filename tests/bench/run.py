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

import hashlib
import json
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit
from urllib.request import urlopen

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
PYTHON = ROOT / ".venv" / "bin" / "python"
GUNICORN = ROOT / ".venv" / "bin" / "gunicorn"
DOC = ROOT / "docs" / "benchmarks.md"
QUICK = os.environ.get("BENCH_QUICK", "") not in ("", "0")
SEED = 1
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
SCENARIOS = ["api-next", "api-loop", "html-next", "html-loop", "htmx-loop"]
assert ROUNDS * SLICE <= 60 and LOAD_SECONDS <= 60, "at most 60 s per scenario"
CONNECTIONS = 4  # two sync workers, two requests queued behind them
LOAD_STUDENTS = 50
POOL = 1000 if not QUICK else 200  # students the scenarios use (the first LOAD_STUDENTS for the load test)
SECRET = "bench-" + "k" * 50


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", flush=True)


# --- the bench database ------------------------------------------------------------------------


def fingerprint(now_anchor: str) -> str:
    parts = [
        json.dumps(SIZES, sort_keys=True),
        str(SEED),
        now_anchor,
        (ROOT / "cards/management/commands/seed_population.py").read_text(),
        *(p.read_text() for p in sorted((ROOT / "cards/migrations").glob("0*.py"))),
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def seed_command(url: str, now_anchor: str) -> None:
    env = {**os.environ, "DATABASE_URL": url, "DEBUG": "1", "LOG_LEVEL": "ERROR"}
    subprocess.run([PYTHON, "manage.py", "migrate", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    args = [
        PYTHON,
        "manage.py",
        "seed_population",
        f"--students={SIZES['students']}",
        f"--questions={SIZES['questions']}",
        f"--days={SIZES['days']}",
        f"--heavy-cards={SIZES['heavy_cards']}",
        f"--heavy-reviews={SIZES['heavy_reviews']}",
        f"--seed={SEED}",
        f"--now={now_anchor}",
    ]
    subprocess.run(args, cwd=ROOT, env=env, check=True)


class SqliteBench:
    vendor = "sqlite"
    label = "SQLite"

    def __init__(self):
        self.dir = Path(os.environ.get("BENCH_DIR", Path(tempfile.gettempdir()) / "quizapp-bench"))
        self.dir.mkdir(parents=True, exist_ok=True)
        self.path = self.dir / ("bench-quick.sqlite3" if QUICK else "bench.sqlite3")
        self.url = f"sqlite:///{self.path}"

    def prepare(self, now_anchor: str) -> None:
        fp = fingerprint(now_anchor)
        template = self.dir / f"template-{'quick-' if QUICK else ''}{fp}.sqlite3"
        if not template.exists():
            for old in self.dir.glob(f"template-{'quick-' if QUICK else ''}*"):
                if QUICK or not old.name.startswith("template-quick-"):
                    old.unlink()
            building = template.with_suffix(".building")
            for suffix in ("", "-wal", "-shm"):
                Path(f"{building}{suffix}").unlink(missing_ok=True)
            log(f"seeding a new template {template.name} (kept for the next runs today)")
            seed_command(f"sqlite:///{building}", now_anchor)
            import sqlite3

            with sqlite3.connect(building) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            building.rename(template)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        shutil.copyfile(template, self.path)
        log(f"bench database: {self.path} (a copy of {template.name})")

    def describe(self) -> str:
        import sqlite3

        return f"SQLite {sqlite3.sqlite_version} (WAL, synchronous=NORMAL), file {self.path}"


class PostgresBench:
    vendor = "postgresql"
    label = "PostgreSQL"

    def __init__(self, url: str):
        parts = urlsplit(url)
        self.base = parts
        name = parts.path.lstrip("/") or "quizapp"
        self.name = f"{name}_bench{'_quick' if QUICK else ''}"
        self.template = f"{self.name}_template"
        self.url = urlunsplit(parts._replace(path=f"/{self.name}"))

    def _admin(self):
        import psycopg

        return psycopg.connect(urlunsplit(self.base._replace(path="/postgres")), autocommit=True)

    def prepare(self, now_anchor: str) -> None:
        fp = fingerprint(now_anchor)
        with self._admin() as admin:
            row = admin.execute(
                "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s", [self.template]
            ).fetchone()
            if row is None or row[0] != fp:
                log(f"seeding a new template database {self.template} (kept for the next runs today)")
                admin.execute(f'DROP DATABASE IF EXISTS "{self.template}" WITH (FORCE)')
                admin.execute(f'CREATE DATABASE "{self.template}"')
                seed_command(urlunsplit(self.base._replace(path=f"/{self.template}")), now_anchor)
                import psycopg

                with psycopg.connect(urlunsplit(self.base._replace(path=f"/{self.template}")), autocommit=True) as db:
                    # What autovacuum's analyze does after a bulk load, before the planner sees the tables.
                    db.execute("ANALYZE")
                admin.execute(f"COMMENT ON DATABASE \"{self.template}\" IS '{fp}'")
            admin.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{self.name}" TEMPLATE "{self.template}"')
        log(f"bench database: {self.name} (a copy of {self.template})")

    def describe(self) -> str:
        from django.db import connection

        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            version = cursor.fetchone()[0]
            cursor.execute("SHOW synchronous_commit")
            sync = cursor.fetchone()[0]
        return f"PostgreSQL {version} (synchronous_commit={sync}), database {self.name} on {self.base.hostname}"


def bench_database():
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return PostgresBench(url)
    return SqliteBench()


# --- Django, in this process ------------------------------------------------------------------


def server_env(db_url: str, *, hosts: str) -> dict:
    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.bench.settings",
        "DATABASE_URL": db_url,
        "DEBUG": "0",
        "SECRET_KEY": SECRET,
        "ALLOWED_HOSTS": hosts,
        # Plain HTTP on loopback: TLS and its redirect belong to the proxy in front.
        "SECURE_SSL_REDIRECT": "0",
        # Answers are limited per user; the bench answers far faster than a person.
        "THROTTLE_ANSWER": "1000000/min",
        "LOG_LEVEL": "ERROR",
        "PYTHONPATH": str(ROOT),
    }


def setup_django(db_url: str) -> None:
    os.environ.update(server_env(db_url, hosts="127.0.0.1,testserver"))
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


def collectstatic() -> None:
    # DEBUG=0 serves fingerprinted files from STATIC_ROOT (whitenoise's manifest).
    subprocess.run(
        [PYTHON, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=ROOT,
        env=server_env(os.environ["DATABASE_URL"], hosts="127.0.0.1"),
        check=True,
    )


def bench_people():
    """Who the scenarios act as: the class students with the most to study now (tokens and
    sessions made here, in the bench database), the light and heavy students, the teacher."""
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY, get_user_model
    from django.db.models import Count, Q
    from django.utils import timezone
    from rest_framework.authtoken.models import Token

    from cards.accounts.sessions import SessionStore
    from cards.models import Card, Course, Deck, Topic, UserSession

    User = get_user_model()
    now = timezone.now()
    course = Course.objects.get(title="Bench class")
    deck = Deck.objects.get(slug="bench-class")
    ranked = list(
        User.objects.filter(username__startswith="bench-s")
        .annotate(
            ready=Count(
                "cards",
                filter=Q(cards__last_review__isnull=False, cards__due__lte=now + timedelta(hours=12))
                | Q(cards__last_review__isnull=True),
            )
        )
        .order_by("-ready", "username")[: max(POOL, LOAD_STUDENTS * 2)]
    )
    Token.objects.filter(user__in=ranked).delete()
    tokens = [Token(key=hashlib.sha1(f"{u.username}:{SEED}".encode()).hexdigest(), user=u) for u in ranked]  # noqa: S324
    Token.objects.bulk_create(tokens)
    sessions = []
    backend = "cards.accounts.backend.ModelBackend"
    for user in ranked:
        store = SessionStore()
        data = {SESSION_KEY: str(user.pk), BACKEND_SESSION_KEY: backend, HASH_SESSION_KEY: user.get_session_auth_hash()}
        key = uuid.uuid5(uuid.NAMESPACE_URL, f"bench:{user.username}").hex
        expiry = now + timedelta(days=1)
        sessions.append(UserSession(session_key=key, session_data=store.encode(data), expire_date=expiry, user=user))
    UserSession.objects.filter(session_key__in=[s.session_key for s in sessions]).delete()
    UserSession.objects.bulk_create(sessions)
    rows = [f"{t.key} {s.session_key} {course.pk} {deck.pk}" for t, s in zip(tokens, sessions, strict=True)]
    heavy = User.objects.get(username="bench-heavy")
    light = User.objects.get(username="bench-light")
    typical = (
        User.objects.filter(username__startswith="bench-s")
        .annotate(n=Count("review_logs"))
        .order_by("n", "username")
        .values_list("username", "n")
    )
    typical_list = list(typical)
    median_name, median_reviews = typical_list[len(typical_list) // 2]
    return {
        "course": course,
        "deck": deck,
        "rows": rows,
        "ranked": ranked,
        "tokens": {t.user_id: t.key for t in tokens},
        "heavy": heavy,
        "light": light,
        "typical": User.objects.get(username=median_name),
        "typical_reviews": median_reviews,
        "teacher": User.objects.get(username="bench-teacher"),
        "topic": Topic.objects.order_by("pk").first(),
        "heavy_cards": Card.objects.filter(user=heavy).count(),
        "heavy_reviews": heavy.review_logs.count(),
        "light_cards": Card.objects.filter(user=light).count(),
        "light_reviews": light.review_logs.count(),
    }


# --- in-process measurements ------------------------------------------------------------------


def timeit(fn, *, number: int, repeat: int = 5) -> float:
    """Seconds per call: the best of `repeat` means over `number` calls (as timeit does)."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        for _ in range(number):
            fn()
        best = min(best, (time.perf_counter() - started) / number)
    return best


def count_queries(fn) -> tuple[int, object]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        result = fn()
    return len(ctx.captured_queries), result


@contextmanager
def rolled_back():
    from django.db import transaction

    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def api_client(token: str):
    from django.test import Client

    return Client(HTTP_AUTHORIZATION=f"Token {token}")


def session_client(user):
    from django.test import Client

    client = Client()
    client.force_login(user)
    return client


def form_payload(html: str) -> dict:
    def field(name):
        found = re.search(rf'name="{name}" value="([^"]*)"', html)
        return found.group(1) if found else None

    kind = field("kind")
    if kind is None:
        return {"card": re.search(r"/reveal/(\d+)/", html).group(1), "kind": "flashcard", "rating": "3"}
    data = {"card": field("card"), "kind": kind, "reps": field("reps"), "review_id": str(uuid.uuid4())}
    choice = re.search(r'name="(choices?)" value="(\d+)"', html)
    if choice:
        data[choice.group(1)] = choice.group(2)
    else:
        data["text"] = "GABA-B"
    return data


def queries_per_request(people) -> dict:
    """Queries of one request of each scenario, as the server runs it."""
    from django.test import Client

    from tests.answers import api_answer

    student = people["ranked"][0]
    token = people["tokens"][student.pk]
    course, deck = people["course"], people["deck"]
    api = api_client(token)
    html = session_client(student)
    out = {}
    out["reference"], _ = count_queries(lambda: Client().get(f"/bench/reference/{people['topic'].pk}/"))
    out["api-next"], response = count_queries(lambda: api.get(f"/api/v1/study/next/?deck={deck.pk}"))
    payload = api_answer(response.json()["card"])
    with rolled_back():
        n_answer, answered = count_queries(
            lambda: api.post("/api/v1/study/answer/", payload, content_type="application/json")
        )
    assert answered.status_code == 200, answered.content
    out["api-loop"] = (out["api-next"] + n_answer) / 2
    out["api-answer"] = n_answer
    page_url = f"/study/{course.pk}/{deck.pk}/"
    html.get(page_url)
    out["html-next"], page = count_queries(lambda: html.get(page_url))
    form = form_payload(page.content.decode())
    with rolled_back():
        n_post, posted = count_queries(lambda: html.post(f"{page_url}answer/", form))
    assert posted.status_code == 302, posted.status_code
    out["html-loop"] = (out["html-next"] + n_post) / 2
    out["html-answer"] = n_post
    n_panel, panel = count_queries(lambda: html.get(page_url, HTTP_HX_REQUEST="true"))
    form = form_payload(panel.content.decode())
    with rolled_back():
        n_htmx, posted = count_queries(lambda: html.post(f"{page_url}answer/", form, HTTP_HX_REQUEST="true"))
    assert posted.status_code == 200, posted.status_code
    out["htmx-loop"] = (n_panel + n_htmx) / 2
    out["htmx-panel"], out["htmx-answer"] = n_panel, n_htmx
    return out


def flat_cost(people) -> list[dict]:
    """next and answer for the heavy student (10,000 cards, 100,000 reviews) and the light one
    (10 cards, no history): queries and time per call, on a card of the same kind (the kinds
    cost differently: a flashcard's intervals, a question's choices). The light student's
    other cards are suspended for it inside a transaction rolled back afterwards."""
    from django.db import transaction
    from rest_framework.authtoken.models import Token

    from cards.models import Card
    from tests.answers import api_answer

    rows, kind = [], None
    for who in ("heavy", "light"):
        user = people[who]
        token, _ = Token.objects.get_or_create(user=user)
        client = api_client(token.key)
        deck_id = user.cards.values_list("deck_id", flat=True).first()
        url = f"/api/v1/study/next/?deck={deck_id}"
        with transaction.atomic():
            if kind is not None:
                Card.objects.filter(user=user).exclude(question__kind=kind).update(suspended=True)
            response = client.get(url)
            assert response.status_code == 200, (who, response.status_code)
            kind = response.json()["card"]["kind"]
            n_next, _ = count_queries(lambda url=url, client=client: client.get(url))
            t_next = timeit(lambda url=url, client=client: client.get(url), number=100)
            payload = api_answer(response.json()["card"])

            def answer(client=client, payload=payload):
                with rolled_back():
                    reply = client.post("/api/v1/study/answer/", payload, content_type="application/json")
                assert reply.status_code == 200, reply.content
                return reply

            answer()  # warm the per-process caches (a deck's typed-answer terms) as a running server has them
            n_answer, _ = count_queries(answer)
            t_answer = timeit(answer, number=100)
            transaction.set_rollback(True)
        rows.append(
            {
                "who": who,
                "kind": kind,
                "next_q": n_next,
                "next_ms": t_next * 1000,
                "answer_q": n_answer,
                "answer_ms": t_answer * 1000,
            }
        )
    return rows


def answer_cost(people) -> dict:
    """The service call (grading, FSRS, writes) against the reference view, in-process."""
    from django.test import Client
    from django.utils import timezone

    from cards.models import Card
    from cards.services.study import answer_card

    ref_client = Client()
    ref_url = f"/bench/reference/{people['topic'].pk}/"
    t_ref = timeit(lambda: ref_client.get(ref_url), number=300)
    user = people["light"]
    card = Card.objects.filter(user=user, question__kind="single").select_related("question").first()
    choice = card.question.choices.order_by("id").first()

    def service():
        with rolled_back():
            answer_card(
                user=user, card_id=card.pk, answer={"choice": choice.pk}, review_id=uuid.uuid4(), now=timezone.now()
            )

    t_service = timeit(service, number=200)
    return {"reference_ms": t_ref * 1000, "service_ms": t_service * 1000, "ratio": t_service / t_ref}


def explain(sql: str) -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql)  # noqa: S608 - our own captured query
            return "\n".join(r[0] for r in cursor.fetchall())
        cursor.execute("EXPLAIN QUERY PLAN " + sql)  # noqa: S608 - our own captured query
        return "\n".join(f"{'  ' * 0}{r[-1]}" for r in cursor.fetchall())


def page_cost(client, url: str, *, runs: int = 15) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        client.get(url)
        times.append(time.perf_counter() - started)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    return {
        "url": url,
        "ms": statistics.median(times) * 1000,
        "queries": len(ctx.captured_queries),
        "plans": heaviest_plans(ctx.captured_queries),
    }


def heaviest_plans(captured: list, n: int = 4) -> list[dict]:
    """EXPLAIN of the n slowest SELECTs among captured queries."""
    heaviest = sorted(captured, key=lambda q: float(q["time"]), reverse=True)
    return [
        {"ms": float(q["time"]) * 1000, "sql": q["sql"], "plan": explain(q["sql"])}
        for q in heaviest
        if q["sql"].lstrip().upper().startswith(("SELECT", "WITH"))
    ][:n]


def snapshot_refresh(people) -> dict:
    """The class statistics snapshot the analytics page reads: how long recomputing it takes
    (the aggregates over the whole class), with the plans of its heaviest queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from cards.services import class_stats

    with CaptureQueriesContext(connection) as ctx:
        started = time.perf_counter()
        stats = class_stats.refresh(people["course"])
        seconds = time.perf_counter() - started
    return {
        "ms": seconds * 1000,
        "queries": len(ctx.captured_queries),
        "students": stats.students,
        "plans": heaviest_plans(ctx.captured_queries),
    }


def class_pages(people) -> dict:
    from django.test import Client

    ref_client = Client()
    ref_url = f"/bench/reference/{people['topic'].pk}/"
    ref_ms = statistics.median(timeit(lambda: ref_client.get(ref_url), number=50, repeat=1) for _ in range(5)) * 1000
    teacher = session_client(people["teacher"])
    refresh = snapshot_refresh(people)
    pages = {
        "analytics": page_cost(teacher, f"/teach/courses/{people['course'].pk}/analytics/"),
        "dashboard (typical student)": page_cost(session_client(people["typical"]), "/dashboard/"),
        "dashboard (heavy student)": page_cost(session_client(people["heavy"]), "/dashboard/"),
    }
    return {"reference_ms": ref_ms, "pages": pages, "refresh": refresh}


def table_sizes() -> list[tuple]:
    from django.db import connection

    from cards.models import ReviewLog

    rows = ReviewLog.objects.count()
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA page_count")
            pages = cursor.fetchone()[0]
            cursor.execute("PRAGMA page_size")
            size = cursor.fetchone()[0]
        return [("cards_reviewlog rows", rows), ("whole database file", pages * size)]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_relation_size('cards_reviewlog'), pg_indexes_size('cards_reviewlog'),"
            " pg_total_relation_size('cards_reviewlog')"
        )
        heap, indexes, total = cursor.fetchone()
        cursor.execute(
            "SELECT indexrelname, pg_relation_size(indexrelid) FROM pg_stat_user_indexes"
            " WHERE relname = 'cards_reviewlog' ORDER BY 2 DESC"
        )
        per_index = cursor.fetchall()
    return [
        ("cards_reviewlog rows", rows),
        ("table (heap + TOAST)", total - indexes),
        ("heap only", heap),
        ("indexes", indexes),
        ("total", total),
        *[(f"index {name}", size) for name, size in per_index],
    ]


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
    cmd += [extra.get("ref_path", "/"), str(extra.get("drain_at", ""))]
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


# --- report -------------------------------------------------------------------------------------


def ms(us: float) -> str:
    return f"{us / 1000:.1f}"


def render(db, people, results, queries, flat, cost, pages, sizes, load, command, started) -> str:
    import django

    heavy, light = flat
    kind = "quick" if QUICK else "full"
    lines = [
        f"Run {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {kind}, {time.monotonic() - started:.0f} s in all.",
        f"Machine: {os.cpu_count()} CPUs (nproc), {platform.python_implementation()} {platform.python_version()}, "
        f"Django {django.get_version()}, {db.describe()}. Load average: {LOADS[0]:.1f} before the run, "
        f"{os.getloadavg()[0]:.1f} after it (other processes share these CPUs).",
        f"Command: `{command}`",
        f"Population: {SIZES['students']} students x {SIZES['questions']} questions, {sizes[0][1]:,} review-log "
        f"rows; heavy student {people['heavy_cards']:,} cards / {people['heavy_reviews']:,} reviews; light "
        f"student {people['light_cards']} cards / {people['light_reviews']} reviews. gunicorn: 2 sync workers; "
        f"wrk: {CONNECTIONS} connections; each scenario {ROUNDS} x {SLICE} s, each slice right after "
        f"{SLICE} s of the reference view.",
        "",
        "| scenario | requests/s | reference requests/s (its slices) | ratio | p50 ms | p95 ms | p99 ms "
        "| queries/request | worker RSS MB | 4xx / 5xx / socket errors |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, (ref, r) in results.items():
        lines.append(
            f"| {name} | {r['rps']:.0f} | {ref['rps']:.0f} | **{r['rps'] / ref['rps']:.2f}** | {ms(r['p50_us'])} | "
            f"{ms(r['p95_us'])} | {ms(r['p99_us'])} | {queries[name]} | {r['rss_mb']:.0f} | "
            f"{r['n4xx']} / {r['n5xx']} / {r['socket_errors']} |"
        )
    refs = [ref for ref, _ in results.values()]
    lines += [
        "",
        f"Reference view: {queries['reference']} query, p50 {ms(statistics.median(x['p50_us'] for x in refs))} ms, "
        f"{min(x['rps'] for x in refs):.0f}-{max(x['rps'] for x in refs):.0f} requests/s over the run. "
        "A loop counts every request (a `next` and its answer are two); its queries/request is the mean of the "
        f"pair (API answer {queries['api-answer']} queries; form post {queries['html-answer']}; htmx: card panel "
        f"{queries['htmx-panel']}, answer with its feedback panel {queries['htmx-answer']}). "
        + "; ".join(
            f"{name}: {r['accepted']} answers accepted, {r['empty']} times nothing to study"
            for name, (_, r) in results.items()
            if name.endswith("loop")
        )
        + ".",
        "",
        f"**Flat cost** (in-process, Django test client, best of 5 x 100 calls, on a {heavy['kind']} card for "
        "both; answers rolled back):",
        "",
        "| student | next: queries | next: ms | answer: queries | answer: ms |",
        "|---|---:|---:|---:|---:|",
        *[
            f"| {r['who']} | {r['next_q']} | {r['next_ms']:.2f} | {r['answer_q']} | {r['answer_ms']:.2f} |"
            for r in flat
        ],
        "",
        f"Heavy / light: next {heavy['next_ms'] / light['next_ms']:.2f}x, answer "
        f"{heavy['answer_ms'] / light['answer_ms']:.2f}x (target: the same queries, within 1.20x).",
        "",
        f"**Answering a card in-process** (`answer_card`: grading, FSRS, writes; rolled back): "
        f"{cost['service_ms']:.2f} ms, the reference view through the test client {cost['reference_ms']:.2f} ms: "
        f"**{cost['ratio']:.1f}x** (target: at most 6x).",
        "",
        *(
            [
                "On PostgreSQL the in-process figures roll back each answer, and psycopg forgets the "
                "connection's prepared statements at every ROLLBACK: they include parsing and planning "
                "statements that the gunicorn runs above (which commit) prepare once per connection.",
                "",
            ]
            if db.vendor == "postgresql"
            else []
        ),
        f"**Class-scale pages** (in-process, median; the reference view {pages['reference_ms']:.2f} ms the same "
        f"way; the typical student has {people['typical_reviews']:,} reviews):",
        "",
        "| page | ms | queries | ratio to reference |",
        "|---|---:|---:|---:|",
        *[
            f"| {name} `{p['url']}` | {p['ms']:.1f} | {p['queries']} | {p['ms'] / pages['reference_ms']:.1f}x |"
            for name, p in pages["pages"].items()
        ],
        "",
        f"The analytics page reads the class statistics snapshot (`cards.services.class_stats`); "
        f"recomputing it for the class ({pages['refresh']['students']:,} students) took "
        f"{pages['refresh']['ms']:,.0f} ms in {pages['refresh']['queries']} queries (`manage.py refresh_class_stats`, "
        f'or "Recalculate now"; a page view never does).',
        "",
    ]
    if load:
        lines += [
            f"**Load test** ({LOAD_STUDENTS} students at once, {LOAD_SECONDS} s, the API loop, one answer in ten "
            f"sent twice, nothing sent in the last {LOAD_DRAIN} s): {load['active_rps']:.0f} requests/s, "
            f"p50 {ms(load['p50_us'])} ms, p95 {ms(load['p95_us'])} ms, p99 {ms(load['p99_us'])} ms; 5xx: "
            f"{load['n5xx']}, 4xx: {load['n4xx']}, socket errors: {load['socket_errors']}; answers accepted (200, "
            f"not replayed): {load['accepted']}, double submits replayed: {load['replayed']}; review-log rows "
            f"added: {load['rows_added']}; accepted review ids logged: {load['ids_logged']} ({load['ids_distinct']} "
            f"distinct, {load['ids_found']} found in the log): "
            f"**{'consistent' if load['consistent'] else 'MISMATCH'}**; worker RSS {load['rss_mb']:.0f} MB.",
            "",
        ]
    lines.append("Review-log size: " + ", ".join(f"{k} {v:,}" for k, v in sizes) + " (bytes).")
    lines += ["", "<details><summary>EXPLAIN of the heaviest queries of the class-scale pages</summary>", ""]
    for name, p in [*pages["pages"].items(), ("class statistics snapshot refresh", pages["refresh"])]:
        for plan in p["plans"]:
            sql = plan["sql"][:1500] + (" ..." if len(plan["sql"]) > 1500 else "")
            lines += [f"{name}, {plan['ms']:.1f} ms:", "", "```sql", sql, "```", "```", plan["plan"], "```", ""]
    lines.append("</details>")
    return "\n".join(lines)


def write_doc(db, text: str) -> None:
    key = f"{db.vendor}-{'quick' if QUICK else 'full'}"
    start, end = f"<!-- bench:{key}:start -->", f"<!-- bench:{key}:end -->"
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    block = f"{start}\n{text}\n{end}"
    if start in doc and end in doc:
        doc = doc[: doc.index(start)] + block + doc[doc.index(end) + len(end) :]
    else:
        title = f"{db.label}, {'BENCH_QUICK=1' if QUICK else 'full run'}"
        doc = doc.rstrip("\n") + f"\n\n## Latest run: {title}\n\n{block}\n"
    DOC.write_text(doc)


LOADS = os.getloadavg()


def main() -> int:
    started = time.monotonic()
    if shutil.which("wrk") is None:
        print("make bench needs wrk: apt-get install -y wrk", file=sys.stderr)
        return 2
    db = bench_database()
    # Histories end a week ago (at midnight UTC, so a template serves the whole day): the
    # students come back to a week's backlog of due cards (as after a holiday), enough for
    # every scenario to keep answering at full speed.
    now_anchor = (datetime.now(UTC) - timedelta(days=7)).strftime("%Y-%m-%dT00:00:00+00:00")
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
