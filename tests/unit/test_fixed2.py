"""The analytics page's `fixed2` and `score_text` print what `floatformat` printed."""

import pytest
from django.template.defaultfilters import floatformat
from hypothesis import given
from hypothesis import strategies as st

from cards.templatetags.authored import fixed2, score_text


@pytest.mark.parametrize(
    ("value", "shown"),
    [(0.125, "0.13"), (0.115, "0.12"), (-0.125, "-0.13"), (-0.001, "0.00"), (1.0, "1.00"), (0, "0.00"), (None, "—")],
)
def test_known_values(value, shown):
    assert fixed2(value) == shown


# Statistics lie in [-1, 1]; five decimals include every tie (0.125, -0.375, ...). (For
# magnitudes below about 1e-16 floatformat prints the number in exponent notation, fixed2 0.00.)
@given(st.integers(min_value=-150_000, max_value=150_000).map(lambda n: n / 100_000))
def test_same_as_floatformat(value):
    assert fixed2(value) == floatformat(value, 2)


@pytest.mark.parametrize(
    ("score", "max_score", "shown"),
    [(7.5, 10.0, "7.5/10"), (8.0, 10.0, "8/10"), (7.25, 10.0, "7.3/10"), (0.0, 3.0, "0/3"), (None, 10.0, "—")],
)
def test_score_text(score, max_score, shown):
    assert score_text(score, max_score) == shown


@given(st.integers(min_value=0, max_value=2_000).map(lambda n: n / 20), st.integers(min_value=1, max_value=100))
def test_score_text_as_floatformat(score, max_score):
    assert score_text(score, float(max_score)) == f"{floatformat(score, '-1')}/{floatformat(float(max_score), 0)}"
