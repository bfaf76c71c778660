"""Quiz writes: create a quiz, start an attempt, save answers as they are given, submit.

The attempt is server-side state: its questions, choice order and deadline are fixed at
the start, so a reload or a closed browser changes nothing; a late request finds the
attempt past its deadline and submits it with what was answered."""

from __future__ import annotations

import random
import uuid
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from cards.core import grading
from cards.errors import AnswerRejected, InvalidInput, NotFound
from cards.models import Attempt, Card, Choice, Course, Question, Quiz, Response, Topic
from cards.selectors.quizzes import submitted_values
from cards.selectors.terms import question_spec
from cards.services import timed
from cards.services.study import record_outside_queue

QUIZ_KINDS = ("single", "multiple", "truefalse", "short", "cloze")  # graded without self-rating
MAX_QUESTIONS = 100
REVIEW_NAMESPACE = uuid.UUID("6f1d2b1e-0c55-4c1a-9a51-3b8f3e0a7c11")


@transaction.atomic
def quiz_create(
    *,
    course: Course,
    created_by,
    title: str,
    topics=(),
    questions=(),
    num_questions: int = 10,
    time_limit_minutes: int | None = None,
    opens_at=None,
    closes_at=None,
    attempts_allowed: int = 1,
    show_score: str = Quiz.Reveal.AFTER_SUBMISSION,
    show_correct: str = Quiz.Reveal.AFTER_SUBMISSION,
    show_explanations: str = Quiz.Reveal.AFTER_SUBMISSION,
    is_practice: bool = False,
) -> Quiz:
    _check_settings(
        num_questions=num_questions, time_limit_minutes=time_limit_minutes, opens_at=opens_at, closes_at=closes_at
    )
    quiz = Quiz.objects.create(
        course=course,
        created_by=created_by,
        title=title.strip() or "Quiz",
        num_questions=num_questions,
        time_limit_minutes=time_limit_minutes,
        opens_at=opens_at,
        closes_at=closes_at,
        attempts_allowed=attempts_allowed,
        show_score=show_score,
        show_correct=show_correct,
        show_explanations=show_explanations,
        is_practice=is_practice,
    )
    quiz.topics.set(topics)
    quiz.questions.set(questions)
    if not _pool(quiz).exists():
        raise InvalidInput("No published question matches these topics.", code="empty_quiz", field="topics")
    return quiz


def _check_settings(*, num_questions: int, time_limit_minutes: int | None, opens_at, closes_at) -> None:
    if not 1 <= num_questions <= MAX_QUESTIONS:
        raise InvalidInput(f"A quiz has 1 to {MAX_QUESTIONS} questions.", field="num_questions")
    if opens_at and closes_at and closes_at <= opens_at:
        raise InvalidInput("The quiz must close after it opens.", field="closes_at")
    if time_limit_minutes is not None and not 1 <= time_limit_minutes <= 600:
        raise InvalidInput("A time limit is 1 to 600 minutes.", field="time_limit_minutes")


@transaction.atomic
def quiz_update(*, quiz: Quiz, topics=(), questions=(), **fields) -> Quiz:
    """An instructor's edit of their quiz: attempts already started keep the questions,
    deadline and order they drew; new attempts draw under the new settings."""
    unknown = set(fields) - set(Quiz.SETTINGS)
    if unknown:
        raise InvalidInput(f"Not a quiz setting: {', '.join(sorted(unknown))}.")
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    values = {name: fields.get(name, getattr(quiz, name)) for name in Quiz.SETTINGS}
    _check_settings(
        num_questions=values["num_questions"],
        time_limit_minutes=values["time_limit_minutes"],
        opens_at=values["opens_at"],
        closes_at=values["closes_at"],
    )
    values["title"] = values["title"].strip() or "Quiz"
    for name, value in values.items():
        setattr(quiz, name, value)
    quiz.save(update_fields=list(Quiz.SETTINGS))
    quiz.topics.set(topics)
    quiz.questions.set(questions)
    if not _pool(quiz).exists():
        raise InvalidInput("No published question matches these topics.", code="empty_quiz", field="topics")
    return quiz


@transaction.atomic
def quiz_close(*, quiz: Quiz, now: datetime) -> Quiz:
    """Close the quiz now: no new attempt starts, and attempts in progress end at `now` (their
    deadline is the closing time, as when it was set ahead)."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    if quiz.closes_at is not None and quiz.closes_at <= now:
        return quiz
    quiz.closes_at = now
    if quiz.opens_at is not None and quiz.opens_at > now:
        quiz.opens_at = None
    quiz.save(update_fields=["closes_at", "opens_at"])
    Attempt.objects.filter(quiz=quiz, status=Attempt.Status.IN_PROGRESS).exclude(deadline__lte=now).update(deadline=now)
    return quiz


@transaction.atomic
def quiz_archive(*, quiz: Quiz, archived: bool = True) -> Quiz:
    """Take the quiz off the students' list (or put it back); its attempts and results stay."""
    Quiz.objects.filter(pk=quiz.pk).update(archived=archived)
    quiz.archived = archived
    return quiz


@transaction.atomic
def quiz_delete(*, quiz: Quiz) -> None:
    """Delete a quiz nobody has attempted. One with attempts holds students' results (and their
    answers reached their cards' history): it is refused, to be archived instead."""
    quiz = Quiz.objects.select_for_update().get(pk=quiz.pk)
    if quiz.attempts.exists():
        raise InvalidInput(
            f"“{quiz.title}” has attempts, so it cannot be deleted: archive it instead (students no "
            "longer see it; their results stay).",
            code="quiz_has_attempts",
        )
    quiz.delete()


def practice_quiz_create(*, user, course: Course, topic_slugs: list[str], length: int) -> Quiz:
    """A student's own quiz: random published questions of the chosen topics, feedback at once."""
    if not course.enrollments.filter(user=user).exists():
        raise NotFound("No such course among yours.")
    topics = list(Topic.objects.filter(slug__in=topic_slugs))
    names = ", ".join(t.name for t in topics) or "all topics"
    return quiz_create(
        course=course,
        created_by=user,
        title=f"Practice: {names}",
        topics=topics,
        num_questions=length,
        attempts_allowed=0,
        is_practice=True,
        show_score=Quiz.Reveal.AFTER_SUBMISSION,
        show_correct=Quiz.Reveal.AFTER_SUBMISSION,
        show_explanations=Quiz.Reveal.AFTER_SUBMISSION,
    )


def _pool(quiz: Quiz):
    picked = quiz.questions.all()
    if picked.exists():
        return picked.filter(status=Question.Status.PUBLISHED)
    pool = Question.objects.filter(deck__courses=quiz.course, status=Question.Status.PUBLISHED, kind__in=QUIZ_KINDS)
    topics = list(quiz.topics.all())
    if topics:
        pool = pool.filter(topic__in=topics)
    return pool.distinct()


def _check_window(quiz: Quiz, now: datetime) -> None:
    if quiz.opens_at and now < quiz.opens_at:
        opens = timezone.localtime(quiz.opens_at)  # the reader's zone (cards.accounts.zones)
        raise AnswerRejected(f"This quiz opens at {opens:%Y-%m-%d %H:%M} ({opens.tzname()}).", code="not_open")
    if quiz.closes_at and now >= quiz.closes_at:
        raise AnswerRejected("This quiz is closed.", code="closed")


@transaction.atomic
def attempt_start(*, user, quiz: Quiz, now: datetime, seed: int | None = None) -> Attempt:
    """Resume the open attempt, or draw a new one: random questions, shuffled choices."""
    if not quiz.course.enrollments.filter(user=user).exists():
        raise NotFound("No such quiz among yours.")
    # Lock the quiz row so two tabs starting at once make one attempt.
    Quiz.objects.select_for_update().filter(pk=quiz.pk).first()
    current = Attempt.objects.filter(quiz=quiz, user=user, status=Attempt.Status.IN_PROGRESS).first()
    if current is not None:
        expire_if_due(attempt=current, now=now)
        if not current.is_submitted:
            return current
    _check_window(quiz, now)
    used = Attempt.objects.filter(quiz=quiz, user=user).aggregate(n=Max("number"))["n"] or 0
    if quiz.attempts_allowed and used >= quiz.attempts_allowed:
        raise AnswerRejected("You have used every attempt of this quiz.", code="no_attempts_left")
    # bandit: which questions a quiz draws is not a secret
    rng = random.Random(seed)  # nosec B311
    pool = list(_pool(quiz).values_list("id", flat=True))
    picked = rng.sample(pool, min(quiz.num_questions, len(pool)))
    orders: dict[str, list[int]] = {}
    for qid, cid in (
        Choice.objects.filter(question_id__in=picked, question__kind__in=("single", "multiple"))
        .order_by("question_id", "order", "id")
        .values_list("question_id", "id")
    ):
        orders.setdefault(str(qid), []).append(cid)
    for ids in orders.values():
        rng.shuffle(ids)
    deadline = None
    if quiz.time_limit_minutes:
        deadline = now + timedelta(minutes=quiz.time_limit_minutes)
    if quiz.closes_at:
        deadline = min(deadline, quiz.closes_at) if deadline else quiz.closes_at
    return Attempt.objects.create(
        quiz=quiz,
        user=user,
        number=used + 1,
        started_at=now,
        deadline=deadline,
        question_ids=picked,
        choice_orders=orders,
    )


def _locked_attempt(*, user, attempt_id: int) -> Attempt:
    attempt = Attempt.objects.select_for_update().select_related("quiz").filter(pk=attempt_id, user=user).first()
    if attempt is None:
        raise NotFound("No such attempt among yours.", code="attempt_not_found")
    return attempt


def _finish(attempt: Attempt, *, at: datetime, auto: bool) -> Attempt:
    return timed.finish(attempt, at=at, auto=auto, submitted_values=submitted_values)


def expire_if_due(*, attempt: Attempt, now: datetime) -> bool:
    """Time is up: submit with what was answered, at the deadline."""
    return timed.expire_if_due(attempt, now=now, submitted_values=submitted_values)


def review_id_for(attempt: Attempt, question_id: int) -> uuid.UUID:
    """One review per question per attempt, whatever the retries: the card learns once."""
    return uuid.uuid5(REVIEW_NAMESPACE, f"{attempt.pk}:{question_id}")


def attempt_answer(*, user, attempt_id: int, question_id: int, answer: dict, now: datetime) -> Response:
    # Submitting a timed-out attempt is its own transaction: it must stick although the
    # answer is then refused.
    if attempt_expire(attempt_id=attempt_id, now=now, user=user):
        raise AnswerRejected("Time is up: the quiz was submitted with your answers so far.", code="time_up")
    return _save_answer(user=user, attempt_id=attempt_id, question_id=question_id, answer=answer, now=now)


@transaction.atomic
def _save_answer(*, user, attempt_id: int, question_id: int, answer: dict, now: datetime) -> Response:
    attempt = _locked_attempt(user=user, attempt_id=attempt_id)
    if attempt.is_submitted:
        raise AnswerRejected("This attempt is already submitted.", code="already_submitted")
    if question_id not in attempt.question_ids:
        raise NotFound("That question is not in this attempt.", code="question_not_in_attempt")
    question = Question.objects.get(pk=question_id)
    cloze = 1 if question.kind == "cloze" else 0
    try:
        result = grading.grade(question_spec(question, cloze=cloze), answer)
    except grading.InvalidAnswer as exc:
        raise InvalidInput(exc.message, code="invalid_answer", field=exc.field) from exc
    existing = Response.objects.filter(attempt=attempt, question=question).first()
    if existing is not None and attempt.quiz.show_correct == Quiz.Reveal.IMMEDIATELY:
        raise AnswerRejected("You already saw the answer to this question.", code="already_answered")
    if existing is None:
        response = Response.objects.create(
            attempt=attempt,
            question=question,
            question_revision=question.revision,
            answer=answer,
            correct=result.correct,
            score=result.score,
            first_answered_at=now,
            answered_at=now,
        )
        card = Card.objects.filter(user=user, question=question, cloze=cloze).first()
        if card is not None:
            record_outside_queue(
                user=user,
                card_id=card.pk,
                answer=answer,
                correct=result.correct,
                score=result.score,
                rating=int(result.rating),
                now=now,
                review_id=review_id_for(attempt, question.pk),
            )
        return response
    existing.answer, existing.correct, existing.score, existing.answered_at = answer, result.correct, result.score, now
    existing.question_revision = question.revision
    existing.save(update_fields=["answer", "correct", "score", "answered_at", "question_revision"])
    return existing


@transaction.atomic
def attempt_submit(*, user, attempt_id: int, now: datetime) -> Attempt:
    attempt = _locked_attempt(user=user, attempt_id=attempt_id)
    if expire_if_due(attempt=attempt, now=now):
        return attempt
    if attempt.is_submitted:
        raise AnswerRejected("This attempt is already submitted.", code="already_submitted")
    return _finish(attempt, at=now, auto=False)


@transaction.atomic
def attempt_expire(*, attempt_id: int, now: datetime, user=None) -> bool:
    attempts = Attempt.objects.select_for_update().select_related("quiz").filter(pk=attempt_id)
    if user is not None:
        attempts = attempts.filter(user=user)
    attempt = attempts.first()
    return attempt is not None and expire_if_due(attempt=attempt, now=now)


def close_expired_attempts(*, now: datetime) -> int:
    """For a periodic job (`manage.py close_expired_attempts`): submit every attempt whose
    time ran out, even if its student never comes back."""
    ids = Attempt.objects.filter(status=Attempt.Status.IN_PROGRESS, deadline__lte=now).values_list("id", flat=True)
    return sum(attempt_expire(attempt_id=attempt_id, now=now) for attempt_id in list(ids))
