"""Images through the bank formats: the JSON bundle (.zip) round trip is lossless, the .apkg
carries them as media a real reader finds, GIFT (and the other text formats) say which images
they could not carry, and a hostile bundle is refused with the entry named."""

import io
import json
import sqlite3
import zipfile

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from cards.interop.json_bank import BankError
from cards.models import QuestionImage
from cards.services import bank_files, imports, media
from cards.services.banks import export_bank
from tests.conftest import api_for
from tests.factories import DeckFactory, make_question
from tests.images import jpeg_bytes, png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture
def pictured(media_root, instructor):
    """A deck whose question places a PNG in its prompt, a JPEG in a choice and in its explanation."""
    deck = DeckFactory(slug="autonomic", title="Autonomic drugs", owner=instructor)
    png = media.upload_image(upload=SimpleUploadedFile("a.png", png_bytes()), alt="Atropine", user=instructor)
    jpg = media.upload_image(upload=SimpleUploadedFile("c.jpg", jpeg_bytes()), alt="Dose-response", user=instructor)
    question = make_question(
        deck,
        "single",
        prompt=f"Which drug is drawn here?\n\n{png.markdown}",
        explanation=f"See the curve: {jpg.markdown}\n\n| Drug | Receptor |\n|---|---|\n| atropine | M |",
    )
    choice = question.choices.get(text="GABA-B")
    choice.text = f"This one {jpg.markdown}"
    choice.save()
    return deck, png.image, jpg.image


def _forget_images(media_root) -> None:
    for image in QuestionImage.objects.all():
        (media_root / "question-images" / image.name).unlink()
    QuestionImage.objects.all().delete()


def test_the_zip_export_holds_bank_json_and_each_image(pictured):
    deck, png, jpg = pictured
    content = imports.export_deck(deck=deck, fmt="zip")
    with zipfile.ZipFile(io.BytesIO(content)) as bundle:
        assert sorted(bundle.namelist()) == sorted(["bank.json", f"images/{png.name}", f"images/{jpg.name}"])
        assert bundle.read(f"images/{png.name}") == media.image_bytes(png.name)
        assert json.loads(bundle.read("bank.json")) == export_bank(deck)


def test_the_zip_round_trip_is_lossless_on_a_site_without_the_images(pictured, media_root, instructor):
    deck, png, jpg = pictured
    before = export_bank(deck)
    pixels = {image.name: media.image_bytes(image.name) for image in (png, jpg)}
    content = imports.export_deck(deck=deck, fmt="zip")
    deck.delete()
    _forget_images(media_root)  # another site: neither the deck nor its images
    parsed = imports.read_bank_file(name="autonomic.zip", content=content)
    assert parsed.new_deck and len(parsed.images) == 2
    imports.apply_import(bank=parsed.bank, owner=instructor, images=parsed.images)
    after = export_bank(type(deck).objects.get(slug="autonomic"))
    assert after == before  # the same bank, image names included
    for name, data in pixels.items():
        assert media.image_bytes(name) == data  # our own re-encoding is stable: the same bytes
    assert QuestionImage.objects.count() == 2


def test_an_image_whose_bytes_change_on_re_encoding_is_renamed_in_the_text(media_root, instructor):
    raw = jpeg_bytes(color=(120, 10, 240))
    foreign = "f" * 64 + ".jpg"  # a bundle from elsewhere: not our encoding, not our name
    bank = {
        "format": "quizapp-bank",
        "version": 1,
        "deck": {"slug": "foreign", "title": "Foreign"},
        "topics": [{"slug": "t", "name": "T"}],
        "questions": [
            {"uid": "q1", "kind": "flashcard", "topic": "t", "prompt": f"What? ![A graph](img:{foreign})", "back": "B"}
        ],
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as bundle:
        bundle.writestr("bank.json", json.dumps(bank))
        bundle.writestr(f"images/{foreign}", raw)
    parsed = imports.read_bank_file(name="foreign.zip", content=out.getvalue())
    (clean,) = parsed.images.values()
    assert clean.name != foreign and parsed.bank["questions"][0]["prompt"] == f"What? ![A graph](img:{clean.name})"
    imports.apply_import(bank=parsed.bank, owner=instructor, images=parsed.images)
    assert QuestionImage.objects.filter(name=clean.name).exists()


def _bundle(entries: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as bundle:  # a bomb packs small
        for name, data in entries.items():
            bundle.writestr(name, data)
    return out.getvalue()


@pytest.mark.parametrize(
    ("entries", "where", "words"),
    [
        ({"bank.json": b"{}", "../evil.png": png_bytes()}, "../evil.png", "unexpected file"),
        ({"bank.json": b"{}", "images/" + "a" * 64 + ".png": b"<svg onload=alert(1)>"}, "images/", "SVG"),
        ({"images/" + "a" * 64 + ".png": png_bytes()}, "x.zip", "has no bank.json"),
        ({"bank.json": b"{}", "images/" + "a" * 64 + ".png": b"\0" * (6 * 1024 * 1024)}, "images/", "unpacked"),
    ],
)
def test_a_hostile_bundle_is_refused_naming_the_entry(media_root, entries, where, words):
    with pytest.raises(BankError) as refused:
        imports.read_bank_file(name="x.zip", content=_bundle(entries))
    assert any(where in p.where and words in p.message for p in refused.value.problems), refused.value.problems
    assert not QuestionImage.objects.exists()


def test_a_json_file_placing_an_image_this_site_lacks_is_refused(pictured, media_root):
    deck, png, _jpg = pictured
    text = imports.export_deck(deck=deck, fmt="json")
    _forget_images(media_root)
    with pytest.raises(BankError) as refused:
        imports.read_bank_file(name="autonomic.json", content=text.encode(), deck_slug="copy")
    assert any(f"img:{png.name} is neither in the file nor on this site" in p.message for p in refused.value.problems)


def test_the_apkg_carries_the_images_as_media_anki_reads(pictured, tmp_path):
    deck, png, jpg = pictured
    path = tmp_path / "autonomic.apkg"
    imports.export_deck(deck=deck, fmt="apkg", path=path)
    with zipfile.ZipFile(path) as package:
        media_map = json.loads(package.read("media"))
        assert sorted(media_map.values()) == sorted([png.name, jpg.name])
        for number, name in media_map.items():
            assert package.read(number) == media.image_bytes(name)
        (tmp_path / "collection.anki2").write_bytes(package.read("collection.anki2"))
    connection = sqlite3.connect(tmp_path / "collection.anki2")
    try:
        fields = [row[0] for row in connection.execute("select flds from notes")]
    finally:
        connection.close()
    pictured_note = next(f for f in fields if png.name in f)
    assert f'<img src="{png.name}" alt="Atropine">' in pictured_note
    assert f'<img src="{jpg.name}" alt="Dose-response">' in pictured_note  # the choice and the explanation


def test_gift_says_which_images_it_could_not_carry(pictured, instructor, tmp_path, capsys):
    deck, png, jpg = pictured
    download = bank_files.deck_download(deck=deck, fmt="gift")
    assert len(download.warnings) == 2 and all("not in the GIFT file" in w for w in download.warnings)
    response = api_for(instructor).get(f"/api/v1/teach/decks/{deck.pk}/export/gift/")
    assert png.name in response["X-Export-Warnings"] and jpg.name in response["X-Export-Warnings"]
    assert "X-Export-Warnings" not in api_for(instructor).get(f"/api/v1/teach/decks/{deck.pk}/export/zip/")
    call_command("export_bank", "--deck", deck.slug, "--format", "gift", "--output", str(tmp_path / "d.gift"))
    err = capsys.readouterr().err
    assert "warning: " in err and f"img:{png.name} is not in the GIFT file" in err


def test_the_import_command_reads_a_zip(pictured, media_root, tmp_path, capsys):
    deck, png, _jpg = pictured
    path = tmp_path / "autonomic.zip"
    call_command("export_bank", "--deck", deck.slug, "--format", "zip", "--output", str(path))
    deck.delete()
    _forget_images(media_root)
    call_command("import_bank", str(path))
    assert "made the new deck 'autonomic'" in capsys.readouterr().out
    assert QuestionImage.objects.filter(name=png.name).exists()


@pytest.mark.parametrize("questions", [True, {"q": 1}, [{"uid": "q", "choices": True}], "text"])
def test_a_json_bank_of_the_wrong_shape_is_refused_not_crashed(media_root, questions):
    bank = {"format": "quizapp-bank", "version": 1, "deck": {"slug": "d", "title": "D"}, "questions": questions}
    with pytest.raises(BankError):
        imports.read_bank_file(name="odd.json", content=json.dumps(bank).encode())
