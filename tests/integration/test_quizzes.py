"""Quizzes: the attempt is server-side state, timed, submitted once, reviewed as allowed."""

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cards.errors import AnswerRejected, NotFound
from cards.models import Attempt, Card, Question, Quiz, ReviewLog
from cards.services import quizzes as quiz_services
from tests.answers import right_answer
from tests.factories import DeckFactory, make_question

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def quiz_deck(course):
    deck = DeckFactory()
    for kind in ("single", "multiple", "truefalse", "short", "single"):
        make_question(deck, kind, prompt=f"{kind} question {deck.questions.count()}")
    from cards.services.authoring import course_attach_deck

    course_attach_deck(course=course, deck=deck)
    return deck


@pytest.fixture
def timed_quiz(course, instructor, quiz_deck):
    return quiz_services.quiz_create(
        course=course, created_by=instructor, title="Timed", num_questions=4, time_limit_minutes=10
    )


right = right_answer  # a quiz asks a cloze question's first deletion


def post_answer(client, attempt, question, answer):
    data = {"question": question.pk, "kind": question.kind}
    for key, value in answer.items():
        data[key] = value
    return client.post(reverse("cards:attempt_answer", args=[attempt.pk]), data)


def test_attempt_draws_without_repeats_and_survives_a_reload(student, student_client, timed_quiz):
    with time_machine.travel(START, tick=False):
        response = student_client.post(reverse("cards:quiz_start", args=[timed_quiz.pk]))
        attempt = Attempt.objects.get(user=student)
        assert response["Location"] == reverse("cards:attempt", args=[attempt.pk])
        assert len(attempt.question_ids) == 4 == len(set(attempt.question_ids))
        first = student_client.get(reverse("cards:attempt", args=[attempt.pk])).content.decode()
    with time_machine.travel(START + timedelta(minutes=3), tick=False):
        again = student_client.post(reverse("cards:quiz_start", args=[timed_quiz.pk]))
        assert again["Location"] == reverse("cards:attempt", args=[attempt.pk])  # resumed, not redrawn
        second = student_client.get(reverse("cards:attempt", args=[attempt.pk])).content.decode()
    assert 'data-remaining="600"' in first and 'data-remaining="420"' in second
    order = [f'id="q{qid}"' for qid in attempt.question_ids]
    assert [second.index(o) for o in order] == sorted(second.index(o) for o in order)


def test_answers_are_saved_as_given_and_can_change_before_submission(student, student_client, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    question = Question.objects.get(pk=attempt.question_ids[0])
    post_answer(
        student_client, attempt, question, {"text": "wrong"} if question.kind in ("short", "cloze") else right(question)
    )
    post_answer(student_client, attempt, question, right(question))
    response = attempt.responses.get()
    assert response.correct and response.score == 1.0


def test_time_up_submits_with_what_was_answered(student, student_client, timed_quiz):
    with time_machine.travel(START, tick=False) as traveller:
        attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
        questions = Question.objects.in_bulk(attempt.question_ids)
        first = questions[attempt.question_ids[0]]
        post_answer(student_client, attempt, first, right(first))
        traveller.shift(timedelta(minutes=11))
        late = questions[attempt.question_ids[1]]
        response = post_answer(student_client, attempt, late, right(late))
        assert response.status_code == 302 and response["Location"].endswith("/result/")
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.auto_submitted
    assert attempt.submitted_at == START + timedelta(minutes=10)  # at the deadline, not when noticed
    assert attempt.score == 1.0 and attempt.max_score == 4.0
    assert attempt.responses.count() == 1


def test_opening_an_attempt_after_its_time_shows_it_submitted_without_writing(student, student_client, timed_quiz):
    with time_machine.travel(START, tick=False) as traveller:
        attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
        first = Question.objects.get(pk=attempt.question_ids[0])
        post_answer(student_client, attempt, first, right(first))
        traveller.shift(timedelta(minutes=11))
        page = student_client.get(reverse("cards:attempt", args=[attempt.pk]))
        assert page.status_code == 302 and page["Location"] == reverse("cards:attempt_result", args=[attempt.pk])
        result = student_client.get(page["Location"])
        assert result.status_code == 200 and "1/4" in result.content.decode().replace(" ", "")
    attempt.refresh_from_db()
    assert not attempt.is_submitted  # a GET never writes: the job or the next answer records it
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        quiz_services.close_expired_attempts(now=datetime.now(UTC))
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.score == 1.0 and attempt.submitted_at == START + timedelta(minutes=10)


def test_closed_browser_is_submitted_by_the_periodic_job(student, timed_quiz):
    with time_machine.travel(START, tick=False):
        attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    from django.core.management import call_command

    with time_machine.travel(START + timedelta(hours=1), tick=False):
        call_command("close_expired_attempts", stdout=__import__("io").StringIO())
    attempt.refresh_from_db()
    assert attempt.is_submitted and attempt.auto_submitted


def test_double_submit_is_refused_and_changes_nothing(student, student_client, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    student_client.post(reverse("cards:attempt_submit", args=[attempt.pk]))
    attempt.refresh_from_db()
    submitted_at = attempt.submitted_at
    response = student_client.post(reverse("cards:attempt_submit", args=[attempt.pk]), follow=True)
    assert "already submitted" in response.content.decode()
    attempt.refresh_from_db()
    assert attempt.submitted_at == submitted_at
    with pytest.raises(AnswerRejected) as exc:
        quiz_services.attempt_submit(user=student, attempt_id=attempt.pk, now=datetime.now(UTC))
    assert exc.value.code == "already_submitted"


def test_answer_after_submission_is_refused(student, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    quiz_services.attempt_submit(user=student, attempt_id=attempt.pk, now=datetime.now(UTC))
    with pytest.raises(AnswerRejected) as exc:
        quiz_services.attempt_answer(
            user=student,
            attempt_id=attempt.pk,
            question_id=attempt.question_ids[0],
            answer={"text": "x"},
            now=datetime.now(UTC),
        )
    assert exc.value.code == "already_submitted"
    assert not attempt.responses.exists()


def test_another_students_attempt_is_404(student, other_student, other_student_client, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    assert other_student_client.get(reverse("cards:attempt", args=[attempt.pk])).status_code == 404
    response = other_student_client.post(
        reverse("cards:attempt_answer", args=[attempt.pk]),
        {"question": attempt.question_ids[0], "kind": "short", "text": "x"},
    )
    assert response.status_code == 404
    assert other_student_client.post(reverse("cards:attempt_submit", args=[attempt.pk])).status_code == 404
    assert not attempt.responses.exists()
    with pytest.raises(NotFound):
        quiz_services.attempt_submit(user=other_student, attempt_id=attempt.pk, now=datetime.now(UTC))


def test_attempts_allowed_and_window(student, course, instructor, quiz_deck):
    quiz = quiz_services.quiz_create(
        course=course,
        created_by=instructor,
        title="Once",
        num_questions=2,
        opens_at=START,
        closes_at=START + timedelta(days=1),
    )
    with time_machine.travel(START - timedelta(hours=1), tick=False), pytest.raises(AnswerRejected) as early:
        quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
    assert early.value.code == "not_open"
    with time_machine.travel(START + timedelta(hours=1), tick=False):
        attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
        quiz_services.attempt_submit(user=student, attempt_id=attempt.pk, now=datetime.now(UTC))
        with pytest.raises(AnswerRejected) as again:
            quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
        assert again.value.code == "no_attempts_left"


@pytest.mark.parametrize(
    ("option", "during", "after_submit", "after_close"),
    [
        (Quiz.Reveal.IMMEDIATELY, True, True, True),
        (Quiz.Reveal.AFTER_SUBMISSION, False, True, True),
        (Quiz.Reveal.AFTER_CLOSE, False, False, True),
        (Quiz.Reveal.NEVER, False, False, False),
    ],
)
def test_review_options(
    student, student_client, course, instructor, quiz_deck, option, during, after_submit, after_close
):
    quiz = quiz_services.quiz_create(
        course=course,
        created_by=instructor,
        title="Options",
        num_questions=1,
        closes_at=START + timedelta(days=1),
        show_correct=option,
        show_explanations=option,
        show_score=option,
        questions=[quiz_deck.questions.get(kind="single", prompt__startswith="single question 0")],
    )
    question = quiz.questions.get()
    question.explanation = "SECRET-WHY"
    question.save()
    with time_machine.travel(START, tick=False):
        attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
        wrong = question.choices.filter(correct=False).first()
        post_answer(student_client, attempt, question, {"choice": wrong.pk})
        page = student_client.get(reverse("cards:attempt", args=[attempt.pk])).content.decode()
        assert ("SECRET-WHY" in page) is during
        assert ("✔ correct" in page) is during
        student_client.post(reverse("cards:attempt_submit", args=[attempt.pk]))
        result = student_client.get(reverse("cards:attempt_result", args=[attempt.pk])).content.decode()
        assert ("SECRET-WHY" in result) is after_submit
        assert ("Score:" in result) is after_submit
    with time_machine.travel(START + timedelta(days=2), tick=False):
        result = student_client.get(reverse("cards:attempt_result", args=[attempt.pk])).content.decode()
        assert ("SECRET-WHY" in result) is after_close
        assert ("Score:" in result) is after_close


def test_immediate_feedback_locks_the_answer(student, course, instructor, quiz_deck):
    quiz = quiz_services.quiz_create(
        course=course, created_by=instructor, title="Now", num_questions=1, show_correct=Quiz.Reveal.IMMEDIATELY
    )
    attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
    qid = attempt.question_ids[0]
    question = Question.objects.get(pk=qid)
    quiz_services.attempt_answer(
        user=student,
        attempt_id=attempt.pk,
        question_id=qid,
        answer={"text": "nope"} if question.kind in ("short", "cloze") else right(question),
        now=datetime.now(UTC),
    )
    with pytest.raises(AnswerRejected) as exc:
        quiz_services.attempt_answer(
            user=student, attempt_id=attempt.pk, question_id=qid, answer=right(question), now=datetime.now(UTC)
        )
    assert exc.value.code == "already_answered"


def test_first_quiz_answer_updates_the_card_once(student, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    question = Question.objects.get(pk=attempt.question_ids[0])
    for _ in range(3):
        quiz_services.attempt_answer(
            user=student, attempt_id=attempt.pk, question_id=question.pk, answer=right(question), now=datetime.now(UTC)
        )
    card = Card.objects.get(user=student, question=question, cloze__in=[0, 1])  # a quiz asks deletion 1
    assert card.reps == 1
    assert ReviewLog.objects.filter(card=card).count() == 1


def test_practice_quiz_by_topic_and_length(student, student_client, course, quiz_deck):
    response = student_client.post(
        reverse("cards:practice_start"), {"course": course.pk, "topics": ["mechanism"], "length": 5}
    )
    attempt = Attempt.objects.get(user=student)
    assert response["Location"] == reverse("cards:attempt", args=[attempt.pk])
    assert attempt.quiz.is_practice and len(attempt.question_ids) == 5
    other = Client()
    from tests.factories import UserFactory

    other.force_login(UserFactory(username="stranger"))
    assert other.post(reverse("cards:practice_start"), {"course": course.pk}).status_code == 404


def test_htmx_answer_returns_the_question_fragment(student, student_client, timed_quiz):
    attempt = quiz_services.attempt_start(user=student, quiz=timed_quiz, now=datetime.now(UTC))
    question = Question.objects.get(pk=attempt.question_ids[0])
    data = {"question": question.pk, "kind": question.kind, **right(question)}
    response = student_client.post(reverse("cards:attempt_answer", args=[attempt.pk]), data, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith("<section") and "saved" in html and "<html" not in html


def test_a_partly_right_quiz_answer_is_shown_as_partial_not_wrong(
    student, student_client, course, instructor, quiz_deck
):
    question = quiz_deck.questions.get(kind="multiple")
    quiz = quiz_services.quiz_create(
        course=course, created_by=instructor, title="Partial", num_questions=1, questions=[question]
    )
    with time_machine.travel(START, tick=False):
        attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
        two_of_three = list(question.choices.filter(correct=True).values_list("pk", flat=True))[:2]
        post_answer(student_client, attempt, question, {"choices": two_of_three})
        student_client.post(reverse("cards:attempt_submit", args=[attempt.pk]))
        result = student_client.get(reverse("cards:attempt_result", args=[attempt.pk])).content.decode()
    section = result[
        result.index('<section class="qcard') : result.index("</h2>", result.index('<section class="qcard'))
    ]
    assert "is-partial" in section and "is-wrong" not in section
    assert "partly right (67%)" in section
