"""The bench database: seeded once into a template (a SQLite file or a PostgreSQL template
database), copied for each run."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from tests.bench.common import PYTHON, QUICK, ROOT, SEED, SIZES, log

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
