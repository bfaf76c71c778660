"""Reads sent together: a page's independent statements in one round trip on PostgreSQL.

On PostgreSQL every statement is a round trip (about 0.18 ms on loopback, more across a
network); a page that makes eight small reads spends most of its time waiting. Outside a
transaction (a request's reads run in autocommit) psycopg's pipeline mode sends them all and
then reads all the results. On SQLite (in-process, no round trip) and inside a transaction
they run one after the other. Either way the rows are the same.

A `Read` is a statement, its parameters and how its rows become the value its caller wants
(cards.selectors builds them; cards.prepared builds them from a queryset compiled once)."""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass

from django.db import connection, transaction

GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"


@dataclass(frozen=True)
class Read:
    sql: str
    params: object
    convert: Callable[[list], object] = list  # the fetched rows -> the value


def run_together(reads: list[Read]) -> list:
    """Each read's value, in order (PostgreSQL's own plan choice for each)."""
    fetched = fetch_rows([(read.sql, read.params) for read in reads], generic_plans=False)
    return [read.convert(rows) for read, rows in zip(reads, fetched, strict=True)]


def run_one(read: Read):
    """One read's value."""
    return run_together([read])[0]


def fetch_rows(statements: list[tuple[str, object]], *, generic_plans: bool) -> list[list]:
    """The rows of each statement. `generic_plans`: PostgreSQL plans them generically
    (plan_cache_mode = force_generic_plan, for these statements only; see
    cards.selectors.fetch_each), in a short transaction of their own."""
    if connection.vendor == "postgresql" and connection.get_autocommit():
        return _pipelined(statements, generic_plans=generic_plans)
    with connection.cursor() as cursor:
        if connection.vendor != "postgresql" or not generic_plans:
            return _one_by_one(cursor, statements)
        with transaction.atomic():
            cursor.execute(GENERIC_PLANS)
            results = _one_by_one(cursor, statements)
            # SET LOCAL lasts until the enclosing transaction ends: restore it now
            cursor.execute("SET LOCAL plan_cache_mode TO DEFAULT")
        return results


def _one_by_one(cursor, statements: list[tuple[str, object]]) -> list[list]:
    results = []
    for sql, params in statements:
        cursor.execute(sql, params)
        results.append(cursor.fetchall())
    return results


def _pipelined(statements: list[tuple[str, object]], *, generic_plans: bool) -> list[list]:
    """The statements sent together (psycopg's pipeline mode), one cursor each for its rows.
    With generic plans: BEGIN, SET LOCAL, the statements and COMMIT, so the setting never
    outlives them, even behind a transaction-pooling PgBouncer."""
    with contextlib.ExitStack() as stack:
        control = stack.enter_context(connection.cursor())
        cursors = [stack.enter_context(connection.cursor()) for _ in statements]
        raw = connection.connection
        try:
            with connection.wrap_database_errors, raw.pipeline():
                if generic_plans:
                    control.execute("BEGIN")
                    control.execute(GENERIC_PLANS)
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, params)
                if generic_plans:
                    control.execute("COMMIT")
        except Exception:
            # A failed statement skips the rest of the pipeline, COMMIT too: end the
            # transaction it left open, so the connection is usable again (if it still is:
            # the statement's own error is the one to report).
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        return [cursor.fetchall() for cursor in cursors]
