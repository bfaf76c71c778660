"""Reads of quizzes: which a student sees, and an attempt's items as its review options allow."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q

from cards.models import Attempt, Choice, Question, Quiz, Response
from cards.selectors.feedback import correct_answer_text, typo_correction


def reveal_allowed(option: str, *, attempt, now: datetime) -> bool:
    """May the student see this part of the review (score, correct answers, explanations)?
    'After close' with no closing time never comes: the instructor chose to keep it hidden."""
    if option == Quiz.Reveal.IMMEDIATELY:
        return True
    if option == Quiz.Reveal.AFTER_SUBMISSION:
        return attempt.is_submitted
    if option == Quiz.Reveal.AFTER_CLOSE:
        closes = attempt.quiz.closes_at
        return attempt.is_submitted and closes is not None and now >= closes
    return False


def quizzes_for_student(user):
    return (
        Quiz.objects.filter(course__enrollments__user=user, archived=False)
        .filter(Q(is_practice=False) | Q(created_by=user))
        .select_related("course")
        .annotate(my_attempts=Count("attempts", filter=Q(attempts__user=user), distinct=True))
        .order_by("-created_at")
    )


def course_quizzes(course):
    """The course's quizzes (not students' practice quizzes) for its instructors, newest
    first, archived ones last, each with its number of attempts and of students who tried it."""
    return (
        Quiz.objects.filter(course=course, is_practice=False)
        .annotate(attempt_count=Count("attempts"), student_count=Count("attempts__user", distinct=True))
        .order_by("archived", "-created_at", "-id")
    )


def quiz_state(quiz, *, now: datetime) -> str:
    """'archived', 'scheduled' (opens later), 'closed' or 'open', as the quiz list shows it."""
    if quiz.archived:
        return "archived"
    if quiz.opens_at and now < quiz.opens_at:
        return "scheduled"
    if quiz.closes_at and now >= quiz.closes_at:
        return "closed"
    return "open"


@dataclass(frozen=True)
class AttemptItem:
    number: int
    question: Question
    choices: list
    response: object | None
    show_correct: bool
    show_explanation: bool
    correct_answer: str
    typo_of: str | None = None  # accepted with a typo (shown with the correct answer only)

    @property
    def picked(self) -> set:
        if self.response is None:
            return set()
        answer = self.response.answer
        return set(answer.get("choices") or []) | {answer.get("choice")}


def attempt_items(attempt, *, now: datetime) -> list[AttemptItem]:
    """The attempt's questions in their drawn order, choices in their drawn order, with the
    student's responses and what the review options allow them to see: three queries."""
    questions = Question.objects.select_related("passage__source").in_bulk(attempt.question_ids)
    choices: dict[int, dict[int, Choice]] = {}
    for choice in Choice.objects.filter(question_id__in=attempt.question_ids):
        choices.setdefault(choice.question_id, {})[choice.pk] = choice
    responses = {r.question_id: r for r in Response.objects.filter(attempt=attempt)}
    quiz = attempt.quiz
    items = []
    for n, qid in enumerate(attempt.question_ids, start=1):
        question = questions.get(qid)
        if question is None:
            continue
        by_id = choices.get(qid, {})
        order = attempt.choice_orders.get(str(qid)) or sorted(by_id, key=lambda cid: (by_id[cid].order, cid))
        ordered = [by_id[cid] for cid in order if cid in by_id]
        response = responses.get(qid)
        answered = response is not None
        cloze = 1 if question.kind == "cloze" else 0
        show_correct = reveal_allowed(quiz.show_correct, attempt=attempt, now=now) and (
            attempt.is_submitted or answered
        )
        show_explanation = reveal_allowed(quiz.show_explanations, attempt=attempt, now=now) and (
            attempt.is_submitted or answered
        )
        items.append(
            AttemptItem(
                number=n,
                question=question,
                choices=ordered,
                response=response,
                show_correct=show_correct,
                show_explanation=show_explanation,
                correct_answer=correct_answer_text(question, ordered, cloze) if show_correct else "",
                typo_of=typo_correction(question, cloze, str(response.answer.get("text", "")), correct=response.correct)
                if show_correct and answered
                else None,
            )
        )
    return items


def submitted_values(attempt: Attempt, *, at: datetime, auto: bool) -> dict:
    """An attempt's fields once submitted at `at`: its score is what its responses scored."""
    scores = attempt.responses.values_list("score", flat=True)
    return {
        "score": float(sum(score or 0.0 for score in scores)),
        "max_score": float(len(attempt.question_ids)),
        "status": Attempt.Status.SUBMITTED,
        "submitted_at": at,
        "auto_submitted": auto,
    }


def attempt_as_of(attempt: Attempt, *, now: datetime) -> Attempt:
    """The attempt as it stands at `now`: once its time is up it reads as submitted at its
    deadline with what was answered, without writing (a page view never writes; the
    student's next answer or `close_expired_attempts` records it the same way)."""
    if attempt.is_submitted or attempt.deadline is None or now < attempt.deadline:
        return attempt
    shown = copy.copy(attempt)
    for name, value in submitted_values(attempt, at=attempt.deadline, auto=True).items():
        setattr(shown, name, value)
    return shown
