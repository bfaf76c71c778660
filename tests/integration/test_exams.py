"""Exam dates: per student per course (the course's is the default); until the exam no card is
scheduled after the exam day, the rating buttons and the API show the capped intervals, the
dashboard counts the days; the API's GET/PUT/DELETE /api/v1/courses/{id}/exam/."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cards.core import exams, scheduling
from cards.core.scheduling import CardState, Rating, SchedulerSettings
from cards.models import Card, Enrollment
from cards.services.courses import enroll_student
from cards.services.study import answer_card, card_state, is_due
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

NOW = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
EXAM = date(2026, 4, 16)


# -- the cap, pure --------------------------------------------------------------------------


def test_the_cap_is_the_eve_then_the_exam_day_then_nothing():
    eve = exams.day_start(EXAM - timedelta(days=1), "UTC")
    assert exams.due_cap(NOW, EXAM, "UTC") == eve
    assert exams.due_cap(eve + timedelta(hours=1), EXAM, "UTC") == exams.day_start(EXAM, "UTC")
    assert exams.due_cap(exams.day_start(EXAM, "UTC"), EXAM, "UTC") is None  # from the exam day on
    assert exams.due_cap(NOW, None, "UTC") is None
    # study days start at 04:00 local: 02:00 in Sydney on the exam date is still the eve
    sydney_eve = exams.day_start(EXAM - timedelta(days=1), "Australia/Sydney")
    assert sydney_eve == datetime(2026, 4, 14, 18, 0, tzinfo=UTC)


def test_a_capped_outcome_keeps_its_memory_and_comes_back_by_the_cap():
    state = CardState(state=2, step=None, stability=40.0, difficulty=5.0, due=NOW, last_review=NOW - timedelta(30))
    outcome = scheduling.review(state, Rating.GOOD, NOW, SchedulerSettings(enable_fuzzing=False))
    cap = exams.due_cap(NOW, EXAM, "UTC")
    capped = exams.capped(outcome, NOW, cap)
    assert outcome.state.due > cap and capped.state.due == cap
    assert capped.state.stability == outcome.state.stability and capped.interval == cap - NOW
    short = scheduling.review(state, Rating.AGAIN, NOW, SchedulerSettings(enable_fuzzing=False))
    assert exams.capped(short, NOW, cap) == short  # already before the cap


# -- the study loop over simulated days (time-machine) -----------------------------------------


@pytest.fixture
def exam_course(db):
    deck = DeckFactory(slug="exam-deck", title="Exam deck")
    for i in range(6):
        make_question(deck, "flashcard", prompt=f"Front {i}", back=f"Back {i}")
    course = CourseFactory(title="Exam course", enable_fuzz=True)
    course.decks.add(deck)
    return course


@pytest.fixture
def examinee(exam_course):
    user = UserFactory(username="examinee")
    enroll_student(user=user, course=exam_course)
    return user


def study_due(user, now):
    """Answer Good on every card due now (flashcards), as a student who studies every day."""
    _start, day_end = scheduling.study_day_bounds(now, "UTC")
    answered = 0
    for _ in range(20):  # learning steps come back within the session
        due = [c for c in Card.objects.filter(user=user).select_related("question") if is_due(c, now, day_end)]
        if not due:
            break
        for card in due:
            answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)
            answered += 1
        now += timedelta(minutes=11)
    return answered


def test_until_the_exam_no_card_is_due_after_the_exam_day_and_exam_day_recall_reaches_the_target(examinee, exam_course):
    Enrollment.objects.filter(user=examinee).update(exam_date=EXAM)
    exam_start = exams.day_start(EXAM, "UTC")
    day = NOW
    with time_machine.travel(day, tick=False) as traveller:
        while day < exam_start:
            study_due(examinee, day)
            for card in Card.objects.filter(user=examinee, last_review__isnull=False):
                assert card.due <= exam_start, f"card {card.pk} due {card.due} after the exam day"
            day += timedelta(days=1)
            traveller.move_to(day)
    # on the exam morning every studied card is predicted at the exam target or better
    morning = exam_start + timedelta(hours=5)
    for card in Card.objects.filter(user=examinee):
        assert scheduling.retrievability(card_state(card), morning) >= exams.EXAM_TARGET
    # after the exam normal scheduling resumes: a review on the exam day is not capped
    card = Card.objects.filter(user=examinee).first()
    after = answer_card(user=examinee, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=morning)
    assert after.card.due > exam_start + timedelta(days=1)


def test_the_course_date_applies_unless_the_student_set_their_own(examinee, exam_course):
    exam_course.exam_date = date(2026, 4, 9)
    exam_course.save()
    card = Card.objects.filter(user=examinee).first()
    Card.objects.filter(pk=card.pk).update(
        state=2, step=None, stability=30.0, difficulty=5.0, last_review=NOW - timedelta(days=20), due=NOW
    )
    with time_machine.travel(NOW, tick=False):
        out = answer_card(user=examinee, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=NOW)
    assert out.card.due == exams.day_start(date(2026, 4, 8), "UTC")  # the course's exam eve
    Enrollment.objects.filter(user=examinee).update(exam_date=date(2026, 4, 12))
    Card.objects.filter(pk=card.pk).update(last_review=NOW - timedelta(days=20), due=NOW + timedelta(hours=1))
    later = NOW + timedelta(hours=1)
    with time_machine.travel(later, tick=False):
        out = answer_card(user=examinee, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=later)
    assert out.card.due == exams.day_start(date(2026, 4, 11), "UTC")  # the student's own


# -- what the student sees ---------------------------------------------------------------------


def _days(label: str) -> float:
    unit = {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1}
    return float(label[:-1]) * unit[label[-1]]


@pytest.fixture
def api(examinee):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=examinee).key}")
    return client


def test_exam_api_put_get_delete_and_the_next_card_honours_it(api, examinee, exam_course):
    url = f"/api/v1/courses/{exam_course.pk}/exam/"
    deck = exam_course.decks.get()
    with time_machine.travel(NOW, tick=False):
        assert api.get(url).json() == {"date": None, "own_date": None, "course_date": None, "days_left": None}
        easy = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]["intervals"]["4"]
        assert _days(easy) > 3  # a new card's Easy, uncapped: about 8 days
        response = api.put(url, {"date": "2026-04-09"}, format="json")
        assert response.status_code == 200
        assert response.json() == {"date": "2026-04-09", "own_date": "2026-04-09", "course_date": None, "days_left": 3}
        easy = api.get(f"/api/v1/study/next/?deck={deck.pk}").json()["card"]["intervals"]["4"]
        assert _days(easy) <= 3
        bad = api.put(url, {"date": "2026-04-01"}, format="json")
        assert bad.status_code == 400 and bad.json()["code"] == "exam_in_past"
        assert api.put(url, {"date": "next week"}, format="json").status_code == 400
        exam_course.exam_date = date(2026, 5, 1)
        exam_course.save()
        cleared = api.delete(url).json()
        assert cleared == {"date": "2026-05-01", "own_date": None, "course_date": "2026-05-01", "days_left": 25}
        other = CourseFactory(title="Not mine")
        assert api.put(f"/api/v1/courses/{other.pk}/exam/", {"date": "2026-05-01"}, format="json").status_code == 404


def test_the_rating_buttons_show_the_capped_intervals(client, examinee, exam_course):
    card = Card.objects.filter(user=examinee).order_by("pk").first()
    Card.objects.filter(pk=card.pk).update(
        state=2, step=None, stability=30.0, difficulty=5.0, last_review=NOW - timedelta(days=20), due=NOW
    )
    client.force_login(examinee)
    url = reverse("cards:study_reveal", args=[exam_course.pk, card.deck_id, card.pk])
    with time_machine.travel(NOW, tick=False):
        before = client.get(url).content.decode()
        Enrollment.objects.filter(user=examinee).update(exam_date=date(2026, 4, 9))
        after = client.get(url).content.decode()
    assert before != after
    assert "2d" in after  # Good, Easy: back by the eve (2026-04-08 04:00), not in a month


def test_the_dashboard_shows_days_to_the_exam_and_when_the_limit_cannot_cover_the_deck(client, examinee, exam_course):
    client.force_login(examinee)
    with time_machine.travel(NOW, tick=False):
        assert "to the exam" not in client.get(reverse("cards:dashboard")).content.decode()
        Enrollment.objects.filter(user=examinee).update(exam_date=date(2026, 4, 9))
        html = client.get(reverse("cards:dashboard")).content.decode()
        assert "3 days to the exam: Exam course" in html and "your date" in html
        assert "6 new cards left: 2 a day covers them" in html
        exam_course.new_per_day = 1
        exam_course.save()
        html = client.get(reverse("cards:dashboard")).content.decode()
        assert "raised from the course's 1 to 2 a day until the exam" in html


def test_the_preferences_page_sets_and_clears_the_exam_date(client, examinee, exam_course):
    client.force_login(examinee)
    url = reverse("cards:exam_date", args=[exam_course.pk])
    with time_machine.travel(NOW, tick=False):
        html = client.post(url, {"date": "2026-04-20"}, follow=True).content.decode()
        assert "Exam date set: 2026-04-20" in html and 'value="2026-04-20"' in html
        assert Enrollment.objects.get(user=examinee).exam_date == date(2026, 4, 20)
        html = client.post(url, {"date": "20/04/2026"}, follow=True).content.decode()
        assert "is not a date: use YYYY-MM-DD" in html
        client.post(url, {"date": ""})
        assert Enrollment.objects.get(user=examinee).exam_date is None


def test_an_instructor_sets_the_course_date_students_inherit(instructor_client, instructor, course, student):
    response = instructor_client.patch(
        f"/api/v1/teach/courses/{course.pk}/", {"exam_date": "2030-06-01"}, content_type="application/json"
    )
    assert response.status_code == 200 and response.json()["exam_date"] == "2030-06-01"
    course.refresh_from_db()
    assert course.exam_date == date(2030, 6, 1)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=student).key}")
    body = api.get(f"/api/v1/courses/{course.pk}/exam/").json()
    assert body["date"] == body["course_date"] == "2030-06-01" and body["own_date"] is None
    assert timezone.now().date() < date(2030, 6, 1)


def test_the_course_settings_form_sets_the_course_exam_date(instructor_client, course):
    form = {
        "title": course.title,
        "desired_retention": "90",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "learning_steps": "1 10",
        "relearning_steps": "10",
        "maximum_interval": "36500",
        "exam_date": "2030-06-01",
    }
    page = instructor_client.get(reverse("cards:course_detail", args=[course.pk])).content.decode()
    assert 'type="date"' in page and "Exam date" in page
    response = instructor_client.post(reverse("cards:course_detail", args=[course.pk]), form)
    assert response.status_code == 302
    course.refresh_from_db()
    assert course.exam_date == date(2030, 6, 1)
    instructor_client.post(reverse("cards:course_detail", args=[course.pk]), {**form, "exam_date": ""})
    course.refresh_from_db()
    assert course.exam_date is None
