import copy
import csv
import io
import json
from pathlib import Path

import pytest

from cards.interop import csv_bank
from cards.interop.json_bank import BankError, Problem

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "fixtures_data"
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))


def read(name: str) -> str:
    with open(DATA / name, encoding="utf-8", newline="") as f:
        return f.read()


def problems_of(text: str) -> list[Problem]:
    with pytest.raises(BankError) as caught:
        csv_bank.parse(text, name="t.csv")
    return caught.value.problems


def rows(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text.removeprefix("\ufeff"), newline="")))


TRICKY = {
    "uid": "tricky-1",
    "topic": "mechanism",
    "kind": "single",
    "prompt": '=SUM(A1) "quoted", with commas;\nand a second line\r\nand a third',
    "back": "",
    "choices": [
        {"text": f"choice {n}, with | bar and \\ backslash", "correct": n == 1, "feedback": f"why {n}\n\u2019"}
        for n in range(1, 9)
    ],
    "answers": [],
    "explanation": "Ca^2+^ and H~2~O, \u00e9t\u00e9 \u2014 \U0001f48a",
    "source": {"source": "baclofen-article", "passage": "understanding-baclofen-1", "quote": 'a "quote"'},
    "status": "retired",
    "tags": ["a|b", "back\\slash", "plain"],
}
TRICKY_SHORT = {
    "uid": "tricky-2",
    "topic": "safety",
    "kind": "short",
    "prompt": "Which?",
    "back": "",
    "choices": [],
    "answers": ["GABA|B", "ends with \\", "\\|both", "x\\y"],
    "explanation": "",
    "source": {},
    "status": "draft",
    "tags": [],
}


# --- round trip -----------------------------------------------------------------------------


def test_round_trip_of_the_shipped_bank_is_lossless():
    text = csv_bank.dump(BANK)
    questions = csv_bank.parse(text, name="baclofen.csv")
    assert questions == BANK["questions"]
    assert {q["kind"] for q in questions} == {"flashcard", "single", "multiple", "truefalse", "short", "cloze"}
    assert csv_bank.dump({"questions": questions}) == text


def test_round_trip_of_special_characters_eight_choices_and_every_status():
    bank = {"questions": [TRICKY, TRICKY_SHORT]}
    text = csv_bank.dump(bank)
    questions = csv_bank.parse(text)
    expected = copy.deepcopy([TRICKY, TRICKY_SHORT])
    expected[0]["prompt"] = expected[0]["prompt"].replace("\r\n", "\n")  # a cell keeps \n newlines only
    assert questions == expected
    assert csv_bank.dump({"questions": questions}) == csv_bank.dump({"questions": expected})


def test_dump_layout_header_bom_and_line_endings():
    text = csv_bank.dump({"questions": BANK["questions"][:2]})
    assert text.startswith("\ufeffuid,topic,kind,status,prompt,back,answers,choice_1,choice_1_correct,")
    header = rows(text)[0]
    assert header == csv_bank.COLUMNS
    assert len(header) == 7 + 3 * 8 + 6
    assert header[-6:] == ["explanation", "source", "passage", "quote", "tags", "safety_critical"]
    assert text.count("\r\n") == 3 and text.endswith("\r\n")
    assert not csv_bank.dump({"questions": []}, bom=False).startswith("\ufeff")


def test_dump_row_for_a_single():
    single = next(q for q in BANK["questions"] if q["uid"] == "bac-mechanism-006")
    row = dict(zip(csv_bank.COLUMNS, rows(csv_bank.dump({"questions": [single]}))[1], strict=True))
    assert row["uid"] == "bac-mechanism-006"
    assert (row["kind"], row["status"], row["topic"]) == ("single", "published", "mechanism")
    assert row["choice_1"] == "GABA-A receptors"  # choices in bank order; the key is stored third
    assert (row["choice_1_correct"], row["choice_3_correct"]) == ("FALSE", "TRUE")
    assert row["choice_1_feedback"].startswith("GABA-A receptors are ligand-gated")
    assert row["choice_5"] == row["choice_5_correct"] == row["choice_5_feedback"] == ""
    assert (row["source"], row["passage"]) == ("baclofen-article", "understanding-baclofen-1")
    assert row["tags"] == "gaba-b|receptor|fact:gaba-b-receptor"
    assert row["answers"] == row["back"] == ""


def test_dump_refuses_more_than_eight_choices():
    nine = copy.deepcopy(TRICKY)
    nine["choices"].append({"text": "nine", "correct": False, "feedback": "no"})
    other = dict(nine, uid="tricky-9")
    with pytest.raises(BankError) as caught:
        csv_bank.dump({"questions": [nine, TRICKY_SHORT, other]})
    assert caught.value.problems == [
        Problem("tricky-1", "column choice_9: 9 choices, a CSV row holds at most 8"),
        Problem("tricky-9", "column choice_9: 9 choices, a CSV row holds at most 8"),
    ]


@pytest.mark.parametrize(
    ("items", "cell"),
    [
        ([], ""),
        (["a", "b"], "a|b"),
        (["a|b"], "a\\|b"),
        (["a\\"], "a\\\\"),
        (["\\|"], "\\\\\\|"),
    ],
)
def test_list_cells(items, cell):
    assert csv_bank.join_list(items) == cell
    assert csv_bank.split_list(cell) == items


def test_list_cells_as_people_type_them():
    assert csv_bank.split_list(" a | b |  | c|") == ["a", "b", "c"]
    assert csv_bank.split_list("C:\\temp|x") == ["C:\\temp", "x"]  # other backslashes are kept


# --- hand-written file ----------------------------------------------------------------------


def test_hand_written_sample():
    questions = csv_bank.parse(read("sample.csv"), name="sample.csv")
    assert questions == [
        {
            "uid": "sample-single",
            "topic": "mechanism",
            "kind": "single",
            "prompt": "Which receptor does baclofen activate?",
            "back": "",
            "choices": [
                {"text": "GABA-B receptors", "correct": True, "feedback": "Correct."},
                {"text": "GABA-A receptors", "correct": False, "feedback": "The benzodiazepine target."},
                {"text": "NMDA receptors", "correct": False, "feedback": "Excitatory, glutamate."},
            ],
            "answers": [],
            "explanation": "Baclofen is a GABA-B agonist.",
            "source": {
                "source": "baclofen-article",
                "passage": "understanding-baclofen-1",
                "quote": "binding to and activating GABA-B receptors",
            },
            "status": "draft",
            "tags": ["gaba-b", "receptor"],
        },
        {
            "uid": "sample-short",
            "topic": "mechanism",
            "kind": "short",
            "prompt": 'Name the receptor, in "short" form.',
            "back": "",
            "choices": [],
            "answers": ["GABA-B", "GABAB", "GABA|B"],
            "explanation": "",
            "source": {},
            "status": "draft",
            "tags": [],
        },
        {
            "uid": "sample-flashcard",
            "topic": "safety",
            "kind": "flashcard",
            "prompt": "Two lines:\nhow should baclofen be stopped?",
            "back": "Taper it gradually.",
            "choices": [],
            "answers": [],
            "explanation": "",
            "source": {},
            "status": "draft",
            "tags": ["withdrawal", "tapering"],
        },
    ]


def test_header_names_and_identifiers_ignore_case_and_spaces_and_a_bom():
    text = "\ufeff UID ,Topic,KIND,Prompt,Status\r\n q1 ,mechanism ,truefalse,Is it?, Published \r\n"
    assert csv_bank.parse(text) == [
        {
            "uid": "q1",
            "topic": "mechanism",
            "kind": "truefalse",
            "prompt": "Is it?",
            "back": "",
            "choices": [],
            "answers": [],
            "explanation": "",
            "source": {},
            "status": "published",
            "tags": [],
        }
    ]


# --- malformed files ------------------------------------------------------------------------


def test_malformed_file_reports_every_problem_with_row_and_column():
    with pytest.raises(BankError) as caught:
        csv_bank.parse(read("malformed.csv"), name="malformed.csv")
    assert caught.value.problems == [
        Problem(
            "malformed.csv:row 2",
            "column kind: unknown kind 'essay', expected one of flashcard, single, multiple, truefalse, short, cloze",
        ),
        Problem("malformed.csv:row 3", "column choice_1_correct: must be TRUE or FALSE, not 'yes'"),
        Problem("malformed.csv:row 3", "column choice_2_correct: must be TRUE or FALSE, not ''"),
        Problem(
            "malformed.csv:row 4",
            "column status: unknown status 'live', expected one of draft, published, retired",
        ),
        Problem("malformed.csv:row 5", "column uid: empty"),
        Problem("malformed.csv:row 5", "column prompt: empty"),
        Problem(
            "malformed.csv:row 6",
            "column choice_2: empty, but choice_2_correct or choice_2_feedback is filled in",
        ),
        Problem(
            "malformed.csv:row 7",
            "column passage: empty, but the row cites a source (source, passage and quote go together)",
        ),
        Problem("malformed.csv:row 8", "column uid: duplicate uid 'bad-flag', already on row 3"),
        Problem("malformed.csv:row 9", "13 cells, but the header names 12 columns"),
    ]
    assert str(caught.value).splitlines()[1] == (
        "malformed.csv:row 3: column choice_1_correct: must be TRUE or FALSE, not 'yes'"
    )


def test_header_problems_are_reported_together():
    text = "uid,topic,prompt,choice_1,explanaton,tags,tags\r\nq,t,p,a,x,y,z\r\n"
    assert problems_of(text) == [
        Problem("t.csv:row 1", "column explanaton: unknown column"),
        Problem("t.csv:row 1", "column tags: appears twice in the header"),
        Problem("t.csv:row 1", "column kind: missing from the header"),
        Problem("t.csv:row 1", "column choice_1_correct: missing from the header (needed by choice_1)"),
    ]


def test_empty_file_and_unnamed_column():
    assert problems_of("") == [Problem("t.csv:row 1", "the file is empty: the first row must name the columns")]
    text = "uid,topic,kind,prompt,\r\nq,t,flashcard,p,lost\r\nr,t,flashcard,p,\r\n"
    assert problems_of(text) == [Problem("t.csv:row 2", "a filled-in cell under a column with no name in the header")]


def test_multiline_cells_count_as_one_row():
    text = 'uid,topic,kind,prompt\r\nq1,t,flashcard,"one\ntwo\nthree"\r\nq2,t,essay,p\r\n'
    assert problems_of(text) == [
        Problem(
            "t.csv:row 3",
            "column kind: unknown kind 'essay', expected one of flashcard, single, multiple, truefalse, short, cloze",
        )
    ]


def test_safety_critical_column_round_trips_and_refuses_other_values():
    flagged = {**TRICKY_SHORT, "uid": "bac-x-safe", "safety_critical": True}
    questions = csv_bank.parse(csv_bank.dump({"questions": [flagged, TRICKY_SHORT]}))
    assert questions[0]["safety_critical"] is True
    assert "safety_critical" not in questions[1]  # unflagged: left out, as question_data leaves it
    header = "uid,topic,kind,prompt,answers,safety_critical\r\n"
    assert "safety_critical" not in csv_bank.parse(header + "u1,safety,short,Which?,x,false\r\n")[0]
    with pytest.raises(BankError) as caught:
        csv_bank.parse(header + "u1,safety,short,Which?,x,maybe\r\n")
    assert "column safety_critical: 'maybe' is not TRUE or FALSE" in str(caught.value)
