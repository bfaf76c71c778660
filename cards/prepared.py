"""Querysets whose SQL is built once per process, then run again with new values.

For the dashboard's small aggregates, building and compiling the queryset cost more than
running it: topic mastery took 1.3 ms, of which the database 0.3 ms; the weakest items
1.7 ms, of which 0.3 ms (tests/bench, a student with a year of history). A `Prepared` query
builds its queryset the first time it runs on a connection (for each set of fixed
arguments), learns which parameter each variable argument becomes by compiling it once more
with that argument changed, and from then on sends the same SQL with the new values, the
columns converted as the ORM converts them. The queryset stays the definition: the SQL is
the ORM's, for each database.

What it cannot map exactly is refused when first compiled (a parameter derived from an
argument rather than the argument itself, SQL that changes with an argument, two arguments
in one parameter), so a wrong use fails in the tests, never quietly with stale values.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections

from cards.reads import Read, run_one


def _another(value):
    """A value of the same type, different from `value`: what a second compile varies."""
    if isinstance(value, bool):
        raise ImproperlyConfigured("A Prepared query cannot vary a boolean: make it a fixed argument.")
    if isinstance(value, int):
        return value + 7919
    if isinstance(value, float):
        return value * 1.5 + 1.25
    if isinstance(value, datetime):
        return value + timedelta(days=3, seconds=7, microseconds=11)
    if isinstance(value, str):
        return value + "~"
    raise ImproperlyConfigured(f"A Prepared query cannot vary a {type(value).__name__}.")


def _same(param, other_param) -> bool:
    """Whether two compiles made the same parameter: equal, or (adapter objects such as
    psycopg's Jsonb, which do not compare) of one type and one repr."""
    return param == other_param or (type(param) is type(other_param) and repr(param) == repr(other_param))


def _as_parameter(connection, name: str, value, param, other, other_param) -> Callable:
    """How the argument becomes its parameter: as it is, or (a datetime) adapted as the
    ORM adapts a DateTimeField's value. Anything else is refused."""
    ways = [lambda v: v]
    if isinstance(value, datetime):
        ways.append(connection.ops.adapt_datetimefield_value)
    for way in ways:
        if way(value) == param and way(other) == other_param:
            return way
    raise ImproperlyConfigured(
        f"Argument {name!r} of a Prepared query becomes a parameter derived from it ({param!r}); "
        "pass the derived value as its own argument."
    )


def _converted(compiler, fetched: list) -> list[tuple]:
    """Fetched rows with their columns converted as the queryset would."""
    return list(compiler.results_iter(results=[fetched], tuple_expected=True))


@dataclass(frozen=True)
class _Plan:
    sql: str
    constants: tuple  # the parameters, the variable ones as None
    slots: tuple  # (position, argument name, how its value becomes the parameter)
    compiler: object  # converts the columns, as the queryset would


class Prepared:
    """`build(*fixed, **variable)` returns a `values_list()` queryset; `rows()` runs it.
    Fixed arguments (a LIMIT, a flag) select a plan; variable ones (ids, moments) are sent as
    parameters."""

    def __init__(self, build: Callable):
        self.build = build

    def _plans_on(self, connection) -> dict:
        """This query's plans, kept on the connection they were compiled for (they hold its
        compiler), so they go when the connection goes."""
        plans = connection.__dict__.setdefault("_prepared_plans", {})
        return plans.setdefault(id(self), {})

    def _compiled(self, connection, fixed: tuple, values: dict):
        queryset = self.build(*fixed, **values)
        compiler = queryset.query.get_compiler(connection=connection)
        sql, params = compiler.as_sql()
        return compiler, sql, tuple(params)

    def _plan(self, connection, fixed: tuple, values: dict) -> _Plan:
        compiler, sql, params = self._compiled(connection, fixed, values)
        slots = {}
        for name, value in values.items():
            other = _another(value)
            _, other_sql, other_params = self._compiled(connection, fixed, {**values, name: other})
            if other_sql != sql or len(other_params) != len(params):
                raise ImproperlyConfigured(f"Argument {name!r} of a Prepared query changes its SQL.")
            for position, (param, other_param) in enumerate(zip(params, other_params, strict=True)):
                if _same(param, other_param):
                    continue
                if position in slots:
                    raise ImproperlyConfigured(f"Two arguments of a Prepared query make parameter {position}.")
                slots[position] = (name, _as_parameter(connection, name, value, param, other, other_param))
        return _Plan(
            sql=sql,
            constants=tuple(None if i in slots else p for i, p in enumerate(params)),
            slots=tuple((position, name, way) for position, (name, way) in sorted(slots.items())),
            compiler=compiler,
        )

    def read(self, *fixed, **values) -> Read:
        """The statement with these values, to run alone (rows) or with others (cards.reads)."""
        connection = connections[DEFAULT_DB_ALIAS]
        plans = self._plans_on(connection)
        plan = plans.get((fixed, tuple(values)))
        if plan is None:
            plan = plans[(fixed, tuple(values))] = self._plan(connection, fixed, values)
        params = list(plan.constants)
        for position, name, way in plan.slots:
            params[position] = way(values[name])
        return Read(plan.sql, params, partial(_converted, plan.compiler))

    def rows(self, *fixed, **values) -> list[tuple]:
        return run_one(self.read(*fixed, **values))


def compiled_read(queryset) -> Read:
    """A values_list() queryset as a Read compiled for this one use: for what a Prepared plan
    would be kept for only once (a page far down a list), so the kept plans stay few."""
    compiler = queryset.query.get_compiler(connection=connections[DEFAULT_DB_ALIAS])
    sql, params = compiler.as_sql()
    return Read(sql, params, partial(_converted, compiler))
