"""The API's fast reading of an answer body (cards.api.study.plain_answer) accepts only what
AnswerSerializer accepts, and reads it to the same values; anything else goes to the
serializer."""

import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cards.api.study import AnswerSerializer, plain_answer

pytestmark = pytest.mark.django_db(databases=[])

VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-5, max_value=10**19),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=600),
    st.sampled_from(["12", "3.0", "", "\x00", "\ud800", "GABA-B"]),
    st.lists(st.one_of(st.integers(-3, 100), st.text(max_size=3), st.booleans()), max_size=60),
    st.uuids().map(str),
    st.uuids().map(lambda u: u.hex),
    st.uuids().map(lambda u: str(u).upper()),
)
FIELDS = ["card", "review_id", "response_ms", "reps", "choice", "choices", "text", "truefalse", "rating", "other"]


@settings(max_examples=1500, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=6), st.integers(1, 10**6), st.uuids())
def test_the_fast_path_agrees_with_the_serializer(body, card, review_id):
    body = {"card": card, "review_id": str(review_id), **body}
    fast = plain_answer(body)
    if fast is None:
        return  # the serializer decides
    serializer = AnswerSerializer(data=body)
    assert serializer.is_valid(), (body, serializer.errors)
    assert fast == dict(serializer.validated_data)


def test_a_plain_answer_is_read_without_the_serializer():
    review_id = uuid.uuid4()
    body = {"card": 7, "review_id": str(review_id), "reps": 2, "choice": 9, "response_ms": None}
    assert plain_answer(body) == {"card": 7, "review_id": review_id, "reps": 2, "choice": 9, "response_ms": None}
    assert plain_answer({**body, "text": "x"}) is None  # two answers: the serializer says which
    assert plain_answer({**body, "card": "7"}) is None  # a string: the serializer converts it


ANSWERS = st.one_of(
    st.fixed_dictionaries({"choice": st.integers(-(10**12), 10**12)}),
    st.fixed_dictionaries({"choices": st.lists(st.integers(-5, 10**9), max_size=55)}),
    st.fixed_dictionaries({"text": st.text(max_size=510)}),
    st.fixed_dictionaries({"truefalse": st.booleans()}),
    st.just({}),
)
EXTRAS = st.fixed_dictionaries(
    {},
    optional={
        "reps": st.integers(-2, 2**31 + 2),
        "response_ms": st.one_of(st.none(), st.integers(-2, 86_400_002)),
        "rating": st.integers(0, 5),
    },
)


@settings(max_examples=1500, deadline=None)
@given(ANSWERS, EXTRAS, st.integers(-1, 10**18 + 1), st.uuids())
def test_plausible_answers_read_the_same_both_ways(answer, extras, card, review_id):
    body = {"card": card, "review_id": str(review_id), **answer, **extras}
    fast = plain_answer(body)
    serializer = AnswerSerializer(data=body)
    if fast is None:
        # Only what the serializer refuses, or spells differently, is left to it.
        assert not serializer.is_valid() or any(isinstance(v, str) for v in body.values() if v is not body["review_id"])
        return
    assert serializer.is_valid(), (body, serializer.errors)
    assert fast == dict(serializer.validated_data)
