"""The authoring API's bank files: import (upload -> dry-run preview -> confirm, all or
nothing, problems at their file:line) and export in each format, as the web's import and
export do."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from cards.models import PendingImport, Question
from cards.services import imports
from tests.conftest import api_for
from tests.factories import DeckFactory, make_question

GIFT = """// A GIFT file with one question we take and one we cannot represent
::gaba-target::Baclofen activates which receptor? {
  =GABA-B#Right: it is a GABA-B agonist.
  ~GABA-A#That is where benzodiazepines act.
  ~NMDA#A glutamate receptor.
}

::numeric::How many mg? {#10:2}
"""
UNCLOSED_GIFT = """::fine::Which receptor? {=GABA-B ~GABA-A#No. ~NMDA#No.}

::broken::Which one? {
  =a
"""


def gift_upload(text=GIFT, name="sample.gift"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def json_bank_with_new_question(deck, uid="api-new-question") -> bytes:
    bank = json.loads(str(imports.export_deck(deck=deck, fmt="json")))
    new = {**next(q for q in bank["questions"] if q["kind"] == "single"), "uid": uid, "status": "draft"}
    bank["questions"].append({**new, "prompt": "Which receptor does baclofen activate, again?"})
    return json.dumps(bank).encode()


# --- import ------------------------------------------------------------------------------


def test_import_previews_then_confirms(instructor_api, deck):
    url = f"/api/v1/teach/decks/{deck.pk}/imports/"
    preview = instructor_api.post(url, {"upload": gift_upload()}, format="multipart")
    body = preview.json()
    assert preview.status_code == 200 and body["dry_run"] is True and body["id"]
    assert body["created"] == ["gaba-target"] and body["deck"] == deck.pk
    assert [w["where"] for w in body["warnings"]] == ["sample.gift:8"]
    assert not Question.objects.filter(uid="gaba-target").exists()
    done = instructor_api.post(f"/api/v1/teach/imports/{body['id']}/confirm/")
    assert done.status_code == 200 and done.json()["created"] == ["gaba-target"]
    assert Question.objects.get(uid="gaba-target").deck == deck
    again = instructor_api.post(f"/api/v1/teach/imports/{body['id']}/confirm/")
    assert again.status_code == 404 and again.json()["code"] == "import_expired"


def test_an_import_without_dry_run_writes_at_once(instructor_api, deck):
    response = instructor_api.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/",
        {"upload": gift_upload(), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["id"] is None
    assert Question.objects.filter(uid="gaba-target", deck=deck).exists()
    assert not PendingImport.objects.exists()


def test_a_malformed_file_is_400_with_every_problem_at_its_line(instructor_api, deck):
    response = instructor_api.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload(UNCLOSED_GIFT, "broken.gift")}
    )
    body = response.json()
    assert response.status_code == 400 and body["code"] == "bank_invalid"
    assert body["problems"] and body["problems"][0]["where"].startswith("broken.gift:3")
    assert body["detail"].startswith("broken.gift:3")
    assert not Question.objects.filter(uid="fine").exists() and not PendingImport.objects.exists()


def test_strict_refuses_a_file_with_skipped_questions(instructor_api, deck):
    response = instructor_api.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload(), "strict": "true"}, format="multipart"
    )
    assert response.status_code == 400 and "sample.gift:8" in response.json()["detail"]


def test_an_upload_without_a_file_is_400_naming_it(instructor_api, deck):
    response = instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"format": "gift"}, format="multipart")
    assert response.status_code == 400 and "upload" in response.json()["fields"]


def test_a_confirmation_that_no_longer_imports_writes_nothing_and_keeps_the_preview(instructor_api, deck, instructor):
    upload = SimpleUploadedFile("bank.json", json_bank_with_new_question(deck), content_type="application/json")
    preview = instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": upload}).json()
    assert preview["created"] == ["api-new-question"]
    make_question(DeckFactory(owner=instructor), "single", uid="api-new-question")  # the uid is taken since
    refused = instructor_api.post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert refused.status_code == 400 and refused.json()["code"] == "bank_invalid"
    assert "another deck" in refused.json()["detail"]
    assert not deck.questions.filter(uid="api-new-question").exists()
    assert PendingImport.objects.filter(pk=preview["id"]).exists()


def test_someone_elses_preview_is_not_found(instructor_api, deck, other_instructor):
    preview = instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()
    response = api_for(other_instructor).post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert response.status_code == 404 and response.json()["code"] == "import_expired"
    assert not Question.objects.filter(uid="gaba-target").exists()


def test_a_preview_lasts_an_hour(instructor_api, deck):
    preview = instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = instructor_api.post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert response.status_code == 404 and not Question.objects.filter(uid="gaba-target").exists()


def test_old_previews_are_forgotten_as_new_ones_are_made(instructor_api, deck):
    ids = [
        instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()["id"]
        for _ in range(7)
    ]
    kept = {str(pk) for pk in PendingImport.objects.values_list("pk", flat=True)}
    assert kept == set(ids[-5:])


def test_imports_are_rate_limited_per_user(instructor_api, deck, monkeypatch):
    from cards.api.support import ImportThrottle

    monkeypatch.setattr(ImportThrottle, "THROTTLE_RATES", {"import": "2/min"})
    cache.clear()
    statuses = [
        instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).status_code
        for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    limited = instructor_api.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()})
    assert limited.json()["code"] == "throttled" and int(limited["Retry-After"]) > 0


# --- export ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fmt", "content_type", "filename"),
    [
        ("json", "application/json", "baclofen-test.json"),
        ("gift", "text/plain", "baclofen-test.gift.txt"),
        ("csv", "text/csv", "baclofen-test.csv"),
        ("apkg", "application/octet-stream", "baclofen-test.apkg"),
    ],
)
def test_export_in_each_format(instructor_api, deck, fmt, content_type, filename):
    response = instructor_api.get(f"/api/v1/teach/decks/{deck.pk}/export/{fmt}/")
    assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
    assert f'filename="{filename}"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "json":
        assert len(json.loads(content)["questions"]) == 6
    elif fmt == "apkg":
        assert "collection.anki2" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    else:
        assert b"Baclofen" in content


def test_the_api_export_is_the_web_export(instructor_api, deck, instructor_client):
    api = instructor_api.get(f"/api/v1/teach/decks/{deck.pk}/export/csv/")
    web = instructor_client.get(f"/teach/decks/{deck.pk}/export/csv/")
    assert api.content == web.content and api["Content-Disposition"] == web["Content-Disposition"]


def test_an_unknown_export_format_is_404_in_the_error_shape(instructor_api, deck):
    response = instructor_api.get(f"/api/v1/teach/decks/{deck.pk}/export/docx/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


def test_import_and_confirm_for_each_role(instructor_api, deck, student, other_instructor):
    url = f"/api/v1/teach/decks/{deck.pk}/imports/"
    assert api_for(None).post(url, {"upload": gift_upload()}).status_code == 401
    assert api_for(student).post(url, {"upload": gift_upload()}).status_code == 403
    assert api_for(other_instructor).post(url, {"upload": gift_upload()}).status_code == 404
    assert not PendingImport.objects.exists()
    preview = instructor_api.post(url, {"upload": gift_upload()}).json()
    confirm = f"/api/v1/teach/imports/{preview['id']}/confirm/"
    assert api_for(None).post(confirm).status_code == 401
    assert api_for(student).post(confirm).status_code == 403
    assert api_for(other_instructor).post(confirm).status_code == 404
    assert not Question.objects.filter(uid="gaba-target").exists()
