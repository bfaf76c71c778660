"""An enrolment made outside the join page (the admin, a script) gives the student their
cards: /study/ must not say "0 cards · Done for today" forever."""

import re

from django.urls import reverse

from cards.models import Card, Enrollment, Question
from tests.factories import UserFactory


def published(course) -> int:
    return Question.objects.filter(deck__in=course.decks.all(), status=Question.Status.PUBLISHED).count()


def test_an_enrolment_made_in_the_admin_gives_the_student_their_cards(client, course, deck):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    carol = UserFactory(username="carol")
    client.force_login(admin)
    response = client.post(reverse("admin:cards_enrollment_add"), {"user": carol.pk, "course": course.pk})
    assert response.status_code == 302, response.content.decode()[:2000]
    assert Enrollment.objects.filter(user=carol, course=course).exists()
    assert Card.objects.filter(user=carol, course=course).count() >= published(course) > 0
    client.force_login(carol)
    home = client.get(reverse("cards:study_home")).content.decode()
    assert deck.title in home and not re.search(r"\b0 cards\b", home)
    page = client.get(reverse("cards:study_session", args=[course.pk, deck.pk])).content.decode()
    assert "Done for today" not in page


def test_an_enrolment_made_by_a_script_gives_the_student_their_cards(course):
    dave = UserFactory(username="dave")
    Enrollment.objects.create(user=dave, course=course)
    assert Card.objects.filter(user=dave, course=course).count() >= published(course) > 0
