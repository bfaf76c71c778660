import copy
import json
import sqlite3
import zipfile
from pathlib import Path

import genanki
import pytest

from cards.core.grading import cloze_deletions
from cards.interop import apkg
from cards.interop.json_bank import BankError, Problem

ROOT = Path(__file__).resolve().parents[2]
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))
RETIRED = ("bac-mechanism-002", "bac-mechanism-013")


def bank_with_retired() -> dict:
    bank = copy.deepcopy(BANK)
    for q in bank["questions"]:
        if q["uid"] in RETIRED:
            q["status"] = "retired"
    return bank


def open_collection(package: Path, tmp_path: Path) -> sqlite3.Connection:
    target = tmp_path / f"unzipped-{package.stem}"
    with zipfile.ZipFile(package) as archive:
        assert sorted(archive.namelist()) == ["collection.anki2", "media"]
        assert archive.read("media") == b"{}"
        archive.extractall(target)
    return sqlite3.connect(target / "collection.anki2")


def notes(connection: sqlite3.Connection) -> dict[str, tuple[int, list[str], str, int]]:
    """guid -> (note id, fields, tags, model id)"""
    return {
        guid: (nid, flds.split("\x1f"), tags, mid)
        for nid, guid, flds, tags, mid in connection.execute("SELECT id, guid, flds, tags, mid FROM notes")
    }


def note_of(connection: sqlite3.Connection, uid: str) -> tuple[int, list[str], str, int]:
    return notes(connection)[genanki.guid_for(uid)]


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("apkg")
    calls: list[tuple[int, int]] = []
    path = tmp_path / "baclofen.apkg"
    count = apkg.write_apkg(bank_with_retired(), path, progress=lambda done, total: calls.append((done, total)))
    connection = open_collection(path, tmp_path)
    yield connection, calls, count
    connection.close()


def test_one_note_per_question_that_is_not_retired(exported):
    connection, _calls, count = exported
    expected = len(BANK["questions"]) - len(RETIRED)
    assert count == expected
    assert connection.execute("SELECT count(*) FROM notes").fetchone() == (expected,)
    guids = notes(connection)
    assert all(genanki.guid_for(uid) not in guids for uid in RETIRED)


def test_single_fields(exported):
    connection, _calls, _count = exported
    _nid, fields, tags, mid = note_of(connection, "bac-mechanism-006")
    assert mid == apkg.BASIC_MODEL_ID
    front, back, explanation, source = fields
    assert front == (
        '<div class="prompt">Baclofen produces its effects primarily by binding to and activating which receptor?'
        '</div>\n<ol class="choices" type="A"><li>GABA-B receptors</li><li>GABA-A receptors</li>'
        "<li>Glycine receptors</li><li>NMDA glutamate receptors</li></ol>"
    )
    assert back.startswith(
        '<div class="answer">GABA-B receptors</div>\n<ul class="feedback"><li class="correct"><b>GABA-B receptors</b>: '
        "Correct. Baclofen mimics GABA"
    )
    assert back.count('<li class="wrong">') == 3
    assert "<b>GABA-A receptors</b>: GABA-A receptors are ligand-gated chloride channels;" in back
    assert explanation.startswith("Baclofen is a GABA mimic that selectively activates GABA-B receptors.")
    assert source == "baclofen-article#understanding-baclofen-1: binding to and activating GABA-B receptors"
    assert tags == " gaba-b receptor mechanism "


def test_short_fields(exported):
    connection, _calls, _count = exported
    _nid, fields, _tags, mid = note_of(connection, "bac-mechanism-022")
    assert mid == apkg.BASIC_MODEL_ID
    assert fields[0] == (
        '<div class="prompt">Baclofen binds to and activates which receptor subtype? (Give the receptor name.)</div>'
    )
    assert fields[1] == (
        '<div class="answer">GABA-B</div>\n<div class="also">Also accepted: GABA-B receptor, GABA-B receptors, '
        "GABAB, GABAB receptor, GABAB receptors, GABA B, GABA B receptor, GABA B receptors, GABA(B), "
        "GABA(B) receptor, GABA(B) receptors</div>"
    )
    assert fields[2].startswith("Baclofen is a GABA-B agonist.")
    assert fields[3].startswith("baclofen-article#understanding-baclofen-1: ")


def test_flashcard_fields(exported):
    connection, _calls, _count = exported
    _nid, fields, _tags, _mid = note_of(connection, "bac-mechanism-001")
    assert fields == [
        '<div class="prompt">Which receptor does baclofen bind to and activate to produce its effects?</div>',
        '<div class="answer">GABA-B receptors (baclofen is a GABA-B agonist).</div>',
        "Baclofen mimics GABA but acts selectively at the GABA-B subtype, a G-protein-coupled (metabotropic) "
        "receptor. This distinguishes it from benzodiazepines and barbiturates, which act on the GABA-A chloride "
        "channel.",
        "baclofen-article#understanding-baclofen-1: Baclofen achieves its effects by binding to and activating "
        "GABA-B receptors.",
    ]


def test_cloze_with_two_deletions_makes_two_cards(exported):
    connection, _calls, _count = exported
    nid, fields, _tags, mid = note_of(connection, "bac-mechanism-027")
    assert mid == apkg.CLOZE_MODEL_ID
    assert fields[0] == (
        "Baclofen is categorized as a {{c1::skeletal muscle relaxant}} and {{c2::antispasmodic}} agent."
    )
    assert fields[1].startswith("These two classifications describe")
    assert '<div class="source">baclofen-article#understanding-baclofen-1: ' in fields[1]
    ords = [ord_ for (ord_,) in connection.execute("SELECT ord FROM cards WHERE nid = ? ORDER BY ord", (nid,))]
    assert ords == [0, 1]


def test_cards_for_every_note_and_every_deletion(exported):
    connection, _calls, _count = exported
    kept = [q for q in BANK["questions"] if q["uid"] not in RETIRED]
    expected = sum(len(cloze_deletions(q["prompt"])) if q["kind"] == "cloze" else 1 for q in kept)
    assert connection.execute("SELECT count(*) FROM cards").fetchone() == (expected,)
    hinted = [fields[0] for _nid, fields, _tags, _mid in notes(connection).values() if "::size}}" in fields[0]]
    assert len(hinted) == 1
    assert hinted[0].startswith("{{c1::Larger::size}}, well-{{c2::controlled}} studies")  # Anki's hint syntax too


def test_models_and_deck_in_the_collection(exported):
    connection, _calls, _count = exported
    models_json, decks_json = connection.execute("SELECT models, decks FROM col").fetchone()
    models = json.loads(models_json)
    assert [f["name"] for f in models[str(apkg.BASIC_MODEL_ID)]["flds"]] == ["Front", "Back", "Explanation", "Source"]
    assert [f["name"] for f in models[str(apkg.CLOZE_MODEL_ID)]["flds"]] == ["Text", "Back Extra"]
    assert models[str(apkg.CLOZE_MODEL_ID)]["type"] == 1
    deck = json.loads(decks_json)[str(apkg.deck_id("baclofen"))]
    assert deck["name"] == "Baclofen"
    dids = {did for (did,) in connection.execute("SELECT DISTINCT did FROM cards")}
    assert dids == {apkg.deck_id("baclofen")}


def test_deck_id_is_stable_and_in_range():
    assert apkg.deck_id("baclofen") == apkg.deck_id("baclofen") != apkg.deck_id("baclofen-2")
    assert all((1 << 30) <= apkg.deck_id(slug) < (1 << 31) for slug in ("baclofen", "", "x" * 200))


def test_guids_are_stable_across_exports(exported, tmp_path):
    connection, _calls, _count = exported
    first = {guid: fields for guid, (_nid, fields, _tags, _mid) in notes(connection).items()}
    path = tmp_path / "again.apkg"
    apkg.write_apkg(bank_with_retired(), path)
    second_connection = open_collection(path, tmp_path)
    second = {guid: fields for guid, (_nid, fields, _tags, _mid) in notes(second_connection).items()}
    second_connection.close()
    assert first == second
    uids = [q["uid"] for q in BANK["questions"] if q["uid"] not in RETIRED]
    assert set(first) == {genanki.guid_for(uid) for uid in uids}


def test_progress_reports_every_note_and_ends_with_total(exported):
    _connection, calls, count = exported
    assert calls[0] == (0, count)
    assert calls[-1] == (count, count)
    assert [done for done, _total in calls] == list(range(count + 1))
    assert {total for _done, total in calls} == {count}


def test_text_is_escaped_and_tags_have_no_spaces(tmp_path):
    bank = {
        "deck": {"slug": "odd", "title": "Odd <deck>", "description": ""},
        "questions": [
            {
                "uid": "html",
                "topic": "side effects",
                "kind": "truefalse",
                "prompt": "Is <b>this</b> & that\nescaped?",
                "choices": [
                    {"text": "True", "correct": True, "feedback": ""},
                    {"text": "False", "correct": False, "feedback": "<script>"},
                ],
                "answers": [],
                "explanation": "",
                "source": {},
                "status": "draft",
                "tags": ["two words", "gaba-b", "gaba-b"],
            }
        ],
    }
    path = tmp_path / "odd.apkg"
    assert apkg.write_apkg(bank, path) == 1
    connection = open_collection(path, tmp_path)
    ((flds, tags),) = connection.execute("SELECT flds, tags FROM notes").fetchall()
    connection.close()
    front, back, explanation, source = flds.split("\x1f")
    assert front.startswith('<div class="prompt">Is &lt;b&gt;this&lt;/b&gt; &amp; that<br>escaped?</div>')
    assert '<li class="wrong"><b>False</b>: &lt;script&gt;</li>' in back
    assert (explanation, source) == ("", "")
    assert tags == " two_words gaba-b side_effects "


def test_unknown_kind_or_cloze_without_deletion_is_refused_before_writing(tmp_path):
    bank = {
        "deck": {"slug": "bad", "title": "Bad"},
        "questions": [
            {"uid": "e", "topic": "t", "kind": "essay", "prompt": "?"},
            {"uid": "c", "topic": "t", "kind": "cloze", "prompt": "No deletion here."},
        ],
    }
    path = tmp_path / "bad.apkg"
    with pytest.raises(BankError) as caught:
        apkg.write_apkg(bank, path)
    assert caught.value.problems == [
        Problem("e", "a 'essay' question cannot be exported to Anki"),
        Problem("c", "a cloze question needs at least one {{c1::...}} deletion"),
    ]
    assert not path.exists()


def test_a_thousand_questions(tmp_path):
    templates = BANK["questions"]
    questions = [dict(templates[n % len(templates)], uid=f"synthetic-{n:04d}") for n in range(1000)]
    calls = []
    path = tmp_path / "big.apkg"
    count = apkg.write_apkg({**BANK, "questions": questions}, path, progress=lambda d, t: calls.append((d, t)))
    assert count == 1000
    assert calls[-1] == (1000, 1000)
    connection = open_collection(path, tmp_path)
    assert connection.execute("SELECT count(*) FROM notes").fetchone() == (1000,)
    connection.close()
