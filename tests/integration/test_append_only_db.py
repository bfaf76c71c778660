"""The database refuses to change the review log, whatever code runs the SQL."""

import uuid
from datetime import UTC, datetime

import pytest
from django.db import DatabaseError, connection, transaction

from cards.models import Card, ReviewLog
from cards.services.study import answer_card


@pytest.fixture
def log(student):
    card = Card.objects.filter(user=student, question__kind="flashcard").get()
    return answer_card(
        user=student, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=datetime.now(UTC)
    ).log


def test_raw_update_is_refused_by_the_database(log):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cards_reviewlog SET rating = 1 WHERE id = %s", [log.pk])
    assert ReviewLog.objects.get(pk=log.pk).rating == 3


def test_raw_delete_is_refused(log):
    """PostgreSQL refuses in a trigger; on SQLite the ORM refuses and cascades are PROTECTed
    (Django's SQLite test flush needs DELETE, so no trigger there)."""
    if connection.vendor == "postgresql":
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM cards_reviewlog WHERE id = %s", [log.pk])
    else:
        from django.db.models import ProtectedError

        with pytest.raises(ProtectedError):
            log.card.delete()
    assert ReviewLog.objects.filter(pk=log.pk).exists()


def test_deleting_a_student_with_history_is_refused(log, student):
    from django.db.models import ProtectedError

    with pytest.raises(ProtectedError), transaction.atomic():
        student.delete()
    assert ReviewLog.objects.filter(pk=log.pk).exists()
