"""Cloze alternatives: a blank accepts its own text or any alternative listed for it in the
question's `answers` ({"c1": ["CNS"]}), with the same typo rule, and nothing else."""

import pytest

from cards.core.diffs import revision_diff
from cards.core.grading import QuestionSpec, accepted_answers, cloze_alternatives, grade, spec_answers
from cards.interop import csv_bank, gift, json_bank
from cards.interop.json_bank import BankError

PROMPT = "Baclofen acts on {{c1::GABA-B}} receptors in the {{c2::central nervous system}}."
ANSWERS = {"c1": ["GABA type B"], "c2": ["CNS"]}


def spec(number: int, answers=ANSWERS, others=frozenset({"GABA-A"})) -> QuestionSpec:
    return QuestionSpec(kind="cloze", prompt=PROMPT, cloze=number, other_terms=others, **spec_answers(answers))


def test_an_alternative_is_accepted_for_its_own_blank_only():
    assert grade(spec(2), {"text": "CNS"}).correct
    assert grade(spec(2), {"text": "Central nervous system"}).correct
    assert not grade(spec(1), {"text": "CNS"}).correct


def test_a_neighbouring_term_is_still_refused():
    assert grade(spec(1), {"text": "GABA type B"}).correct
    assert not grade(spec(1), {"text": "GABA-A"}).correct
    assert not grade(spec(1), {"text": "GABA type A"}).correct


def test_alternatives_get_the_same_typo_rule():
    result = grade(spec(2, {"c2": ["spinal cord and brain"]}), {"text": "spinal cord and brian"})
    assert not result.correct  # "brain" is too short for a typo
    result = grade(spec(2, {"c2": ["neuraxis structures"]}), {"text": "neuraxis structurse"})
    assert result.correct and result.typo


def test_the_blank_text_comes_first_so_feedback_shows_it():
    assert accepted_answers(spec(2)) == ("central nervous system", "CNS")
    assert accepted_answers(spec(2, answers=[])) == ("central nervous system",)


def test_a_list_has_no_alternatives_per_blank():
    assert cloze_alternatives(["CNS"]) == {}
    assert cloze_alternatives({"c2": ["CNS"], "x": ["y"]}) == {2: ("CNS",)}


def _problems(answers) -> list[str]:
    q = {"uid": "q-1", "topic": "t", "kind": "cloze", "prompt": PROMPT, "answers": answers}
    return [str(p) for p in json_bank.question_problems(q, uid="q-1", passages={}) if p.field == "answers"]


def test_the_validator_takes_alternatives_per_blank():
    assert _problems(ANSWERS) == []
    assert _problems([]) == []
    assert _problems({}) == []


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({"c3": ["CNS"]}, "q-1: answers name blank 'c3', which the prompt does not have (c1, c2)"),
        ({"1": ["CNS"]}, "q-1: answers name blank '1', which the prompt does not have (c1, c2)"),
        ({"c2": ["CNS", 7]}, "q-1: the alternatives for c2 must be a list of non-empty strings"),
        ({"c2": "CNS"}, "q-1: the alternatives for c2 must be a list of non-empty strings"),
        ({"c2": ["  "]}, "q-1: the alternatives for c2 must be a list of non-empty strings"),
        ({"c2": ["CNS", "cns"]}, "q-1: the alternatives for c2 repeat one another"),
        (["CNS"], 'q-1: a cloze question\'s answers are alternatives per blank, e.g. {"c1": ["CNS"]}'),
    ],
)
def test_the_validator_refuses_malformed_alternatives(answers, message):
    assert _problems(answers) == [message]


CLOZE_ITEM = {
    "uid": "cns-1",
    "topic": "mechanism",
    "kind": "cloze",
    "prompt": "Baclofen opens {{c1::K+::ion}} channels in the {{c2::central nervous system}}.",
    "back": "",
    "choices": [],
    "answers": {"c1": ["potassium", "K⁺"], "c2": ["CNS", "brain and spinal cord"]},
    "explanation": "",
    "source": {},
    "status": "published",
    "tags": [],
}
SMALL_BANK = {
    "deck": {"slug": "d", "title": "D"},
    "topics": [{"slug": "mechanism", "name": "M"}],
    "questions": [CLOZE_ITEM],
}


def test_gift_writes_each_alternative_as_another_right_answer_and_reads_them_back():
    text = gift.dump(SMALL_BANK)
    assert "::cns-1-c1::[markdown]Baclofen opens _____ (ion) channels in the central nervous system. {" in text
    assert "\t=K+\n\t=potassium\n\t=K⁺\n}" in text
    assert "\t=central nervous system\n\t=CNS\n\t=brain and spinal cord\n}" in text
    # Moodle reads the parts as short-answer questions; quizapp, from the `// cloze:` comment,
    # as the one cloze question they came from, its alternatives per blank
    assert '// cloze: cns-1: "Baclofen opens {{c1::K+::ion}} channels in the {{c2::central nervous system}}."' in text
    back = gift.parse(text, status="published").questions
    assert back == [CLOZE_ITEM]


def test_gift_parts_without_their_cloze_comment_come_back_as_short_answers():
    text = gift.dump(SMALL_BANK).replace("// cloze:", "// once a cloze:")
    back = {q["uid"]: q for q in gift.parse(text).questions}
    assert back["cns-1-c1"]["kind"] == "short"
    assert back["cns-1-c1"]["answers"] == ["K+", "potassium", "K⁺"]
    assert back["cns-1-c2"]["answers"] == ["central nervous system", "CNS", "brain and spinal cord"]


def test_csv_keeps_alternatives_per_blank():
    text = csv_bank.dump(SMALL_BANK)
    assert "c1: potassium|c1: K⁺|c2: CNS|c2: brain and spinal cord" in text
    assert csv_bank.parse(text) == [CLOZE_ITEM]


def test_csv_refuses_an_alternative_without_its_blank():
    text = csv_bank.dump(SMALL_BANK).replace("c1: potassium|", "potassium|")
    with pytest.raises(BankError, match="a cloze alternative is written as its blank and the text, c1: CNS"):
        csv_bank.parse(text)


def test_a_revision_diff_shows_alternatives_as_the_editor_writes_them():
    (change,) = revision_diff({"answers": {"c1": ["CNS"]}}, {"answers": {"c1": ["CNS", "brain and spinal cord"]}})
    assert change.field == "answers"
    assert "".join(piece.text for piece in change.pieces if piece.op != "del") == "c1: CNS; brain and spinal cord"
