"""AnswerSerializer is the one reader of an answer body (no hand-written fast path beside it)."""

import uuid

import pytest

from cards.api.study import AnswerSerializer

pytestmark = pytest.mark.django_db(databases=[])


def test_a_plain_answer_reads_to_its_values():
    review_id = uuid.uuid4()
    body = {"card": 7, "review_id": str(review_id), "reps": 2, "choice": 9, "response_ms": None}
    serializer = AnswerSerializer(data=body)
    assert serializer.is_valid(), serializer.errors
    assert dict(serializer.validated_data) == {**body, "review_id": review_id}


def test_two_answers_are_refused_naming_the_second():
    serializer = AnswerSerializer(data={"card": 7, "review_id": str(uuid.uuid4()), "choice": 9, "text": "x"})
    assert not serializer.is_valid()
    assert set(serializer.errors) == {"text"}


def test_a_number_sent_as_a_string_is_read_as_a_number():
    serializer = AnswerSerializer(data={"card": "7", "review_id": str(uuid.uuid4()), "rating": 3})
    assert serializer.is_valid(), serializer.errors
    assert serializer.validated_data["card"] == 7
