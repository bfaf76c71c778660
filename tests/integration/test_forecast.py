"""Workload forecasts where a desired retention is chosen (cards.selectors.forecast): the
student's page from their own cards, the course's on its settings page, both in the API;
a GET writes nothing, and the same inputs are simulated once (the cache)."""

import uuid
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from cards.core import forecast as sim
from cards.models import Card, Enrollment, Question
from cards.selectors import forecast as reads
from cards.services.study import answer_card
from tests.conftest import api_for


def _writes(queries) -> list[str]:
    return [q["sql"] for q in queries if q["sql"].split()[0].upper() in ("INSERT", "UPDATE", "DELETE")]


def test_the_student_page_shows_the_chart_the_table_and_their_retention(student_client, student, course):
    Enrollment.objects.filter(user=student).update(desired_retention=0.85)
    with CaptureQueriesContext(connection) as queries:
        response = student_client.get(reverse("cards:retention_forecast", args=[course.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<svg" in html and "Expected reviews a day over the next 30 days" in html
    for percent in ("70%", "80%", "90%", "95%", "97%"):
        assert f'<th scope="row">{percent}</th>' in html
    assert "<strong>yours</strong>" in html.split('<th scope="row">85%</th>')[1].split("</tr>")[0]
    assert "least work per card" in html and "Recommended: 80% to 95%" in html
    assert "Simulated with FSRS" in html and "default parameters" in html
    assert not _writes(queries)
    link = reverse("cards:retention_forecast", args=[course.pk])
    assert link in student_client.get(reverse("cards:preferences")).content.decode()


def test_a_retention_off_the_grid_is_simulated_as_it_is(student_client, student, course):
    Enrollment.objects.filter(user=student).update(desired_retention=0.88)
    html = student_client.get(reverse("cards:retention_forecast", args=[course.pk])).content.decode()
    assert "<strong>yours</strong>" in html.split('<th scope="row">88%</th>')[1].split("</tr>")[0]
    assert "Day by day at 88%" in html
    body = api_for(student).get(f"/api/v1/courses/{course.pk}/forecast/").json()
    assert [r["retention"] for r in body["retentions"]] == sorted([*sim.RETENTIONS, 0.88])


def test_the_forecast_starts_from_the_students_cards(student, course):
    now = timezone.now()
    before = reads.student_forecast(user=student, course_id=course.pk, now=now, tz_name="UTC")
    assert before.studied == 0 and before.new_cards == Card.objects.filter(user=student).count()
    card = Card.objects.filter(user=student, question__kind="flashcard").first()
    answer_card(user=student, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)
    after = reads.student_forecast(user=student, course_id=course.pk, now=now, tz_name="UTC")
    assert after.studied == 1 and after.new_cards == before.new_cards - 1
    assert reads.student_forecast(user=student, course_id=course.pk + 999, now=now, tz_name="UTC") is None


def test_the_same_inputs_are_simulated_once(student, course, monkeypatch):
    calls = []
    real = sim.forecast
    monkeypatch.setattr(sim, "forecast", lambda deck, **options: calls.append(deck) or real(deck, **options))
    now = timezone.now()
    first = reads.student_forecast(user=student, course_id=course.pk, now=now, tz_name="UTC")
    second = reads.student_forecast(user=student, course_id=course.pk, now=now, tz_name="UTC")
    assert len(calls) == 1 and first.forecast == second.forecast
    reads.student_forecast(user=student, course_id=course.pk, now=now + timedelta(days=1), tz_name="UTC")
    assert len(calls) == 1  # nothing studied: tomorrow's deck is the same
    Question.objects.filter(deck__courses=course).update(safety_critical=True)
    reads.student_forecast(user=student, course_id=course.pk, now=now, tz_name="UTC")
    assert len(calls) == 2  # the flags changed what is simulated


def test_the_api_gives_the_students_forecast(student, course):
    api = api_for(student)
    body = api.get(f"/api/v1/courses/{course.pk}/forecast/").json()
    assert body["course"] == course.pk and body["days"] == 30 and body["parameters"] == "default"
    assert body["current_retention"] == course.desired_retention
    assert body["recommended_band"] == [0.8, 0.95]
    rows = body["retentions"]
    assert [r["retention"] for r in rows] == list(sim.RETENTIONS)
    assert all(len(r["reviews_per_day"]) == 30 for r in rows)
    assert rows[-1]["total"] > rows[0]["total"]
    assert [r["retention"] for r in rows if r["optimal"]] == [body["optimal_retention"]]
    other = api.get(f"/api/v1/courses/{course.pk + 999}/forecast/")
    assert other.status_code == 404 and other.json()["code"] == "not_enrolled"
    assert api_for(None).get(f"/api/v1/courses/{course.pk}/forecast/").status_code == 401


def test_the_course_settings_page_and_the_teaching_api_show_the_courses(instructor_client, instructor, course, deck):
    html = instructor_client.get(reverse("cards:course_detail", args=[course.pk])).content.decode()
    assert 'id="forecast"' in html
    assert "<strong>the course" in html.split('<th scope="row">90%</th>')[1].split("</tr>")[0]  # its 0.9
    assert '<th scope="row">97%</th>' in html
    body = api_for(instructor).get(f"/api/v1/teach/courses/{course.pk}/forecast/").json()
    cards = sum(q.card_count for q in Question.objects.filter(deck=deck, status="published"))
    assert body["new_cards"] == cards and body["studied_cards"] == 0
    totals = [r["total"] for r in body["retentions"]]
    assert totals == sorted(totals)


@pytest.mark.parametrize("path", ["/api/v1/courses/{}/forecast/", "/api/v1/teach/courses/{}/forecast/"])
def test_both_are_in_the_openapi_schema(api_client_for_schema, path, course):
    schema = api_client_for_schema.get("/api/v1/schema/").content.decode()
    assert path.format("{course_id}") in schema
    assert "ForecastRow" in schema


@pytest.fixture
def api_client_for_schema(student):
    return api_for(student)
