"""GIFT as Moodle reads it, with Moodle's own example texts (tests/fixtures_data/moodle/, GPL
test data copied from moodle/moodle's question/format/gift: examples.txt, the fixture
questions.gift.txt and the texts of giftformat_test.php). Issue 19, "Import what real tools
write", items 1-6; item 7 (the deck made on import) is in tests/integration/test_gift_import.py."""

from pathlib import Path

import pytest

from cards.interop import gift, json_bank
from cards.interop.gift_syntax import moodle_marks, uid_from_text
from cards.interop.json_bank import Problem

MOODLE = Path(__file__).resolve().parents[1] / "fixtures_data" / "moodle"


def read(name: str) -> str:
    return (MOODLE / name).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def examples():
    return gift.parse(read("examples.txt"), name="examples.txt")


@pytest.fixture(scope="module")
def format_tests():
    return gift.parse(read("format_tests.gift"), name="format_tests.gift")


def block_at(text: str, line: int) -> str:
    """The question block starting on `line` of a fixture."""
    lines = text.split("\n")[line - 1 :]
    return "\n".join(lines[: lines.index("")] if "" in lines else lines)


def bank_of(questions: list[dict]) -> dict:
    return {
        "format": json_bank.FORMAT,
        "version": json_bank.VERSION,
        "deck": {"slug": "d", "title": "D"},
        "topics": [{"slug": "general", "name": "General"}],
        "questions": questions,
    }


# --- 1. our house rules are not GIFT's: valid questions come in, as drafts to review ----------


def test_1_true_false_without_feedback_is_imported_with_what_to_review(format_tests):
    tsl = next(q for q in format_tests.questions if q["uid"] == "2-08-tsl")  # giftformat_test: {T}
    assert (tsl["kind"], tsl["prompt"], tsl["status"]) == ("truefalse", "TSL is blablabla.", "draft")
    assert [(c["text"], c["correct"], c["feedback"]) for c in tsl["choices"]] == [
        ("True", True, ""),
        ("False", False, ""),
    ]
    assert json_bank.review_notes([tsl]) == {
        "2-08-tsl": [Problem("2-08-tsl", "wrong choice 2 ('False') needs feedback saying why", "choices")]
    }
    # the editor and the published bank still hold it to the rule; an import does not
    assert json_bank.validate(bank_of([tsl]), drafts_follow_house_rules=False) == []
    assert [p.message for p in json_bank.validate(bank_of([tsl]))] == [
        "wrong choice 2 ('False') needs feedback saying why"
    ]
    published = {**tsl, "status": "published"}
    assert json_bank.validate(bank_of([published]), drafts_follow_house_rules=False) != []


def test_1_a_two_choice_single_answer_question_is_imported_to_review():
    # Moodle's "Grant is {~buried =entombed ~living} in Grant's tomb." with one distractor fewer
    q = gift.parse("Grant is {~buried =entombed} in Grant's tomb.").questions[0]
    assert q["kind"] == "single" and len(q["choices"]) == 2
    assert [p.message for p in json_bank.review_notes([q])[q["uid"]]] == [
        "a single-answer question needs at least 3 choices, has 2",
        "wrong choice 1 ('buried') needs feedback saying why",
    ]
    assert json_bank.validate(bank_of([q]), drafts_follow_house_rules=False) == []


# --- 2. partial credit in a single-answer question -------------------------------------------


def test_2_partial_credit_choices_are_wrong_choices_with_their_feedback(examples):
    hometown = next(q for q in examples.questions if q["uid"] == "jesus-hometown")
    assert hometown["kind"] == "single"
    assert hometown["prompt"] == "Jesus Christ was from _____."
    assert hometown["choices"] == [
        {"text": "Jerusalem", "correct": False, "feedback": "This was an important city, but the wrong answer."},
        {"text": "Bethlehem", "correct": False, "feedback": "He was born here, but not raised here."},
        {"text": "Galilee", "correct": False, "feedback": "You need to be more specific."},
        {"text": "Nazareth", "correct": True, "feedback": "Yes! That's right!"},
    ]
    line = examples.lines["jesus-hometown"]
    assert [w.message for w in examples.warnings if w.where == f"examples.txt:{line}"] == [
        "question 'Jesus' hometown': answer 'Bethlehem' is worth 25%; quizapp has no partial credit, "
        "so it counts as wrong (its feedback is kept)",
        "question 'Jesus' hometown': answer 'Galilee' is worth 50%; quizapp has no partial credit, "
        "so it counts as wrong (its feedback is kept)",
    ]
    assert "jesus-hometown" not in json_bank.review_notes([hometown])  # every wrong choice says why


def test_2_difficult_question_with_half_credit_is_single_answer(examples):
    difficult = next(q for q in examples.questions if q["prompt"] == "Difficult question.")
    assert difficult["kind"] == "single"
    assert [(c["text"], c["correct"]) for c in difficult["choices"]] == [
        ("wrong answer", False),
        ("half credit answer", False),
        ("full credit answer", True),
    ]


def test_2_tilde_answers_with_weights_are_select_all_or_single_as_moodle_counts(format_tests):
    by_uid = {q["uid"]: q for q in format_tests.questions}
    # giftformat_test's multi_tricky: one ~%100% answer, Moodle's "single = 0" with one right answer
    assert by_uid["colours"]["kind"] == "single"
    assert [(c["text"], c["correct"], c["feedback"]) for c in by_uid["colours"]["choices"]] == [
        ("yellow", True, "right; good!"),
        ("red", False, "wrong"),
        ("blue", False, "wrong"),
    ]
    two = gift.parse(read("questions.gift.txt")).questions
    colours = next(q for q in two if q["uid"] == "colours")
    assert colours["kind"] == "multiple"
    assert [(c["text"], c["correct"]) for c in colours["choices"]] == [
        ("yellow", True),
        ("red", False),
        ("off-beige", True),
        ("blue", False),  # [plain] dropped
    ]


# --- 3. format markers in true/false feedback ------------------------------------------------


def test_3_format_markers_leave_true_false_feedback(format_tests):
    q1 = next(q for q in format_tests.questions if q["uid"] == "q1")
    assert q1["choices"] == [
        {"text": "True", "correct": True, "feedback": "You gave the right answer."},
        {"text": "False", "correct": False, "feedback": "42 is the Ultimate Answer."},
    ]
    tagged = next(q for q in format_tests.questions if q["uid"] == "myid")
    assert tagged["prompt"] == "The answer is true."  # [html] dropped from the question text
    assert tagged["explanation"] == "You should have selected true."


def test_3_every_marker_in_every_place():
    text = "::m::[moodle]Q? {=[plain]yes#[html]<b>Yes</b> ~[markdown]no#[moodle]No.####[html]General}"
    q = gift.parse(text).questions[0]
    assert q["prompt"] == "Q?"
    assert q["choices"] == [
        {"text": "yes", "correct": True, "feedback": "<b>Yes</b>"},
        {"text": "no", "correct": False, "feedback": "No."},
    ]
    assert q["explanation"] == "General"


# --- 4. choices made only of symbols ---------------------------------------------------------


def test_4_symbol_choices_are_six_different_choices(examples):
    q = next(q for q in examples.questions if q["uid"] == "gift-control-characters")
    assert [(c["text"], c["correct"]) for c in q["choices"]] == [
        ("~", False),
        ("=", False),
        ("#", False),
        ("{", False),
        ("}", False),
        ("\\", True),
    ]
    assert q["choices"][0]["feedback"] == "~ is a control character."
    assert q["choices"][5]["feedback"].startswith("Correct! \\ (backslash) is not a control character. BUT,\n")
    assert json_bank.validate(bank_of([q])) == []  # not "two choices have the same text"
    assert json_bank.choice_key("\\=") != json_bank.choice_key("\\~")
    assert json_bank.choice_key("GABA-B") == json_bank.choice_key("gaba b")  # letters still decide


# --- 5. tags and idnumbers in the comments before a question ---------------------------------


def test_5_tags_and_idnumber_are_read(format_tests):
    q = next(q for q in format_tests.questions if q["uid"] == "myid")
    assert q["tags"] == ["tag1", "tag2"]
    assert q["kind"] == "truefalse"


# Moodle's giftformat_test::extract_idnumber_and_tags_from_comment_testcases (GPL test data)
@pytest.mark.parametrize(
    ("idnumber", "tags", "comment"),
    [
        ("", [], ""),
        ("", [], "// A basic comment."),
        ("frog", [], "// A comment with [id:frog] <-- an idnumber."),
        ("", ["frog", "toad"], "// Look tags: [tag:frog] [tag:toad]."),
        ("four", ["add", "basic"], "// [tag:add] [tag:basic] [id:four]"),
        ("four", ["basic", "add"], "// [tag:  basic] Here is  \n// a [id:   four   ] que[tag:add   ]stion."),
        ("", [], "// Ceci n'est pas une [tag:\n\\ frog]."),
        ("i]d", [], "// [id:i\\]d]."),
        ("", ["t]ag"], "// [tag:t\\]ag]."),
    ],
)
def test_5_comment_marks_as_moodle_reads_them(idnumber, tags, comment):
    assert moodle_marks(comment.split("\n")) == (idnumber, tags)


def test_5_tags_are_written_on_export_and_read_back():
    bank = {
        "deck": {"slug": "d", "title": "D"},
        "topics": [{"slug": "t", "name": "T"}],
        "questions": [
            {
                "uid": "tagged",
                "topic": "t",
                "kind": "short",
                "prompt": "Two plus two equals?",
                "answers": ["four", "4"],
                "explanation": "",
                "tags": ["add", "fact:two-plus-two", "odd]one"],
            }
        ],
    }
    text = gift.dump(bank)
    assert "// [tag:add] [tag:fact:two-plus-two] [tag:odd\\]one]\n::tagged::" in text
    assert gift.parse(text).questions[0]["tags"] == ["add", "fact:two-plus-two", "odd]one"]


# --- 6. unnamed questions with the same stem, names used twice -------------------------------


def test_6_same_stem_different_questions_both_come_in(examples):
    buried = [q for q in examples.questions if q["prompt"] == "Who's buried in Grant's tomb?"]
    assert [(q["uid"], q["kind"], examples.lines[q["uid"]]) for q in buried[:2]] == [
        (uid_from_text("Who's buried in Grant's tomb?"), "single", 13),
        (uid_from_text("Who's buried in Grant's tomb?") + "-2", "short", 19),
    ]
    assert buried[1]["answers"] == ["no one", "nobody"]
    assert (
        Problem(
            "examples.txt:19",
            f"uid {buried[0]['uid']!r} is already used on line 13: this question is imported as {buried[1]['uid']!r}",
        )
        in examples.warnings
    )
    hometowns = [q for q in examples.questions if q["uid"].startswith("jesus-hometown")]
    assert [(q["uid"], q["kind"]) for q in hometowns] == [
        ("jesus-hometown", "single"),
        ("jesus-hometown-2", "short"),
        ("jesus-hometown-short-answer-ex", "short"),
    ]


def test_6_the_same_file_gives_the_same_uids():
    text = read("examples.txt")
    assert [q["uid"] for q in gift.parse(text).questions] == [q["uid"] for q in gift.parse(text).questions]


# --- examples.txt whole ----------------------------------------------------------------------

SKIPPED_LINES = {
    21: "numerical",
    60: "matching",
    66: "matching",
    75: "numerical",
    77: "numerical",
    79: "numerical",
    81: "numerical",
    90: "numerical",
    180: "numerical",
    182: "matching",
    207: "numerical",
}


def test_examples_txt_imports_whole_its_skips_warned_with_their_line(examples):
    text = read("examples.txt")
    assert len(examples.questions) + len(examples.skipped) == 43  # as Moodle counts them
    assert len(examples.questions) == 32
    assert {int(p.where.split(":")[1]): p.message.split()[1] for p in examples.skipped} == SKIPPED_LINES
    for problem in examples.skipped:
        line = int(problem.where.split(":")[1])
        assert "{" in block_at(text, line) or "::" in block_at(text, line)
    assert all(p in examples.warnings for p in examples.skipped)
    kinds = [q["kind"] for q in examples.questions]
    assert {k: kinds.count(k) for k in set(kinds)} == {"single": 16, "short": 9, "truefalse": 5, "multiple": 2}
    # every question fits the bank; as drafts they need no more than a review
    assert json_bank.validate(bank_of(examples.questions), drafts_follow_house_rules=False) == []
    assert examples.topics == [{"slug": "general", "name": "General"}]


def test_examples_txt_strict_refuses_it_naming_each_skip():
    with pytest.raises(json_bank.BankError) as caught:
        gift.parse(read("examples.txt"), name="examples.txt", strict=True)
    assert [int(p.where.split(":")[1]) for p in caught.value.problems] == sorted(SKIPPED_LINES)


def test_moodles_fixture_file_reads_its_nine_questions():
    result = gift.parse(read("questions.gift.txt"), name="questions.gift.txt")
    assert len(result.questions) + len(result.skipped) == 9  # Moodle's behat: "Importing 9 questions"
    assert [q["uid"] for q in result.questions] == ["q2", "colours", "shortanswer", "q1", "2-08-tsl", "2-08-tsl-2"]
    assert [p.message.split()[1] for p in result.skipped] == ["essay", "matching", "numerical"]
    q1 = next(q for q in result.questions if q["uid"] == "q1")
    assert q1["explanation"] == "This is, of course, a Hitchiker's Guide to the Galaxy reference."
    assert (
        q1["prompt"] == '42 is the Absolute Answer to everything._____";'
    )  # text after the block: a blank, as Moodle reads it


def test_5_marks_inside_quizapps_own_comments_are_not_tags():
    text = '// source: s#p: "see [tag:not-a-tag]"\n// [tag:real]\n::q::Q? {T}'
    assert gift.parse(text).questions[0]["tags"] == ["real"]
