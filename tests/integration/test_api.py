"""The JSON API: contract, permissions, idempotency, errors, and FSRS agreement."""

import json
import uuid
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
import time_machine
from django.core.cache import cache
from django.test import override_settings
from rest_framework.test import APIClient

from cards.models import Card, Question, ReviewLog
from tests.answers import card_answer
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def api_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def api(student):
    return api_for(student)


def right_answer(card_json) -> dict:
    return card_answer(Card.objects.select_related("question").get(pk=card_json["id"]))


def answer(api, card_json, review_id=None, **body):
    payload = {
        "card": card_json["id"],
        "review_id": str(review_id or uuid.uuid4()),
        **(body or right_answer(card_json)),
    }
    return api.post("/api/v1/study/answer/", payload, format="json")


# --- auth ----------------------------------------------------------------------------


def test_token_login_and_logout_revokes_it(db):
    UserFactory(username="tok", password="correct-horse-battery")
    client = APIClient()
    token = client.post(
        "/api/v1/auth/token/", {"username": "tok", "password": "correct-horse-battery"}, format="json"
    ).json()["token"]
    client.credentials(HTTP_AUTHORIZATION=f"Token {token}")
    assert client.get("/api/v1/courses/").status_code == 200
    assert client.post("/api/v1/auth/logout/").status_code == 204
    assert client.get("/api/v1/courses/").status_code == 401


def test_wrong_password_is_400_with_a_code(db):
    UserFactory(username="tok", password="correct-horse-battery")
    response = APIClient().post("/api/v1/auth/token/", {"username": "tok", "password": "nope"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "bad_credentials"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_api_logins_count_toward_the_lockout_shared_with_the_web(db, client):
    UserFactory(username="victim", password="correct-horse-battery")
    api = APIClient()
    for _ in range(2):
        api.post("/api/v1/auth/token/", {"username": "victim", "password": "wrong"}, format="json")
    client.post("/accounts/login/", {"username": "victim", "password": "wrong"})  # third failure, on the web
    locked = api.post("/api/v1/auth/token/", {"username": "victim", "password": "correct-horse-battery"}, format="json")
    assert locked.status_code == 429
    assert locked.json()["code"] == "locked_out" and "Try again in 15 minutes" in locked.json()["detail"]
    assert int(locked["Retry-After"]) > 0


def test_login_rate_limit_is_429_with_retry_after(db, monkeypatch):
    from cards.api.support import LoginThrottle

    monkeypatch.setattr(LoginThrottle, "THROTTLE_RATES", {"login": "2/min"})
    cache.clear()
    api = APIClient()
    codes = [
        api.post("/api/v1/auth/token/", {"username": f"u{i % 1}", "password": "x"}, format="json").status_code
        for i in range(3)
    ]
    assert codes[-1] == 429
    assert "Retry-After" in api.post("/api/v1/auth/token/", {"username": "u0", "password": "x"}, format="json")


def test_register_creates_a_student_in_open_courses(db, deck):
    course = CourseFactory(is_open=True)
    course.decks.add(deck)
    response = APIClient().post(
        "/api/v1/auth/register/",
        {"username": "newbie", "password": "long-enough-pass", "email": "n@example.com"},
        format="json",
    )
    assert response.status_code == 201
    assert Card.objects.filter(user__username="newbie").exists()


def test_register_names_the_field_at_fault(db):
    response = APIClient().post(
        "/api/v1/auth/register/", {"username": "x", "password": "short", "email": "bad"}, format="json"
    )
    body = response.json()
    assert response.status_code == 400 and body["code"] == "invalid"
    assert set(body["fields"]) >= {"email"}


def test_anonymous_gets_401_json(db):
    response = APIClient().get("/api/v1/decks/")
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


# --- courses and decks ---------------------------------------------------------------


def test_courses_lists_enrolled_and_open(api, course):
    open_course = CourseFactory(title="Open", is_open=True)
    titles = {c["title"]: c["enrolled"] for c in api.get("/api/v1/courses/").json()["results"]}
    assert titles == {course.title: True, open_course.title: False}


def test_join_by_code(api, db, deck):
    other = CourseFactory(join_code="CODE2345")
    other.decks.add(make_question(DeckFactory(), "single").deck)
    response = api.post("/api/v1/courses/join/", {"code": "code2345"}, format="json")
    assert response.status_code == 200 and response.json()["enrolled"] is True


def test_join_with_an_unknown_code_is_404_with_code(api):
    response = api.post("/api/v1/courses/join/", {"code": "NOPE"}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "bad_join_code"


def test_decks_have_counts(api, course, deck):
    rows = api.get("/api/v1/decks/").json()["results"]
    assert rows == [
        {"id": deck.pk, "title": deck.title, "course": course.pk, "new": 7, "learning": 0, "due": 0, "total": 7}
    ]


# --- study -----------------------------------------------------------------------------


def test_next_never_contains_the_answer_key(api, deck):
    for _ in range(7):
        response = api.get(f"/api/v1/study/next/?deck={deck.pk}")
        body = response.json()
        card = body["card"]
        text = json.dumps(body)
        question = Question.objects.get(cards__pk=card["id"])
        assert set(card) <= {"id", "kind", "prompt", "choices", "cloze", "reps", "back", "intervals"}
        assert "correct" not in text and "feedback" not in text and "explanation" not in text
        assert question.explanation not in text
        for c in card["choices"]:
            assert set(c) == {"id", "text"}
        if card["kind"] == "short":
            assert all(a not in text for a in question.answers)
        if card["kind"] == "flashcard":
            assert card["back"] == question.back
        answer(api, card)


def test_next_is_204_when_nothing_is_due(api, deck):
    Card.objects.update(suspended=True)
    assert api.get(f"/api/v1/study/next/?deck={deck.pk}").status_code == 204


def test_next_for_a_deck_not_yours_is_404(api):
    other = make_question(DeckFactory(), "single").deck
    assert api.get(f"/api/v1/study/next/?deck={other.pk}").status_code == 404


def test_next_without_deck_is_400_naming_it(api):
    response = api.get("/api/v1/study/next/")
    assert response.status_code == 400 and "deck" in response.json()["fields"]


def test_answer_replay_returns_the_same_body_and_records_once(api, student, deck):
    card = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]
    review_id = uuid.uuid4()
    first = answer(api, card, review_id)
    second = answer(api, card, review_id)
    assert first.status_code == second.status_code == 200
    assert {**first.json(), "replayed": True} == second.json()
    assert ReviewLog.objects.filter(user=student).count() == 1


def test_answer_shape(api, deck):
    card = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]
    body = answer(api, card).json()
    assert set(body) >= {
        "correct",
        "rating",
        "correct_answer",
        "explanation",
        "feedback",
        "source",
        "due",
        "interval_days",
        "card_state",
    }
    assert body["due"].endswith("Z")
    assert set(body["card_state"]) == {"state", "stability", "difficulty", "reps", "lapses"}
    assert set(body["source"]) >= {"passage", "quote"}


def test_someone_elses_card_is_404(student, other_student, deck):
    bobs = Card.objects.filter(user=other_student).first()
    response = api_for(student).post(
        "/api/v1/study/answer/", {"card": bobs.pk, "review_id": str(uuid.uuid4()), "rating": 3}, format="json"
    )
    assert response.status_code == 404 and response.json()["code"] == "card_not_found"
    assert not ReviewLog.objects.exists()


def test_not_due_is_409_with_code(api, deck):
    card = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]
    answer(api, card)
    response = answer(api, card)
    assert response.status_code == 409 and response.json()["code"] == "not_due"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"review_id": "not-a-uuid", "rating": 3}, "review_id"),
        ({"rating": 9}, "rating"),
        ({"choice": "x"}, "choice"),
        ({"text": "a", "choice": 1}, "text"),
        ({}, "choice"),
        ({"response_ms": -5, "rating": 3}, "response_ms"),
    ],
)
def test_malformed_answer_is_400_naming_the_field(api, deck, body, field):
    card = Card.objects.filter(user__username="alice").first()
    payload = {"card": card.pk, "review_id": str(uuid.uuid4()), **body}
    response = api.post("/api/v1/study/answer/", payload, format="json")
    assert response.status_code == 400
    assert field in response.json()["fields"] or field in response.json()["detail"]


def test_wrong_kind_of_answer_is_400_naming_the_field(api, deck):
    card = Card.objects.get(user__username="alice", question__kind="single")
    response = api.post(
        "/api/v1/study/answer/", {"card": card.pk, "review_id": str(uuid.uuid4()), "text": "x"}, format="json"
    )
    assert response.status_code == 400 and response.json()["field"] == "choice"


def test_malformed_json_is_400_not_500(api):
    response = api.generic("POST", "/api/v1/study/answer/", "{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["code"] == "malformed"


def test_undo_restores_the_card(api, deck):
    card = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]
    answer(api, card)
    response = api.post("/api/v1/study/undo/")
    assert response.status_code == 200
    assert Card.objects.get(pk=card["id"]).reps == 0
    assert api.post("/api/v1/study/undo/").json()["code"] == "nothing_to_undo"


def test_stats(api, deck):
    card = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]
    answer(api, card)
    body = api.get("/api/v1/stats/").json()
    assert body["reviews_today"] == 1 and body["streak"] == 1
    assert {m["topic"] for m in body["mastery"]} == {"mechanism"}


def test_study_flow_over_days_matches_fsrs(student, course, deck):
    """Through the API alone: due and interval_days agree with a direct fsrs.Scheduler."""
    api = api_for(student)
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    expected: dict[int, fsrs.Card] = {}
    checked = 0
    with time_machine.travel(START, tick=False) as traveller:
        for _day in range(8):
            idle = 0
            while idle < 2:
                response = api.get(f"/api/v1/study/next/?deck={deck.pk}")
                if response.status_code == 204:
                    traveller.shift(timedelta(minutes=11))
                    idle += 1
                    continue
                idle = 0
                now = datetime.now(UTC)
                card = response.json()["card"]
                body = answer(api, card).json()
                fcard = expected.get(card["id"]) or fsrs.Card(card_id=card["id"], due=now)
                fcard, _ = scheduler.review_card(fcard, fsrs.Rating.Good, now)
                expected[card["id"]] = fcard
                assert body["due"] == fcard.due.isoformat().replace("+00:00", "Z")
                assert body["interval_days"] == pytest.approx((fcard.due - now).total_seconds() / 86400, abs=1e-5)
                assert body["card_state"]["stability"] == pytest.approx(fcard.stability)
                checked += 1
                traveller.shift(timedelta(seconds=20))
            traveller.shift(timedelta(days=1))
    assert checked >= 3 * Card.objects.filter(user=student).count()


# --- instructor questions -------------------------------------------------------------------


def question_body(deck, **extra):
    return {
        "deck": deck.pk,
        "kind": "single",
        "topic": "mechanism",
        "prompt": "Which receptor?",
        "status": "draft",
        "choices": [
            {"text": "GABA-B", "correct": True, "feedback": "Yes"},
            {"text": "GABA-A", "correct": False, "feedback": "Benzodiazepines"},
            {"text": "NMDA", "correct": False, "feedback": "Glutamate"},
        ],
        **extra,
    }


def test_instructor_creates_edits_and_publishes(instructor, course, deck, student):
    api = api_for(instructor)
    created = api.post("/api/v1/questions/", question_body(deck), format="json")
    assert created.status_code == 201, created.json()
    qid = created.json()["id"]
    patched = api.patch(
        f"/api/v1/questions/{qid}/", {"prompt": "Which receptor does baclofen activate?"}, format="json"
    )
    assert patched.json()["revision"] == 2
    published = api.post(f"/api/v1/questions/{qid}/publish/")
    assert published.json()["status"] == "published"
    assert Card.objects.filter(question_id=qid, user=student).exists()
    listed = api.get(f"/api/v1/questions/?deck={deck.pk}").json()
    assert qid in [q["id"] for q in listed["results"]]


def test_invalid_question_is_400_with_fields(instructor, course, deck):
    body = question_body(deck)
    body["choices"][1]["correct"] = True
    response = api_for(instructor).post("/api/v1/questions/", body, format="json")
    assert response.status_code == 400
    assert "exactly one correct choice" in response.json()["fields"]["choices"]


def test_a_cloze_with_alternatives_per_blank_is_created_and_malformed_ones_are_400(instructor, course, deck):
    api = api_for(instructor)
    body = question_body(deck, kind="cloze", prompt="Acts in the {{c1::central nervous system}}.", choices=[])
    created = api.post("/api/v1/questions/", {**body, "answers": {"c1": ["CNS"]}}, format="json")
    assert created.status_code == 201, created.json()
    assert Question.objects.get(pk=created.json()["id"]).answers == {"c1": ["CNS"]}
    missing = api.post("/api/v1/questions/", {**body, "answers": {"c2": ["CNS"]}}, format="json")
    assert missing.status_code == 400
    assert "answers name blank 'c2'" in missing.json()["fields"]["answers"]
    refused = api.post("/api/v1/questions/", {**body, "answers": "CNS"}, format="json")
    assert refused.status_code == 400
    assert 'an object of alternatives per blank: {"c1": ["CNS"]}' in refused.json()["fields"]["answers"]
    assert api.post("/api/v1/questions/", {**body, "answers": {"c1": [7, None]}}, format="json").status_code == 400


def test_creating_a_question_without_a_deck_is_400_naming_it(instructor, course, deck):
    body = question_body(deck)
    del body["deck"]
    response = api_for(instructor).post("/api/v1/questions/", body, format="json")
    assert response.status_code == 400
    assert response.json()["code"] == "invalid" and response.json()["fields"] == {"deck": "Which deck?"}


def test_students_are_403_on_instructor_endpoints(api, deck):
    question = deck.questions.first()
    assert api.get("/api/v1/questions/").status_code == 403
    assert api.post("/api/v1/questions/", question_body(deck), format="json").status_code == 403
    assert api.patch(f"/api/v1/questions/{question.pk}/", {"prompt": "x"}, format="json").status_code == 403
    assert api.post(f"/api/v1/questions/{question.pk}/publish/").status_code == 403


def test_other_instructor_gets_404(other_instructor, course, deck):
    api = api_for(other_instructor)
    question = deck.questions.first()
    assert api.get(f"/api/v1/questions/{question.pk}/").status_code == 404
    assert api.patch(f"/api/v1/questions/{question.pk}/", {"prompt": "hijack"}, format="json").status_code == 404
    assert api.post("/api/v1/questions/", question_body(deck), format="json").status_code == 404
    assert Question.objects.get(pk=question.pk).prompt != "hijack"


def test_schema_and_docs_are_served(api, client):
    schema = api.get("/api/v1/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/study/answer/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger" in docs.content.lower()
    assert b"cdn" not in docs.content.lower()


def test_answer_rate_limit_is_per_user_not_per_address(student, other_student, deck, monkeypatch):
    from cards.api.support import AnswerThrottle

    monkeypatch.setattr(AnswerThrottle, "THROTTLE_RATES", {"answer": "2/min"})
    cache.clear()
    alice, bob = api_for(student), api_for(other_student)  # same address: 127.0.0.1
    card = Card.objects.filter(user=student).first()
    codes = [
        alice.post(
            "/api/v1/study/answer/", {"card": card.pk, "review_id": str(uuid.uuid4()), "rating": 3}, format="json"
        ).status_code
        for _ in range(3)
    ]
    assert codes[-1] == 429
    bobs = Card.objects.filter(user=other_student).select_related("question").first()
    assert (
        bob.post(
            "/api/v1/study/answer/", {"card": bobs.pk, "review_id": str(uuid.uuid4()), "rating": 3}, format="json"
        ).status_code
        != 429
    )


# --- quizzes through the API ------------------------------------------------------------------


@pytest.fixture
def api_quiz(course, instructor, deck):
    from cards.services import quizzes as quiz_services

    return quiz_services.quiz_create(
        course=course, created_by=instructor, title="API quiz", num_questions=3, time_limit_minutes=5
    )


def test_quiz_flow_through_the_api(api, api_quiz):
    listed = api.get("/api/v1/quizzes/").json()["results"]
    assert [q["id"] for q in listed] == [api_quiz.pk]
    started = api.post(f"/api/v1/quizzes/{api_quiz.pk}/attempts/")
    assert started.status_code == 201
    body = started.json()
    assert 295 <= body["remaining_seconds"] <= 300 and len(body["questions"]) == 3
    text = json.dumps(body)
    assert 'correct": true' not in text and all(q["correct_answer"] is None for q in body["questions"])
    question = Question.objects.get(pk=body["questions"][0]["id"])
    if question.kind == "multiple":
        answer_field = {"choices": [question.choices.first().pk]}
    elif question.choices.exists():
        answer_field = {"choice": question.choices.first().pk}
    else:
        answer_field = {"text": "GABA-B"}
    saved = api.post(f"/api/v1/attempts/{body['id']}/answer/", {"question": question.pk, **answer_field}, format="json")
    assert saved.status_code == 200 and saved.json()["questions"][0]["answer"] is not None
    submitted = api.post(f"/api/v1/attempts/{body['id']}/submit/").json()
    assert submitted["status"] == "submitted" and submitted["score"] is not None
    again = api.post(f"/api/v1/attempts/{body['id']}/submit/")
    assert again.status_code == 409 and again.json()["code"] == "already_submitted"


def test_someone_elses_attempt_is_404_in_the_api(student, other_student, api_quiz):
    from cards.services import quizzes as quiz_services

    attempt = quiz_services.attempt_start(user=student, quiz=api_quiz, now=datetime.now(UTC))
    bob = api_for(other_student)
    assert bob.get(f"/api/v1/attempts/{attempt.pk}/").status_code == 404
    assert bob.post(f"/api/v1/attempts/{attempt.pk}/submit/").status_code == 404
    response = bob.post(
        f"/api/v1/attempts/{attempt.pk}/answer/", {"question": attempt.question_ids[0], "text": "x"}, format="json"
    )
    assert response.status_code == 404


def test_item_analysis_endpoint(instructor, other_instructor, student, course, deck):
    response = api_for(instructor).get(f"/api/v1/courses/{course.pk}/item-analysis/")
    assert response.status_code == 200
    assert {r["uid"] for r in response.json()["results"]} == set(deck.questions.values_list("uid", flat=True))
    assert api_for(other_instructor).get(f"/api/v1/courses/{course.pk}/item-analysis/").status_code == 404
    assert api_for(student).get(f"/api/v1/courses/{course.pk}/item-analysis/").status_code == 403


@pytest.mark.parametrize("body", ["[1, 2]", "3.5", '"text"', "null"])
def test_auth_endpoints_answer_400_to_any_json_that_is_not_an_object(db, body):
    for url in ("/api/v1/auth/token/", "/api/v1/auth/register/"):
        response = APIClient().generic("POST", url, body, content_type="application/json")
        assert response.status_code == 400, (url, body, response.status_code)
