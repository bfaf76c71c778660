"""What differs between SQLite and PostgreSQL in the statements of cards.db, and how their
rows are read: values adapted and converted as the ORM does, rows by column name."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache

from django.db import connection, transaction
from django.db.models import DEFERRED

# JSON functions, per vendor: a review's state before it, the choices of a question as rows
# [id, text, correct, order, feedback], a pair of values, and a question's class shares
# [students, right, {choice id: first tries}].
JSON_SQL = {
    "sqlite": {
        "state_before": "json_extract(r.state_before, '$.state')",
        "choices": 'json_group_array(json_array(ch.id, ch.text, ch.correct, ch."order", ch.feedback))',
        "pair": "json_array({}, {})",
        "share": "json_array(cs.students, cs.right, json(cs.choices))",
    },
    "postgresql": {
        "state_before": "(r.state_before -> 'state')::int",
        "choices": 'jsonb_agg(jsonb_build_array(ch.id, ch.text, ch.correct, ch."order", ch.feedback))',
        "pair": "jsonb_build_array({}, {})",
        "share": "jsonb_build_array(cs.students, cs.right, cs.choices)",
    },
}

GENERIC_PLANS = "SET LOCAL plan_cache_mode = force_generic_plan"


def db_moment(value: datetime | None):
    """A datetime as a raw statement's parameter (SQLite stores naive UTC text)."""
    return None if value is None else connection.ops.adapt_datetimefield_value(value)


def py_moment(value):
    """A datetime column read by a raw statement, as the ORM would give it."""
    if value is None:
        return None
    convert = getattr(connection.ops, "convert_datetimefield_value", None)  # SQLite: text or naive UTC
    return convert(value, None, connection) if convert else value


def py_date(value):
    """A date column read by a raw statement (SQLite: ISO text)."""
    return date.fromisoformat(value) if isinstance(value, str) else value


def json_value(value):
    """A JSON column or aggregate read by a raw statement (text on SQLite, and for jsonb)."""
    return json.loads(value) if isinstance(value, str) else value


def columns(model) -> tuple[str, ...]:
    """A model's concrete columns (attnames), in order."""
    return tuple(f.attname for f in model._meta.concrete_fields)


def select_list(alias: str, model, *, prefix: str) -> str:
    """`alias.col AS prefix__col, ...` for every column of `model`: the row then names each
    column by its model and field, and `instance` reads it back by those names."""
    return ", ".join(f"{alias}.{name} AS {prefix}__{name}" for name in columns(model))


def instance(model, row: dict, *, prefix: str, names: tuple[str, ...] | None = None):
    """The `model` instance of the columns `prefix__<attname>` of a row read by name (other
    fields deferred), converted as the ORM converts them."""
    names = names or columns(model)
    attnames, plan = _row_plan(model, names)
    values = [DEFERRED] * len(attnames)
    for name, (position, convert) in zip(names, plan, strict=True):
        value = row[f"{prefix}__{name}"]
        values[position] = value if value is None or convert is None else convert(value)
    return model.from_db(connection.alias, attnames, values)


@lru_cache(maxsize=64)
def _row_plan(model, names: tuple) -> tuple[list, list]:
    """(every concrete attname, [(position, converter) per column read]), computed once."""
    fields = model._meta.concrete_fields
    attnames = [f.attname for f in fields]
    converters = {"DateTimeField": py_moment, "DateField": py_date, "BooleanField": bool, "JSONField": json_value}
    by_name = {f.attname: f for f in fields}
    plan = [(attnames.index(name), converters.get(by_name[name].get_internal_type())) for name in names]
    return attnames, plan


def named_rows(cursor) -> list[dict]:
    names = column_names(cursor)
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def column_names(cursor) -> list[str]:
    """The names of the result's columns. psycopg: read from libpq's result (`fname`), not
    from `cursor.description`, which builds a Column object per column, each asking the type
    registry for its sizes: 65 µs for a 37-column row against 5 µs (the study page reads ~80
    columns, the answer ~60; docs/performance.md)."""
    result = getattr(getattr(cursor, "cursor", cursor), "pgresult", None)
    if result is None:
        return [d[0] for d in cursor.description]
    return [result.fname(i).decode() for i in range(result.nfields)]


def fetch(sql: str, params) -> list[dict]:
    """One statement's rows, by column name."""
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return named_rows(cursor)


def fetch_generic(statements: list[tuple[str, object]]) -> list[list[dict]]:
    """The rows of each statement (by column name), planned generically on PostgreSQL.

    Measured (tests/bench): the study queue's and the answer's reads took 1.0-1.8 ms to plan
    for 0.2-0.6 ms of running; prepared (DB_PREPARE_THRESHOLD) their generic plan is reused.
    Only for statements written to keep a good generic plan (each filters on indexed keys,
    with no condition whose selectivity the plan must guess from a parameter). Outside a
    transaction the statements go in one round trip (psycopg's pipeline mode): the study
    page's place and queue, 4 round trips -> 2. SQLite runs them one by one."""
    if connection.vendor != "postgresql":
        with connection.cursor() as cursor:
            return [_run(cursor, sql, params) for sql, params in statements]
    if not connection.get_autocommit():
        with connection.cursor() as cursor, transaction.atomic():
            cursor.execute(GENERIC_PLANS)
            results = [_run(cursor, sql, params) for sql, params in statements]
            cursor.execute("SET LOCAL plan_cache_mode TO DEFAULT")  # SET LOCAL outlives us otherwise
        return results
    return _pipelined(statements, generic=True)


def fetch_together(statements: list[tuple[str, object]]) -> list[list[dict]]:
    """The rows of each statement (by column name); on PostgreSQL outside a transaction all
    in one round trip (psycopg's pipeline mode), PostgreSQL planning each as it likes.

    Measured (`make bench`, PostgreSQL, 2026-12-07 13:47): the dashboard's ten statements one
    after another took 9.6 ms, 12.3x the reference view against a 10x target; a round trip
    on loopback is ~0.2 ms plus the wait behind the other worker. SQLite (in-process, no
    round trip) and callers inside a transaction run them one by one."""
    if connection.vendor == "postgresql" and connection.get_autocommit():
        return _pipelined(statements, generic=False)
    with connection.cursor() as cursor:
        return [_run(cursor, sql, params) for sql, params in statements]


def _run(cursor, sql: str, params) -> list[dict]:
    cursor.execute(sql, params)
    return named_rows(cursor)


def _pipelined(statements: list[tuple[str, object]], *, generic: bool) -> list[list[dict]]:
    """The statements sent together. `generic`: inside BEGIN, SET LOCAL ... COMMIT, so the
    setting never outlives them, even behind a transaction-pooling PgBouncer."""
    with contextlib.ExitStack() as stack:
        control = stack.enter_context(connection.cursor())
        cursors = [stack.enter_context(connection.cursor()) for _ in statements]
        raw = connection.connection
        try:
            with connection.wrap_database_errors, raw.pipeline():
                if generic:
                    control.execute("BEGIN")
                    control.execute(GENERIC_PLANS)
                for cursor, (sql, params) in zip(cursors, statements, strict=True):
                    cursor.execute(sql, params)
                if generic:
                    control.execute("COMMIT")
        except Exception:
            # A failed statement skips the rest of the pipeline, COMMIT too: end the
            # transaction it left open (the statement's own error is the one to report).
            with contextlib.suppress(Exception):
                raw.rollback()
            raise
        return [named_rows(cursor) for cursor in cursors]


@dataclass(frozen=True)
class Statement:
    """A statement, its parameters and how its rows (by column name) become its value: what
    a page sends together (`run_together`)."""

    sql: str
    params: object
    value: Callable[[list[dict]], object]

    def run(self):
        return self.value(fetch(self.sql, self.params))


def run_together(statements: list[Statement]) -> list:
    """Each statement's value, the statements sent together (fetch_together)."""
    rows = fetch_together([(s.sql, s.params) for s in statements])
    return [s.value(found) for s, found in zip(statements, rows, strict=True)]


def queryset_statement(queryset, value: Callable[[list[dict]], object] = list) -> Statement:
    """A QuerySet's own SQL as a Statement, to send with others (`run_together`): `value`
    gets its rows as its `.values()` would give them (dicts by column name, each value
    converted as the ORM converts it). For `.values()` querysets, whose column names are the
    names asked for."""
    compiler = queryset.query.get_compiler(queryset.db)
    sql, params = compiler.as_sql()
    converters = compiler.get_converters([expression for expression, *_ in compiler.select])

    def rows(found: list[dict]):
        if not found or not converters:
            return value(found)
        names = list(found[0])
        converted = compiler.apply_converters([list(r.values()) for r in found], converters)
        return value([dict(zip(names, r, strict=True)) for r in converted])

    return Statement(sql, params, rows)


def count_statement(queryset) -> Statement:
    """The number of rows of a QuerySet as a Statement (what `.count()` reads)."""
    sql, params = queryset.order_by().values("pk").query.get_compiler(queryset.db).as_sql()
    return Statement(
        f"SELECT COUNT(*) AS n FROM ({sql}) counted",  # noqa: S608  # nosec B608 - the ORM's own SQL
        params,
        lambda rows: rows[0]["n"],
    )
