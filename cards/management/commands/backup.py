"""`manage.py backup PATH`: the whole site's data as one gzip'd JSON Lines file.

    line 1      {"format": "quizapp-backup", "version": 1, "created_at": ..., "models": [...], "migrations": {...}}
    lines 2..   one object per line, as Django's jsonl serializer writes them
    last line   {"manifest": {"counts": {"cards.card": 120, ...}, "review_log": {"rows": N, "sha256": ...}}}

What is in it: every model of the `cards` app, auth users and groups, and API tokens.
Primary keys are kept (URLs, API ids and the review log's order stay the same); references
to content types and permissions use natural keys, since `migrate` recreates those rows
with ids of its own. Not in it: sessions, admin log entries, login-lockout records.

The file is read in one consistent snapshot (PostgreSQL: a REPEATABLE READ transaction;
SQLite: a read transaction, which does not block writers in WAL mode), streamed row by row
(bounded memory), written to PATH.partial and renamed to PATH once complete and synced.
Timestamps keep their microseconds (Django's JSON encoder would cut them to milliseconds).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
from collections import Counter
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.contenttypes.models import ContentType
from django.core import serializers
from django.core.management.base import BaseCommand, CommandError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

FORMAT = "quizapp-backup"
VERSION = 1
CHUNK = 2000
# Rows recreated by `migrate`: referred to by natural key, never copied.
RECREATED_BY_MIGRATE = (ContentType, Permission)
REVIEW_LOG_FIELDS = ("review_id", "card_id", "rating", "reviewed_at", "kind")


class FullPrecisionEncoder(DjangoJSONEncoder):
    """DjangoJSONEncoder keeps only milliseconds of a datetime; a backup keeps them all."""

    def default(self, o):
        if isinstance(o, datetime):
            return o.isoformat()
        return super().default(o)


def label(model) -> str:
    return model._meta.label_lower


def backed_up_models() -> list:
    """The models a backup holds, parents before children (so each row's references exist)."""
    chosen = [Group, get_user_model()]
    if apps.is_installed("rest_framework.authtoken"):
        chosen.append(apps.get_model("authtoken", "Token"))
    chosen += list(apps.get_app_config("cards").get_models())
    return _parents_first(chosen)


def _related_models(model) -> set:
    related = set()
    for field in model._meta.get_fields():
        if (field.many_to_one or field.one_to_one or field.many_to_many) and field.concrete and field.related_model:
            related.add(field.related_model)
    return related - {model}


def _parents_first(models: list) -> list:
    ordered, placed = [], set()
    pending = list(models)
    while pending:
        ready = [m for m in pending if not (_related_models(m) & set(pending)) - placed]
        if not ready:  # a reference cycle: keep the given order (constraints are checked at the end)
            ready = pending[:1]
        for model in ready:
            ordered.append(model)
            placed.add(model)
            pending.remove(model)
    return ordered


def uses_natural_keys(model) -> bool:
    return bool(_related_models(model) & set(RECREATED_BY_MIGRATE))


def review_log_digest(using: str = DEFAULT_DB_ALIAS) -> tuple[int, str]:
    """(rows, SHA-256) of the review log: review_id|card_id|rating|reviewed_at ISO|kind per row, by id."""
    review_log = apps.get_model("cards", "ReviewLog")
    digest = hashlib.sha256()
    rows = 0
    values = review_log._base_manager.using(using).order_by("id").values_list(*REVIEW_LOG_FIELDS)
    for review_id, card_id, rating, reviewed_at, kind in values.iterator(chunk_size=CHUNK):
        rating_text = "" if rating is None else str(rating)
        digest.update(f"{review_id}|{card_id}|{rating_text}|{reviewed_at.isoformat()}|{kind}\n".encode())
        rows += 1
    return rows, digest.hexdigest()


def applied_migrations(using: str = DEFAULT_DB_ALIAS) -> dict[str, list[str]]:
    applied = MigrationRecorder(connections[using]).applied_migrations()
    wanted = {model._meta.app_label for model in backed_up_models()}
    return {app: sorted(name for a, name in applied if a == app) for app in sorted(wanted)}


@contextmanager
def snapshot(using: str = DEFAULT_DB_ALIAS):
    """Read everything as of one moment, without holding writers back where possible."""
    connection = connections[using]
    if connection.in_atomic_block:  # already in a transaction (tests): read in it
        yield
        return
    if connection.vendor == "postgresql":
        with transaction.atomic(using=using):
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
            yield
    elif connection.vendor == "sqlite":
        # atomic() would BEGIN IMMEDIATE (settings) and hold the write lock for the whole backup;
        # a deferred read transaction sees one snapshot and lets writers go on (WAL).
        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("BEGIN DEFERRED")
        try:
            yield
        finally:
            with connection.cursor() as cursor:
                cursor.execute("COMMIT")
    else:
        with transaction.atomic(using=using):
            yield


def _counted(rows, counts: Counter, key: str):
    for row in rows:
        counts[key] += 1
        yield row


def write_backup(path: Path, using: str = DEFAULT_DB_ALIAS) -> dict:
    """Write the backup to `path` (atomically: PATH.partial, then renamed); returns the manifest."""
    models = backed_up_models()
    partial = path.with_name(path.name + ".partial")
    counts: Counter = Counter()
    try:
        with snapshot(using), open(partial, "wb") as raw:
            with gzip.open(raw, "wt", encoding="utf-8", newline="\n") as out:
                header = {
                    "format": FORMAT,
                    "version": VERSION,
                    "created_at": timezone.now().isoformat(),
                    "database": connections[using].vendor,
                    "models": [label(m) for m in models],
                    "migrations": applied_migrations(using),
                }
                out.write(json.dumps(header) + "\n")
                for model in models:
                    counts[label(model)] = 0
                    rows = model._base_manager.using(using).order_by("pk")
                    m2m = [f.name for f in model._meta.many_to_many if f.remote_field.through._meta.auto_created]
                    if m2m:
                        rows = rows.prefetch_related(*m2m)
                    serializers.serialize(
                        "jsonl",
                        _counted(rows.iterator(chunk_size=CHUNK), counts, label(model)),
                        stream=out,
                        cls=FullPrecisionEncoder,
                        use_natural_foreign_keys=uses_natural_keys(model),
                    )
                log_rows, log_sha = review_log_digest(using)
                manifest = {
                    "counts": dict(counts),
                    "review_log": {
                        "rows": log_rows,
                        "sha256": log_sha,
                        "over": "|".join(REVIEW_LOG_FIELDS) + " per row, ordered by id",
                    },
                }
                out.write(json.dumps({"manifest": manifest}) + "\n")
            raw.flush()
            os.fsync(raw.fileno())
        os.replace(partial, path)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    return manifest


class Command(BaseCommand):
    help = "Back up all study data (users, courses, decks, questions, cards, review log) to a gzip'd JSON file."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="Where to write the backup, e.g. backup-2026-03-02.jsonl.gz")
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, database: str, **options):
        if path.is_dir():
            raise CommandError(f"{path} is a directory: give a file name")
        if not path.parent.exists():
            raise CommandError(f"{path.parent} does not exist")
        try:
            manifest = write_backup(path, using=database)
        except OSError as exc:
            raise CommandError(f"{path}: cannot write: {exc.strerror or exc}") from exc
        total = sum(manifest["counts"].values())
        log = manifest["review_log"]
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: {total} rows of {len(manifest['counts'])} models; "
                f"review log {log['rows']} rows, sha256 {log['sha256']}"
            )
        )
