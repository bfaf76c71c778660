"""The blocks API: pools, create, get, answer, submit, list; the key only where shown; 404
for someone else's block."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from cards.models import Block, Card, ReviewLog
from tests.answers import card_answer

pytestmark = pytest.mark.django_db


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_pools_count_each_pool(student, course):
    body = _api(student).get(reverse("api:block_pools") + f"?course={course.pk}").json()
    assert body == {"unused": 6, "incorrect": 0, "flagged": 0, "low_recall": 0, "due": 0, "all": 6}
    assert _api(student).get(reverse("api:block_pools")).status_code == 400


def test_a_tutor_block_through_the_api(student, course):
    api = _api(student)
    created = api.post(reverse("api:blocks"), {"course": course.pk, "size": 2}, format="json")
    assert created.status_code == 201
    body = created.json()
    assert body["mode"] == "tutor" and len(body["questions"]) == 2
    assert all(q["correct_answer"] is None and q["explanation"] is None for q in body["questions"])
    card = Card.objects.get(pk=body["questions"][0]["card"])
    answered = api.post(
        reverse("api:block_answer", args=[body["id"]]), {"card": card.pk, **card_answer(card)}, format="json"
    ).json()
    first = answered["questions"][0]
    assert first["revealed"] and first["correct"] is True and first["passage"]["quote"]
    assert answered["questions"][1]["correct_answer"] is None
    assert ReviewLog.objects.filter(card=card).count() == 1
    again = api.post(
        reverse("api:block_answer", args=[body["id"]]), {"card": card.pk, **card_answer(card)}, format="json"
    )
    assert again.status_code == 409 and again.json()["code"] == "already_answered"
    submitted = api.post(reverse("api:block_submit", args=[body["id"]])).json()
    assert submitted["status"] == "submitted" and submitted["score"] == 1.0 and submitted["max_score"] == 2.0
    listed = api.get(reverse("api:blocks")).json()
    assert [b["id"] for b in listed["results"]] == [body["id"]]


def test_a_timed_block_hides_the_key_until_submitted(student, course):
    api = _api(student)
    body = api.post(
        reverse("api:blocks"),
        {"course": course.pk, "size": 1, "mode": "timed", "seconds_per_question": 45},
        format="json",
    ).json()
    assert body["remaining_seconds"] in (44, 45) and body["seconds_per_question"] == 45
    card = Card.objects.get(pk=body["questions"][0]["card"])
    answered = api.post(
        reverse("api:block_answer", args=[body["id"]]), {"card": card.pk, **card_answer(card)}, format="json"
    ).json()
    assert answered["questions"][0]["correct"] is None and answered["questions"][0]["answer"]
    done = api.post(reverse("api:block_submit", args=[body["id"]])).json()
    assert done["questions"][0]["correct"] is True


def test_bad_input_names_its_field(student, course):
    response = _api(student).post(reverse("api:blocks"), {"course": course.pk, "size": 0}, format="json")
    assert response.status_code == 400 and "size" in response.json()["fields"]
    response = _api(student).post(reverse("api:blocks"), {"course": course.pk, "pool": "flagged"}, format="json")
    assert response.status_code == 400 and response.json()["code"] == "empty_pool"


def test_someone_elses_block_is_404(student, other_student, course):
    body = _api(student).post(reverse("api:blocks"), {"course": course.pk, "size": 1}, format="json").json()
    other = _api(other_student)
    assert other.get(reverse("api:block_detail", args=[body["id"]])).status_code == 404
    card = body["questions"][0]["card"]
    assert (
        other.post(
            reverse("api:block_answer", args=[body["id"]]), {"card": card, "text": "x"}, format="json"
        ).status_code
        == 404
    )
    assert other.post(reverse("api:block_submit", args=[body["id"]])).status_code == 404
    assert Block.objects.get().status == "in_progress"
