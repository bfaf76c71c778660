"""Writes of the study loop: answer a card, re-rate, undo, suspend.

Every write locks the card it changes and runs in one transaction. The review log is only
ever appended to: an undo is a new row pointing at the review it undoes.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Subquery

from cards.core import exams, grading, scheduling
from cards.core.scheduling import CardState, Rating
from cards.db.answer import REFIT_EVERY, AnswerContext, append_review, card_for_answer, write_card_state
from cards.errors import AnswerRejected, InvalidInput, NotFound
from cards.models import Card, Choice, Enrollment, ReviewLog
from cards.selectors.scheduler import fitted_parameters
from cards.selectors.study import reviews_done_today, user_timezone
from cards.selectors.terms import CHOICE_KINDS, question_spec
from cards.services import tasks
from cards.services.tasks import enqueue_on_commit

LEECH_LAPSES = 8


@dataclass(frozen=True)
class AnswerOutcome:
    card: Card
    log: ReviewLog
    replayed: bool  # True when this review id was already recorded: nothing new was written
    choices: tuple[Choice, ...] = ()  # the question's choices as the answer read them (stored order)
    # What scheduled it (recorded answers only): the settings and the exam's cap, so the
    # feedback's re-rate buttons show what each rating would have done, at no query.
    schedule: tuple[scheduling.SchedulerSettings, datetime | None] | None = None
    class_share: tuple | None = None  # how the class answered it, as the answer read it (AnswerContext)

    @property
    def correct(self) -> bool:
        return bool(self.log.correct)


def card_state(card: Card) -> CardState:
    return CardState(**{name: getattr(card, name) for name in scheduling.STATE_FIELDS})


def _apply_state(card: Card, state: CardState) -> None:
    for name in scheduling.STATE_FIELDS:
        setattr(card, name, getattr(state, name))


def _locked_card(*, user, card_id: int) -> Card:
    enrollment = Enrollment.objects.filter(user=user, course=OuterRef("course_id"))
    retention = enrollment.values("desired_retention")[:1]
    exam = enrollment.values("exam_date")[:1]
    card = (
        Card.objects.select_for_update(of=("self",))
        .select_related("question", "course")
        .annotate(
            student_retention=Subquery(retention),
            fitted_parameters=fitted_parameters(user.pk),
            parameter_set=fitted_parameters(user.pk, "parameter_set"),
            student_exam=Subquery(exam),
        )
        .filter(pk=card_id, user=user)
        .first()
    )
    if card is None:
        raise NotFound("No such card in your decks.", code="card_not_found")
    return card


def _exam_cap(user, card: Card, now: datetime) -> datetime | None:
    """The latest due date the student's exam allows (a card read by _locked_card); the time
    zone is read only when there is an exam."""
    exam = exams.effective_exam(card.student_exam, card.course.exam_date)
    return exams.due_cap(now, exam, user_timezone(user)) if exam else None


def is_due(card: Card, now: datetime, day_end: datetime) -> bool:
    """New cards wait only for the daily limit; review cards are due for the whole study
    day; learning steps are due to the minute."""
    if card.last_review is None:
        return True
    if card.state == Card.State.REVIEW:
        return card.due < day_end
    return card.due <= now


def _check_answerable(context: AnswerContext, *, now: datetime, expected_reps: int | None) -> None:
    card = context.card
    if card.suspended:
        raise AnswerRejected("This card is suspended.", code="suspended")
    if card.question.status != "published":
        raise AnswerRejected("This question is no longer in use.", code="retired")
    if expected_reps is not None and expected_reps != card.reps:
        raise AnswerRejected(
            "This card was already answered (in another tab or a double submit).",
            code="already_answered",
        )
    day_start, day_end = scheduling.study_day_bounds(now, context.timezone)
    if not is_due(card, now, day_end):
        raise AnswerRejected("This card is not due yet.", code="not_due")
    if not card.is_new and card.state != Card.State.REVIEW:
        return  # a learning step: no daily limit applies
    if context.done_since == day_start:  # counted with the card
        done = context.done_today
    else:
        done = reviews_done_today(user_id=card.user_id, course_id=card.course_id, since=day_start)
    new_limit = exams.new_allowance(
        limit=card.course.new_per_day,
        unseen=context.unseen,
        done_new=done["new"],
        days=exams.days_left(now, context.exam_date, context.timezone),
    )
    if card.is_new and done["new"] >= new_limit:
        raise AnswerRejected("Today's limit of new cards is reached.", code="daily_limit")
    if not card.is_new and card.state == Card.State.REVIEW and done["reviews"] >= card.course.reviews_per_day:
        raise AnswerRejected("Today's limit of reviews is reached.", code="daily_limit")


def _existing_review(*, user, review_id: uuid.UUID, card_id: int) -> AnswerOutcome | None:
    log = ReviewLog.objects.filter(user=user, review_id=review_id).select_related("card").first()
    if log is None:
        return None
    if log.card_id != card_id or log.kind != ReviewLog.Kind.REVIEW:
        raise InvalidInput(
            "This review id was already used for another answer.", code="review_id_reused", field="review_id"
        )
    return AnswerOutcome(card=log.card, log=log, replayed=True)


@transaction.atomic
def answer_card(
    *,
    user,
    card_id: int,
    answer: dict,
    review_id: uuid.UUID,
    now: datetime,
    response_ms: int | None = None,
    expected_reps: int | None = None,
    rating: int | None = None,
    tz_name: str | None = None,
    course_id: int | None = None,
    deck_id: int | None = None,
) -> AnswerOutcome:
    """Grade an answer, schedule the card with FSRS and append the review to the log.

    Idempotent: the same `review_id` again returns the stored outcome and writes nothing.
    `rating` overrides Good with Hard or Easy after a correct answer (flashcards: it is the answer).
    `tz_name`: the student's time zone when the caller has already read it (saves a query;
    the profile loaded with the user does the same). `course_id` / `deck_id`: the study
    page's course and deck, which the card must be in (checked before anything is written).
    A card of a course the student is no longer enrolled in is not found.
    """
    # One query reads the card (locked), its question and choices, whether this review id is
    # already recorded, and today's done counts (from the student's day start: the time zone
    # comes with the user from the API's token lookup, from the study page's own query, or
    # costs one small query).
    since, day_end = scheduling.study_day_bounds(now, tz_name or user_timezone(user))
    context = card_for_answer(user_id=user.pk, card_id=card_id, review_id=review_id, since=since)
    if context is not None and not _in_place(context, course_id=course_id, deck_id=deck_id):
        raise NotFound("No such card in this deck.", code="card_not_found")
    if context is None:
        replay = _existing_review(user=user, review_id=review_id, card_id=card_id)
        if replay:
            return replay
        raise NotFound("No such card in your decks.", code="card_not_found")
    if context.replay_of is not None:
        return _existing_review(user=user, review_id=review_id, card_id=card_id)
    _check_answerable(context, now=now, expected_reps=expected_reps)
    card, question = context.card, context.card.question
    if question.kind == "flashcard" and rating is not None and "rating" not in answer:
        answer = {**answer, "rating": rating}
    choices = context.choices if question.kind in CHOICE_KINDS else []
    try:
        result = grading.grade(question_spec(question, cloze=card.cloze, choices=choices), answer)
    except grading.InvalidAnswer as exc:
        raise InvalidInput(exc.message, code="invalid_answer", field=exc.field) from exc
    chosen = Rating(result.rating)
    if rating is not None and question.kind != "flashcard" and Rating(rating) in grading.allowed_ratings(result):
        chosen = Rating(rating)
    outcome = _record(
        card=card,
        retention=context.student_retention,
        parameters=context.fitted_parameters,
        parameter_set=context.parameter_set,
        cap=exams.due_cap(now, context.exam_date, context.timezone),
        answer=answer,
        correct=result.correct,
        score=result.score,
        rating=chosen,
        now=now,
        review_id=review_id,
        response_ms=response_ms,
        # Its siblings (questions citing the same passage) wait for the next study day.
        bury=(question.passage_id, day_end) if card.course.bury_siblings and question.passage_id else None,
    )
    if context.reviews_since_fit == REFIT_EVERY - 1:  # this answer is the REFIT_EVERY-th
        enqueue_on_commit(tasks.fit_course_parameters, course_id=card.course_id)
    return AnswerOutcome(
        card=card,
        log=outcome.log,
        replayed=False,
        choices=tuple(context.choices),
        schedule=outcome.schedule,
        class_share=context.class_share,
    )


def _in_place(context: AnswerContext, *, course_id: int | None, deck_id: int | None) -> bool:
    card = context.card
    return (
        context.enrolled
        and (course_id is None or card.course_id == course_id)
        and (deck_id is None or card.deck_id == deck_id)
    )


def _record(
    *,
    card: Card,
    retention: float | None,
    parameters: tuple[float, ...] | None,
    parameter_set: int | None,
    cap: datetime | None,
    answer: dict,
    correct: bool,
    score: float,
    rating: Rating,
    now: datetime,
    review_id: uuid.UUID,
    response_ms: int | None,
    overrides: ReviewLog | None = None,
    bury: tuple | None = None,
) -> AnswerOutcome:
    before = card_state(card)
    settings = card.course.scheduler_settings(retention, parameters, safety_critical=card.question.safety_critical)
    outcome = scheduling.review(before, rating, now, settings, card_id=card.pk)
    outcome = exams.capped(outcome, now, cap)  # every card back before the exam day
    _apply_state(card, outcome.state)
    fields = list(scheduling.STATE_FIELDS)
    if outcome.state.lapses >= LEECH_LAPSES and before.lapses < LEECH_LAPSES:
        card.leech = True
        card.suspended = True
        fields += ["leech", "suspended"]
    log = ReviewLog(
        user_id=card.user_id,
        card=card,
        review_id=review_id,
        question_revision=card.question.revision,
        rating=int(rating),
        answer=answer,
        correct=correct,
        score=score,
        response_ms=response_ms,
        was_new=before.reps == 0,
        reviewed_at=now,
        state_before=before.to_json(),
        state_after=outcome.state.to_json(),
        overrides=overrides,
        parameter_set_id=parameter_set,
    )
    try:
        append_review(log)
    except IntegrityError as exc:
        # A concurrent request recorded this review id first (the lock only covers the card).
        raise AnswerRejected("This answer was already recorded.", code="already_answered") from exc
    write_card_state(card, fields, bury=bury)
    return AnswerOutcome(card=card, log=log, replayed=False, schedule=(settings, cap))


def _last_review(*, user, for_update_card: int | None = None) -> ReviewLog:
    qs = ReviewLog.objects.filter(user=user, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)
    if for_update_card is not None:
        qs = qs.filter(card_id=for_update_card)
    log = qs.order_by("-reviewed_at", "-id").first()
    if log is None:
        raise AnswerRejected("There is no review to undo.", code="nothing_to_undo")
    return log


def _restore(card: Card, log: ReviewLog, *, now: datetime) -> ReviewLog:
    state = CardState.from_json(log.state_before)
    _apply_state(card, state)
    fields = list(scheduling.STATE_FIELDS)
    if card.leech and state.lapses < LEECH_LAPSES:
        card.leech = False
        card.suspended = False
        fields += ["leech", "suspended"]
    card.save(update_fields=fields)
    return ReviewLog.objects.create(
        user_id=card.user_id,
        card=card,
        kind=ReviewLog.Kind.UNDO,
        undoes=log,
        review_id=uuid.uuid4(),
        question_revision=log.question_revision,
        reviewed_at=now,
        state_before=log.state_after,
        state_after=log.state_before,
    )


@transaction.atomic
def undo_last_review(*, user, now: datetime) -> ReviewLog:
    """Put the card of the user's last review back as it was; the review stays, marked undone."""
    log = _last_review(user=user)
    card = _locked_card(user=user, card_id=log.card_id)
    latest = _last_review(user=user, for_update_card=card.pk)
    if latest.pk != log.pk:
        raise AnswerRejected("The card changed since; nothing was undone.", code="conflict")
    try:
        with transaction.atomic():
            return _restore(card, log, now=now)
    except IntegrityError as exc:  # two undos raced for the same review
        raise AnswerRejected("That review was already undone.", code="nothing_to_undo") from exc


def _replayed(*, user, review_id: uuid.UUID) -> AnswerOutcome | None:
    replay = ReviewLog.objects.filter(user=user, review_id=review_id).select_related("card").first()
    return None if replay is None else AnswerOutcome(card=replay.card, log=replay, replayed=True)


def _original(*, user, review_id: uuid.UUID) -> ReviewLog:
    original = (
        ReviewLog.objects.filter(user=user, review_id=review_id, kind=ReviewLog.Kind.REVIEW)
        .select_related("card__question")
        .first()
    )
    if original is None:
        raise NotFound("No such review.", code="review_not_found")
    return original


def _redo(
    *, user, original: ReviewLog, rating: Rating, new_review_id: uuid.UUID, now: datetime, conflict: str, **changes
) -> AnswerOutcome:
    """Undo `original` and record it again from the same starting state at the same moment,
    with `rating` (and `changes`: correct, score, overrides); both steps appended to the log."""
    card = _locked_card(user=user, card_id=original.card_id)
    latest = _last_review(user=user, for_update_card=card.pk)
    if latest.pk != original.pk:
        raise AnswerRejected(conflict, code="conflict")
    _restore(card, original, now=now)
    return _record(
        card=card,
        retention=card.student_retention,
        parameters=card.fitted_parameters,
        parameter_set=card.parameter_set,
        cap=_exam_cap(user, card, original.reviewed_at),
        answer=original.answer,
        correct=True,
        score=original.score or 1.0,
        rating=rating,
        now=original.reviewed_at,
        review_id=new_review_id,
        response_ms=original.response_ms,
        **changes,
    )


@transaction.atomic
def rerate_review(*, user, review_id: uuid.UUID, rating: int, new_review_id: uuid.UUID, now: datetime) -> AnswerOutcome:
    """After a correct answer, the student says it was Hard or Easy rather than Good.

    The first review is undone and the card rescheduled from the same starting state at the
    same moment, with the chosen rating; both steps are appended to the log.
    """
    replay = _replayed(user=user, review_id=new_review_id)
    if replay is not None:
        return replay
    original = _original(user=user, review_id=review_id)
    if not original.correct:
        raise AnswerRejected("Only a correct answer can be re-rated.", code="not_correct")
    if rating not in (Rating.HARD, Rating.GOOD, Rating.EASY):
        raise InvalidInput("Choose Hard, Good or Easy.", code="invalid_rating", field="rating")
    if original.rating == rating:
        latest = _last_review(user=user, for_update_card=original.card_id)
        if latest.pk != original.pk:
            raise AnswerRejected("This card was answered again since; the rating stays.", code="conflict")
        return AnswerOutcome(card=original.card, log=original, replayed=True)
    return _redo(
        user=user,
        original=original,
        rating=Rating(rating),
        new_review_id=new_review_id,
        now=now,
        conflict="This card was answered again since; the rating stays.",
        overrides=original.overrides if original.overrides_id else None,  # a re-rated "I was right" stays one
    )


@transaction.atomic
def override_review(*, user, review_id: uuid.UUID, new_review_id: uuid.UUID, now: datetime) -> AnswerOutcome:
    """A typed answer graded wrong counts as correct (Good), "I was right", because the student
    says so. As a re-rating, the wrong review is undone and the answer recorded again, correct,
    from the same state at the same moment; the new review points at the one it overrides, so
    the log says whose judgement it was. Idempotent by `new_review_id`, and once per review."""
    replay = _replayed(user=user, review_id=new_review_id)
    if replay is not None:
        return replay
    original = _original(user=user, review_id=review_id)
    if original.card.question.kind not in grading.TYPED_KINDS:
        raise AnswerRejected("Only a typed answer can be claimed right.", code="not_typed")
    if original.correct:
        raise AnswerRejected("This answer was already counted right.", code="already_correct")
    done = ReviewLog.objects.filter(overrides=original).select_related("card").first()
    if done is not None:  # claimed already (another tab, another review id)
        return AnswerOutcome(card=done.card, log=done, replayed=True)
    return _redo(
        user=user,
        original=original,
        rating=Rating.GOOD,
        new_review_id=new_review_id,
        now=now,
        conflict="This card was answered again since; the answer stays as graded.",
        overrides=original,
    )


@transaction.atomic
def set_card_suspended(*, user, card_id: int, suspended: bool) -> Card:
    card = _locked_card(user=user, card_id=card_id)
    card.suspended = suspended
    if not suspended:
        card.leech = False
    card.save(update_fields=["suspended", "leech"])
    return card


def record_read_card(
    *,
    context: AnswerContext,
    answer: dict,
    correct: bool,
    score: float,
    rating: int,
    now: datetime,
    review_id: uuid.UUID,
) -> AnswerOutcome | None:
    """As `record_outside_queue`, for a card the caller read with `card_for_answer` (locked,
    with the student's settings and whether its review id is recorded) inside its own
    transaction: nothing read again. None: nothing written (already recorded, or suspended).

    Measured (the bench's block scenario, in-process): the block answer's card read through
    the ORM (`_locked_card`'s annotations), the review-id lookup and the choices' read were
    about half of its 10.5 ms."""
    card = context.card
    if context.replay_of is not None or card.suspended:
        return None
    return _record(
        card=card,
        retention=context.student_retention,
        parameters=context.fitted_parameters,
        parameter_set=context.parameter_set,
        cap=exams.due_cap(now, context.exam_date, context.timezone),
        answer=answer,
        correct=correct,
        score=score,
        rating=Rating(rating),
        now=now,
        review_id=review_id,
        response_ms=None,
    )


@transaction.atomic
def record_outside_queue(
    *, user, card_id: int, answer: dict, correct: bool, score: float, rating: int, now: datetime, review_id: uuid.UUID
) -> AnswerOutcome:
    """A quiz answer teaches the card too, due or not (FSRS accounts for the elapsed time);
    idempotent by review id like every review."""
    replay = ReviewLog.objects.filter(user=user, review_id=review_id).select_related("card").first()
    if replay is not None:
        return AnswerOutcome(card=replay.card, log=replay, replayed=True)
    card = _locked_card(user=user, card_id=card_id)
    if card.suspended:
        return AnswerOutcome(card=card, log=None, replayed=True)
    return _record(
        card=card,
        retention=card.student_retention,
        parameters=card.fitted_parameters,
        parameter_set=card.parameter_set,
        cap=_exam_cap(user, card, now),
        answer=answer,
        correct=correct,
        score=score,
        rating=Rating(rating),
        now=now,
        review_id=review_id,
        response_ms=None,
    )
