"""Typed answers (issue 17, item 9): one grader, one rule and the same note in study, in a
practice quiz and in the API; a listed cloze alternative ("CNS") is right; and "I was right"
after a typed answer graded wrong, recorded as such in the append-only log."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from cards.errors import AnswerRejected
from cards.models import Card, Quiz, ReviewLog
from cards.services import quizzes as quiz_services
from cards.services.courses import enroll_student
from cards.services.study import answer_card, override_review
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

pytestmark = pytest.mark.django_db

NOTE = "(accepted with a typo: it is spelled “{}”)"
# typed answer -> (right?, the spelling the note gives, or None)
CNS_ANSWERS = {
    "central nervous sytem": (True, "central nervous system"),
    "CNS": (True, None),  # a listed alternative: right, and no typo
    "Central  nervous system.": (True, None),  # case, spacing and punctuation are not typos
    "peripheral nervous system": (False, None),
}
RELAXANT_ANSWERS = {
    "skeletal muscle relaxent": (True, "skeletal muscle relaxant"),
    "skeletel muscle relaxent": (False, None),  # two slips
}


@pytest.fixture
def setting():
    deck = DeckFactory(title="Typed answers")
    cns = make_question(
        deck, "cloze", prompt="Baclofen acts within the {{c1::central nervous system}}.", answers={"c1": ["CNS"]}
    )
    relaxant = make_question(
        deck, "short", prompt="Which class of drug is baclofen?", answers=["skeletal muscle relaxant"]
    )
    course = CourseFactory(title="Typing course")
    course.decks.add(deck)
    return course, deck, cns, relaxant


def new_student(course, name):
    user = UserFactory(username=name)
    enroll_student(user=user, course=course)
    return user


def study_answer(client, course, deck, card, text):
    response = client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": card.question.kind, "review_id": str(uuid.uuid4()), "text": text},
        follow=True,
    )
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize(
    ("question_name", "typed"),
    [("cns", text) for text in CNS_ANSWERS] + [("relaxant", text) for text in RELAXANT_ANSWERS],
)
def test_study_and_a_practice_quiz_grade_a_typed_answer_alike_with_the_same_note(client, setting, question_name, typed):
    course, deck, cns, relaxant = setting
    question = {"cns": cns, "relaxant": relaxant}[question_name]
    right, spelled = {**CNS_ANSWERS, **RELAXANT_ANSWERS}[typed]

    student = new_student(course, "sam")
    client.force_login(student)
    card = Card.objects.get(user=student, question=question)
    page = study_answer(client, course, deck, card, typed)
    log = ReviewLog.objects.get(card=card)
    assert log.correct is right, f"study graded {typed!r} {log.correct}"
    assert ("✔ Correct" in page) is right
    assert (NOTE.format(spelled) in page) if spelled else ("accepted with a typo" not in page)

    quizzer = new_student(course, "quinn")
    client.force_login(quizzer)
    quiz = quiz_services.practice_quiz_create(user=quizzer, course=course, topic_slugs=[], length=5)
    Quiz.objects.filter(pk=quiz.pk).update(num_questions=2)
    quiz.questions.set([question])
    now = datetime.now(UTC)
    attempt = quiz_services.attempt_start(user=quizzer, quiz=quiz, now=now)
    response = client.post(
        reverse("cards:attempt_answer", args=[attempt.pk]),
        {"question": question.pk, "kind": question.kind, "text": typed},
    )
    assert response.status_code == 302
    saved = attempt.responses.get(question=question)
    assert saved.correct is right, f"the quiz graded {typed!r} {saved.correct}"
    client.post(reverse("cards:attempt_submit", args=[attempt.pk]))
    result = client.get(reverse("cards:attempt_result", args=[attempt.pk])).content.decode()
    assert (NOTE.format(spelled) in result) if spelled else ("accepted with a typo" not in result)


@pytest.fixture
def wrong_typed(setting):
    """A student whose typed answer was graded wrong, and that review."""
    course, deck, _cns, relaxant = setting
    student = new_student(course, "olga")
    card = Card.objects.get(user=student, question=relaxant)
    outcome = answer_card(
        user=student, card_id=card.pk, answer={"text": "muscle relaxer"}, review_id=uuid.uuid4(), now=datetime.now(UTC)
    )
    assert not outcome.correct
    return course, deck, student, card, outcome.log


def test_i_was_right_counts_the_answer_as_good_and_the_log_says_so(client, wrong_typed):
    course, deck, student, card, wrong = wrong_typed
    client.force_login(student)
    feedback_url = reverse("cards:study_feedback", args=[course.pk, deck.pk, wrong.review_id])
    assert "I was right" in client.get(feedback_url).content.decode()
    new_id = uuid.uuid4()
    url = reverse("cards:study_override", args=[course.pk, deck.pk])
    response = client.post(url, {"review_id": wrong.review_id, "new_review_id": new_id}, follow=True)
    assert "Counted as right, as you said" in response.content.decode()

    logs = list(ReviewLog.objects.filter(card=card).order_by("id"))
    assert [(log.kind, log.correct, log.rating) for log in logs] == [
        ("review", False, 1),  # the wrong answer, kept
        ("undo", None, None),  # undone
        ("review", True, 3),  # counted right: Good
    ]
    counted = logs[2]
    assert counted.overrides_id == wrong.pk and counted.review_id == new_id
    assert counted.answer == wrong.answer and counted.reviewed_at == wrong.reviewed_at
    card.refresh_from_db()
    assert card.lapses == 0 and card.due - wrong.reviewed_at > timedelta(minutes=5)  # scheduled as Good
    # Idempotent: the same form again, or another id, writes nothing more.
    client.post(url, {"review_id": wrong.review_id, "new_review_id": new_id})
    client.post(url, {"review_id": wrong.review_id, "new_review_id": uuid.uuid4()})
    assert ReviewLog.objects.filter(card=card).count() == 3
    # The history says whose judgement it was, and the log still replays to the card.
    page = client.get(reverse("cards:study_feedback", args=[course.pk, deck.pk, new_id])).content.decode()
    assert "Counted as right" in page and "you said you were right" in page and "I was right</button>" not in page
    call_command("verify_reviews", card_id=card.pk, stdout=open("/dev/null", "w"))  # noqa: SIM115


def test_i_was_right_is_refused_for_a_right_or_a_choice_answer(setting):
    course, deck, cns, _relaxant = setting
    student = new_student(course, "rita")
    card = Card.objects.get(user=student, question=cns)
    right = answer_card(
        user=student, card_id=card.pk, answer={"text": "CNS"}, review_id=uuid.uuid4(), now=datetime.now(UTC)
    ).log
    with pytest.raises(AnswerRejected) as exc:
        override_review(user=student, review_id=right.review_id, new_review_id=uuid.uuid4(), now=datetime.now(UTC))
    assert exc.value.code == "already_correct"
    single = make_question(deck, "single")
    card = Card.objects.create(user=student, question=single, deck=deck, course=course, due=datetime.now(UTC))
    wrong_choice = single.choices.filter(correct=False).first()
    log = answer_card(
        user=student, card_id=card.pk, answer={"choice": wrong_choice.pk}, review_id=uuid.uuid4(), now=datetime.now(UTC)
    ).log
    with pytest.raises(AnswerRejected) as exc:
        override_review(user=student, review_id=log.review_id, new_review_id=uuid.uuid4(), now=datetime.now(UTC))
    assert exc.value.code == "not_typed"


def test_the_api_answer_gives_the_typo_note_and_i_was_right(setting, wrong_typed):
    course, deck, student, card, wrong = wrong_typed
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=student).key}")
    new_id = str(uuid.uuid4())
    body = {"review_id": str(wrong.review_id), "new_review_id": new_id}
    response = api.post("/api/v1/study/override/", body, format="json")
    assert response.status_code == 200, response.json()
    data = response.json()
    assert (data["review_id"], data["correct"], data["rating"], data["self_graded"]) == (new_id, True, 3, True)
    assert api.post("/api/v1/study/override/", body, format="json").json()["replayed"] is True
    cns = Card.objects.get(user=student, question=setting[2])
    answered = api.post(
        "/api/v1/study/answer/",
        {"card": cns.pk, "review_id": str(uuid.uuid4()), "text": "central nervous sytem"},
        format="json",
    ).json()
    assert (answered["correct"], answered["typo_of"], answered["self_graded"]) == (
        True,
        "central nervous system",
        False,
    )
