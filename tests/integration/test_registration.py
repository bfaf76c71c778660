"""Accounts are written by services: one atomic register_student behind the sign-up page and
the API's registration, and the API token issued and revoked by issue_token / revoke_token."""

from unittest import mock

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cards.errors import InvalidInput
from cards.forms import SignUpForm
from cards.models import Card, Enrollment, Profile
from cards.services import accounts as account_services
from tests.factories import CourseFactory, UserFactory

User = get_user_model()
PASSWORD = "a-long-enough-pass"


@pytest.fixture
def open_course(deck):
    course = CourseFactory(title="Open demo", is_open=True)
    course.decks.add(deck)
    return course


def web_signup(client, username="carol"):
    return client.post(
        reverse("signup"),
        {
            "username": username,
            "email": f"{username}@example.com",
            "timezone": "Europe/Paris",
            "password1": PASSWORD,
            "password2": PASSWORD,
        },
    )


def api_register(_client, username="carol"):
    return APIClient().post(
        "/api/v1/auth/register/",
        {"username": username, "password": PASSWORD, "email": f"{username}@example.com", "timezone": "Europe/Paris"},
        format="json",
    )


# --- register_student --------------------------------------------------------------------


def test_register_student_writes_the_user_their_profile_and_their_enrolments(open_course):
    user = account_services.register_student(
        username="carol", email="carol@example.com", password=PASSWORD, timezone_name="Europe/Paris"
    )
    assert user.check_password(PASSWORD)
    assert Profile.objects.get(user=user).timezone == "Europe/Paris"
    assert Enrollment.objects.filter(user=user, course=open_course).exists()
    assert Card.objects.filter(user=user, course=open_course).exists()


def test_a_username_taken_meanwhile_is_refused_with_a_code(db):
    UserFactory(username="carol")
    with pytest.raises(InvalidInput) as refused:
        account_services.register_student(username="carol", email="c@example.com", password=PASSWORD)
    assert refused.value.code == "username_taken" and refused.value.field == "username"
    assert User.objects.filter(username="carol").count() == 1


@pytest.mark.parametrize("register", [web_signup, api_register], ids=["web", "api"])
def test_both_sign_ups_go_through_register_student(client, open_course, register):
    with mock.patch.object(account_services, "register_student", wraps=account_services.register_student) as spy:
        response = register(client)
    assert response.status_code in (201, 302)
    spy.assert_called_once_with(
        username="carol", email="carol@example.com", password=PASSWORD, timezone_name="Europe/Paris"
    )


@pytest.mark.parametrize("register", [web_signup, api_register], ids=["web", "api"])
def test_a_failed_enrolment_leaves_no_account_behind(client, open_course, register):
    with (
        mock.patch.object(account_services, "enroll_in_open_courses", side_effect=RuntimeError("enrolment failed")),
        pytest.raises(RuntimeError, match="enrolment failed"),
    ):
        register(client)
    assert not User.objects.filter(username="carol").exists()
    assert not Profile.objects.exists()
    assert not Enrollment.objects.filter(user__username="carol").exists()


def test_the_sign_up_form_validates_but_does_not_write(db):
    form = SignUpForm(
        {"username": "carol", "email": "c@example.com", "timezone": "UTC", "password1": PASSWORD, "password2": PASSWORD}
    )
    assert form.is_valid(), form.errors
    with pytest.raises(NotImplementedError):
        form.save()
    assert not User.objects.filter(username="carol").exists()


def test_the_sign_up_page_reports_a_username_taken_after_the_form_checked(client, db):
    UserFactory(username="carol")
    with mock.patch.object(SignUpForm, "clean_username", lambda form: form.cleaned_data["username"]):
        response = web_signup(client)
    assert response.status_code == 200
    assert "A user with that username already exists." in response.content.decode()
    assert User.objects.filter(username="carol").count() == 1


# --- tokens ------------------------------------------------------------------------------


def test_issue_token_gives_the_user_one_token(db):
    user = UserFactory()
    token = account_services.issue_token(user=user)
    assert account_services.issue_token(user=user) == token
    assert list(Token.objects.filter(user=user)) == [token]


def test_revoke_token_deletes_it(db):
    user, other = UserFactory(), UserFactory()
    account_services.issue_token(user=user)
    kept = account_services.issue_token(user=other)
    assert account_services.revoke_token(user=user) is True
    assert not Token.objects.filter(user=user).exists()
    assert account_services.revoke_token(user=user) is False
    assert list(Token.objects.all()) == [kept]


def test_the_api_token_endpoints_use_the_token_services(db):
    user = UserFactory(username="tok", password=PASSWORD)
    client = APIClient()
    with mock.patch.object(account_services, "issue_token", wraps=account_services.issue_token) as issue:
        key = client.post("/api/v1/auth/token/", {"username": "tok", "password": PASSWORD}, format="json").json()[
            "token"
        ]
    issue.assert_called_once_with(user=user)
    client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with mock.patch.object(account_services, "revoke_token", wraps=account_services.revoke_token) as revoke:
        assert client.post("/api/v1/auth/logout/").status_code == 204
    revoke.assert_called_once_with(user=user)
    assert not Token.objects.filter(user=user).exists()
