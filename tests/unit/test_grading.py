import pytest

from cards.core.grading import (
    ChoiceSpec,
    InvalidAnswer,
    QuestionSpec,
    allowed_ratings,
    cloze_back,
    cloze_deletions,
    cloze_front,
    grade,
    multiple_score,
    normalize,
    typo_of,
)
from cards.core.scheduling import Rating

SINGLE = QuestionSpec(
    kind="single",
    choices=(ChoiceSpec(1, "GABA-B", True), ChoiceSpec(2, "GABA-A", False), ChoiceSpec(3, "NMDA", False)),
)
MULTIPLE = QuestionSpec(
    kind="multiple",
    choices=(
        ChoiceSpec(1, "Seizures", True),
        ChoiceSpec(2, "Hallucinations", True),
        ChoiceSpec(3, "High fever", True),
        ChoiceSpec(4, "Bradycardia", False),
    ),
)
TRUEFALSE = QuestionSpec(kind="truefalse", choices=(ChoiceSpec(10, "True", False), ChoiceSpec(11, "False", True)))
SHORT = QuestionSpec(kind="short", answers=("GABA-B", "GABA-B receptor"), other_terms=frozenset({"GABA-A"}))
LONG_SHORT = QuestionSpec(kind="short", answers=("intrathecal",), other_terms=frozenset({"intratecal"}))
CLOZE = QuestionSpec(
    kind="cloze", prompt="Activates {{c1::GABA-B}} receptors; opens {{c2::potassium::ion}} channels.", cloze=2
)


def test_single_right_choice_is_good():
    result = grade(SINGLE, {"choice": 1})
    assert (result.correct, result.score, result.rating) == (True, 1.0, Rating.GOOD)


def test_single_wrong_choice_is_again():
    result = grade(SINGLE, {"choice": 2})
    assert (result.correct, result.score, result.rating) == (False, 0.0, Rating.AGAIN)


def test_single_choice_of_another_question_is_invalid():
    with pytest.raises(InvalidAnswer) as exc:
        grade(SINGLE, {"choice": 99})
    assert exc.value.field == "choice"


def test_single_without_choice_is_invalid():
    with pytest.raises(InvalidAnswer):
        grade(SINGLE, {})


def test_multiple_all_right_is_good():
    result = grade(MULTIPLE, {"choices": [1, 2, 3]})
    assert result.correct
    assert result.rating == Rating.GOOD


def test_multiple_partial_is_hard_with_partial_credit():
    result = grade(MULTIPLE, {"choices": [1, 2]})
    assert not result.correct
    assert result.score == pytest.approx(2 / 3)
    assert result.rating == Rating.HARD


def test_multiple_wrong_pick_costs_a_right_one():
    assert multiple_score(MULTIPLE.choices, {1, 2, 4}) == pytest.approx(1 / 3)


def test_multiple_only_wrong_is_again_and_never_negative():
    result = grade(MULTIPLE, {"choices": [4]})
    assert result.score == 0.0
    assert result.rating == Rating.AGAIN


def test_multiple_everything_picked_is_not_correct():
    assert not grade(MULTIPLE, {"choices": [1, 2, 3, 4]}).correct


def test_multiple_rejects_non_list():
    with pytest.raises(InvalidAnswer) as exc:
        grade(MULTIPLE, {"choices": "1,2"})
    assert exc.value.field == "choices"


def test_truefalse_by_boolean():
    assert grade(TRUEFALSE, {"truefalse": False}).correct
    assert not grade(TRUEFALSE, {"truefalse": True}).correct


def test_truefalse_by_choice_id():
    assert grade(TRUEFALSE, {"choice": 11}).correct


def test_truefalse_rejects_non_boolean():
    with pytest.raises(InvalidAnswer):
        grade(TRUEFALSE, {"truefalse": "yes"})


@pytest.mark.parametrize("typed", ["GABA-B", "gaba b", " GABA–B. ", "GABAB", "gaba-b receptor", "GABA B RECEPTOR!"])
def test_short_ignores_case_spacing_and_punctuation(typed):
    result = grade(SHORT, {"text": typed})
    assert result.correct
    assert not result.typo


def test_short_gaba_a_is_wrong_for_gaba_b():
    result = grade(SHORT, {"text": "GABA-A"})
    assert not result.correct
    assert result.rating == Rating.AGAIN


def test_short_one_typo_in_a_long_word_is_accepted_and_flagged():
    result = grade(QuestionSpec(kind="short", answers=("intrathecal",)), {"text": "intrathecel"})
    assert result.correct
    assert result.typo


def test_short_transposition_counts_as_one_typo():
    assert grade(QuestionSpec(kind="short", answers=("baclofen",)), {"text": "balcofen"}).correct


def test_short_two_typos_are_wrong():
    assert not grade(QuestionSpec(kind="short", answers=("intrathecal",)), {"text": "intratecel"}).correct


def test_short_typo_in_a_short_word_is_wrong():
    assert not grade(QuestionSpec(kind="short", answers=("GABA-B",)), {"text": "GABA-C"}).correct


def test_short_typo_that_is_another_known_term_is_wrong():
    assert not grade(LONG_SHORT, {"text": "intratecal"}).correct


def test_short_blank_is_wrong():
    assert not grade(SHORT, {"text": "   "}).correct


def test_cloze_grades_its_own_deletion():
    assert grade(CLOZE, {"text": "Potassium"}).correct
    assert not grade(CLOZE, {"text": "GABA-B"}).correct


def test_cloze_front_hides_only_its_deletion_and_shows_hint():
    assert cloze_front(CLOZE.prompt, 2) == "Activates GABA-B receptors; opens [ion] channels."
    assert cloze_front(CLOZE.prompt, 1) == "Activates [...] receptors; opens potassium channels."


def test_cloze_back_fills_every_deletion():
    assert cloze_back(CLOZE.prompt) == "Activates GABA-B receptors; opens potassium channels."


def test_cloze_deletions_parse_numbers_and_hints():
    assert cloze_deletions(CLOZE.prompt) == {1: ("GABA-B", None), 2: ("potassium", "ion")}


@pytest.mark.parametrize(("rating", "correct"), [(1, False), (2, True), (3, True), (4, True)])
def test_flashcard_rating_is_the_answer(rating, correct):
    result = grade(QuestionSpec(kind="flashcard"), {"rating": rating})
    assert result.rating == rating
    assert result.correct is correct


@pytest.mark.parametrize("bad", [0, 5, None, "3", True])
def test_flashcard_rejects_bad_ratings(bad):
    with pytest.raises(InvalidAnswer) as exc:
        grade(QuestionSpec(kind="flashcard"), {"rating": bad})
    assert exc.value.field == "rating"


def test_correct_answer_may_be_rerated_hard_or_easy():
    assert allowed_ratings(grade(SINGLE, {"choice": 1})) == (Rating.HARD, Rating.GOOD, Rating.EASY)


def test_wrong_answer_cannot_be_rerated():
    assert allowed_ratings(grade(SINGLE, {"choice": 2})) == (Rating.AGAIN,)


def test_normalize_strips_accents_and_symbols():
    assert normalize("Café – GABA‑B!") == "cafegabab"


def test_dropping_the_subtype_letter_is_not_a_typo():
    spec = QuestionSpec(kind="short", answers=("GABA-B receptor",))
    assert not grade(spec, {"text": "GABA receptor"}).correct


def test_a_typo_in_the_long_word_of_a_phrase_is_accepted():
    spec = QuestionSpec(kind="short", answers=("GABA-B receptor",))
    result = grade(spec, {"text": "GABA-B recepter"})
    assert result.correct
    assert result.typo


def test_two_words_each_with_a_typo_are_wrong():
    spec = QuestionSpec(kind="short", answers=("skeletal muscle relaxant",))
    assert not grade(spec, {"text": "skeletel muscle relaxent"}).correct


# --- the one typo rule and its note (issue 17, item 9) ----------------------------------


def test_a_slip_in_a_six_letter_word_of_a_phrase_is_accepted_as_a_typo():
    spec = QuestionSpec(kind="short", answers=("central nervous system",))
    result = grade(spec, {"text": "central nervous sytem"})
    assert (result.correct, result.typo) == (True, True)


def test_a_slip_in_a_digit_is_another_subtype_not_a_typo():
    spec = QuestionSpec(kind="short", answers=("alpha-2 receptor",))
    assert not grade(spec, {"text": "alpha-1 receptor"}).correct
    assert grade(spec, {"text": "alpha-2 receptr"}).typo


def test_typo_of_names_the_accepted_spelling_and_nothing_for_an_exact_answer():
    accepted = ("skeletal muscle relaxant", "muscle relaxant")
    assert typo_of("skeletal muscle relaxent", accepted) == "skeletal muscle relaxant"
    assert typo_of("Skeletal-muscle relaxant!", accepted) is None  # spacing and case are not typos
    assert typo_of("muscle relaxent", accepted) == "muscle relaxant"
    assert typo_of("something else", accepted) is None


def test_a_cloze_alternative_is_accepted_without_a_typo_note():
    spec = QuestionSpec(
        kind="cloze",
        prompt="Baclofen acts in the {{c1::central nervous system}}.",
        cloze=1,
        alternatives=((1, ("CNS",)),),
    )
    assert (grade(spec, {"text": "CNS"}).correct, grade(spec, {"text": "CNS"}).typo) == (True, False)
    assert grade(spec, {"text": "central nervous sytem"}).typo
    assert not grade(spec, {"text": "PNS"}).correct
