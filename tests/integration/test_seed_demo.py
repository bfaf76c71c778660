"""`manage.py seed_demo` gives the demo course a class (issue 17, item 18): students with
weeks of history made by the answer and quiz services, so the class analytics, discrimination,
the dashboards and the instructor pages show data; idempotent; the demo logins still work."""

from __future__ import annotations

import io
import uuid
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.db.models import Count, Max, Min
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from cards.models import Attempt, Card, ClassStats, Course, Enrollment, Response, ReviewLog
from cards.services.study import answer_card

pytestmark = pytest.mark.django_db

CLASS, DAYS = 5, 8


@pytest.fixture
def demo():
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    out = io.StringIO()
    call_command("seed_demo", class_size=CLASS, days=DAYS, stdout=out)
    return Course.objects.get(join_code="BACLOFEN"), out.getvalue()


def snapshot(course) -> dict:
    return {
        "users": get_user_model().objects.count(),
        "enrolments": Enrollment.objects.filter(course=course).count(),
        "reviews": ReviewLog.objects.count(),
        "last review": ReviewLog.objects.aggregate(Max("id"))["id__max"],
        "attempts": Attempt.objects.count(),
        "responses": Response.objects.count(),
        "cards": list(Card.objects.order_by("id").values_list("id", "due", "reps", "stability")),
        "stats": ClassStats.objects.get(course=course).computed_at,
    }


def test_the_demo_course_has_a_class_with_weeks_of_history(demo):
    course, out = demo
    assert f"A class of {CLASS + 1} students" in out  # student1 studies with the class
    studied = ReviewLog.objects.filter(card__course=course).values("user__username").annotate(n=Count("id"))
    by_user = {row["user__username"]: row["n"] for row in studied}
    assert len(by_user) >= CLASS and "student1" in by_user and "student2" not in by_user
    assert min(by_user.values()) != max(by_user.values())  # varied: not one script per student
    span = ReviewLog.objects.aggregate(first=Min("reviewed_at"), last=Max("reviewed_at"))
    now = timezone.now()
    assert span["last"] < now and now - span["first"] > timedelta(days=DAYS - 1)  # backdated, ending yesterday
    # Written by the answer service: the log replays to every card's stored state.
    call_command("verify_reviews", stdout=io.StringIO())
    assert Attempt.objects.filter(quiz__course=course, status=Attempt.Status.SUBMITTED).exists()
    stats = ClassStats.objects.get(course=course)
    assert stats.students == CLASS + 2  # the class, student1 and student2
    assert any(item["discrimination"] is not None for item in stats.items)


def test_seed_demo_run_again_changes_nothing(demo):
    course, _out = demo
    before = snapshot(course)
    out = io.StringIO()
    call_command("seed_demo", class_size=CLASS, days=DAYS, stdout=out)
    assert "studied already" in out.getvalue()
    assert snapshot(course) == before


def logged_in(username: str, password: str) -> Client:
    """Through the login form, as a visitor would."""
    client = Client()
    response = client.post(reverse("login"), {"username": username, "password": password})
    assert response.status_code == 302, f"{username} could not log in"
    return client


def test_the_demo_logins_work_and_show_data(demo):
    course, _out = demo
    logged_in("student2", "demo-student2-pass")
    client = logged_in("student1", "demo-student1-pass")
    dashboard = client.get(reverse("cards:dashboard"))
    assert dashboard.context["reviews_90"] > 0 and dashboard.context["weakest"]
    teacher = logged_in("instructor", "demo-instructor-pass")
    analytics = teacher.get(reverse("cards:course_analytics", args=[course.pk])).content.decode()
    assert "No class statistics yet" not in analytics and "amara.demo" in analytics
    # The class cannot log in: only the demo accounts have passwords.
    assert not get_user_model().objects.get(username="amara.demo").has_usable_password()


def test_class_size_zero_seeds_no_history(db):
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    call_command("seed_demo", class_size=0, stdout=io.StringIO())
    assert not ReviewLog.objects.exists()
    assert Enrollment.objects.count() == 2


def test_a_demo_made_before_the_class_gets_it_and_student1_keeps_its_own_history(db):
    call_command("load_bank", "fixtures/baclofen/bank.json", verbosity=0)
    call_command("seed_demo", class_size=0, stdout=io.StringIO())
    student1 = get_user_model().objects.get(username="student1")
    card = Card.objects.filter(user=student1, question__kind="flashcard").first()
    answer_card(user=student1, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=timezone.now())
    call_command("seed_demo", class_size=2, days=3, stdout=io.StringIO())
    assert ReviewLog.objects.filter(user__username="amara.demo").exists()
    assert ReviewLog.objects.filter(user=student1).count() == 1
