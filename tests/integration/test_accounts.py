import re

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from cards.models import Card, Course, Profile
from tests.factories import CourseFactory, UserFactory

User = get_user_model()


@pytest.fixture
def open_course(deck):
    course = CourseFactory(title="Open demo", is_open=True)
    course.decks.add(deck)
    return course


def test_signup_logs_in_enrols_in_open_courses_and_sets_time_zone(client, open_course):
    response = client.post(
        reverse("signup"),
        {
            "username": "carol",
            "email": "carol@example.com",
            "timezone": "Europe/Paris",
            "password1": "a-long-enough-pass",
            "password2": "a-long-enough-pass",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("cards:study_home")
    carol = User.objects.get(username="carol")
    assert carol.password.startswith("argon2")
    assert Profile.objects.get(user=carol).timezone == "Europe/Paris"
    assert Card.objects.filter(user=carol, course=open_course).exists()
    assert "Open demo" in client.get(reverse("cards:study_home")).content.decode()


def test_signup_refuses_a_short_password_and_says_why(client, db):
    response = client.post(
        reverse("signup"),
        {
            "username": "dave",
            "email": "d@example.com",
            "timezone": "UTC",
            "password1": "short1",
            "password2": "short1",
        },
    )
    assert response.status_code == 200
    assert "at least 10 characters" in response.content.decode()
    assert not User.objects.filter(username="dave").exists()


def test_login_and_logout(client, db):
    UserFactory(username="erin", password="correct-horse-battery")
    response = client.post(reverse("login"), {"username": "erin", "password": "correct-horse-battery"})
    assert response.status_code == 302
    assert client.get(reverse("cards:study_home")).status_code == 200
    client.post(reverse("logout"))
    assert client.get(reverse("cards:study_home")).status_code == 302


def test_login_rotates_the_session_key(client, db):
    UserFactory(username="gina", password="correct-horse-battery")
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key
    client.post(reverse("login"), {"username": "gina", "password": "correct-horse-battery"})
    assert client.session.session_key != before


def test_logout_is_post_only(student_client):
    assert student_client.get(reverse("logout")).status_code == 405


def test_password_change(student, student_client):
    response = student_client.post(
        reverse("password_change"),
        {
            "old_password": "correct-horse-battery",
            "new_password1": "another-long-pass",
            "new_password2": "another-long-pass",
        },
    )
    assert response.status_code == 302
    student.refresh_from_db()
    assert student.check_password("another-long-pass")


def test_password_reset_by_email(client, db):
    user = UserFactory(username="fred", email="fred@example.com")
    client.post(reverse("password_reset"), {"email": "fred@example.com"})
    assert len(mail.outbox) == 1
    link = re.search(r"http://testserver(/accounts/reset/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link).url  # Django swaps the token for a session one
    response = client.post(form_url, {"new_password1": "brand-new-password", "new_password2": "brand-new-password"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("brand-new-password")


def test_unknown_join_code_is_reported(student_client):
    response = student_client.post(reverse("cards:join_course"), {"code": "NOPE1234"}, follow=True)
    assert "No course has that join code." in response.content.decode()


def test_study_home_shows_counts(student_client, course, deck):
    html = student_client.get(reverse("cards:study_home")).content.decode()
    assert deck.title in html and course.title in html
    assert Course.objects.count() == 1


def test_study_home_query_count_does_not_grow(django_assert_num_queries, student, student_client, course):
    # the session with its user and their time zone (one query), courses, their decks, card
    # counts, done today, review days (streak), suspended cards (the deck's "N suspended"
    # link), and the first time only, the permission lookup of the nav ("Teach" link, then
    # remembered)
    with django_assert_num_queries(8):
        student_client.get(reverse("cards:study_home"))
    for _ in range(3):
        extra = CourseFactory()
        from tests.factories import DeckFactory, make_question

        deck = DeckFactory()
        make_question(deck, "single")
        extra.decks.add(deck)
        from cards.services.courses import enroll_student

        enroll_student(user=student, course=extra)
    with django_assert_num_queries(7):
        response = student_client.get(reverse("cards:study_home"))
    assert response.content.decode().count("Study now") == 4


def test_preferences_set_time_zone_and_own_retention(student, student_client, course):
    from cards.models import Enrollment

    response = student_client.post(
        reverse("cards:preferences"), {"timezone": "Asia/Tokyo", f"retention_{course.pk}": "85"}
    )
    assert response.status_code == 302
    student.profile.refresh_from_db()
    assert student.profile.timezone == "Asia/Tokyo"
    enrollment = Enrollment.objects.get(user=student, course=course)
    assert enrollment.desired_retention == 0.85
    assert course.scheduler_settings(enrollment.desired_retention).desired_retention == 0.85


def test_preferences_refuse_out_of_range_retention(student, student_client, course):
    from cards.models import Enrollment

    response = student_client.post(reverse("cards:preferences"), {"timezone": "UTC", f"retention_{course.pk}": "50"})
    html = response.content.decode()
    # One unit: the page asks for a percentage, and so does the error, which names the course
    # and keeps what was typed in the field (issue 17 #19).
    assert "a whole percentage from 70 to 99" in html and "0.70" not in html
    assert f"{course.title}: Desired retention" in html and "You entered “50”" in html
    assert f'name="retention_{course.pk}" type="number" min="70" max="99" step="1" value="50"' in html
    assert 'aria-invalid="true"' in html
    assert Enrollment.objects.get(user=student, course=course).desired_retention is None


def test_login_lands_an_instructor_on_teach_and_a_student_on_study(client, db):
    from cards.services.accounts import make_instructor

    make_instructor(UserFactory(username="prof", password="correct-horse-battery"))
    UserFactory(username="stu", password="correct-horse-battery")
    credentials = {"password": "correct-horse-battery"}
    response = client.post(reverse("login"), {"username": "prof", **credentials}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cards:teach_home")
    client.post(reverse("logout"))
    response = client.post(reverse("login"), {"username": "stu", **credentials}, follow=True)
    assert response.redirect_chain[-1][0] == reverse("cards:study_home")
    client.post(reverse("logout"))
    # `next` still says where to go
    target = reverse("cards:study_home")
    response = client.post(f"{reverse('login')}?next={target}", {"username": "prof", "next": target, **credentials})
    assert response["Location"] == target
