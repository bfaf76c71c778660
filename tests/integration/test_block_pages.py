"""The block pages: the form with its pool counts, a tutor and a timed block answered
through the forms, the result page and the history with its chart."""

import re

import pytest
from django.urls import reverse

from cards.models import Block, Card, ReviewLog
from tests.answers import card_answer

pytestmark = pytest.mark.django_db


def _post_answer(client, block, number):
    card = Card.objects.get(pk=block.card_ids[number - 1])
    data = {"card": card.pk, "kind": card.question.kind, "n": number, "response_ms": 4200, **card_answer(card)}
    return client.post(reverse("cards:block_answer", args=[block.pk]), data), card


def test_the_form_says_how_many_questions_each_pool_has(student_client, course):
    html = student_client.get(reverse("cards:block_new") + f"?course={course.pk}").content.decode()
    assert re.search(r'value="unused"> Unused \(never answered\) <span class="badge">6 questions', html)
    assert "0 questions" in html  # incorrect, flagged, low recall, due


def test_a_tutor_block_shows_feedback_after_each_answer_and_a_result(student_client, student, course):
    response = student_client.post(
        reverse("cards:block_new"), {"course": course.pk, "pool": "all", "size": 3, "mode": "tutor"}
    )
    block = Block.objects.get(user=student)
    assert response["Location"] == reverse("cards:block", args=[block.pk])
    page = student_client.get(response["Location"]).content.decode()
    assert 'id="answer-form"' in page and "Why" not in page  # no key before answering
    answered, card = _post_answer(student_client, block, 1)
    assert answered.status_code == 302 and answered["Location"].endswith("?n=1")
    feedback = student_client.get(answered["Location"]).content.decode()
    assert "✔ Correct" in feedback and 'id="next"' in feedback and "Baclofen is a GABA-B agonist." in feedback
    assert ReviewLog.objects.filter(card=card).count() == 1
    student_client.post(reverse("cards:block_submit", args=[block.pk]))
    result = student_client.get(reverse("cards:block_result", args=[block.pk])).content.decode()
    assert "1/3" in result and "4.2 s" in result and "Not answered" in result and "By topic" in result


def test_a_timed_block_goes_straight_on_and_hides_the_key_until_the_end(student_client, student, course):
    student_client.post(
        reverse("cards:block_new"),
        {"course": course.pk, "pool": "unused", "size": 2, "mode": "timed", "seconds_per_question": 60},
    )
    block = Block.objects.get(user=student)
    page = student_client.get(reverse("cards:block", args=[block.pk])).content.decode()
    assert 'data-remaining="120"' in page or 'data-remaining="119"' in page
    answered, _card = _post_answer(student_client, block, 1)
    assert answered["Location"].endswith("?n=2")
    again = student_client.get(reverse("cards:block", args=[block.pk]) + "?n=1").content.decode()
    assert "✔" not in again and "Saved; answer again to change it." in again
    student_client.post(reverse("cards:block_submit", args=[block.pk]))
    assert "✔ Correct" in student_client.get(reverse("cards:block_result", args=[block.pk])).content.decode()


def test_a_bad_size_is_refused_with_a_message(student_client, course):
    response = student_client.post(reverse("cards:block_new"), {"course": course.pk, "pool": "all", "size": 0})
    assert response.status_code == 400 and "A block has 1 to 100 questions." in response.content.decode()


def test_the_history_lists_blocks_with_a_chart_of_scores(student_client, student, course):
    for _ in range(2):
        student_client.post(reverse("cards:block_new"), {"course": course.pk, "pool": "all", "size": 1})
        block = Block.objects.filter(user=student).first()
        _post_answer(student_client, block, 1)
        student_client.post(reverse("cards:block_submit", args=[block.pk]))
    html = student_client.get(reverse("cards:block_list")).content.decode()
    assert "<svg" in html and html.count(">Review</a>") == 2 and "1/1" in html


def test_another_students_block_is_404(student_client, other_student_client, student, course):
    student_client.post(reverse("cards:block_new"), {"course": course.pk, "pool": "all", "size": 1})
    block = Block.objects.get(user=student)
    assert other_student_client.get(reverse("cards:block", args=[block.pk])).status_code == 404
    assert other_student_client.get(reverse("cards:block_result", args=[block.pk])).status_code == 404


def _queries(client, method, url, data=None):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as captured:
        response = client.get(url) if method == "GET" else client.post(url, data)
    assert response.status_code in (200, 302)
    return len(captured)


def test_block_page_and_answer_queries_do_not_grow_with_the_block_or_the_deck(student_client, student, course):
    from cards.services.courses import ensure_cards_for_course
    from tests.factories import make_question

    counts = []
    for extra in (2, 2, 40):  # the first warms the per-process caches (the session's, the deck's terms)
        for _ in range(extra):
            make_question(course.decks.first(), "short")
        ensure_cards_for_course(course=course)
        student_client.post(reverse("cards:block_new"), {"course": course.pk, "pool": "unused", "size": 100})
        block = Block.objects.filter(user=student).first()
        page = _queries(student_client, "GET", reverse("cards:block", args=[block.pk]))
        card = Card.objects.filter(pk__in=block.card_ids, question__kind="short").first()
        data = {"card": card.pk, "kind": "short", "n": 1, **card_answer(card)}
        answer = _queries(student_client, "POST", reverse("cards:block_answer", args=[block.pk]), data)
        counts.append((page, answer))
    assert counts[1] == counts[2], counts
