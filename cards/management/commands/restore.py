"""`manage.py restore PATH`: load a `manage.py backup` file into an empty, migrated database.

All or nothing: the rows are inserted in one transaction (never updating a row: a clash is
an error), then the database is checked against the backup's manifest (rows per model and
the SHA-256 of the review log) and foreign keys are checked; any difference rolls
everything back and is printed. Primary-key sequences are moved past the restored ids.

Refuses to run when the database already has questions, cards or reviews.
"""

from __future__ import annotations

import gzip
import json
import zlib
from collections import Counter
from pathlib import Path

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.core.management.color import no_style
from django.core.serializers.base import DeserializationError
from django.core.serializers.python import Deserializer
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections, transaction

from cards.management.commands.backup import FORMAT, VERSION, applied_migrations, review_log_digest
from cards.models import Card, Question, ReviewLog


class RestoreRefused(Exception):
    pass


class _Rollback(Exception):
    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


def _lines(path: Path):
    with gzip.open(path, "rt", encoding="utf-8") as stream:
        for number, line in enumerate(stream, start=1):
            if line.strip():
                try:
                    yield number, json.loads(line)
                except json.JSONDecodeError as exc:
                    raise DeserializationError(f"line {number}: not JSON ({exc.msg})") from exc


class BackupFile:
    """Streams a backup: the header first, then the objects; the manifest is read last."""

    def __init__(self, path: Path):
        self.lines = _lines(path)
        self.manifest: dict | None = None
        try:
            _number, self.header = next(self.lines)
        except StopIteration:
            raise RestoreRefused(f"{path} is empty") from None
        if not isinstance(self.header, dict) or self.header.get("format") != FORMAT:
            raise RestoreRefused(f"{path} is not a quizapp backup (no {FORMAT!r} header)")
        if self.header.get("version") != VERSION:
            raise RestoreRefused(f"{path} is backup format version {self.header.get('version')}; this needs {VERSION}")

    def objects(self):
        for number, item in self.lines:
            if self.manifest is not None:
                raise DeserializationError(f"line {number}: data after the manifest")
            if isinstance(item, dict) and "manifest" in item:
                self.manifest = item["manifest"]
            elif isinstance(item, dict) and "model" in item:
                yield item
            else:
                raise DeserializationError(f"line {number}: neither an object nor the manifest")


def refuse_unless_empty(using: str) -> None:
    found = {
        name: model._base_manager.using(using).count()
        for name, model in (("questions", Question), ("cards", Card), ("review log rows", ReviewLog))
    }
    if any(found.values()):
        held = ", ".join(f"{n} {name}" for name, n in found.items() if n)
        raise RestoreRefused(
            f"the database is not empty ({held}): restore only into a new database "
            "(create it, run `manage.py migrate`, then restore)"
        )


def refuse_unless_same_schema(header: dict, using: str) -> None:
    here = applied_migrations(using)
    missing = [
        f"{app}.{name}"
        for app, names in header.get("migrations", {}).items()
        for name in names
        if name not in here.get(app, [])
    ]
    if missing:
        raise RestoreRefused(
            "the backup was made at migrations this database has not applied: "
            + ", ".join(missing)
            + " (run `manage.py migrate` with the code of the backup's version)"
        )


def _tables(models) -> list[str]:
    tables = []
    for model in models:
        tables.append(model._meta.db_table)
        tables += [f.remote_field.through._meta.db_table for f in model._meta.many_to_many]
    return tables


def _reset_sequences(models, using: str) -> None:
    connection = connections[using]
    every = list(models) + [f.remote_field.through for m in models for f in m._meta.many_to_many]
    statements = connection.ops.sequence_reset_sql(no_style(), every)
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def check_against_manifest(manifest: dict | None, loaded: Counter, using: str) -> list[str]:
    if manifest is None:
        return ["the backup has no manifest: the file is incomplete"]
    problems = []
    counts = manifest.get("counts", {})
    for name in sorted(set(counts) | set(loaded)):
        want = counts.get(name)
        if loaded.get(name, 0) != want:
            problems.append(f"{name}: the manifest says {want} rows, the file holds {loaded.get(name, 0)}")
            continue
        try:
            have = apps.get_model(name)._base_manager.using(using).count()
        except LookupError:
            problems.append(f"{name}: no such model here")
            continue
        if have != want:
            problems.append(f"{name}: the manifest says {want} rows, the database has {have} after the restore")
    rows, sha = review_log_digest(using)
    wanted = manifest.get("review_log", {})
    if rows != wanted.get("rows") or sha != wanted.get("sha256"):
        problems.append(
            f"review log checksum: the manifest says {wanted.get('rows')} rows, sha256 {wanted.get('sha256')}; "
            f"the database has {rows} rows, sha256 {sha}"
        )
    return problems


def restore(path: Path, using: str = DEFAULT_DB_ALIAS) -> tuple[Counter, dict]:
    """Load the backup at `path`; returns (rows per model, manifest). Raises RestoreRefused
    (nothing done) or _Rollback (everything undone, with the differences)."""
    refuse_unless_empty(using)
    backup = BackupFile(path)
    refuse_unless_same_schema(backup.header, using)
    connection = connections[using]
    loaded: Counter = Counter()
    models: list = []
    with transaction.atomic(using=using):
        with connection.constraint_checks_disabled():
            for item in Deserializer(backup.objects(), using=using, handle_forward_references=False):
                model = type(item.object)
                if model not in models:
                    models.append(model)
                # DeserializedObject.save calls Model.save_base(raw=True): the models' own save()
                # (ReviewLog's append-only guard) is bypassed, and force_insert makes a clash
                # with an existing row an error instead of an UPDATE of it.
                item.save(using=using, force_insert=True)
                loaded[model._meta.label_lower] += 1
        try:
            connection.check_constraints(table_names=_tables(models))
        except DatabaseError as exc:
            raise _Rollback([f"a reference points at a row that is not in the backup: {exc}"]) from exc
        _reset_sequences(models, using)
        problems = check_against_manifest(backup.manifest, loaded, using)
        if problems:
            raise _Rollback(problems)
    return loaded, backup.manifest


class Command(BaseCommand):
    help = "Restore a `manage.py backup` file into an empty, migrated database, checking it against its manifest."

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path)
        parser.add_argument("--database", default=DEFAULT_DB_ALIAS)

    def handle(self, *args, path: Path, database: str, **options):
        if not path.is_file():
            raise CommandError(f"{path}: no such file")
        try:
            loaded, manifest = restore(path, using=database)
        except RestoreRefused as exc:
            raise CommandError(f"restore refused: {exc}") from exc
        except _Rollback as exc:
            for problem in exc.problems:
                self.stderr.write(problem)
            raise CommandError(
                f"restore rolled back: {len(exc.problems)} difference(s) from the backup's manifest"
            ) from exc
        except (DeserializationError, DatabaseError, OSError, EOFError, zlib.error) as exc:
            raise CommandError(f"restore failed, nothing was written: {path}: {exc}") from exc
        log = manifest["review_log"]
        self.stdout.write(
            self.style.SUCCESS(
                f"restored {sum(loaded.values())} rows of {len(loaded)} models from {path}; "
                f"counts and review log checksum match the manifest ({log['rows']} rows, sha256 {log['sha256']}). "
                "Next: manage.py verify_reviews"
            )
        )
