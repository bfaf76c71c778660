"""Grading typed answers against only the deck terms one edit from an accepted answer
(cards.selectors.terms.typo_neighbours) gives the grade the whole deck's terms give."""

from hypothesis import given, settings
from hypothesis import strategies as st

from cards.core import grading
from cards.selectors.terms import typo_neighbours

LETTERS = st.sampled_from(list("abcdegiklmnorst -"))
WORD = st.text(LETTERS, min_size=1, max_size=12)


def typo_variants(answer: str) -> list[str]:
    """The answer itself, each one-letter slip of it, and a few unrelated words."""
    out = [answer, answer.upper(), answer + "s", "x" + answer]
    for i in range(len(answer)):
        out += [answer[:i] + answer[i + 1 :], answer[:i] + "x" + answer[i + 1 :]]
        if i + 1 < len(answer):
            out.append(answer[:i] + answer[i + 1] + answer[i] + answer[i + 2 :])
    return out


@settings(max_examples=200, deadline=None)
@given(accepted=st.lists(WORD, min_size=1, max_size=3), others=st.lists(WORD, max_size=20), extra=st.lists(WORD))
def test_only_terms_one_edit_away_can_change_a_grade(accepted, others, extra):
    # Some other terms are deliberately one slip from an accepted answer.
    terms = frozenset(others + [v for a in accepted for v in typo_variants(a)[:3]])
    kept = typo_neighbours(tuple(accepted), terms)
    for answer in accepted + extra:
        for text in typo_variants(answer):
            full = grading.match_typed(text, tuple(accepted), terms)
            assert grading.match_typed(text, tuple(accepted), kept) == full, (text, accepted, sorted(terms))


def test_a_neighbouring_receptor_is_kept_and_an_unrelated_term_dropped():
    kept = typo_neighbours(("GABA-B",), frozenset({"GABA-A", "glutamate", "intrathecal"}))
    assert kept == frozenset({"GABA-A"})


def test_long_texts_are_normalised_but_not_remembered():
    before = grading._normalize_remembered.cache_info().currsize
    long = "GABA-B " * 1000
    assert grading.normalize(long) == "gabab" * 1000
    assert grading._normalize_remembered.cache_info().currsize == before
    assert grading.normalize("GABA-B receptor") == "gababreceptor"
    assert grading._normalize_remembered.cache_info().currsize <= before + 1
