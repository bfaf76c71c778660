"""Importing what real tools write (issue 19 items 1-7) through the command and the pages, and
a deck's own GIFT export coming back as the questions it came from (issue 17 item 15)."""

import json
import re
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cards.models import Deck, Question
from cards.services import authoring, imports
from cards.services.banks import load_bank

ROOT = Path(__file__).resolve().parents[2]
MOODLE = ROOT / "tests" / "fixtures_data" / "moodle"
EXAMPLES = MOODLE / "examples.txt"
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))


def run(*args) -> tuple[str, str]:
    out, err = StringIO(), StringIO()
    call_command("import_bank", *[str(a) for a in args], stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


# --- the command ---------------------------------------------------------------------------


def test_examples_txt_on_a_fresh_install_makes_its_deck_and_comes_in_whole(db):
    out, err = run(EXAMPLES)
    deck = Deck.objects.get()
    assert (deck.slug, deck.title) == ("examples", "Examples")
    assert f"{EXAMPLES}: made the new deck 'examples' (Examples)" in out
    assert "32 created, 0 updated, 0 unchanged, 0 retired, 11 skipped, 27 draft(s) to review" in out
    assert deck.questions.count() == 32 and set(deck.questions.values_list("status", flat=True)) == {"draft"}
    skips = re.findall(r"warning: \S+examples\.txt:(\d+): skipped (\w+)", err)
    assert len(skips) == 11 and ("60", "matching") in skips and ("207", "numerical") in skips
    assert f"to review before publishing: {EXAMPLES}:56: gift-e81c1a7f9b: wrong choice 2 ('False')" in out
    # importing it again finds every question it made
    out, _err = run(EXAMPLES)
    assert "0 created, 0 updated, 32 unchanged" in out and "made the new deck" not in out
    assert Deck.objects.count() == 1


def test_deck_named_on_the_command_line_is_made_and_said(db):
    out, _err = run(EXAMPLES, "--deck", "new", "--dry-run")
    assert "would make the new deck 'new' (New)" in out and not Deck.objects.exists()
    out, _err = run(EXAMPLES, "--deck", "new")
    assert "made the new deck 'new' (New)" in out
    assert Deck.objects.get().questions.count() == 32


def test_deck_from_the_first_category(db):
    out, err = run(MOODLE / "questions_in_category.gift.txt")
    assert "made the new deck 'default-for-new-features' (Default for New Features)" in out
    deck = Deck.objects.get(slug="default-for-new-features")
    assert sorted(deck.questions.values_list("uid", flat=True)) == ["greeting", "moodle-acronym", "moodle-user"]
    assert "skipped matching question 'Moodle activities'" in err
    greeting = deck.questions.get(uid="greeting")
    assert greeting.prompt.startswith('<a href="http://demo.moodle.net/file.php/5/media/bonjour.mp3">Listen')
    assert greeting.topic.name == "Default for New Features"


def test_the_same_file_in_a_second_deck_takes_that_decks_name(db):
    run(EXAMPLES, "--deck", "first")
    out, err = run(EXAMPLES, "--deck", "second")
    assert "32 created" in out
    assert "32 question uid(s) belong to another deck's questions" in err
    assert Question.objects.filter(deck__slug="second", uid="second-jesus-hometown").exists()
    out, _err = run(EXAMPLES, "--deck", "second")
    assert "0 created, 0 updated, 32 unchanged" in out


def test_strict_refuses_examples_txt_and_writes_nothing(db):
    with pytest.raises(CommandError, match="11 problem"):
        run(EXAMPLES, "--strict")
    assert not Deck.objects.exists() and not Question.objects.exists()


def test_a_syntax_error_still_refuses_the_whole_file_with_its_line(db, tmp_path):
    path = tmp_path / "broken.gift"
    path.write_text(EXAMPLES.read_text(encoding="utf-8") + "\n::Broken:: Which one? {=a ~b\n")
    with pytest.raises(CommandError, match="nothing was written"):
        run(path)
    assert not Deck.objects.exists() and not Question.objects.exists()


# --- drafts to review: the preview, the question, Publish -----------------------------------


@pytest.fixture
def imported(db, instructor):
    deck = authoring.deck_create(owner=instructor, title="Grant", description="")
    parsed = imports.read_bank_file(name="examples.txt", content=EXAMPLES.read_bytes(), deck=deck)
    imports.apply_import(bank=parsed.bank, owner=instructor)
    return deck


def test_publish_refuses_a_draft_breaking_a_house_rule_and_says_what(imported, instructor_client):
    question = imported.questions.get(uid="gift-e81c1a7f9b")  # The sun rises in the east.{T}
    response = instructor_client.post(
        reverse("cards:question_status", args=[question.pk]), {"status": "published"}, follow=True
    )
    assert "wrong choice 2 (&#39;False&#39;) needs feedback saying why" in response.content.decode()
    question.refresh_from_db()
    assert question.status == "draft"
    fine = imported.questions.get(uid="jesus-hometown")  # every wrong choice has feedback
    authoring.question_set_status(question=fine, status="published")
    assert Question.objects.get(pk=fine.pk).status == "published"


def test_the_question_page_lists_what_to_review(imported, instructor_client):
    question = imported.questions.get(uid="gift-e81c1a7f9b")  # The sun rises in the east.{T}
    html = instructor_client.get(reverse("cards:question_edit", args=[question.pk])).content.decode()
    assert "Before publishing: wrong choice 2 (&#39;False&#39;) needs feedback saying why." in html
    clean = imported.questions.get(uid="gift-control-characters")  # Moodle gave each wrong choice its why
    html = instructor_client.get(reverse("cards:question_edit", args=[clean.pk])).content.decode()
    assert "Before publishing" not in html


def test_a_published_json_question_breaking_a_house_rule_comes_in_as_a_draft(db, deck):
    bank = json.loads(imports.export_deck(deck=deck, fmt="json"))
    single = next(q for q in bank["questions"] if q["kind"] == "single")
    single["uid"], single["status"] = "two-choices", "published"
    single["choices"] = single["choices"][:1] + [c for c in single["choices"] if not c["correct"]][:1]
    content = json.dumps({**bank, "questions": [single]}).encode()
    parsed = imports.read_bank_file(name="b.json", content=content, deck=deck)
    assert parsed.bank["questions"][0]["status"] == "draft"
    assert [p.message for p in parsed.review["two-choices"]] == [
        "a single-answer question needs at least 3 choices, has 2",
        "it was published: it comes in as a draft until reviewed",
    ]


# --- the pages -----------------------------------------------------------------------------


def preview(client, url, name, content):
    upload = SimpleUploadedFile(name, content, content_type="text/plain")
    return client.post(url, {"upload": upload, "format": "auto"})


def test_web_import_without_a_deck_makes_one_and_says_so(db, instructor, instructor_client):
    url = reverse("cards:bank_import")
    assert "Import a bank file into a new deck" in instructor_client.get(url).content.decode()
    html = preview(instructor_client, url, "examples.txt", EXAMPLES.read_bytes()).content.decode()
    assert "A new deck, <strong>Examples</strong> (<code>examples</code>), will be made" in html
    assert "<strong>32</strong> new questions" in html
    assert "<strong>27</strong> to review before publishing" in html
    assert "<code>gift-e81c1a7f9b</code> (examples.txt:56): wrong choice 2 (&#39;False&#39;) needs feedback" in html
    assert "<strong>11</strong> skipped" in html and "examples.txt:207: skipped numerical question" in html
    assert "is worth 25%; quizapp has no partial credit" in html
    assert not Deck.objects.exists()
    digest = instructor_client.session["pending_import"]["digest"]
    done = instructor_client.post(reverse("cards:bank_import_confirm"), {"digest": digest}, follow=True)
    deck = Deck.objects.get()
    assert deck.owner == instructor and deck.questions.count() == 32
    assert done.redirect_chain[-1][0] == reverse("cards:deck_detail", args=[deck.pk])
    assert "made the deck “Examples”" in done.content.decode()
    # the same file again: another new deck, never someone else's
    preview(instructor_client, url, "examples.txt", EXAMPLES.read_bytes())
    digest = instructor_client.session["pending_import"]["digest"]
    instructor_client.post(reverse("cards:bank_import_confirm"), {"digest": digest})
    assert sorted(Deck.objects.values_list("slug", flat=True)) == ["examples", "examples-2"]
    assert Question.objects.filter(deck__slug="examples-2", uid="examples-2-jesus-hometown").exists()


def test_teach_home_links_to_the_import(instructor_client):
    html = instructor_client.get(reverse("cards:teach_home")).content.decode()
    assert reverse("cards:bank_import") in html


@pytest.fixture
def baclofen(db, instructor):
    load_bank(data=BANK, owner=instructor)
    return Deck.objects.get(slug="baclofen")


def test_the_decks_own_gift_export_imports_back_as_the_same_questions(baclofen, instructor_client):
    """Issue 17 item 15: was 53 "new" questions, one per cloze blank."""
    exported = instructor_client.get(reverse("cards:deck_export", args=[baclofen.pk, "gift"])).content
    assert b"// cloze: " in exported
    before = Question.objects.count()
    html = preview(
        instructor_client, reverse("cards:deck_import", args=[baclofen.pk]), "baclofen.gift.txt", exported
    ).content.decode()
    plan = re.search(r"<ul class=\"plan\">.*?</ul>", html, re.S).group()
    assert "<strong>0</strong> new question" in plan and "<strong>0</strong> updated" in plan
    assert f"<strong>{before}</strong> unchanged" in plan
    assert "<strong>0</strong> to review" in plan and "<strong>0</strong> skipped" in plan
    assert "Import 0 questions" in html


def test_cloze_parts_that_lost_their_comment_are_warned_in_the_preview(baclofen, instructor_client):
    exported = imports.export_deck(deck=baclofen, fmt="gift").replace("// cloze: ", "// (was) ")
    html = preview(
        instructor_client, reverse("cards:deck_import", args=[baclofen.pk]), "b.gift", exported.encode()
    ).content.decode()
    assert (
        "&#39;bac-mechanism-027-c1&#39; is blank 1 of the cloze question &#39;bac-mechanism-027&#39; "
        "as quizapp&#39;s GIFT export writes it, but the file has lost the &#39;// cloze:&#39; comment"
    ) in html
