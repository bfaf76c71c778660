"""The authoring API (/api/v1/teach/...): what an instructor does on /teach/, over JSON, with
the web's services behind it, the API's error shape, pagination and permissions."""

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from cards.models import Card, Course, Deck, Question, Source, Topic
from cards.services import authoring
from tests.conftest import api_for
from tests.factories import DeckFactory, UserFactory, make_question

SOURCE_TEXT = "# Mechanism\n\nBaclofen activates GABA-B receptors.\n\n# Uses\n\nIt treats spasticity."


# --- courses ---------------------------------------------------------------------------


def test_courses_lists_only_the_courses_you_teach(instructor_api, course, deck, other_instructor):
    Course.objects.create(title="Someone else's", owner=other_instructor)
    body = instructor_api.get("/api/v1/teach/courses/").json()
    assert body["count"] == 1
    (row,) = body["results"]
    assert row["id"] == course.pk and row["join_code"] == course.join_code
    assert row["decks"] == [deck.pk] and row["instructors"] == ["teacher"]


def test_create_a_course_with_its_settings(instructor_api, instructor):
    response = instructor_api.post(
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
def test_a_bad_course_is_400_naming_the_field(instructor_api, body, field):
    response = instructor_api.post("/api/v1/teach/courses/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and field in response.json()["fields"]


def test_patch_changes_only_the_settings_given(instructor_api, course):
    response = instructor_api.patch(f"/api/v1/teach/courses/{course.pk}/", {"new_per_day": 5}, format="json")
    assert response.status_code == 200 and response.json()["new_per_day"] == 5
    course.refresh_from_db()
    assert course.new_per_day == 5 and course.title == "Pharmacology 101"


def test_a_new_join_code_replaces_the_old(instructor_api, course):
    old = course.join_code
    response = instructor_api.post(f"/api/v1/teach/courses/{course.pk}/code/")
    course.refresh_from_db()
    assert response.json()["join_code"] == course.join_code != old


def test_attaching_a_deck_gives_enrolled_students_its_cards(instructor_api, instructor, course, student):
    new_deck = DeckFactory(owner=instructor)
    question = make_question(new_deck, "single")
    response = instructor_api.post(f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": new_deck.pk}, format="json")
    assert new_deck.pk in response.json()["decks"]
    assert Card.objects.filter(user=student, question=question).exists()
    detached = instructor_api.post(
        f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": new_deck.pk, "action": "detach"}, format="json"
    )
    assert new_deck.pk not in detached.json()["decks"]
    assert Card.objects.filter(user=student, question=question).exists()  # history kept


def test_attaching_someone_elses_deck_is_404(instructor_api, course, other_instructor):
    theirs = DeckFactory(owner=other_instructor)
    response = instructor_api.post(f"/api/v1/teach/courses/{course.pk}/decks/", {"deck": theirs.pk}, format="json")
    assert response.status_code == 404 and not course.decks.filter(pk=theirs.pk).exists()


def test_co_instructors_must_be_instructors(instructor_api, course, other_instructor):
    UserFactory(username="just-a-student")
    refused = instructor_api.post(
        f"/api/v1/teach/courses/{course.pk}/instructors/", {"username": "just-a-student"}, format="json"
    )
    assert refused.status_code == 400 and refused.json()["code"] == "unknown_instructor"
    assert refused.json()["field"] == "username"
    added = instructor_api.post(
        f"/api/v1/teach/courses/{course.pk}/instructors/", {"username": "other-teacher"}, format="json"
    )
    assert added.json()["instructors"] == ["other-teacher", "teacher"]
    assert api_for(other_instructor).get(f"/api/v1/teach/courses/{course.pk}/").status_code == 200


# --- decks and topics ------------------------------------------------------------------


def test_decks_list_yours_with_question_counts(instructor_api, deck, course, other_instructor):
    DeckFactory(owner=other_instructor)
    Question.objects.filter(deck=deck, kind="short").update(status="draft", needs_review=True)
    body = instructor_api.get("/api/v1/teach/decks/").json()
    assert [d["id"] for d in body["results"]] == [deck.pk]
    counts = body["results"][0]["questions"]
    assert counts == {"total": 6, "published": 5, "draft": 1, "retired": 0, "needs_review": 1}
    assert body["results"][0]["courses"] == [course.pk]


def test_create_a_deck(instructor_api, instructor):
    response = instructor_api.post(
        "/api/v1/teach/decks/", {"title": "Opioids", "description": "Agonists"}, format="json"
    )
    assert response.status_code == 201
    deck = Deck.objects.get(pk=response.json()["id"])
    assert deck.owner == instructor and deck.slug == "opioids" and response.json()["questions"]["total"] == 0
    assert instructor_api.get(f"/api/v1/teach/decks/{deck.pk}/").json()["title"] == "Opioids"


def test_topics_are_listed_and_created(instructor_api):
    created = instructor_api.post("/api/v1/teach/topics/", {"name": "Adverse effects"}, format="json")
    assert created.status_code == 201 and created.json() == {"slug": "adverse-effects", "name": "Adverse effects"}
    assert "adverse-effects" in [t["slug"] for t in instructor_api.get("/api/v1/teach/topics/").json()["results"]]
    again = instructor_api.post("/api/v1/teach/topics/", {"name": "Adverse Effects"}, format="json")
    assert again.status_code == 400 and again.json()["code"] == "topic_exists" and again.json()["field"] == "slug"
    assert Topic.objects.filter(slug="adverse-effects").count() == 1


def test_a_new_topic_can_file_a_question(instructor_api, deck):
    instructor_api.post("/api/v1/teach/topics/", {"name": "Kinetics", "slug": "kinetics"}, format="json")
    response = instructor_api.post(
        "/api/v1/questions/",
        {"deck": deck.pk, "kind": "flashcard", "topic": "kinetics", "prompt": "Half-life?", "back": "3-4 h"},
        format="json",
    )
    assert response.status_code == 201 and response.json()["topic"] == "kinetics"


# --- sources and passages ----------------------------------------------------------------


def _make_source(instructor_api, deck) -> dict:
    response = instructor_api.post(
        "/api/v1/teach/sources/", {"deck": deck.pk, "title": "Baclofen notes", "text": SOURCE_TEXT}, format="json"
    )
    assert response.status_code == 201, response.json()
    return response.json()


def test_a_source_is_split_into_passages(instructor_api, deck):
    source = _make_source(instructor_api, deck)
    assert source["version"] == 1 and source["decks"] == [deck.pk] and source["passage_count"] >= 2
    passages = instructor_api.get(f"/api/v1/teach/sources/{source['id']}/passages/").json()
    texts = [p["text"] for p in passages["results"]]
    assert "Baclofen activates GABA-B receptors." in texts and "It treats spasticity." in texts
    assert instructor_api.get(f"/api/v1/teach/sources/?deck={deck.pk}").json()["count"] == 1
    assert instructor_api.get("/api/v1/teach/sources/?deck=999999").json()["count"] == 0


def test_an_empty_source_is_400_naming_the_text(instructor_api, deck):
    before = Source.objects.count()
    response = instructor_api.post(
        "/api/v1/teach/sources/", {"deck": deck.pk, "title": "T", "text": "   "}, format="json"
    )
    assert response.status_code == 400 and "text" in response.json()["fields"]
    assert Source.objects.count() == before


def test_editing_a_source_versions_it_and_flags_the_questions_citing_it(instructor_api, deck):
    source = _make_source(instructor_api, deck)
    passage = next(
        p
        for p in instructor_api.get(f"/api/v1/teach/sources/{source['id']}/passages/").json()["results"]
        if "GABA-B" in p["text"]
    )
    question = instructor_api.post(
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
    edited = instructor_api.patch(
        f"/api/v1/teach/sources/{source['id']}/",
        {"text": SOURCE_TEXT.replace("activates GABA-B receptors", "is a GABA-B receptor agonist")},
        format="json",
    )
    body = edited.json()
    assert edited.status_code == 200 and body["version"] == 2
    assert body["changed_passages"] == [passage["key"]] and body["newly_flagged"] == 1
    assert body["flagged_questions"] == [question["id"]] and [r["version"] for r in body["revisions"]] == [2, 1]
    flagged = instructor_api.get(f"/api/v1/questions/?deck={deck.pk}&needs_review=true").json()
    assert [q["id"] for q in flagged["results"]] == [question["id"]]
    reviewed = instructor_api.post(f"/api/v1/questions/{question['id']}/reviewed/")
    assert reviewed.status_code == 200 and reviewed.json()["needs_review"] is False
    assert instructor_api.get(f"/api/v1/teach/sources/{source['id']}/").json()["flagged_questions"] == []


def test_renaming_a_source_keeps_its_version(instructor_api, deck):
    source = _make_source(instructor_api, deck)
    body = instructor_api.patch(f"/api/v1/teach/sources/{source['id']}/", {"title": "Renamed"}, format="json").json()
    assert body["title"] == "Renamed" and body["version"] == 1 and body["changed_passages"] == []


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
def objects(instructor_api, instructor, course, deck):
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


# --- queries ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url", ["/api/v1/teach/courses/", "/api/v1/teach/decks/", "/api/v1/teach/sources/", "/api/v1/teach/topics/"]
)
def test_lists_cost_the_same_at_one_row_or_many(url, instructor_api, instructor, django_assert_max_num_queries):
    def grow():
        deck = DeckFactory(owner=instructor)
        make_question(deck, "single")
        authoring.course_create(owner=instructor, title=f"Course {deck.pk}")
        authoring.source_create(owner=instructor, title=f"Source {deck.pk}", text=SOURCE_TEXT, deck=deck)
        authoring.topic_create(name=f"Topic {deck.pk}")

    grow()
    with CaptureQueriesContext(connection) as few:
        assert instructor_api.get(url).status_code == 200
    for _ in range(5):
        grow()
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert instructor_api.get(url).json()["count"] >= 6


def test_a_model_validation_error_from_a_service_is_400_naming_the_field(instructor_api, course, monkeypatch):
    def refuse(**_):
        raise ValidationError({"maximum_interval": ["Too long."]})

    monkeypatch.setattr(authoring, "course_update", refuse)
    response = instructor_api.patch(f"/api/v1/teach/courses/{course.pk}/", {"maximum_interval": 5}, format="json")
    assert response.status_code == 400 and response.json()["fields"] == {"maximum_interval": "Too long."}


def test_a_course_needs_at_least_one_learning_step(instructor_api, course):
    response = instructor_api.patch(f"/api/v1/teach/courses/{course.pk}/", {"learning_steps": []}, format="json")
    assert response.status_code == 400 and "learning_steps" in response.json()["fields"]


def test_an_absurd_deck_filter_is_ignored_not_a_server_error(instructor_api, deck):
    response = instructor_api.get("/api/v1/questions/?deck=94701171115633539635216384")
    assert response.status_code == 200 and response.json()["count"] == deck.questions.count()
