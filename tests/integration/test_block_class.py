"""How the class answered: shares per choice and right from the class snapshot once at least
10 students answered (fewer: said, nothing shown), and the block's percentile; no review log
read by the pages."""

import uuid

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from cards.models import Block, Card, ClassShare
from cards.services import class_stats
from cards.services.blocks import block_answer, block_create, block_submit
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _class_answers(course, question, students: int, right: int):
    for n in range(students):
        user = UserFactory(username=f"classmate{n}")
        enroll_student(user=user, course=course)
        card = Card.objects.get(user=user, question=question)
        choice = question.choices.get(correct=True) if n < right else question.choices.filter(correct=False).first()
        answer_card(
            user=user, card_id=card.pk, answer={"choice": choice.pk}, review_id=uuid.uuid4(), now=timezone.now()
        )
    class_stats.refresh(course)


def _single_block(student, course):
    card = Card.objects.get(user=student, question__kind="single")
    block = block_create(user=student, course_id=course.pk, size=6, now=timezone.now(), seed=1)
    number = block.card_ids.index(card.pk) + 1
    block_answer(
        user=student,
        block_id=block.pk,
        card_id=card.pk,
        answer={"choice": card.question.choices.get(correct=True).pk},
        now=timezone.now(),
    )
    return block, number


def test_the_class_shares_show_once_ten_students_answered(student, student_client, course, deck):
    question = deck.questions.get(kind="single")
    _class_answers(course, question, students=10, right=7)
    block, number = _single_block(student, course)
    url = reverse("cards:block", args=[block.pk]) + f"?n={number}"
    with CaptureQueriesContext(connection) as captured:
        html = student_client.get(url).content.decode()
    assert "10 students on their first try: <strong>70% right</strong>" in html
    assert "GABA-B: 70%" in html
    assert not any("cards_reviewlog" in q["sql"] for q in captured.captured_queries)


def test_fewer_than_ten_students_show_nothing(student, student_client, course, deck):
    question = deck.questions.get(kind="single")
    _class_answers(course, question, students=9, right=9)
    block, number = _single_block(student, course)
    html = student_client.get(reverse("cards:block", args=[block.pk]) + f"?n={number}").content.decode()
    assert "Fewer than 10 classmates have answered this question" in html and "% right" not in html


def test_no_snapshot_says_so(student, student_client, course):
    block, number = _single_block(student, course)
    html = student_client.get(reverse("cards:block", args=[block.pk]) + f"?n={number}").content.decode()
    assert "No class statistics yet." in html


def test_the_block_percentile_and_the_api_shares(student, student_client, course, deck):
    question = deck.questions.get(kind="single")
    _class_answers(course, question, students=10, right=5)
    card = Card.objects.get(user=student, question=question)
    block = block_create(user=student, course_id=course.pk, pool="all", size=6, now=timezone.now())
    Block.objects.filter(pk=block.pk).update(card_ids=[card.pk])  # a block of that one question
    block.refresh_from_db()
    block_answer(
        user=student,
        block_id=block.pk,
        card_id=card.pk,
        answer={"choice": question.choices.get(correct=True).pk},
        now=timezone.now(),
    )
    block_submit(user=student, block_id=block.pk, now=timezone.now())
    html = student_client.get(reverse("cards:block_result", args=[block.pk])).content.decode()
    assert '75<span class="small muted"> of 100</span>' in html  # half the class below (wrong), half tied
    api = APIClient()
    api.force_authenticate(student)
    body = api.get(reverse("api:block_detail", args=[block.pk])).json()
    assert body["percentile"] == 75
    shares = body["questions"][0]["class_shares"]
    assert shares["students"] == 10 and shares["right"] == 0.5
    assert shares["choices"][str(question.choices.get(correct=True).pk)] == 0.5


def test_the_study_feedback_loads_the_class_shares(student, student_client, other_student_client, course, deck):
    question = deck.questions.get(kind="single")
    _class_answers(course, question, students=10, right=3)
    url = reverse("cards:question_class", args=[question.pk]) + f"?course={course.pk}"
    html = student_client.get(url, headers={"HX-Request": "true"}).content.decode()
    assert "30% right" in html and "<html" not in html
    assert student_client.get(reverse("cards:question_class", args=[question.pk])).status_code == 404
    card = Card.objects.get(user=student, question=question)
    feedback = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": "single", "review_id": str(uuid.uuid4()), "choice": question.choices.first().pk},
        follow=True,
    ).content.decode()
    assert url.replace("&", "&amp;") in feedback or url in feedback


def test_the_api_study_answer_says_how_the_class_answered(student, course, deck, django_assert_num_queries):
    from tests.integration.test_query_counts import planned_once

    question = deck.questions.get(kind="single")
    _class_answers(course, question, students=10, right=7)
    api = APIClient()
    api.force_authenticate(student)
    card = Card.objects.get(user=student, question=question)
    right = question.choices.get(correct=True)
    payload = {"card": card.pk, "review_id": str(uuid.uuid4()), "choice": right.pk}
    # the answer's own statements (savepoint, the read, insert, update, release): the class
    # shares come with the card's read, not from a query of their own
    with django_assert_num_queries(5 + planned_once("answer")):
        body = api.post(reverse("api:study_answer"), payload, format="json").json()
    shares = body["class_shares"]
    assert shares["students"] == 10 and shares["right"] == 0.7
    assert shares["choices"][str(right.pk)] == 0.7 and sum(shares["choices"].values()) == 1.0
    replayed = api.post(reverse("api:study_answer"), payload, format="json").json()
    assert replayed["replayed"] and replayed["class_shares"] == shares


def test_the_api_study_answer_hides_shares_under_ten_and_without_a_snapshot(student, course, deck):
    single, truefalse = deck.questions.get(kind="single"), deck.questions.get(kind="truefalse")
    _class_answers(course, single, students=9, right=9)
    api = APIClient()
    api.force_authenticate(student)
    card = Card.objects.get(user=student, question=single)
    payload = {"card": card.pk, "review_id": str(uuid.uuid4()), "choice": single.choices.first().pk}
    body = api.post(reverse("api:study_answer"), payload, format="json").json()
    assert body["class_shares"] == {"students": 9, "right": None, "choices": {}}
    class_stats.refresh(course)  # no one answered the true/false question: a row with 0 students
    card = Card.objects.get(user=student, question=truefalse)
    payload = {"card": card.pk, "review_id": str(uuid.uuid4()), "choice": truefalse.choices.first().pk}
    assert api.post(reverse("api:study_answer"), payload, format="json").json()["class_shares"]["students"] == 0
    ClassShare.objects.filter(course=course).delete()  # as for a question newer than the snapshot
    card = Card.objects.get(user=student, question__kind="short")
    payload = {"card": card.pk, "review_id": str(uuid.uuid4()), "text": "GABA-B"}
    body = api.post(reverse("api:study_answer"), payload, format="json").json()
    assert body["correct"] is True and body["class_shares"] is None
