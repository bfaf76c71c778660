"""What a student sees after answering: the verdict, the choices as shown, the correct
answer, the next interval and (after a correct answer) the other ratings."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Exists, OuterRef, Subquery

from cards.core import exams, grading, scheduling
from cards.models import Card, Choice, Enrollment, Question, ReviewLog
from cards.selectors.study import card_choices, choice_order_seed, shuffled, user_timezone
from cards.selectors.terms import CHOICE_KINDS


@dataclass(frozen=True)
class ChoiceResult:
    choice: Choice
    picked: bool


@dataclass(frozen=True)
class Feedback:
    log: ReviewLog
    card: Card
    question: Question
    choices: list[ChoiceResult]
    correct_answer: str
    undone: bool
    interval_label: str
    rerate_options: list  # [(Outcome)] for Hard/Good/Easy after a correct answer, else []
    typo_of: str | None = None  # accepted with a typo: the answer as spelled (see typo_correction)
    overridden: bool = False  # counted as right because the student said so ("I was right")

    @property
    def can_override(self) -> bool:
        """A typed answer graded wrong may be claimed right once ("I was right")."""
        return self.question.kind in grading.TYPED_KINDS and not self.log.correct and not self.undone

    @property
    def given_text(self) -> str:
        return str(self.log.answer.get("text", ""))

    @property
    def shows_given(self) -> bool:
        return self.question.kind != "flashcard"


def correct_answer_text(question: Question, choices: list[Choice], cloze: int) -> str:
    if question.kind == "flashcard":
        return question.back
    if question.kind == "short":
        return (question.answers or [""])[0]
    if question.kind == "cloze":
        deletion = grading.cloze_deletions(question.prompt).get(cloze)
        return deletion[0] if deletion else ""
    return "; ".join(c.text for c in choices if c.correct)


def typo_correction(question: Question, cloze: int, text: str, *, correct: bool) -> str | None:
    """The note under an accepted typed answer with a slip: the accepted answer as spelled
    (core.grading.typo_of), the same in study, quizzes and the API."""
    if not correct or question.kind not in grading.TYPED_KINDS:
        return None
    spec = grading.QuestionSpec(
        kind=question.kind, prompt=question.prompt, cloze=cloze, **grading.spec_answers(question.answers)
    )
    return grading.typo_of(text, grading.accepted_answers(spec))


# What scheduled a review: its settings (retention, fitted parameters) and the exam's cap.
Schedule = tuple[scheduling.SchedulerSettings, datetime | None]


def review_feedback(*, user, review_id, with_rerate: bool = True) -> Feedback | None:
    """Everything the student sees after answering, rebuilt from the log: two queries (the
    student's time zone too when they have an exam, unless it came with the user)."""
    undone = ReviewLog.objects.filter(undoes=OuterRef("pk"))
    enrollment = Enrollment.objects.filter(user=user, course=OuterRef("card__course_id"))
    log = (
        ReviewLog.objects.filter(user=user, review_id=review_id, kind=ReviewLog.Kind.REVIEW)
        .select_related("card__course", "card__question__passage__source", "parameter_set")
        .annotate(
            is_undone=Exists(undone),
            student_retention=Subquery(enrollment.values("desired_retention")[:1]),
            student_exam=Subquery(enrollment.values("exam_date")[:1]),
        )
        .first()
    )
    if log is None:
        return None
    card, question = log.card, log.card.question
    choices = card_choices(question, shuffle_seed=choice_order_seed(card.pk, log.state_before.get("reps", 0)))
    exam = exams.effective_exam(log.student_exam, card.course.exam_date)
    parameters = log.parameter_set.parameters if log.parameter_set else None
    schedule = (
        card.course.scheduler_settings(log.student_retention, parameters, safety_critical=question.safety_critical),
        exams.due_cap(log.reviewed_at, exam, user_timezone(user)) if exam else None,
    )
    return _feedback(log, card, choices, undone=log.is_undone, with_rerate=with_rerate, schedule=schedule)


def fresh_feedback(
    card: Card, choices: list[Choice], log: ReviewLog, *, with_rerate: bool = False, schedule: Schedule | None = None
) -> Feedback:
    """The feedback of a review just recorded, from what the answer loaded and wrote (the
    card carries its course, question and cited passage; `choices` in stored order;
    `schedule`: what scheduled it, cards.services.study.AnswerOutcome.schedule): no query,
    and the same as `review_feedback` reads back from the log."""
    seed = choice_order_seed(card.pk, log.state_before.get("reps", 0))
    shown = shuffled(choices, card.question, seed) if card.question.kind in CHOICE_KINDS else []
    return _feedback(log, card, shown, undone=False, with_rerate=with_rerate, schedule=schedule)


def _feedback(log, card, choices, *, undone: bool, with_rerate: bool, schedule: Schedule | None = None) -> Feedback:
    question = card.question
    picked = set(log.answer.get("choices") or []) | {log.answer.get("choice")}
    rerate = []
    state_after = scheduling.CardState.from_json(log.state_after)
    if with_rerate and log.correct and not undone and question.kind != "flashcard":
        # What each rating would have done: with the student's retention and parameters, and
        # capped by their exam, as the answer itself was.
        settings, cap = schedule or (card.course.scheduler_settings(safety_critical=question.safety_critical), None)
        before = scheduling.CardState.from_json(log.state_before)
        outcomes = exams.capped_all(
            scheduling.next_states(before, log.reviewed_at, settings, card_id=card.pk), log.reviewed_at, cap
        )
        rerate = [outcomes[r] for r in (scheduling.Rating.HARD, scheduling.Rating.GOOD, scheduling.Rating.EASY)]
    return Feedback(
        log=log,
        card=card,
        question=question,
        choices=[ChoiceResult(choice=c, picked=c.pk in picked) for c in choices],
        correct_answer=correct_answer_text(question, choices, card.cloze),
        undone=undone,
        interval_label=scheduling.format_interval(state_after.due - log.reviewed_at),
        rerate_options=rerate,
        typo_of=typo_correction(question, card.cloze, str(log.answer.get("text", "")), correct=bool(log.correct)),
        overridden=log.overrides_id is not None,
    )
