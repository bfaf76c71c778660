import copy
import hashlib
import json
from pathlib import Path

import pytest

from cards.core.grading import normalize
from cards.interop import gift, json_bank
from cards.interop.json_bank import BankError, Problem

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "fixtures_data"
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))
ROUND_TRIP_KINDS = ("single", "multiple", "truefalse", "short")


def gift_uid(prompt: str) -> str:
    return "gift-" + hashlib.sha1(normalize(prompt).encode(), usedforsecurity=False).hexdigest()[:10]


def read(name: str) -> str:
    return (DATA / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def features():
    return gift.parse(read("features.gift"), name="features.gift")


def by_uid(result) -> dict[str, dict]:
    return {q["uid"]: q for q in result.questions}


def errors_of(text: str, **kwargs) -> list[Problem]:
    with pytest.raises(BankError) as caught:
        gift.parse(text, name="t.gift", **kwargs)
    return caught.value.problems


# --- import: the hand-written sample with every feature -------------------------------------


def test_features_imports_every_question_in_file_order(features):
    assert [q["uid"] for q in features.questions] == [
        "before-any-category",
        "receptor-single",
        "ion-channels",
        gift_uid("Baclofen activates _____ receptors."),
        "tf-true-with-feedback",
        "tf-false-with-general",
        "tf-short-f",
        "escapes-all-of-them",
        "antidote",
        "tapering",
    ]
    assert all(set(q) == set(BANK["questions"][0]) for q in features.questions)
    assert {q["status"] for q in features.questions} == {"draft"}


def test_categories_become_topics_last_segment_and_topic_comment(features):
    assert features.topics == [
        {"slug": "general", "name": "General"},
        {"slug": "mechanism-of-action", "name": "Mechanism of action"},
        {"slug": "withdrawal", "name": "Safety & withdrawal"},  # slug from `// topic: withdrawal`
    ]
    topics = {q["uid"]: q["topic"] for q in features.questions}
    assert topics["before-any-category"] == "general"
    assert topics["receptor-single"] == topics["ion-channels"] == "mechanism-of-action"
    assert topics["tapering"] == "withdrawal"


def test_single_with_feedback_general_feedback_source_comment_and_markdown_prefix(features):
    q = by_uid(features)["receptor-single"]
    assert q["kind"] == "single"
    assert q["prompt"] == "Baclofen binds to and activates which receptor?"  # [markdown] stripped
    assert q["choices"] == [
        {"text": "GABA-B receptors", "correct": True, "feedback": "Right: baclofen is a GABA-B agonist."},
        {"text": "GABA-A receptors", "correct": False, "feedback": "That is the benzodiazepine target."},
        {"text": "NMDA receptors", "correct": False, "feedback": "Excitatory glutamate receptors."},
    ]  # the comment line inside the answer block is ignored
    assert q["explanation"] == "Baclofen mimics GABA at GABA-B."
    assert q["source"] == {
        "source": "baclofen-article",
        "passage": "understanding-baclofen-1",
        "quote": "binding to and activating GABA-B receptors",
    }
    assert q["answers"] == [] and q["back"] == "" and q["tags"] == []


def test_weights_make_a_multiple_and_lines_of_a_question_are_kept(features):
    q = by_uid(features)["ion-channels"]
    assert q["kind"] == "multiple"
    assert q["prompt"] == "Which ion-channel changes follow GABA-B activation?\nSelect all that apply."  # [html] gone
    assert [(c["text"], c["correct"]) for c in q["choices"]] == [
        ("Potassium channels open", True),
        ("Calcium influx falls", True),
        ("Sodium channels are blocked", False),
    ]
    assert q["choices"][2]["feedback"] == "No, that is local anaesthetics."
    assert q["source"] == {}


def test_unnamed_mid_text_block_gets_a_blank_and_a_stable_uid(features):
    q = features.questions[3]
    assert q["prompt"] == "Baclofen activates _____ receptors."
    assert q["uid"] == gift_uid(q["prompt"])
    assert [c["correct"] for c in q["choices"]] == [True, False, False]
    again = gift.parse("Baclofen activates {=GABA-B ~GABA-A ~glycine} receptors.")
    assert again.questions[0]["uid"] == q["uid"]


def test_true_false_forms_and_their_feedback(features):
    questions = by_uid(features)
    assert questions["before-any-category"]["choices"] == [
        {"text": "True", "correct": True, "feedback": ""},
        {"text": "False", "correct": False, "feedback": ""},
    ]
    # {T#feedback if wrong#feedback if right}, [plain] stripped
    assert questions["tf-true-with-feedback"]["prompt"] == "Abrupt discontinuation can cause seizures."
    assert questions["tf-true-with-feedback"]["choices"] == [
        {"text": "True", "correct": True, "feedback": "Right: seizures are a withdrawal sign."},
        {"text": "False", "correct": False, "feedback": "Wrong: it can."},
    ]
    assert questions["tf-false-with-general"]["choices"] == [
        {"text": "True", "correct": False, "feedback": "It is not approved for anxiety."},
        {"text": "False", "correct": True, "feedback": "Correct, it is off-label."},
    ]
    assert questions["tf-false-with-general"]["explanation"] == "Only spasticity is an approved use."
    assert [c["correct"] for c in questions["tf-short-f"]["choices"]] == [False, True]
    assert all(questions[uid]["kind"] == "truefalse" for uid in ("before-any-category", "tf-short-f"))


def test_every_escape(features):
    q = by_uid(features)["escapes-all-of-them"]
    assert q["prompt"] == ("Special characters: ~ = # { } and a backslash \\ and a line\nbreak; unknown \\d stays.")
    assert q["choices"] == [
        {"text": "a=b {c}", "correct": True, "feedback": "feedback with ~ and #"},
        {"text": "x:y", "correct": False, "feedback": "wrong\nchoice"},
        {"text": "50\\% off", "correct": False, "feedback": "literal percent"},
    ]


@pytest.mark.parametrize(
    ("written", "read_as"),
    [
        ("\\~", "~"),
        ("\\=", "="),
        ("\\#", "#"),
        ("\\{", "{"),
        ("\\}", "}"),
        ("\\:", ":"),
        ("\\n", "\n"),
        ("\\\\", "\\"),
        ("\\q", "\\q"),  # unknown escape: kept as written
    ],
)
def test_each_escape_in_prompt_answer_and_feedback(written, read_as):
    text = f"::e::Prompt {written} end {{=right {written} end#fb {written} end ~wrong#no ~other#no}}"
    q = gift.parse(text).questions[0]
    assert q["prompt"] == f"Prompt {read_as} end"
    assert q["choices"][0] == {"text": f"right {read_as} end", "correct": True, "feedback": f"fb {read_as} end"}


def test_short_answer_keeps_full_answers_and_warns_about_the_rest(features):
    q = by_uid(features)["antidote"]
    assert q["kind"] == "short"
    assert q["answers"] == ["muscle relaxant", "skeletal muscle relaxant", "antispasmodic"]
    assert q["explanation"] == "Baclofen is a skeletal muscle relaxant."
    assert features.warnings == [
        Problem(
            "features.gift:42",
            "short-answer question 'Antidote': dropped answer 'relaxant' worth 50% (only 100% answers are accepted)",
        ),
        Problem(
            "features.gift:42",
            "short-answer question 'Antidote': dropped the feedback of answer 'antispasmodic' "
            "(typed answers have no feedback)",
        ),
    ]


def test_essay_with_general_feedback_is_a_flashcard(features):
    q = by_uid(features)["tapering"]
    assert q["kind"] == "flashcard"
    assert q["back"] == "Taper the dose down gradually."
    assert q["explanation"] == "Abrupt discontinuation risks seizures and hallucinations."
    assert q["choices"] == [] and q["answers"] == []
    assert q["source"]["passage"] == "important-safety-information-2"


def test_status_keyword():
    result = gift.parse("::q::Baclofen is a GABA-B agonist. {T}", status="published")
    assert result.questions[0]["status"] == "published"
    with pytest.raises(ValueError, match="status must be one of"):
        gift.parse("", status="live")


def test_windows_line_endings_byte_order_mark_and_comment_only_file():
    text = "\ufeff// comment\r\n$CATEGORY: Safety\r\n\r\n::a::First?\r\n{\r\n=yes\r\n}\r\n\r\n::b::Second? {F}\r\n"
    result = gift.parse(text)
    assert [(q["uid"], q["topic"], q["prompt"]) for q in result.questions] == [
        ("a", "safety", "First?"),
        ("b", "safety", "Second?"),
    ]
    assert result.questions[0]["answers"] == ["yes"]
    assert gift.parse("// only a comment\n\n// and another\n") == gift.GiftResult()


def test_category_path_with_escaped_slash_and_names_slugified():
    result = gift.parse("$CATEGORY: $course$/top/Drugs//Receptors\n\n::Ünïcode Name!::Prompt {=a}")
    assert result.topics == [{"slug": "drugs-receptors", "name": "Drugs/Receptors"}]
    assert result.questions[0]["uid"] == "unicode-name"


def test_weighted_single_and_multiple_with_equals():
    single = gift.parse("::s::Q? {~%100%right ~%0%wrong ~%-50%bad}").questions[0]
    assert single["kind"] == "single"
    assert [c["correct"] for c in single["choices"]] == [True, False, False]
    # an `=` answer makes it single-answer, as in Moodle: the 50% one counts as wrong
    result = gift.parse("::m::Q? {=right ~%50%half ~wrong}")
    assert result.questions[0]["kind"] == "single"
    assert [c["correct"] for c in result.questions[0]["choices"]] == [True, False, False]
    assert [w.message for w in result.warnings] == [
        "question 'm': answer 'half' is worth 50%; quizapp has no partial credit, so it counts as wrong "
        "(its feedback is kept)"
    ]
    multiple = gift.parse("::m::Q? {~%50%right ~%50%also ~wrong}").questions[0]
    assert multiple["kind"] == "multiple"
    assert [c["correct"] for c in multiple["choices"]] == [True, True, False]


# --- skipped types and strict mode -------------------------------------------------------------

SKIPPED = [
    Problem("skipped.gift:4", "skipped matching question 'Matching': matching pairs are not supported"),
    Problem("skipped.gift:9", "skipped numerical question 'Numerical': numerical answers are not supported"),
    Problem("skipped.gift:11", "skipped description question 'Description': it has no answer block {...}"),
    Problem(
        "skipped.gift:13",
        "skipped essay question 'Essay': an essay becomes a flashcard only with general feedback (####)",
    ),
    Problem("skipped.gift:15", "skipped missing-word question 'Missing word': no answer is marked correct with '='"),
]


def test_skipped_types_warn_and_the_rest_is_imported():
    result = gift.parse(read("skipped.gift"), name="skipped.gift")
    assert result.warnings == SKIPPED
    assert [q["uid"] for q in result.questions] == ["kept"]
    assert result.topics == [{"slug": "skipped", "name": "Skipped"}]


def test_strict_mode_makes_skipped_types_errors():
    with pytest.raises(BankError) as caught:
        gift.parse(read("skipped.gift"), name="skipped.gift", strict=True)
    assert caught.value.problems == SKIPPED


def test_unnamed_skipped_question_is_named_by_its_text():
    result = gift.parse("A plain description of what follows, long enough to be cut short.")
    assert result.warnings == [
        Problem(
            "bank.gift:1",
            "skipped description question 'A plain description of what follows, lo…': it has no answer block {...}",
        )
    ]


# --- malformed files ------------------------------------------------------------------------


def test_malformed_file_reports_every_problem_with_its_line():
    with pytest.raises(BankError) as caught:
        gift.parse(read("malformed.gift"), name="malformed.gift")
    assert caught.value.problems == [
        Problem("malformed.gift:3", "unclosed '{': the answer block has no closing '}'"),
        Problem(
            "malformed.gift:7",
            "the multiple choice question has no correct answer: mark one with = or a positive %weight%",
        ),
        Problem("malformed.gift:11", "answer 1 has weight '%fifty%', not a number between -100 and 100"),
        Problem("malformed.gift:11", "answer 4 has a weight that is not closed with '%'"),
        Problem("malformed.gift:13", "answer 2 is empty"),
        Problem("malformed.gift:17", "the question name is not closed with '::'"),
        Problem("malformed.gift:19", "'}' without an opening '{' (write \\} for a literal brace)"),
        Problem("malformed.gift:21", "more than one answer block {...} (write \\{ and \\} for literal braces)"),
        Problem("malformed.gift:23", "the question has no text"),
        Problem("malformed.gift:25", "text 'GABA-B' before the first answer: answers start with = or ~"),
    ]
    assert str(caught.value).splitlines()[0] == "malformed.gift:3: unclosed '{': the answer block has no closing '}'"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("::q::Q? {~%150%a ~b}", "answer 1 has weight '%150%', not a number between -100 and 100"),
        ("::q::Q? {~%%a ~b}", "answer 1 has weight '%%', not a number between -100 and 100"),
        ("::q::Q? {=%50%partly}", "the short-answer question has no 100% answer"),
        ("::q::Q? {=a {b}}", "'{' inside an answer block: close the block first or write \\{"),
        ("::q::Q? {=a} trailing }", "'}' without an opening '{' (write \\} for a literal brace)"),
        ("::q::Q? {= ~b}", "answer 1 is empty"),
        ("::q::Q? {=#only feedback ~b}", "answer 1 is empty"),
        # a block without a correct answer is a missing-word question only in the middle of the text
        (
            "::q::Which one? {~a ~b}",
            "the multiple choice question has no correct answer: mark one with = or a positive %weight%",
        ),
        (
            "::q::Q {~%-50%a ~%0%b} mid",
            "the multiple choice question has no correct answer: mark one with = or a positive %weight%",
        ),
    ],
)
def test_malformed_question(text, message):
    assert errors_of(text) == [Problem("t.gift:1", message)]


def test_duplicate_unnamed_questions_and_names_differing_only_in_case_are_numbered():
    text = "Same prompt? {T}\n\nSame prompt? {F}\n\n::Name::One {T}\n\n::NAME::Two {T}\n\n::name-2::Three {T}"
    result = gift.parse(text, name="t.gift")
    first = gift_uid("Same prompt?")
    assert [q["uid"] for q in result.questions] == [first, f"{first}-2", "name", "name-2", "name-2-2"]
    assert [str(w) for w in result.warnings] == [
        f"t.gift:3: uid '{first}' is already used on line 1: this question is imported as '{first}-2'",
        "t.gift:7: uid 'name' is already used on line 5: this question is imported as 'name-2'",
        "t.gift:9: uid 'name-2' is already used on line 7: this question is imported as 'name-2-2'",
    ]


def test_two_fully_correct_answers_in_a_single_answer_question_are_skipped():
    result = gift.parse("::Two equals:: Which receptor? {=GABA-B =GABA-A ~NMDA}")
    assert result.questions == []
    assert [w.message for w in result.skipped] == [
        "skipped multiple choice question 'Two equals': 2 answers are fully correct; a single-answer question has one"
    ]


def test_errors_come_with_line_of_question_after_comments():
    assert errors_of("// intro\n\n// about q\n::q::Q? {=a")[0].where == "t.gift:4"


# --- export -------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def exported():
    return gift.dump(BANK)


@pytest.fixture(scope="module")
def reimported(exported):
    return gift.parse(exported, name="baclofen.gift", status="published")


def test_round_trip_of_the_shipped_bank(reimported):
    back = by_uid(reimported)
    originals = [q for q in BANK["questions"] if q["kind"] in ROUND_TRIP_KINDS]
    assert {q["kind"] for q in originals} == set(ROUND_TRIP_KINDS)
    assert len(originals) == len([q for q in BANK["questions"] if q["kind"] in ROUND_TRIP_KINDS]) > 50
    for q in originals:
        again = back[q["uid"]]
        for key in ("uid", "kind", "prompt", "choices", "answers", "explanation", "topic", "source"):
            assert again[key] == q[key], (q["uid"], key)
    assert reimported.warnings == []
    assert reimported.topics == BANK["topics"]


def test_round_trip_questions_still_validate(reimported):
    kept = [q for q in reimported.questions if q["kind"] in ROUND_TRIP_KINDS]
    bank = {**BANK, "questions": kept}
    assert json_bank.validate(bank) == []


def test_flashcards_round_trip_through_general_feedback(reimported):
    back = by_uid(reimported)
    flashcards = [q for q in BANK["questions"] if q["kind"] == "flashcard"]
    assert flashcards
    for q in flashcards:
        again = back[q["uid"]]
        assert (again["kind"], again["back"], again["explanation"]) == ("flashcard", q["back"], q["explanation"])


def test_cloze_is_written_as_short_answers_and_read_back_as_the_cloze(exported, reimported):
    lines = exported.splitlines()
    first = lines.index(
        "::bac-mechanism-027-c1::[markdown]Baclofen is categorized as a _____ and antispasmodic agent. {"
    )
    assert lines[first - 3].startswith('// cloze: bac-mechanism-027: "Baclofen is categorized as a {{c1::')
    # the blank's text first, then its alternatives from the bank
    assert lines[first + 1 : first + 3] == ["\t=skeletal muscle relaxant", "\t=muscle relaxant"]
    assert (
        "::bac-mechanism-027-c2::[markdown]Baclofen is categorized as a skeletal muscle relaxant and _____ agent. {"
        in lines
    )
    back = by_uid(reimported)
    assert not any(uid.startswith("bac-mechanism-027-c") for uid in back)
    clozes = [q for q in BANK["questions"] if q["kind"] == "cloze"]
    assert len(clozes) >= 5
    for q in clozes:
        assert back[q["uid"]] == {**q, "status": "published"}, q["uid"]
    assert len(reimported.questions) == len(BANK["questions"])


def test_every_question_of_the_shipped_bank_comes_back_as_it_was(reimported):
    assert reimported.questions == [
        q for topic in BANK["topics"] for q in BANK["questions"] if q["topic"] == topic["slug"]
    ]


def test_dump_layout(exported):
    lines = exported.splitlines()
    assert lines[0] == "// quizapp deck baclofen: Baclofen"
    categories = [line for line in lines if line.startswith("$CATEGORY: ")]
    assert categories == [f"$CATEGORY: {t['name']}" for t in BANK["topics"]]
    assert lines[lines.index("$CATEGORY: Mechanism of action") + 1] == "// topic: mechanism"
    start = lines.index(
        "::bac-mechanism-006::[markdown]Baclofen produces its effects primarily by binding to and "
        "activating which receptor? {"
    )
    assert lines[start - 2] == (
        '// source: baclofen-article#understanding-baclofen-1: "binding to and activating GABA-B receptors"'
    )
    assert lines[start - 1] == "// [tag:gaba-b] [tag:receptor] [tag:fact:gaba-b-receptor]"
    # choices in bank order: the key is stored third
    assert lines[start + 1].startswith("\t~GABA-A receptors#GABA-A receptors are ligand-gated chloride channels;")
    assert lines[start + 3].startswith("\t=GABA-B receptors#Correct. Baclofen mimics GABA")
    assert lines[start + 5].startswith("\t####Baclofen is a GABA mimic")
    assert lines[start + 6] == "}"
    assert exported.endswith("}\n")


def test_dump_writes_true_false_and_multiple_weights():
    bank = {
        "topics": [{"slug": "t", "name": "T"}],
        "questions": [
            {
                "uid": "tf",
                "topic": "t",
                "kind": "truefalse",
                "prompt": "Is it?",
                "choices": [
                    {"text": "True", "correct": False, "feedback": "No # not"},
                    {"text": "False", "correct": True, "feedback": "Yes"},
                ],
                "explanation": "",
            },
            {
                "uid": "m",
                "topic": "t",
                "kind": "multiple",
                "prompt": "Which?",
                "choices": [
                    {"text": "a", "correct": True, "feedback": ""},
                    {"text": "b", "correct": True, "feedback": ""},
                    {"text": "c", "correct": True, "feedback": ""},
                    {"text": "d", "correct": False, "feedback": "no"},
                ],
                "explanation": "",
            },
        ],
    }
    text = gift.dump(bank)
    assert "::tf::[markdown]Is it? {\n\tFALSE#No \\# not#Yes\n}" in text
    assert "\t~%33.33333%a\n\t~%33.33333%b\n\t~%33.33333%c\n\t~%-33.33333%d#no\n}" in text
    again = gift.parse(text).questions
    assert [c["correct"] for c in again[1]["choices"]] == [True, True, True, False]
    assert again[0]["choices"] == bank["questions"][0]["choices"]


def test_dump_escapes_and_round_trips_special_characters():
    tricky = "Colons: {braces} ~tilde =equals #hash back\\slash\nnew line \\n literal"
    bank = {
        "topics": [{"slug": "odd/topic", "name": "Drugs/Receptors"}],
        "questions": [
            {
                "uid": "tricky",
                "topic": "odd/topic",
                "kind": "single",
                "prompt": tricky,
                "choices": [
                    {"text": "=" + tricky, "correct": True, "feedback": tricky},
                    {"text": "~b", "correct": False, "feedback": "#"},
                    {"text": "c ####", "correct": False, "feedback": "d"},
                ],
                "answers": [],
                "explanation": tricky,
                "source": {},
            },
            {
                "uid": "short",
                "topic": "odd/topic",
                "kind": "short",
                "prompt": "Which?",
                "answers": ["GABA{B}", "a=b", "x -> y"],
                "explanation": "",
                "source": {},
            },
        ],
    }
    text = gift.dump(bank)
    assert "$CATEGORY: Drugs//Receptors" in text
    assert "\n" not in text.split("::tricky::")[1].split(" {")[0]  # the prompt stays on its line
    result = gift.parse(text)
    again = by_uid(result)
    assert again["tricky"]["prompt"] == tricky
    assert again["tricky"]["choices"] == bank["questions"][0]["choices"]
    assert again["tricky"]["explanation"] == tricky
    assert again["short"]["answers"] == ["GABA{B}", "a=b", "x -> y"]
    assert result.topics == [{"slug": "odd-topic", "name": "Drugs/Receptors"}]  # `// topic:` is slugified


def test_dump_leaves_out_retired_questions_and_unused_topics():
    bank = copy.deepcopy(BANK)
    for q in bank["questions"]:
        if q["topic"] == "safety" or q["uid"] == "bac-mechanism-006":
            q["status"] = "retired"
    text = gift.dump(bank)
    assert "bac-mechanism-006" not in text
    assert "$CATEGORY: Safety" not in text
    assert "::bac-mechanism-008::" in text


def test_dump_refuses_an_unknown_kind():
    bank = {"topics": [], "questions": [{"uid": "x", "topic": "t", "kind": "essay", "prompt": "?"}]}
    with pytest.raises(BankError) as caught:
        gift.dump(bank)
    assert caught.value.problems == [Problem("x", "a 'essay' question cannot be written as GIFT")]
