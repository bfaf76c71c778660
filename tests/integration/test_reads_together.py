"""Pages whose reads go together (cards.reads): outside a transaction, as a served request
runs, PostgreSQL gets them in one round trip (psycopg's pipeline); the page must show what
each read gives alone, and leave no transaction open."""

from datetime import timedelta

import psycopg
import pytest
import time_machine
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from cards.core import scheduling
from cards.reads import run_one
from cards.selectors import (
    due_per_day_read,
    leeches_read,
    reviews_per_day_read,
    streak,
    study_queue,
    topic_mastery_read,
    true_retention_read,
    weakest_items_read,
)
from cards.services import quizzes as quiz_services
from tests.integration.test_dashboards import START, make_students, study_all

pytestmark = pytest.mark.django_db(transaction=True)


def idle() -> bool:
    if connection.vendor != "postgresql":
        return not connection.in_atomic_block
    return connection.connection.info.transaction_status == psycopg.pq.TransactionStatus.IDLE


def test_dashboard_and_stats_show_what_each_read_gives_alone(student, student_client):
    study_all(student, days=2)  # day 0: new cards, day 1: their learning steps come back
    with time_machine.travel(START + timedelta(days=2), tick=False):
        now = START + timedelta(days=2)
        context = student_client.get(reverse("cards:dashboard")).context
        assert idle()
        today = scheduling.study_day(now, "UTC")
        day_end = scheduling.study_day_bounds(now, "UTC")[1]
        alone = {
            "streak": streak(user_id=student.pk, tz_name="UTC", now=now),
            "retention_reviews": run_one(true_retention_read(user_id=student.pk, since=now - timedelta(days=30)))[1],
            "mastery": run_one(topic_mastery_read(user_id=student.pk, now=now)),
            "weakest": run_one(weakest_items_read(user_id=student.pk, now=now)),
            "leeches": run_one(leeches_read(user_id=student.pk)),
        }
        for name, value in alone.items():
            assert context[name] == value, name
        due = run_one(due_per_day_read(user_id=student.pk, tz_name="UTC", today=today, days=30))
        assert context["due_today"] == due.get(today, 0)
        history = run_one(reviews_per_day_read(user_id=student.pk, tz_name="UTC", since=day_end - timedelta(days=91)))
        assert context["reviews_90"] == sum(history.values()) > 0
        stats = student_client.get("/api/v1/stats/").json()
        assert stats["streak"] == alone["streak"] == 2 and stats["retention_reviews"] == alone["retention_reviews"]
        assert idle()


def test_study_page_shows_the_queue_read_with_its_place(student, student_client, course, deck):
    response = student_client.get(reverse("cards:study_session", args=[course.pk, deck.pk]))
    assert response.status_code == 200 and idle()
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, "UTC")
    day = {"now": now, "day_start": day_start, "day_end": day_end}
    alone = study_queue(user_id=student.pk, deck_id=deck.pk, course=course, **day)
    html = response.content.decode()  # a Jinja2 page: no template context to read
    assert f'name="card" value="{alone.card.pk}"' in html
    assert f'title="New">{alone.counts.new} new<' in html and alone.counts.new > 0


def test_analytics_page_reads_its_snapshot_counts_and_attempts_together(instructor_client, instructor, course):
    quiz = quiz_services.quiz_create(course=course, created_by=instructor, title="Q", num_questions=2)
    for user in make_students(course, 4):
        quiz_services.attempt_start(user=user, quiz=quiz, now=START)
    response = instructor_client.get(reverse("cards:course_analytics", args=[course.pk]))
    assert response.status_code == 200 and idle()
    attempts = response.context["attempts"]
    assert attempts.paginator.count == 4 and [a["student"] for a in attempts.object_list] == ["s0", "s1", "s2", "s3"]
    assert response.context["students"].paginator.count == 4
