"""One definition of due (issue 17, item 11): the dashboard says what /study/ says."""

import re
from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from cards.models import Card
from cards.services.courses import enroll_student
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

NOW = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)  # the UTC study day runs to 04:00 tomorrow


def study_home_sums(html: str) -> dict[str, int]:
    return {
        name: sum(int(n) for n in re.findall(rf'<td class="num {name}">(\d+)</td>', html))
        for name in ("new", "learning", "due")
    }


def dashboard_stat(html: str, label: str) -> int:
    return int(re.search(rf"<dt>{label}</dt><dd>(\d+)</dd>", html).group(1))


def test_the_dashboard_and_study_home_count_due_cards_alike(client, db):
    deck = DeckFactory(title="Due deck")
    for n in range(10):
        make_question(deck, "single", prompt=f"Question {n}?")
    course = CourseFactory(title="Due course", new_per_day=3, reviews_per_day=2)
    course.decks.add(deck)
    student = UserFactory(username="duey")
    enroll_student(user=student, course=course)
    cards = list(Card.objects.filter(user=student).order_by("id"))
    reviewed = {"stability": 5.0, "difficulty": 5.0, "reps": 3, "last_review": NOW - timedelta(days=6)}
    # four reviews overdue and one due later today: five, of which today's limit lets 2 in
    for card in cards[:4]:
        Card.objects.filter(pk=card.pk).update(state=2, due=NOW - timedelta(days=1), step=None, **reviewed)
    Card.objects.filter(pk=cards[4].pk).update(state=2, due=NOW + timedelta(hours=3), step=None, **reviewed)
    # learning: one step due now, one later today
    Card.objects.filter(pk=cards[5].pk).update(state=1, due=NOW - timedelta(minutes=5), step=1, **reviewed)
    Card.objects.filter(pk=cards[6].pk).update(state=1, due=NOW + timedelta(hours=2), step=1, **reviewed)
    # and a review not due for a week; cards[8:] stay new (2, under the limit of 3)
    Card.objects.filter(pk=cards[7].pk).update(state=2, due=NOW + timedelta(days=7), step=None, **reviewed)
    client.force_login(student)
    with time_machine.travel(NOW, tick=False):
        study = study_home_sums(client.get(reverse("cards:study_home")).content.decode())
        dashboard = client.get(reverse("cards:dashboard")).content.decode()
    assert study == {"new": 2, "learning": 1, "due": 2}
    shown = {
        name: dashboard_stat(dashboard, label)
        for name, label in (("new", "New"), ("learning", "Learning"), ("due", "Due"))
    }
    assert shown == study


def test_the_api_stats_due_today_is_the_study_pages_due(db):
    from rest_framework.test import APIClient

    deck = DeckFactory(title="API due deck")
    for n in range(4):
        make_question(deck, "single", prompt=f"API question {n}?")
    course = CourseFactory(title="API due course", reviews_per_day=1)
    course.decks.add(deck)
    student = UserFactory(username="apidue")
    enroll_student(user=student, course=course)
    reviewed = {"stability": 5.0, "difficulty": 5.0, "reps": 3, "last_review": NOW - timedelta(days=6), "step": None}
    Card.objects.filter(user=student).update(state=2, due=NOW - timedelta(days=1), **reviewed)
    api = APIClient()
    api.force_authenticate(student)
    with time_machine.travel(NOW, tick=False):
        assert api.get("/api/v1/stats/").json()["due_today"] == 1  # four overdue, one allowed today
