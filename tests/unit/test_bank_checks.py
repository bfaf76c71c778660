"""The publishing checks of validate_bank (cards.interop.bank_checks): each one catches a bad bank."""

import copy
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from cards.interop import bank_checks, json_bank
from cards.interop.bank_checks import StyleLimits

PASSAGE = "Baclofen activates GABA-B receptors. Tizanidine is an alpha-2 agonist. Dantrolene acts on muscle."
LIMITS = StyleLimits(min_items=4)
WORDS = [
    "alpha",
    "bravo",
    "charlie",
    "delta",
    "echo",
    "foxtrot",
    "golf",
    "hotel",
    "india",
    "juliet",
    "kilo",
    "lima",
    "mike",
    "november",
    "oscar",
    "papa",
]


def words(uid: str) -> str:
    """Text unlike any other uid's, so the near-duplicate checks leave it alone."""
    n = sum(ord(ch) * (i + 1) for i, ch in enumerate(uid))
    return " ".join(WORDS[(n // 16**i) % 16] for i in range(5))


def single(uid: str, key_at: int, *, texts=None, tags=("fact:" + "x",)) -> dict:
    texts = texts or (f"key {words(uid)}", "GABA-A", "glycine", "NMDA")
    order = list(texts[1:])
    order.insert(key_at, texts[0])
    return {
        "uid": uid,
        "topic": "t",
        "kind": "single",
        "prompt": f"Which {words(uid)} {uid}?",
        "choices": [{"text": t, "correct": t == texts[0], "feedback": "" if t == texts[0] else "No."} for t in order],
        "answers": [],
        "explanation": "",
        "source": {"source": "s", "passage": "p", "quote": "Baclofen activates GABA-B receptors."},
        "status": "published",
        "tags": list(tags),
    }


def truefalse(uid: str, prompt: str, key: bool) -> dict:
    return {
        "uid": uid,
        "topic": "t",
        "kind": "truefalse",
        "prompt": prompt,
        "choices": [
            {"text": "True", "correct": key, "feedback": "" if key else "No."},
            {"text": "False", "correct": not key, "feedback": "No." if key else ""},
        ],
        "answers": [],
        "explanation": "",
        "source": {"source": "s", "passage": "p", "quote": "Baclofen activates GABA-B receptors."},
        "status": "published",
        "tags": [f"fact:{uid}"],
    }


def short(uid: str, answers: list[str], *, fact: str | None = None) -> dict:
    return {
        "uid": uid,
        "topic": "t",
        "kind": "short",
        "prompt": f"What {words(uid)[::-1]} {uid}?",
        "choices": [],
        "answers": answers,
        "explanation": "",
        "source": {"source": "s", "passage": "p", "quote": "Baclofen activates GABA-B receptors."},
        "status": "published",
        "tags": [f"fact:{fact or uid}"],
    }


def bank(questions: list[dict]) -> dict:
    return {
        "format": "quizapp-bank",
        "version": 1,
        "deck": {"slug": "d", "title": "D"},
        "topics": [{"slug": "t", "name": "T"}],
        "sources": [{"slug": "s", "title": "S", "passages": [{"key": "p", "text": PASSAGE}]}],
        "questions": questions,
    }


def good_bank() -> dict:
    long_distractor = "GABA-A receptors of the brainstem and of the spinal cord"  # longer than any key
    singles = [
        single(f"s-{n}", n % 4, texts=(words(f"s-{n}"), long_distractor if n % 4 else "GABA-A", "glycine", "NMDA"))
        for n in range(8)
    ]
    for n, q in enumerate(singles):
        q["tags"] = [f"fact:s{n}"]
    shorts = [short(f"a-{n}", [words(f"answer-{n}")]) for n in range(12)]
    return bank([*singles, *shorts, truefalse("tf-1", "Tizanidine is an alpha-2 agonist.", True)])


def problems(data: dict, limits: StyleLimits = LIMITS) -> list[str]:
    return [str(p) for p in json_bank.validate(data, style=limits)]


def test_a_well_spread_bank_passes():
    assert problems(good_bank()) == []


def test_style_checks_are_off_unless_asked():
    data = good_bank()
    for q in data["questions"]:
        if q["kind"] == "single":
            q["choices"].sort(key=lambda c: not c["correct"])
    assert json_bank.validate(data) == []
    assert problems(data)


def test_keys_stored_first_are_caught():
    data = good_bank()
    for q in data["questions"]:
        if q["kind"] == "single":
            q["choices"].sort(key=lambda c: not c["correct"])
    found = problems(data)
    assert any(p.startswith("questions: single-answer keys are stored unevenly") and "A 100%" in p for p in found)


def test_key_positions_use_each_items_number_of_choices():
    three = [
        single(f"s-{n}", n % 3, texts=(words(f"s-{n}"), "GABA-A", "glycine"), tags=(f"fact:s{n}",)) for n in range(6)
    ]
    assert not [p for p in problems(bank(three)) if "unevenly" in p]


def test_select_all_keyed_on_the_first_choices_is_caught():
    multiples = []
    for n in range(6):
        q = single(f"m-{n}", 0, tags=(f"fact:m{n}",))
        q["kind"] = "multiple"
        q["choices"][1]["correct"] = True
        q["choices"][1]["feedback"] = ""
        multiples.append(q)
    found = problems(bank(multiples))
    assert any("6 of 6 select-all items store their keys as the first choices" in p for p in found)
    for n, q in enumerate(multiples):
        q["choices"] = q["choices"][n % 2 + 1 :] + q["choices"][: n % 2 + 1]
    assert not [p for p in problems(bank(multiples)) if "select-all" in p]


def test_longest_option_as_key_is_caught():
    singles = [
        single(f"s-{n}", n % 4, texts=(f"{words(f's-{n}')} in the central nervous system", "GABA-A", "glycine", "NMDA"))
        for n in range(8)
    ]
    for n, q in enumerate(singles):
        q["tags"] = [f"fact:s{n}"]
    found = problems(bank(singles))
    assert any("the key is the longest option in 8 of 8 single-answer items (at most 35%)" in p for p in found)


def test_too_many_true_false_items_are_caught():
    data = good_bank()
    data["questions"] += [truefalse(f"tf-{n}", f"Statement {words(f'tf-{n}')} holds.", True) for n in range(2, 6)]
    assert "kinds: 5 of 25 published items are true/false (at most 10%)" in problems(data)


@pytest.mark.parametrize(
    ("prompt", "key", "word"),
    [
        ("Baclofen is always given intrathecally.", False, "absolute wording (always)"),
        ("Baclofen is used only for spasticity.", False, "absolute wording (only)"),
        ("There is no interaction with alcohol.", False, "absolute wording (no)"),
        ("Stopping baclofen abruptly can cause seizures.", True, "hedged wording (can)"),
        ("Some research suggests an add-on role.", True, "hedged wording (some)"),
    ],
)
def test_true_false_wording_that_gives_the_answer_away_is_caught(prompt, key, word):
    found = problems(bank([truefalse("tf-1", prompt, key)]))
    assert any(p.startswith("tf-1: ") and word in p for p in found), found


def test_true_false_wording_check_ignores_words_inside_others_and_can_be_off():
    assert problems(bank([truefalse("tf-1", "Baclofen is a GABA-B agonist; tallow is not.", False)])) == []
    risky = bank([truefalse("tf-1", "Baclofen is always oral.", False)])
    assert problems(risky, StyleLimits(min_items=4, wording=False)) == []


def test_more_than_three_items_on_one_fact_are_caught():
    data = bank([short(f"a-{n}", [words(f"a-{n}")], fact="gaba-b") for n in range(4)])
    found = problems(data)
    assert "facts: 4 items on fact 'gaba-b' (at most 3): a-0, a-1, a-2, a-3" in found
    assert "a-1: same fact (gaba-b) at the same level (recall) as a-0" in found


def test_two_items_at_the_same_level_on_one_fact_are_caught():
    flashcard = {**short("f-1", []), "kind": "flashcard", "back": "GABA-B receptors.", "tags": ["fact:gaba-b"]}
    recall = short("a-1", ["GABA-B"], fact="gaba-b")
    understanding = single("s-1", 1, tags=("fact:gaba-b",))
    vignette = single("s-2", 2, tags=("fact:gaba-b", "vignette"))
    assert problems(bank([recall, understanding, vignette])) == []
    assert "f-1: same fact (gaba-b) at the same level (recall) as a-1" in problems(
        bank([recall, understanding, flashcard])
    )


def test_undeclared_duplicates_are_caught_by_their_shared_answer_and_passage():
    # no shared fact tag: the same answer asked from the same passage still counts as one fact
    cloze = {**short("c-1", []), "kind": "cloze", "prompt": "Baclofen activates {{c1::GABA-B}} receptors."}
    found = problems(bank([short("a-1", ["GABA-B receptors", "GABA-B"]), cloze]))
    expected = "c-1: same fact (same answer from passage 'p') at the same level (recall) as a-1"
    assert expected in found
    other = short("a-2", ["dantrolene"])
    assert problems(bank([short("a-1", ["GABA-B"]), other])) == []


def test_too_few_vignettes_are_caught():
    data = good_bank()
    found = problems(data, StyleLimits(min_items=4, min_vignette_share=0.33))
    assert "kinds: 0 of 21 published items are single-answer patient vignettes (at least 33%)" in found


def test_only_published_items_are_judged():
    data = good_bank()
    data["questions"] += [
        {**truefalse(f"d-{n}", f"{words(f'd-{n}')} never {n}.", False), "status": "draft"} for n in range(9)
    ]
    assert problems(data) == []


def test_small_banks_are_not_held_to_bank_wide_shares():
    two = [single("s-1", 0, tags=("fact:a",)), single("s-2", 0, tags=("fact:b",))]
    assert problems(bank(two), StyleLimits()) == []


def test_levels():
    assert bank_checks.level(short("a", ["x"])) == "recall"
    assert bank_checks.level(single("s", 0)) == "understanding"
    assert bank_checks.level(single("s", 0, tags=("vignette",))) == "application"
    assert bank_checks.level(truefalse("t", "x", True)) == "understanding"


def test_validate_bank_command_runs_the_checks_and_takes_thresholds(tmp_path):
    data = good_bank()
    data["questions"] += [truefalse(f"tf-{n}", f"Statement {words(f'tf-{n}')} holds.", True) for n in range(2, 4)]
    path = tmp_path / "bank.json"
    path.write_text(json.dumps(data))
    out = StringIO()
    with pytest.raises(CommandError, match="1 problem"):
        call_command("validate_bank", str(path), "--min-items", "4", stdout=out)
    assert "3 of 23 published items are true/false (at most 10%)" in out.getvalue()
    call_command("validate_bank", str(path), "--min-items", "4", "--max-truefalse-share", "0.15", stdout=StringIO())
    call_command("validate_bank", str(path), "--no-style-checks", stdout=StringIO())
    more = copy.deepcopy(data)
    more["questions"].append(short("a-99", [words("a-99")], fact="shared"))
    more["questions"].append(short("a-98", [words("a-98")], fact="shared"))
    path.write_text(json.dumps(more))
    out = StringIO()
    with pytest.raises(CommandError):
        call_command(
            "validate_bank",
            str(path),
            "--min-items",
            "4",
            "--max-truefalse-share",
            "0.5",
            "--max-per-fact",
            "1",
            stdout=out,
        )
    assert "facts: 2 items on fact 'shared' (at most 1): a-99, a-98" in out.getvalue()
