import pytest
from django.core.cache import cache
from django.test import Client
from rest_framework.test import APIClient

from cards.services.accounts import make_instructor
from cards.services.courses import enroll_student
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

KINDS = ("single", "multiple", "truefalse", "short", "cloze", "flashcard")


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def deck(db):
    deck = DeckFactory(slug="baclofen-test", title="Baclofen test deck")
    for kind in KINDS:
        make_question(deck, kind)
    return deck


@pytest.fixture
def instructor(db):
    user = UserFactory(username="teacher")
    make_instructor(user)
    return user


@pytest.fixture
def other_instructor(db):
    user = UserFactory(username="other-teacher")
    make_instructor(user)
    return user


@pytest.fixture
def course(db, deck, instructor):
    course = CourseFactory(title="Pharmacology 101", owner=instructor)
    course.instructors.add(instructor)
    course.decks.add(deck)
    return course


@pytest.fixture
def student(db, course):
    user = UserFactory(username="alice")
    enroll_student(user=user, course=course)
    return user


@pytest.fixture
def other_student(db, course):
    user = UserFactory(username="bob")
    enroll_student(user=user, course=course)
    return user


def _client_for(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def student_client(student):
    return _client_for(student)


@pytest.fixture
def other_student_client(other_student):
    return _client_for(other_student)


@pytest.fixture
def instructor_client(instructor):
    return _client_for(instructor)


def api_for(user) -> APIClient:
    """An API client signed in as `user` (None: anonymous)."""
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def instructor_api(instructor, course, deck):
    """The course's instructor over the API, owning its deck."""
    deck.owner = instructor
    deck.save()
    return api_for(instructor)


@pytest.fixture
def media_root(settings, tmp_path):
    """Uploaded images go to a folder of this test's own (default_storage follows the setting)."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT
