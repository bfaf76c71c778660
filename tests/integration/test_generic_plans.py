"""selectors.fetch_all plans its one statement generically on PostgreSQL and leaves every
other statement to PostgreSQL's own choice, inside a transaction or not."""

from django.db import connection, transaction

from cards.selectors import fetch_all


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
