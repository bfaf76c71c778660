"""The analytics page's `fixed2` prints what `floatformat:2|default:"—"` printed."""

import pytest
from django.template.defaultfilters import floatformat
from hypothesis import given
from hypothesis import strategies as st

from cards.templatetags.authored import fixed2


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
