"""selectors.fetch_all and fetch_each plan their statements generically on PostgreSQL and
leave every other statement to PostgreSQL's own choice, inside a transaction or not."""

import psycopg
import pytest
from django.db import DatabaseError, connection, transaction

from cards.selectors import fetch_all, fetch_each


def plan_mode():
    if connection.vendor != "postgresql":
        return "n/a"  # SQLite has no plan cache setting
    with connection.cursor() as cursor:
        cursor.execute("SHOW plan_cache_mode")
        return cursor.fetchone()[0]


def test_fetch_all_returns_rows_and_restores_the_plan_mode(db):
    before = plan_mode()
    assert fetch_all("SELECT %s, %s", [1, "two"]) == [(1, "two")]
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
    assert fetch_all("SELECT %s, %s", [1, "two"]) == [(1, "two")]
    assert fetch_all("SELECT %s UNION ALL SELECT %s", [2, 3]) == [(2,), (3,)]
    assert plan_mode() == before and idle()


@pytest.mark.django_db(transaction=True)
def test_a_failing_statement_raises_and_the_connection_stays_usable():
    with pytest.raises(DatabaseError):
        fetch_all("SELECT * FROM no_such_table WHERE id = %s", [1])
    assert fetch_all("SELECT %s", [7]) == [(7,)]
    assert plan_mode() in ("auto", "n/a") and idle()


def test_fetch_each_returns_each_statements_rows_in_order(db):
    statements = [("SELECT %s, %s", [1, "two"]), ("SELECT %s WHERE %s", [2, False]), ("SELECT %s", [3])]
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


def test_run_together_converts_each_reads_rows(db):
    from cards.reads import Read, run_together

    total = Read("SELECT %s UNION ALL SELECT %s", [2, 3], lambda rows: sum(r[0] for r in rows))
    reads = [Read("SELECT %s", [1]), total]
    assert run_together(reads) == [[(1,)], 5]
    with transaction.atomic():
        assert run_together(reads[::-1]) == [5, [(1,)]]


@pytest.mark.django_db(transaction=True)
def test_run_together_outside_a_transaction_keeps_the_plan_mode_and_survives_a_failure():
    from cards.reads import Read, run_together

    reads = [Read("SELECT %s", [1]), Read("SELECT %s + %s", [2, 3])]
    assert run_together(reads) == [[(1,)], [(5,)]]
    assert plan_mode() in ("auto", "n/a") and idle()
    with pytest.raises(DatabaseError):
        run_together([Read("SELECT %s", [1]), Read("SELECT * FROM no_such_table WHERE id = %s", [1])])
    assert run_together(reads) == [[(1,)], [(5,)]] and idle()
