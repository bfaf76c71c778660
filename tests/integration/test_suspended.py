"""A card the student suspended can be found again (issue 17, item 5): a Suspended list per
deck, reached from the deck page, the study home and the dashboard, with unsuspend (a POST,
CSRF-checked, the student's own cards only), and the same in the JSON API."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cards.models import Card

pytestmark = pytest.mark.django_db


def suspend_in_study(client, course, deck, card) -> None:
    response = client.post(reverse("cards:study_suspend", args=[course.pk, deck.pk, card.pk]))
    assert response.status_code == 302
    assert Card.objects.get(pk=card.pk).suspended


def test_a_card_suspended_in_study_is_listed_on_its_decks_suspended_list_and_comes_back(
    student, student_client, course, deck
):
    card = Card.objects.get(user=student, question__kind="single")
    suspend_in_study(student_client, course, deck, card)
    url = reverse("cards:suspended_list", args=[course.pk, deck.pk])
    # Reachable: from the deck page, the study home (with the count) and the dashboard.
    assert url in student_client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    home = student_client.get(reverse("cards:study_home")).content.decode()
    assert f'<a href="{url}">1 suspended</a>' in home
    dashboard = student_client.get(reverse("cards:dashboard")).content.decode()
    assert url in dashboard and card.question.prompt in dashboard
    page = student_client.get(url).content.decode()
    assert card.question.prompt in page
    assert reverse("cards:unsuspend", args=[card.pk]) in page
    assert "leech" not in page.split("<tbody>")[1]  # the student suspended it: not a leech

    response = student_client.post(reverse("cards:unsuspend", args=[card.pk]), {"next": url})
    assert response.status_code == 302 and response["Location"] == url
    assert not Card.objects.get(pk=card.pk).suspended
    assert "No suspended cards in this deck" in student_client.get(url).content.decode()


def test_a_leech_is_marked_as_one_on_the_list(student, student_client, course, deck):
    card = Card.objects.get(user=student, question__kind="single")
    Card.objects.filter(pk=card.pk).update(suspended=True, leech=True, lapses=8)
    page = student_client.get(reverse("cards:suspended_list", args=[course.pk, deck.pk])).content.decode()
    assert 'class="badge warn">leech</span>' in page


def test_the_list_shows_only_the_students_own_cards_of_that_deck(
    student, other_student, other_student_client, course, deck
):
    Card.objects.filter(user=student).update(suspended=True)
    page = other_student_client.get(reverse("cards:suspended_list", args=[course.pk, deck.pk])).content.decode()
    assert "No suspended cards in this deck" in page
    alices = Card.objects.filter(user=student).first()
    assert other_student_client.post(reverse("cards:unsuspend", args=[alices.pk])).status_code == 404
    assert Card.objects.get(pk=alices.pk).suspended


def test_unsuspend_needs_the_csrf_token(student, course, deck):
    card = Card.objects.filter(user=student).first()
    Card.objects.filter(pk=card.pk).update(suspended=True)
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    assert client.post(reverse("cards:unsuspend", args=[card.pk])).status_code == 403
    assert Card.objects.get(pk=card.pk).suspended


def test_unsuspend_does_not_follow_a_next_to_another_site(student, student_client):
    card = Card.objects.filter(user=student).first()
    Card.objects.filter(pk=card.pk).update(suspended=True)
    response = student_client.post(reverse("cards:unsuspend", args=[card.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("cards:dashboard")


@pytest.fixture
def api(student):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=student).key}")
    return client


def test_api_suspend_list_and_unsuspend(api, student, deck):
    card = Card.objects.filter(user=student, question__kind="single").get()
    assert api.get("/api/v1/study/suspended/").json() == []
    response = api.post("/api/v1/study/suspend/", {"card": card.pk}, format="json")
    assert response.status_code == 200 and response.json() == {"card": card.pk, "suspended": True}
    listed = api.get(f"/api/v1/study/suspended/?deck={deck.pk}").json()
    assert [(c["card"], c["deck"], c["leech"], c["prompt"]) for c in listed] == [
        (card.pk, deck.pk, False, card.question.prompt)
    ]
    response = api.post("/api/v1/study/unsuspend/", {"card": card.pk}, format="json")
    assert response.json() == {"card": card.pk, "suspended": False}
    assert not Card.objects.get(pk=card.pk).suspended


def test_api_refuses_another_students_card_and_a_bad_deck(api, other_student, deck):
    bobs = Card.objects.filter(user=other_student).first()
    response = api.post("/api/v1/study/unsuspend/", {"card": bobs.pk}, format="json")
    assert response.status_code == 404 and response.json()["code"] == "card_not_found"
    response = api.post("/api/v1/study/suspend/", {"card": "x"}, format="json")
    assert response.status_code == 400 and "card" in response.json()["fields"]
    response = api.get("/api/v1/study/suspended/?deck=abc")
    assert response.status_code == 400 and response.json()["fields"] == {"deck": "A deck id."}
    assert api.get("/api/v1/study/suspended/?deck=999999").status_code == 404


def test_the_cloze_card_of_a_blank_lists_its_own_front(api, student):
    card = Card.objects.filter(user=student, question__kind="cloze", cloze=2).get()
    api.post("/api/v1/study/suspend/", {"card": card.pk}, format="json")
    (listed,) = api.get("/api/v1/study/suspended/").json()
    assert listed["prompt"] == "Baclofen activates GABA-B receptors and opens [...] channels."
