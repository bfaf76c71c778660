"""The authoring API (/api/v1/teach/...): what an instructor does on /teach/, over JSON, with
the web's services behind it, the API's error shape, pagination and permissions."""

import io
import json
import zipfile
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from cards.models import Card, Course, Deck, PendingImport, Question, Source, Topic
from cards.services import authoring, imports
from tests.factories import DeckFactory, UserFactory, make_question

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
SOURCE_TEXT = "# Mechanism\n\nBaclofen activates GABA-B receptors.\n\n# Uses\n\nIt treats spasticity."


def api_for(user) -> APIClient:
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def teacher(instructor, course, deck):
    deck.owner = instructor
    deck.save()
    return api_for(instructor)


def gift_upload(text=GIFT, name="sample.gift"):
    return SimpleUploadedFile(name, text.encode(), content_type="text/plain")


def json_bank_with_new_question(deck, uid="api-new-question") -> bytes:
    bank = json.loads(str(imports.export_deck(deck=deck, fmt="json")))
    new = {**next(q for q in bank["questions"] if q["kind"] == "single"), "uid": uid, "status": "draft"}
    bank["questions"].append({**new, "prompt": "Which receptor does baclofen activate, again?"})
    return json.dumps(bank).encode()


# --- courses ---------------------------------------------------------------------------


def test_courses_lists_only_the_courses_you_teach(teacher, course, deck, other_instructor):
    Course.objects.create(title="Someone else's", owner=other_instructor)
    body = teacher.get("/api/v1/teach/courses/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == course.pk and row["join_code"] == course.join_code
    assert row["decks"] == [deck.pk] and row["instructors"] == ["teacher"]


def test_create_a_course_with_its_settings(teacher, instructor):
    response = teacher.post(
        "/api/v1/teach/courses/",
        {"title": "Renal", "desired_retention": 0.85, "learning_steps": [2, 20], "is_open": True},
        format="json",
    )
    assert response.status_code == 201, response.json()
    course = Course.objects.get(pk=response.json()["id"])
    assert course.owner == instructor and instructor in course.instructors.all()
    assert course.learning_steps == [2, 20] and course.desired_retention == 0.85 and course.is_open


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"title": "X", "desired_retention": 0.5}, "desired_retention"),
        ({"title": "X", "learning_steps": [0]}, "learning_steps.0"),
        ({"title": ""}, "title"),
        ({"desired_retention": 0.9}, "title"),
    ],
)
def test_a_bad_course_is_400_naming_the_field(teacher, body, field):
    response = teacher.post("/api/v1/teach/courses/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_patch_changes_only_the_settings_given(teacher, course):
    response = teacher.patch(f"/api/v1/teach/courses/{course.pk}/", {"new_per_day": 5}, format="json")
    assert response.status_code == 200 and response.json()["new_per_day"] == 5
    course.refresh_from_db()
    assert course.new_per_day == 5 and course.title == "Pharmacology 101"


def test_a_new_join_code_replaces_the_old(teacher, course):
    old = course.join_code
    response = teacher.post(f"/api/v1/teach/courses/{course.pk}/code/")
    course.refresh_from_db()
    assert response.json()["join_code"] == course.join_code != old


def test_attaching_a_deck_gives_enrolled_students_its_cards(teacher, instructor, course, student):
    new_deck = DeckFactory(owner=instructor)
    question = make_question(new_deck, "single")
    response = teacher.post(f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": new_deck.pk}, format="json")
    assert new_deck.pk in response.json()["decks"]
    assert Card.objects.filter(user=student, question=question).exists()
    detached = teacher.post(
        f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": new_deck.pk, "action": "detach"}, format="json"
    )
    assert new_deck.pk not in detached.json()["decks"]
    assert Card.objects.filter(user=student, question=question).exists()  # history kept


def test_attaching_someone_elses_deck_is_404(teacher, course, other_instructor):
    theirs = DeckFactory(owner=other_instructor)
    response = teacher.post(f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": theirs.pk}, format="json")
    assert response.status_code == 404 and not course.decks.filter(pk=theirs.pk).exists()


def test_co_instructors_must_be_instructors(teacher, course, other_instructor):
    UserFactory(username="just-a-student")
    refused = teacher.post(
        f"/api/v1/teach/courses/{course.pk}/instructors/", {"username": "just-a-student"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_instructor"
    assert refused.json()["field"] == "username"
    added = teacher.post(
        f"/api/v1/teach/courses/{course.pk}/instructors/", {"username": "other-teacher"}, format="json"
    )
    assert added.json()["instructors"] == ["other-teacher", "teacher"]
    assert api_for(other_instructor).get(f"/api/v1/teach/courses/{course.pk}/").status_code == 200


# --- decks and topics ------------------------------------------------------------------


def test_decks_list_yours_with_question_counts(teacher, deck, course, other_instructor):
    DeckFactory(owner=other_instructor)
    Question.objects.filter(deck=deck, kind="short").update(status="draft", needs_review=True)
    body = teacher.get("/api/v1/teach/decks/").json()
    assert [d["id"] for d in body["results"]] == [deck.pk]
    counts = body["results"][0]["questions"]
    assert counts == {"total": 6, "published": 5, "draft": 1, "retired": 0, "needs_review": 1}
    assert body["results"][0]["courses"] == [course.pk]


def test_create_a_deck(teacher, instructor):
    response = teacher.post("/api/v1/teach/decks/", {"title": "Opioids", "description": "Agonists"}, format="json")
    assert response.status_code == 201
    deck = Deck.objects.get(pk=response.json()["id"])
    assert deck.owner == instructor and deck.slug == "opioids" and response.json()["questions"]["total"] == 0
    assert teacher.get(f"/api/v1/teach/decks/{deck.pk}/").json()["title"] == "Opioids"


def test_topics_are_listed_and_created(teacher):
    created = teacher.post("/api/v1/teach/topics/", {"name": "Adverse effects"}, format="json")
    assert created.status_code == 201 and created.json() == {"slug": "adverse-effects", "name": "Adverse effects"}
    assert "adverse-effects" in [t["slug"] for t in teacher.get("/api/v1/teach/topics/").json()["results"]]
    again = teacher.post("/api/v1/teach/topics/", {"name": "Adverse Effects"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "topic_exists" and again.json()["field"] == "slug"
    assert Topic.objects.filter(slug="adverse-effects").count() == 1


def test_a_new_topic_can_file_a_question(teacher, deck):
    teacher.post("/api/v1/teach/topics/", {"name": "Kinetics", "slug": "kinetics"}, format="json")
    response = teacher.post(
        "/api/v1/questions/",
        {"deck": deck.pk, "kind": "flashcard", "topic": "kinetics", "prompt": "Half-life?", "back": "3-4 h"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["topic"] == "kinetics"


# --- sources and passages ----------------------------------------------------------------


def _make_source(teacher, deck) -> dict:
    response = teacher.post(
        "/api/v1/teach/sources/", {"deck": deck.pk, "title": "Baclofen notes", "text": SOURCE_TEXT}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_source_is_split_into_passages(teacher, deck):
    source = _make_source(teacher, deck)
    assert source["version"] == 1 and source["decks"] == [deck.pk] and source["passage_count"] >= 2
    passages = teacher.get(f"/api/v1/teach/sources/{source['id']}/passages/").json()
    texts = [p["text"] for p in passages["results"]]
    assert "Baclofen activates GABA-B receptors." in texts and "It treats spasticity." in texts
    assert teacher.get(f"/api/v1/teach/sources/?deck={deck.pk}").json()["count"] == 1
    assert teacher.get("/api/v1/teach/sources/?deck=999999").json()["count"] == 0


def test_an_empty_source_is_400_naming_the_text(teacher, deck):
    before = Source.objects.count()
    response = teacher.post("/api/v1/teach/sources/", {"deck": deck.pk, "title": "T", "text": "   "}, format="json")
    assert response.status_code == 400 and "text" in response.json()["fields"]
    assert Source.objects.count() == before


def test_editing_a_source_versions_it_and_flags_the_questions_citing_it(teacher, deck):
    source = _make_source(teacher, deck)
    passage = next(
        p
        for p in teacher.get(f"/api/v1/teach/sources/{source['id']}/passages/").json()["results"]
        if "GABA-B" in p["text"]
    )
    question = teacher.post(
        "/api/v1/questions/",
        {
            "deck": deck.pk,
            "kind": "flashcard",
            "topic": "mechanism",
            "prompt": "What does baclofen activate?",
            "back": "GABA-B receptors",
            "source": {"source": source["slug"], "passage": passage["key"], "quote": "GABA-B receptors"},
        },
        format="json",
    ).json()
    edited = teacher.patch(
        f"/api/v1/teach/sources/{source['id']}/",
        {"text": SOURCE_TEXT.replace("activates GABA-B receptors", "is a GABA-B receptor agonist")},
        format="json",
    )
    body = edited.json()
    assert edited.status_code == 200 and body["version"] == 2
    assert body["changed_passages"] == [passage["key"]] and body["newly_flagged"] == 1
    assert body["flagged_questions"] == [question["id"]] and [r["version"] for r in body["revisions"]] == [2, 1]
    flagged = teacher.get(f"/api/v1/questions/?deck={deck.pk}&needs_review=true").json()
    assert [q["id"] for q in flagged["results"]] == [question["id"]]
    reviewed = teacher.post(f"/api/v1/questions/{question['id']}/reviewed/")
    assert reviewed.status_code == 200 and reviewed.json()["needs_review"] is False
    assert teacher.get(f"/api/v1/teach/sources/{source['id']}/").json()["flagged_questions"] == []


def test_renaming_a_source_keeps_its_version(teacher, deck):
    source = _make_source(teacher, deck)
    body = teacher.patch(f"/api/v1/teach/sources/{source['id']}/", {"title": "Renamed"}, format="json").json()
    assert body["title"] == "Renamed" and body["version"] == 1 and body["changed_passages"] == []


# --- import ------------------------------------------------------------------------------


def test_import_previews_then_confirms(teacher, deck):
    url = f"/api/v1/teach/decks/{deck.pk}/imports/"
    preview = teacher.post(url, {"upload": gift_upload()}, format="multipart")
    body = preview.json()
    assert preview.status_code == 200 and body["dry_run"] is True and body["id"]
    assert body["created"] == ["gaba-target"] and body["deck"] == deck.pk
    assert [w["where"] for w in body["warnings"]] == ["sample.gift:8"]
    assert not Question.objects.filter(uid="gaba-target").exists()
    done = teacher.post(f"/api/v1/teach/imports/{body['id']}/confirm/")
    assert done.status_code == 200 and done.json()["created"] == ["gaba-target"]
    assert Question.objects.get(uid="gaba-target").deck == deck
    again = teacher.post(f"/api/v1/teach/imports/{body['id']}/confirm/")
    assert again.status_code == 404 and again.json()["code"] == "import_expired"


def test_an_import_without_dry_run_writes_at_once(teacher, deck):
    response = teacher.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/",
        {"upload": gift_upload(), "dry_run": "false"},
        format="multipart",
    )
    assert response.status_code == 201 and response.json()["id"] is None
    assert Question.objects.filter(uid="gaba-target", deck=deck).exists()
    assert not PendingImport.objects.exists()


def test_a_malformed_file_is_400_with_every_problem_at_its_line(teacher, deck):
    response = teacher.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload(UNCLOSED_GIFT, "broken.gift")}
    )
    body = response.json()
    assert response.status_code == 400 and body["code"] == "bank_invalid"
    assert body["problems"] and body["problems"][0]["where"].startswith("broken.gift:3")
    assert body["detail"].startswith("broken.gift:3")
    assert not Question.objects.filter(uid="fine").exists() and not PendingImport.objects.exists()


def test_strict_refuses_a_file_with_skipped_questions(teacher, deck):
    response = teacher.post(
        f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload(), "strict": "true"}, format="multipart"
    )
    assert response.status_code == 400 and "sample.gift:8" in response.json()["detail"]


def test_an_upload_without_a_file_is_400_naming_it(teacher, deck):
    response = teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"format": "gift"}, format="multipart")
    assert response.status_code == 400 and "upload" in response.json()["fields"]


def test_a_confirmation_that_no_longer_imports_writes_nothing_and_keeps_the_preview(teacher, deck, instructor):
    upload = SimpleUploadedFile("bank.json", json_bank_with_new_question(deck), content_type="application/json")
    preview = teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": upload}).json()
    assert preview["created"] == ["api-new-question"]
    make_question(DeckFactory(owner=instructor), "single", uid="api-new-question")  # the uid is taken since
    refused = teacher.post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert refused.status_code == 400 and refused.json()["code"] == "bank_invalid"
    assert "another deck" in refused.json()["detail"]
    assert not deck.questions.filter(uid="api-new-question").exists()
    assert PendingImport.objects.filter(pk=preview["id"]).exists()


def test_someone_elses_preview_is_not_found(teacher, deck, other_instructor):
    preview = teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()
    response = api_for(other_instructor).post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert response.status_code == 404 and response.json()["code"] == "import_expired"
    assert not Question.objects.filter(uid="gaba-target").exists()


def test_a_preview_lasts_an_hour(teacher, deck):
    preview = teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()
    with time_machine.travel(timezone.now() + timedelta(minutes=61)):
        response = teacher.post(f"/api/v1/teach/imports/{preview['id']}/confirm/")
    assert response.status_code == 404 and not Question.objects.filter(uid="gaba-target").exists()


def test_old_previews_are_forgotten_as_new_ones_are_made(teacher, deck):
    ids = [
        teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).json()["id"]
        for _ in range(7)
    ]
    kept = {str(pk) for pk in PendingImport.objects.values_list("pk", flat=True)}
    assert kept == set(ids[-5:])


def test_imports_are_rate_limited_per_user(teacher, deck, monkeypatch):
    from cards.api.support import ImportThrottle

    monkeypatch.setattr(ImportThrottle, "THROTTLE_RATES", {"import": "2/min"})
    cache.clear()
    statuses = [
        teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()}).status_code for _ in range(3)
    ]
    assert statuses == [200, 200, 429]
    limited = teacher.post(f"/api/v1/teach/decks/{deck.pk}/imports/", {"upload": gift_upload()})
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
def test_export_in_each_format(teacher, deck, fmt, content_type, filename):
    response = teacher.get(f"/api/v1/teach/decks/{deck.pk}/export/{fmt}/")
    assert response.status_code == 200 and response["Content-Type"].startswith(content_type)
    assert f'filename="{filename}"' in response["Content-Disposition"]
    content = b"".join(response.streaming_content) if response.streaming else response.content
    if fmt == "json":
        assert len(json.loads(content)["questions"]) == 6
    elif fmt == "apkg":
        assert "collection.anki2" in zipfile.ZipFile(io.BytesIO(content)).namelist()
    else:
        assert b"Baclofen" in content


def test_the_api_export_is_the_web_export(teacher, deck, instructor_client):
    api = teacher.get(f"/api/v1/teach/decks/{deck.pk}/export/csv/")
    web = instructor_client.get(f"/teach/decks/{deck.pk}/export/csv/")
    assert api.content == web.content and api["Content-Disposition"] == web["Content-Disposition"]


def test_an_unknown_export_format_is_404_in_the_error_shape(teacher, deck):
    response = teacher.get(f"/api/v1/teach/decks/{deck.pk}/export/docx/")
    assert response.status_code == 404 and response.json()["code"] == "not_found"


# --- who may write -----------------------------------------------------------------------


def _writes(o) -> list[tuple[str, str, dict]]:
    """Every write of the authoring API with a body that would succeed for the instructor."""
    return [
        ("post", "/api/v1/teach/courses/", {"title": "New"}),
        ("patch", f"/api/v1/teach/courses/{o['course'].pk}/", {"title": "Renamed"}),
        ("post", f"/api/v1/teach/courses/{o['course'].pk}/code/", {}),
        ("post", f"/api/v1/teach/courses/{o['course'].pk}/decks/", {"deck": o["deck"].pk, "action": "detach"}),
        ("post", f"/api/v1/teach/courses/{o['course'].pk}/instructors/", {"username": "teacher"}),
        ("post", "/api/v1/teach/decks/", {"title": "New deck"}),
        ("post", "/api/v1/teach/topics/", {"name": "New topic"}),
        ("post", "/api/v1/teach/sources/", {"deck": o["deck"].pk, "title": "S", "text": "Some text."}),
        ("patch", f"/api/v1/teach/sources/{o['source'].pk}/", {"text": "Other text."}),
        ("post", f"/api/v1/questions/{o['question'].pk}/reviewed/", {}),
    ]


WHO = {"anonymous": 401, "student": 403}


@pytest.fixture
def objects(teacher, instructor, course, deck):
    source = authoring.source_create(owner=instructor, title="Notes", text=SOURCE_TEXT, deck=deck)
    return {"course": course, "deck": deck, "source": source, "question": deck.questions.first()}


def _snapshot():
    return (
        list(Course.objects.values()),
        list(Deck.objects.values()),
        list(Topic.objects.values()),
        list(Source.objects.values()),
        list(Question.objects.values("pk", "needs_review")),
    )


@pytest.mark.parametrize("index", range(10))
@pytest.mark.parametrize("role", ["anonymous", "student", "other_instructor"])
def test_only_the_instructor_may_write(index, role, objects, student, other_instructor):
    method, url, body = _writes(objects)[index]
    user = {"anonymous": None, "student": student, "other_instructor": other_instructor}[role]
    before = _snapshot()
    response = getattr(api_for(user), method)(url, body, format="json")
    expected = WHO.get(role, 404)
    if role == "other_instructor" and method == "post" and url.count("/") == 5:
        # A new course, deck or topic of their own; a new source goes into a deck not theirs.
        expected = 404 if "sources" in url else 201
    assert response.status_code == expected, response.content
    if expected != 201:
        assert _snapshot() == before


@pytest.mark.parametrize("index", range(10))
def test_the_instructor_may_write(index, objects):
    method, url, body = _writes(objects)[index]
    response = getattr(api_for(objects["deck"].owner), method)(url, body, format="json")
    assert response.status_code in (200, 201), response.content


def test_import_and_confirm_for_each_role(teacher, deck, student, other_instructor):
    url = f"/api/v1/teach/decks/{deck.pk}/imports/"
    assert api_for(None).post(url, {"upload": gift_upload()}).status_code == 401
    assert api_for(student).post(url, {"upload": gift_upload()}).status_code == 403
    assert api_for(other_instructor).post(url, {"upload": gift_upload()}).status_code == 404
    assert not PendingImport.objects.exists()
    preview = teacher.post(url, {"upload": gift_upload()}).json()
    confirm = f"/api/v1/teach/imports/{preview['id']}/confirm/"
    assert api_for(None).post(confirm).status_code == 401
    assert api_for(student).post(confirm).status_code == 403
    assert api_for(other_instructor).post(confirm).status_code == 404
    assert not Question.objects.filter(uid="gaba-target").exists()


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/teach/courses/", "/api/v1/teach/decks/", "/api/v1/teach/sources/", "/api/v1/teach/topics/"]
)
def test_lists_cost_the_same_at_one_row_or_many(url, teacher, instructor, django_assert_max_num_queries):
    def grow():
        deck = DeckFactory(owner=instructor)
        make_question(deck, "single")
        authoring.course_create(owner=instructor, title=f"Course {deck.pk}")
        authoring.source_create(owner=instructor, title=f"Source {deck.pk}", text=SOURCE_TEXT, deck=deck)
        authoring.topic_create(name=f"Topic {deck.pk}")

    grow()
    with CaptureQueriesContext(connection) as few:
        assert teacher.get(url).status_code == 200
    for _ in range(5):
        grow()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert teacher.get(url).json()["count"] >= 6


def test_a_model_validation_error_from_a_service_is_400_naming_the_field(teacher, course, monkeypatch):
    def refuse(**_):
        raise ValidationError({"maximum_interval": ["Too long."]})

    monkeypatch.setattr(authoring, "course_update", refuse)
    response = teacher.patch(f"/api/v1/teach/courses/{course.pk}/", {"maximum_interval": 5}, format="json")
    assert response.status_code == 400 and response.json()["fields"] == {"maximum_interval": "Too long."}


def test_a_course_needs_at_least_one_learning_step(teacher, course):
    response = teacher.patch(f"/api/v1/teach/courses/{course.pk}/", {"learning_steps": []}, format="json")
    assert response.status_code == 400 and "learning_steps" in response.json()["fields"]


def test_an_absurd_deck_filter_is_ignored_not_a_server_error(teacher, deck):
    response = teacher.get("/api/v1/questions/?deck=94701171115633539635216384")
    assert response.status_code == 200 and response.json()["count"] == deck.questions.count()
