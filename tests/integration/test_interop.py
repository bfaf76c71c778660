"""Import and export through the commands and the instructor pages."""

import io
import json
import sqlite3
import zipfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.urls import reverse

from cards.models import Question
from cards.services.banks import load_bank

ROOT = Path(__file__).resolve().parents[2]
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))

GIFT = """// A tiny GIFT file
$CATEGORY: $course$/Pharmacology/Mechanism

::gaba-target::Baclofen activates which receptor? {
  =GABA-B#Right: it is a GABA-B agonist.
  ~GABA-A#That is where benzodiazepines act.
  ~NMDA#A glutamate receptor.
  ####Baclofen mimics GABA at GABA-B receptors.
}

::numeric::How many mg? {#10:2}
"""

BROKEN_GIFT = """::ok::Fine? {=yes ~no#No.}

::broken::Which one? {
  ~a#wrong
  ~b#wrong too
}
"""


@pytest.fixture
def baclofen(db):
    load_bank(data=BANK)
    return Question.objects.first().deck


def test_import_gift_command_skips_unsupported_with_a_warning(tmp_path, baclofen):
    path = tmp_path / "sample.gift"
    path.write_text(GIFT)
    out, err = StringIO(), StringIO()
    call_command("import_bank", str(path), "--deck", baclofen.slug, stdout=out, stderr=err)
    assert "1 created" in out.getvalue() and "1 skipped" in out.getvalue()
    assert f"{path}:11" in err.getvalue() and "numeric" in err.getvalue()
    question = Question.objects.get(uid="gaba-target")
    assert question.status == "draft" and question.explanation == "Baclofen mimics GABA at GABA-B receptors."


def test_import_gift_strict_refuses_the_skip(tmp_path, baclofen):
    path = tmp_path / "sample.gift"
    path.write_text(GIFT)
    with pytest.raises(CommandError, match="nothing was written"):
        call_command(
            "import_bank", str(path), "--deck", baclofen.slug, "--strict", stdout=StringIO(), stderr=StringIO()
        )
    assert not Question.objects.filter(uid="gaba-target").exists()


def test_malformed_gift_writes_nothing_and_names_the_line(tmp_path, baclofen):
    path = tmp_path / "broken.gift"
    path.write_text(BROKEN_GIFT)
    err = StringIO()
    with pytest.raises(CommandError):
        call_command("import_bank", str(path), "--deck", baclofen.slug, stdout=StringIO(), stderr=err)
    assert f"{path}:3" in err.getvalue()
    assert not Question.objects.filter(uid="ok").exists()


def test_dry_run_writes_nothing(tmp_path, baclofen):
    path = tmp_path / "sample.gift"
    path.write_text(GIFT)
    out = StringIO()
    call_command("import_bank", str(path), "--deck", baclofen.slug, "--dry-run", stdout=out, stderr=StringIO())
    assert "dry run" in out.getvalue() and "1 created" in out.getvalue()
    assert not Question.objects.filter(uid="gaba-target").exists()


@pytest.mark.parametrize("fmt", ["gift", "csv"])
def test_export_then_import_changes_nothing(tmp_path, baclofen, fmt):
    path = tmp_path / f"bank.{fmt}"
    call_command("export_bank", "--format", fmt, "--output", str(path), stderr=StringIO())
    out = StringIO()
    call_command("import_bank", str(path), "--deck", baclofen.slug, "--dry-run", stdout=out, stderr=StringIO())
    # GIFT too: a cloze question goes out as short answers after a `// cloze:` comment and
    # comes back as itself; status and tags kept
    count = Question.objects.count()
    assert f"0 created, 0 updated, {count} unchanged" in out.getvalue()


def test_csv_round_trip_is_identical(tmp_path, baclofen):
    first = tmp_path / "a.csv"
    second = tmp_path / "b.csv"
    call_command("export_bank", "--format", "csv", "--output", str(first), stderr=StringIO())
    call_command("import_bank", str(first), "--deck", baclofen.slug, stdout=StringIO(), stderr=StringIO())
    call_command("export_bank", "--format", "csv", "--output", str(second), stderr=StringIO())
    assert first.read_bytes() == second.read_bytes()


def test_apkg_export_command_shows_progress_and_is_a_valid_collection(tmp_path, baclofen):
    path = tmp_path / "deck.apkg"
    err = StringIO()
    call_command("export_bank", "--format", "apkg", "--output", str(path), stderr=err)
    assert "153/153 notes" in err.getvalue() or f"{Question.objects.count()}/" in err.getvalue()
    with zipfile.ZipFile(path) as archive:
        archive.extract("collection.anki2", tmp_path)
    db = sqlite3.connect(tmp_path / "collection.anki2")
    notes = db.execute("select count(*) from notes").fetchone()[0]
    assert notes == Question.objects.exclude(status="retired").count()


# --- pages ---------------------------------------------------------------------------------


@pytest.fixture
def teacher_client(instructor_client, instructor, baclofen, course):
    course.decks.add(baclofen)
    return instructor_client


def test_import_page_previews_then_confirms(teacher_client, baclofen):
    url = reverse("cards:deck_import", args=[baclofen.pk])
    upload = SimpleUploadedFile("sample.gift", GIFT.encode(), content_type="text/plain")
    preview = teacher_client.post(url, {"upload": upload, "format": "auto"})
    html = preview.content.decode()
    assert "nothing is written yet" in html and "gaba-target" in html and "numeric" in html
    assert not Question.objects.filter(uid="gaba-target").exists()
    digest = teacher_client.session["pending_import"]["digest"]
    done = teacher_client.post(reverse("cards:deck_import_confirm", args=[baclofen.pk]), {"digest": digest})
    assert done.status_code == 302
    assert Question.objects.filter(uid="gaba-target", deck=baclofen).exists()


def test_import_page_lists_every_problem(teacher_client, baclofen):
    upload = SimpleUploadedFile("broken.gift", BROKEN_GIFT.encode(), content_type="text/plain")
    html = teacher_client.post(
        reverse("cards:deck_import", args=[baclofen.pk]), {"upload": upload, "format": "auto"}
    ).content.decode()
    assert "Nothing was imported" in html and "broken.gift:3" in html


def test_confirm_without_a_preview_imports_nothing(teacher_client, baclofen):
    response = teacher_client.post(reverse("cards:deck_import_confirm", args=[baclofen.pk]), {"digest": "x"})
    assert response.status_code == 302 and "import" in response["Location"]


@pytest.mark.parametrize(
    ("fmt", "marker"), [("json", b'"quizapp-bank"'), ("gift", b"$CATEGORY"), ("csv", b"uid,topic,kind")]
)
def test_export_downloads(teacher_client, baclofen, fmt, marker):
    response = teacher_client.get(reverse("cards:deck_export", args=[baclofen.pk, fmt]))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    assert marker in response.content


def test_apkg_download_is_a_zip(teacher_client, baclofen):
    response = teacher_client.get(reverse("cards:deck_export", args=[baclofen.pk, "apkg"]))
    body = b"".join(response.streaming_content)
    assert zipfile.is_zipfile(io.BytesIO(body))


def test_unknown_export_format_is_404(teacher_client, baclofen):
    assert teacher_client.get(reverse("cards:deck_export", args=[baclofen.pk, "exe"])).status_code == 404


def test_import_and_export_pages_are_refused_to_students_and_other_instructors(
    student_client, other_instructor, baclofen, course
):
    from django.test import Client

    course.decks.add(baclofen)
    urls = [reverse("cards:deck_import", args=[baclofen.pk]), reverse("cards:deck_export", args=[baclofen.pk, "json"])]
    for url in urls:
        assert student_client.get(url).status_code == 403
    other = Client()
    other.force_login(other_instructor)
    for url in urls:
        assert other.get(url).status_code == 404
