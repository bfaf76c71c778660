"""cards.prepared: a queryset compiled once and run again with new values gives what the
queryset gives, in one query, and refuses what it cannot map exactly."""

import gc
import threading
import weakref
from datetime import UTC, datetime, timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Count, F

from cards.models import Card
from cards.prepared import Prepared

NOW = datetime(2026, 6, 15, 18, 0, tzinfo=UTC)


def _due_cards(*, user_id, until):
    return Card.objects.filter(user_id=user_id, due__lt=until).order_by("id").values_list("id", "due", "lapses")


@pytest.fixture
def histories(student, other_student):
    for i, card in enumerate(Card.objects.order_by("id")):
        Card.objects.filter(pk=card.pk).update(due=NOW - timedelta(days=i), lapses=i)
    return student, other_student


def test_the_same_rows_as_the_queryset_for_each_new_value(histories, django_assert_num_queries):
    prepared = Prepared(_due_cards)
    for user in histories:
        for until in (NOW - timedelta(days=3), NOW + timedelta(seconds=1), NOW - timedelta(days=30)):
            expected = list(_due_cards(user_id=user.pk, until=until))
            assert prepared.rows(user_id=user.pk, until=until) == expected
    assert any(prepared.rows(user_id=u.pk, until=NOW + timedelta(seconds=1)) for u in histories)
    # once compiled: one query, converted as the ORM converts (aware datetimes)
    with django_assert_num_queries(1):
        rows = prepared.rows(user_id=histories[0].pk, until=NOW + timedelta(days=1))
    assert rows and all(isinstance(due, datetime) and due.tzinfo is not None for _id, due, _n in rows)


def test_fixed_arguments_choose_their_own_plan(histories):
    def by_state(*, user_id):
        return (
            Card.objects.filter(user_id=user_id)
            .values("state")
            .annotate(n=Count("id"), worst=F("state"))
            .order_by("state")
            .values_list("state", "n", "worst")
        )

    prepared = Prepared(lambda limit, *, user_id: by_state(user_id=user_id)[:limit])
    user = histories[0]
    assert prepared.rows(1, user_id=user.pk) == list(by_state(user_id=user.pk))[:1]
    assert len(prepared.rows(5, user_id=user.pk)) >= len(prepared.rows(1, user_id=user.pk))


def test_a_parameter_derived_from_an_argument_is_refused(student):
    prepared = Prepared(lambda *, now: Card.objects.filter(due__lt=now + timedelta(days=1)).values_list("id"))
    with pytest.raises(ImproperlyConfigured, match="derived"):
        prepared.rows(now=NOW)


def test_an_argument_that_changes_the_sql_is_refused(student):
    prepared = Prepared(lambda *, n: Card.objects.values_list("id")[:n])
    with pytest.raises(ImproperlyConfigured, match="changes its SQL"):
        prepared.rows(n=3)


def test_a_boolean_must_be_fixed(student):
    prepared = Prepared(lambda *, flag: Card.objects.filter(suspended=flag).values_list("id"))
    with pytest.raises(ImproperlyConfigured, match="boolean"):
        prepared.rows(flag=True)


@pytest.mark.django_db(transaction=True)
def test_plans_go_with_their_connection(student):
    """A thread's connection, and the plans compiled for it, are freed when the thread ends."""
    prepared = Prepared(_due_cards)
    seen = []

    def work():
        prepared.rows(user_id=student.pk, until=NOW)
        seen.append(weakref.ref(connections[DEFAULT_DB_ALIAS]))
        connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join()
    gc.collect()
    assert seen and seen[0]() is None
    # the main thread's connection compiles its own
    assert prepared.rows(user_id=student.pk, until=NOW + timedelta(days=1)) == list(
        _due_cards(user_id=student.pk, until=NOW + timedelta(days=1))
    )
