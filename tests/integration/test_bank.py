"""The shipped baclofen bank, and the load / validate / export commands around it."""

import copy
import json
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from cards.core.passages import split_passages
from cards.interop import json_bank
from cards.models import Card, Question, QuestionRevision
from cards.services.banks import export_bank, load_bank
from cards.services.courses import enroll_student
from tests.factories import CourseFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
BANK = ROOT / "fixtures" / "baclofen" / "bank.json"
TOPICS = ("mechanism", "indications", "off-label", "withdrawal", "safety")


@pytest.fixture(scope="module")
def bank_data():
    return json.loads(BANK.read_text(encoding="utf-8"))


def test_shipped_bank_passes_validate_bank_with_the_product_minimums():
    out = StringIO()
    call_command(
        "validate_bank",
        str(BANK),
        "--min-questions",
        "90",
        "--min-per-topic",
        "15",
        "--min-per-kind",
        "8",
        "--topics",
        ",".join(TOPICS),
        stdout=out,
    )
    assert "valid" in out.getvalue()


def test_every_wrong_choice_has_feedback_and_every_question_cites_and_explains(bank_data):
    for q in bank_data["questions"]:
        assert q["explanation"].strip(), q["uid"]
        assert q["source"]["quote"].strip(), q["uid"]
        assert q["topic"] in TOPICS, q["uid"]
        assert q["tags"], q["uid"]
        for choice in q["choices"]:
            assert choice["feedback"].strip(), (q["uid"], choice["text"])


def test_bank_passages_are_the_article_split_with_stable_keys(bank_data):
    source = bank_data["sources"][0]
    article = ROOT.parent / "shared" / "material" / "baclofen-article.txt"
    if article.exists():  # the material sits beside the repository on the team's machines
        assert source["text"] == article.read_text(encoding="utf-8")
    expected = [(p.key, p.text) for p in split_passages(source["text"])]
    assert [(p["key"], p["text"]) for p in source["passages"]] == expected


def test_every_passage_is_cited(bank_data):
    cited = {q["source"]["passage"] for q in bank_data["questions"]}
    assert cited == {p["key"] for p in bank_data["sources"][0]["passages"]}


def test_every_kind_is_used_on_every_topic(bank_data):
    pairs = {(q["topic"], q["kind"]) for q in bank_data["questions"]}
    for topic in TOPICS:
        for kind in ("flashcard", "single", "multiple", "truefalse", "short", "cloze"):
            assert (topic, kind) in pairs


@pytest.mark.django_db
def test_load_bank_twice_changes_nothing():
    call_command("load_bank", str(BANK), stdout=StringIO())
    revisions = QuestionRevision.objects.count()
    out = StringIO()
    call_command("load_bank", str(BANK), stdout=out)
    assert "0 created, 0 updated" in out.getvalue()
    assert QuestionRevision.objects.count() == revisions == Question.objects.count()


@pytest.mark.django_db
def test_changed_question_bumps_revision_and_keeps_cards_and_history(bank_data):
    load_bank(data=bank_data)
    course = CourseFactory()
    course.decks.add(Question.objects.first().deck)
    student = UserFactory()
    enroll_student(user=student, course=course)
    uid = bank_data["questions"][0]["uid"]
    card = Card.objects.get(user=student, question__uid=uid, cloze__in=[0, 1])
    Card.objects.filter(pk=card.pk).update(reps=4)
    changed = copy.deepcopy(bank_data)
    changed["questions"][0]["explanation"] += " Now clearer."
    report = load_bank(data=changed)
    assert report.updated == [uid]
    question = Question.objects.get(uid=uid)
    assert question.revision == 2
    assert QuestionRevision.objects.filter(question=question).count() == 2
    assert Card.objects.get(pk=card.pk).reps == 4


@pytest.mark.django_db
def test_question_removed_from_the_file_is_retired_not_deleted(bank_data):
    load_bank(data=bank_data)
    smaller = copy.deepcopy(bank_data)
    gone = smaller["questions"].pop()
    report = load_bank(data=smaller)
    assert report.retired == [gone["uid"]]
    assert Question.objects.get(uid=gone["uid"]).status == "retired"


@pytest.mark.django_db
def test_status_change_alone_does_not_make_a_revision(bank_data):
    load_bank(data=bank_data)
    changed = copy.deepcopy(bank_data)
    changed["questions"][1]["status"] = "draft"
    load_bank(data=changed)
    assert Question.objects.get(uid=changed["questions"][1]["uid"]).revision == 1


@pytest.mark.django_db
def test_export_import_export_is_identical(tmp_path, bank_data):
    load_bank(data=bank_data)
    first = tmp_path / "first.json"
    call_command("export_bank", "--format", "json", "--output", str(first), stderr=StringIO())
    # import into an empty database
    Card.objects.all().delete()
    Question.objects.all().delete()
    from cards.models import Deck, Passage, Source

    Deck.objects.all().delete()
    Passage.objects.all().delete()
    Source.objects.all().delete()
    call_command("load_bank", str(first), stdout=StringIO())
    second = tmp_path / "second.json"
    call_command("export_bank", "--format", "json", "--output", str(second), stderr=StringIO())
    assert first.read_text() == second.read_text()
    assert len(json.loads(second.read_text())["questions"]) == len(bank_data["questions"])


@pytest.mark.django_db
def test_export_to_stdout(capsys, bank_data):
    load_bank(data=bank_data)
    call_command("export_bank", "--output", "-")
    data = json.loads(capsys.readouterr().out)
    assert data["format"] == "quizapp-bank"
    assert data["version"] == 1


@pytest.mark.django_db
def test_export_matches_service(bank_data):
    load_bank(data=bank_data)
    deck = Question.objects.first().deck
    assert json_bank.validate(export_bank(deck)) == []


def _bad_bank(bank_data):
    bad = copy.deepcopy(bank_data)
    single = next(q for q in bad["questions"] if q["kind"] == "single")
    for c in single["choices"]:
        c["correct"] = True
    quoted = bad["questions"][3]
    quoted["source"]["quote"] = "baclofen cures everything"
    return bad, single["uid"], quoted["uid"]


def test_validate_bank_names_each_problem_by_uid(tmp_path, bank_data):
    bad, single_uid, quoted_uid = _bad_bank(bank_data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    out = StringIO()
    with pytest.raises(CommandError, match="problem"):
        call_command("validate_bank", str(path), stdout=out)
    lines = out.getvalue().splitlines()
    assert f"{single_uid}: a single-answer question needs exactly one correct choice, has 4" in lines
    assert any(line.startswith(f"{quoted_uid}: quote is not verbatim") for line in lines)


@pytest.mark.django_db
def test_load_bank_with_a_bad_item_writes_nothing(tmp_path, bank_data):
    bad, single_uid, _ = _bad_bank(bank_data)
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(bad))
    err = StringIO()
    with pytest.raises(CommandError, match="nothing was written"):
        call_command("load_bank", str(path), stdout=StringIO(), stderr=err)
    assert single_uid in err.getvalue()
    assert not Question.objects.exists()


def test_invalid_json_reports_file_and_line(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text('{\n  "format": "quizapp-bank",\n  "version": 1,\n  oops\n}')
    with pytest.raises(CommandError, match=r"broken.json:4: invalid JSON"):
        call_command("validate_bank", str(path), stdout=StringIO())


def test_near_duplicates_are_reported(bank_data):
    data = copy.deepcopy(bank_data)
    twin = copy.deepcopy(data["questions"][0])
    twin["uid"] = "twin-001"
    twin["prompt"] = twin["prompt"] + " "
    data["questions"].append(twin)
    problems = [str(p) for p in json_bank.validate(data)]
    assert f"twin-001: near duplicate of {data['questions'][0]['uid']} (same stem and answer)" in problems


def test_counts_below_minimum_are_reported(bank_data):
    problems = json_bank.validate(bank_data, min_questions=10_000)
    assert any("at least 10000 needed" in str(p) for p in problems)


@pytest.mark.django_db
def test_coverage_command_lists_every_passage_of_the_shipped_bank(bank_data):
    load_bank(data=bank_data)
    out = StringIO()
    call_command("bank_coverage", "--deck", bank_data["deck"]["slug"], "--fail-on-uncovered", stdout=out)
    text = out.getvalue()
    assert "11 passages, 0 without a question" in text
    assert "approved-medical-applications-2" in text


@pytest.mark.django_db
def test_coverage_command_flags_a_passage_without_questions(bank_data):
    data = copy.deepcopy(bank_data)
    data["questions"] = [q for q in data["questions"] if q["source"]["passage"] != "introduction-1"]
    load_bank(data=data)
    out = StringIO()
    with pytest.raises(CommandError, match="1 passage"):
        call_command("bank_coverage", "--fail-on-uncovered", stdout=out)
    assert "introduction-1" in out.getvalue() and "NO QUESTION" in out.getvalue()
