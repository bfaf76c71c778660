"""Production settings, headers, CSRF, redirects, mass assignment, error pages."""

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from django.test import Client, override_settings
from django.urls import reverse

from cards.models import Card, QuestionReport, ReviewLog

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "DJANGO_ENV": "production",
    "SECRET_KEY": "x7Jk2pQ9vLm4Rt8Wz1Yb6Nc3Hd5Fg0Sa-prod-only-secret-key-for-checks",
    "ALLOWED_HOSTS": "quiz.example.org",
}


def manage(*args, env):
    clean = {k: v for k, v in os.environ.items() if k not in ("DJANGO_ENV", "SECRET_KEY", "ALLOWED_HOSTS", "DEBUG")}
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_is_clean_in_production():
    result = manage("check", "--deploy", "--fail-level", "WARNING", env=PROD_ENV)
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["SECRET_KEY", "ALLOWED_HOSTS"])
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = manage("check", env=env)
    assert result.returncode != 0
    assert f"{missing} must be set in the environment" in result.stderr


def test_production_refuses_debug():
    result = manage("check", env={**PROD_ENV, "DEBUG": "1"})
    assert result.returncode != 0 and "DEBUG cannot be on" in result.stderr


def test_security_headers_on_every_response(client, db):
    response = client.get(reverse("login"))
    csp = response["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert "Content-Security-Policy" in client.get("/api/v1/courses/").headers


@override_settings(DEBUG=False)
def test_error_pages_show_no_traceback(client, db):
    response = client.get("/no/such/page/")
    html = response.content.decode()
    assert response.status_code == 404 and "Not found" in html
    assert "Traceback" not in html and "settings" not in html.lower()


def test_csrf_is_enforced_on_state_changes(student, course, deck):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    card = Card.objects.filter(user=student, question__kind="flashcard").first()
    url = reverse("cards:study_answer", args=[course.pk, deck.pk])
    response = client.post(url, {"card": card.pk, "kind": "flashcard", "review_id": str(uuid.uuid4()), "rating": 3})
    assert response.status_code == 403
    assert not ReviewLog.objects.exists()
    # the API refuses a session-authenticated POST without the token too
    api = client.post("/api/v1/study/undo/")
    assert api.status_code == 403


def test_csrf_token_makes_the_post_work(student, course, deck):
    client = Client(enforce_csrf_checks=True)
    client.force_login(student)
    page = client.get(reverse("cards:study_session", args=[course.pk, deck.pk]))
    token = page.cookies["csrftoken"].value
    card = Card.objects.filter(user=student, question__kind="flashcard").first()
    response = client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {
            "card": card.pk,
            "kind": "flashcard",
            "review_id": str(uuid.uuid4()),
            "rating": 3,
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code in (302, 409)


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_no_open_redirect_after_login(client, db, target):
    from tests.factories import UserFactory

    UserFactory(username="nav", password="correct-horse-battery")
    response = client.post(
        f"{reverse('login')}?next={target}", {"username": "nav", "password": "correct-horse-battery", "next": target}
    )
    assert response.status_code == 302
    assert "evil.example" not in response["Location"]


def test_no_state_change_on_get(student_client, course, deck, student):
    card = Card.objects.filter(user=student).first()
    for url in [
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        reverse("cards:study_undo", args=[course.pk, deck.pk]),
        reverse("cards:study_suspend", args=[course.pk, deck.pk, card.pk]),
        reverse("logout"),
    ]:
        assert student_client.get(url).status_code == 405
    assert not Card.objects.filter(user=student, suspended=True).exists()


def test_mass_assignment_fields_are_ignored(student, student_client, course, deck, other_student):
    question = deck.questions.get(kind="single")
    card = Card.objects.get(user=student, question=question)
    wrong = question.choices.filter(correct=False).first()
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {
            "card": card.pk,
            "kind": "single",
            "review_id": str(uuid.uuid4()),
            "reps": 0,
            "choice": wrong.pk,
            "correct": "true",
            "score": "1",
            "user": other_student.pk,
            "rating": 4,
        },
    )
    assert response.status_code == 302
    log = ReviewLog.objects.get()
    assert log.user == student and log.correct is False and log.score == 0.0 and log.rating == 1
    student_client.post(
        reverse("cards:report_problem", args=[question.pk]),
        {"comment": "x", "reporter": other_student.pk, "status": "fixed", "revision": 99},
    )
    report = QuestionReport.objects.get()
    assert report.reporter == student and report.status == "open" and report.revision == question.revision


def test_api_mass_assignment_fields_are_ignored(student, deck):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(student)
    question = deck.questions.get(kind="single")
    card = Card.objects.get(user=student, question=question)
    wrong = question.choices.filter(correct=False).first()
    body = api.post(
        "/api/v1/study/answer/",
        {"card": card.pk, "review_id": str(uuid.uuid4()), "choice": wrong.pk, "correct": True, "score": 1, "user": 999},
        format="json",
    ).json()
    assert body["correct"] is False and ReviewLog.objects.get().user == student


def test_session_lifetime_and_cookie_flags(settings):
    assert settings.SESSION_COOKIE_AGE == 14 * 24 * 3600
    assert settings.SESSION_COOKIE_HTTPONLY is True
    assert settings.PASSWORD_HASHERS[0].endswith("Argon2PasswordHasher")


def test_logout_ends_the_session_on_the_server(student):
    from cards.models import UserSession

    client = Client()
    client.force_login(student)
    key = client.session.session_key
    assert UserSession.objects.get(session_key=key).user == student
    client.post(reverse("logout"))
    assert not UserSession.objects.filter(session_key=key).exists()


HUGE = "9" * 30


def test_huge_ids_are_400_or_404_never_500(student, student_client, course, deck):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(student)
    assert api.get(f"/api/v1/study/next/?deck={HUGE}").status_code == 400
    assert (
        api.post(
            "/api/v1/study/answer/", {"card": int(HUGE), "review_id": str(uuid.uuid4()), "rating": 3}, format="json"
        ).status_code
        == 400
    )
    assert api.post("/api/v1/courses/join/", {"course": int(HUGE)}, format="json").status_code == 400
    assert student_client.get(f"/study/{HUGE}/{deck.pk}/").status_code == 404
    assert student_client.get(f"/api/v1/attempts/{HUGE}/").status_code == 404
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": HUGE, "kind": "single", "review_id": str(uuid.uuid4())},
    )
    assert response.status_code == 400
    card = Card.objects.filter(user=student, question__kind="flashcard").first()
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": "flashcard", "review_id": str(uuid.uuid4()), "rating": 3, "response_ms": HUGE},
    )
    assert response.status_code == 302 and ReviewLog.objects.get().response_ms is None


@override_settings(AXES_FAILURE_LIMIT=2)
def test_web_login_lockout_says_when_to_retry(client, db):
    from tests.factories import UserFactory

    UserFactory(username="target", password="correct-horse-battery")
    for _ in range(2):
        client.post(reverse("login"), {"username": "target", "password": "wrong"})
    response = client.post(reverse("login"), {"username": "target", "password": "correct-horse-battery"})
    assert response.status_code == 429
    assert "Try again in 15 minutes" in response.content.decode()
    assert int(response["Retry-After"]) > 0


def test_oversized_api_body_is_400_not_500(student):
    from rest_framework.test import APIClient

    api = APIClient()
    api.force_authenticate(student)
    body = '{"card": 1, "review_id": "' + "x" * (3 * 1024 * 1024) + '"}'
    response = api.generic("POST", "/api/v1/study/answer/", body, content_type="application/json")
    assert response.status_code == 400


def test_oversized_import_is_refused_with_a_clear_error(instructor, deck):
    from cards.interop.json_bank import BankError
    from cards.services.imports import MAX_IMPORT_BYTES, read_bank_file

    with pytest.raises(BankError) as exc:
        read_bank_file(name="huge.gift", content=b"x" * (MAX_IMPORT_BYTES + 1), deck=deck)
    assert "huge.gift" in str(exc.value) and "the limit is" in str(exc.value)
