"""cards.db.dialect.fetch_generic plans their statements generically on PostgreSQL and
leave every other statement to PostgreSQL's own choice, inside a transaction or not."""

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from cards.db.dialect import fetch_generic


def fetch_all(sql, params):
    return [tuple(row.values()) for row in fetch_generic([(sql, params)])[0]]


def fetch_each(statements):
    return [[tuple(row.values()) for row in rows] for rows in fetch_generic(statements)]


def plan_mode():
    if connection.vendor != "postgresql":
        return "n/a"  # SQLite has no plan cache setting
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_fetch_all_returns_rows_and_restores_the_plan_mode(db):
    before = plan_mode()
    assert fetch_all("SELECT %s AS a, %s AS b", [1, "two"]) == [(1, "two")]
    assert plan_mode() == before
    with transaction.atomic():
        assert fetch_all("SELECT %s", [3]) == [(3,)]
        assert plan_mode() == before  # the enclosing transaction's later statements too
    assert before in ("auto", "n/a")


def idle() -> bool:
    """No transaction left open on the connection (PostgreSQL; SQLite: not in one either)."""
    if connection.vendor != "postgresql":
        return not connection.in_atomic_block
    return connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_it_sends_one_short_transaction_and_leaves_none_open():
    before = plan_mode()
    assert fetch_all("SELECT %s AS a, %s AS b", [1, "two"]) == [(1, "two")]
    assert fetch_all("SELECT %s UNION ALL SELECT %s", [2, 3]) == [(2,), (3,)]
    assert plan_mode() == before and idle()


@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_raises_and_the_connection_stays_usable():
    with pytest.raises(DatabaseError):
        fetch_all("SELECT * FROM no_such_table WHERE id = %s", [1])
    assert fetch_all("SELECT %s", [7]) == [(7,)]
    assert plan_mode() in ("auto", "n/a") and idle()


def test_fetch_each_returns_each_statements_rows_in_order(db):
    statements = [("SELECT %s AS a, %s AS b", [1, "two"]), ("SELECT %s WHERE %s", [2, False]), ("SELECT %s", [3])]
    assert fetch_each(statements) == [[(1, "two")], [], [(3,)]]
    with transaction.atomic():
        assert fetch_each(statements[::-1]) == [[(3,)], [], [(1, "two")]]
        assert plan_mode() in ("auto", "n/a")


@pytest.mark.django_db(transaction=True)
def test_fetch_each_outside_a_transaction_leaves_none_open_and_a_failure_leaves_the_connection_usable():
    statements = [("SELECT %s", [1]), ("SELECT %s UNION ALL SELECT %s", [2, 3])]
    assert fetch_each(statements) == [[(1,)], [(2,), (3,)]]
    assert idle()
    with pytest.raises(DatabaseError):
        fetch_each([("SELECT %s", [1]), ("SELECT * FROM no_such_table WHERE id = %s", [1]), ("SELECT 1", [])])
    assert fetch_each(statements) == [[(1,)], [(2,), (3,)]]
    assert plan_mode() in ("auto", "n/a") and idle()


@pytest.mark.django_db(transaction=True)
def test_statements_sent_together_outside_a_transaction_keep_their_order_and_plan_mode():
    from cards.db.dialect import fetch_together

    statements = [("SELECT %s AS a", [1]), ("SELECT %s AS b UNION ALL SELECT %s", [2, 3])]
    assert fetch_together(statements) == [[{"a": 1}], [{"b": 2}, {"b": 3}]]
    assert plan_mode() in ("auto", "n/a") and idle()
    with pytest.raises(DatabaseError):
        fetch_together([("SELECT %s AS a", [1]), ("SELECT * FROM no_such_table WHERE id = %s", [1])])
    assert fetch_together(statements) == [[{"a": 1}], [{"b": 2}, {"b": 3}]] and idle()


@pytest.mark.django_db(transaction=True)
def test_querysets_sent_together_read_as_the_orm_reads_them():
    """queryset_statement / count_statement (the analytics page's batch): outside a
    transaction (pipelined on PostgreSQL) each gives what the QuerySet itself gives, values
    converted as the ORM converts them (datetimes aware, booleans as bool)."""
    from cards.db.dialect import count_statement, queryset_statement, run_together
    from cards.models import Course
    from tests.factories import CourseFactory

    CourseFactory(title="B", is_open=False)
    CourseFactory(title="A", is_open=True)
    try:
        courses = Course.objects.order_by("title").values("title", "is_open")
        stamped = Course.objects.filter(title="A").values("title")
        rows, count, none = run_together(
            [
                queryset_statement(courses),
                count_statement(Course.objects.filter(is_open=True)),
                queryset_statement(Course.objects.filter(title="nothing").values("title")[:1]),
            ]
        )
        assert rows == list(courses) == [{"title": "A", "is_open": True}, {"title": "B", "is_open": False}]
        assert all(type(r["is_open"]) is bool for r in rows)
        assert count == 1 and none == []
        assert run_together([queryset_statement(stamped, lambda found: [r["title"] for r in found])]) == [["A"]]
        assert plan_mode() in ("auto", "n/a") and idle()
    finally:
        Course.objects.all().delete()
