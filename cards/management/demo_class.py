"""The demo course's class (`manage.py seed_demo`): some dozens of students with a few weeks
of study and a quiz behind them, so that a visitor finds the class analytics, the item
discrimination, the dashboards and the instructor pages full of data.

Every review is made by the product itself: `services.study.answer_card` and the quiz
services, called with `now=` in the past, day after day, so the cards' schedules, the review
log, the quiz responses and every number shown are what studying would have produced (and
`manage.py verify_reviews` replays them). Only the students' answers are simulated: each has
an ability, each question a difficulty, and a student gets a question right with the Rasch
model's probability (better once they have seen it). A fixed random seed makes two runs the
same."""

from __future__ import annotations

import math
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.contrib.auth import get_user_model
from django.db.models import Q

from cards.core import grading, scheduling
from cards.errors import DomainError
from cards.models import Card, Course, Question, Quiz
from cards.services import quizzes as quiz_services
from cards.services.courses import enroll_student
from cards.services.study import answer_card

# Usernames of the class (student1, a demo login, studies with them).
CLASS_NAMES = (
    "amara", "ben", "chloe", "dev", "elena", "farid", "grace", "hiro", "ines", "jonas", "kofi", "lena",
    "marco", "nadia", "omar", "priya", "quentin", "rosa", "sami", "tara", "umar", "vera", "wei", "xenia",
    "yusuf", "zoe", "aiko", "bruno", "carla", "dmitri", "emeka", "fatima", "gustav", "hana", "ivan", "julia",
)  # fmt: skip
SITTINGS = (0, 2, 13)  # minutes into a study session: the 1- and 10-minute learning steps come back
SESSION_REVIEWS = 25  # a student stops for the day after this many answers
STUDY_HOUR = 12  # UTC: inside every demo student's study day (UTC, starting at 04:00)
QUIZ_TITLE = "Week 1 check"
QUIZ_QUESTIONS = 8


@dataclass(frozen=True)
class Learner:
    user: object
    ability: float  # logit: above 0 gets most questions right
    diligence: float  # chance of studying on a given day
    new_per_day: int


@dataclass(frozen=True)
class ClassSeeded:
    students: int
    reviews: int
    quiz_attempts: int


def class_usernames(size: int) -> list[str]:
    """amara.demo, ben.demo, ... (past the list's end: amara2.demo, ...)."""
    names = []
    for i in range(size):
        base, lap = CLASS_NAMES[i % len(CLASS_NAMES)], i // len(CLASS_NAMES)
        names.append(f"{base}{lap + 1 if lap else ''}.demo")
    return names


def class_students(course: Course, size: int, *, rng: random.Random, also=()) -> list[Learner]:
    """The class: `also` (demo logins that study with it) and `size` more, enrolled, each with
    an ability, a diligence and a pace; no password (only the demo logins log in)."""
    User = get_user_model()
    users = list(also)
    for name in class_usernames(size):
        user, created = User.objects.get_or_create(username=name, defaults={"email": f"{name}@example.com"})
        if created:
            user.set_unusable_password()
            user.save(update_fields=["password"])
        users.append(user)
    learners = []
    for user in users:
        enroll_student(user=user, course=course)
        learners.append(
            Learner(
                user=user,
                ability=min(2.2, max(-1.0, rng.gauss(0.6, 0.9))),
                diligence=rng.uniform(0.3, 0.7),
                new_per_day=rng.choice((2, 2, 3)),
            )
        )
    return learners


def _p_right(learner: Learner, difficulty: float, seen: bool) -> float:
    """Rasch: the likelier the abler the student and the easier the question; a card seen
    before is easier to get right (the student learnt from its feedback)."""
    return 1 / (1 + math.exp(-1.7 * (learner.ability + (1.2 if seen else 0.0) - difficulty)))


def _answer(question: Question, cloze: int, right: bool, rng: random.Random) -> dict:
    choices = list(question.choices.all())
    if question.kind == "flashcard":
        return {"rating": rng.choice((3, 3, 3, 4, 2)) if right else 1}
    if question.kind in ("single", "truefalse"):
        return {"choice": rng.choice([c.pk for c in choices if c.correct == right] or [choices[0].pk])}
    if question.kind == "multiple":
        correct = [c.pk for c in choices if c.correct]
        if right:
            return {"choices": correct}
        wrong = [c.pk for c in choices if not c.correct]
        return {"choices": correct[: max(1, len(correct) - 1)] + wrong[:1]}  # partly right
    if not right:
        return {"text": rng.choice(("not sure", "GABA-A", "dopamine"))}
    if question.kind == "cloze":
        return {"text": grading.cloze_deletions(question.prompt)[cloze][0]}
    return {"text": question.answers[0]}


def _cards_to_study(user, at: datetime, day_end: datetime, *, new: int, rng: random.Random) -> list[Card]:
    """The student's cards answerable at `at`: reviews due today, learning steps due now, and
    `new` new cards drawn at random (every topic, not the bank's first)."""
    studyable = Card.objects.filter(user=user, suspended=False, question__status=Question.Status.PUBLISHED)
    new_ids = list(studyable.filter(last_review__isnull=True).order_by("id").values_list("id", flat=True))
    picked = rng.sample(new_ids, min(new, len(new_ids)))
    cards = list(
        studyable.filter(Q(pk__in=picked) | Q(state=Card.State.REVIEW, due__lt=day_end) | Q(due__lte=at, reps__gt=0))
        .select_related("question")
        .prefetch_related("question__choices")
        .order_by("due", "id")
    )
    rng.shuffle(cards)
    return cards


def _study_session(learner: Learner, start: datetime, rng: random.Random, difficulty: dict) -> int:
    """One day's study: the sittings of a session, each answering what is due; new cards up
    to the learner's pace."""
    written = 0
    new_left = learner.new_per_day
    _day_start, day_end = scheduling.study_day_bounds(start, "UTC")
    for minutes in SITTINGS:
        at = start + timedelta(minutes=minutes)
        for card in _cards_to_study(learner.user, at, day_end, new=new_left, rng=rng):
            if written >= SESSION_REVIEWS:
                return written
            new_left -= card.is_new
            right = rng.random() < _p_right(learner, difficulty[card.question_id], seen=not card.is_new)
            try:
                answer_card(
                    user=learner.user,
                    card_id=card.pk,
                    answer=_answer(card.question, card.cloze, right, rng),
                    review_id=uuid.uuid4(),
                    now=at,
                    tz_name="UTC",
                )
            except DomainError:  # e.g. a learning step not due this minute: a later sitting takes it
                continue
            written += 1
    return written


def _quiz(course: Course, *, opens: datetime) -> Quiz:
    """A closed quiz of choice questions across the topics, its review open to the students."""
    picked = list(
        Question.objects.filter(
            deck__courses=course, status=Question.Status.PUBLISHED, kind__in=("single", "truefalse", "multiple")
        ).order_by("topic__name", "kind", "uid")
    )
    by_topic: dict = {}
    for question in picked:
        by_topic.setdefault(question.topic_id, []).append(question)
    questions = [q for group in zip(*by_topic.values(), strict=False) for q in group][:QUIZ_QUESTIONS]
    return quiz_services.quiz_create(
        course=course,
        created_by=course.owner,
        title=QUIZ_TITLE,
        questions=questions,
        num_questions=len(questions),
        time_limit_minutes=20,
        opens_at=opens,
        closes_at=opens + timedelta(days=2),
    )


def _take_quiz(learner: Learner, quiz: Quiz, at: datetime, rng: random.Random, difficulty: dict) -> None:
    attempt = quiz_services.attempt_start(user=learner.user, quiz=quiz, now=at, seed=rng.randrange(10**6))
    questions = Question.objects.filter(pk__in=attempt.question_ids).prefetch_related("choices")
    for i, question in enumerate(questions):
        right = rng.random() < _p_right(learner, difficulty[question.pk], seen=True)
        quiz_services.attempt_answer(
            user=learner.user,
            attempt_id=attempt.pk,
            question_id=question.pk,
            answer=_answer(question, 1, right, rng),
            now=at + timedelta(seconds=40 * (i + 1)),
        )
    quiz_services.attempt_submit(user=learner.user, attempt_id=attempt.pk, now=at + timedelta(minutes=9))


def seed_class(*, course: Course, size: int, days: int, seed: int, now: datetime, also=()) -> ClassSeeded:
    """`days` days of study ending yesterday for the class (and `also`), and a quiz at the end
    of the first week, taken by the students who studied that day."""
    rng = random.Random(seed)  # nosec B311 - a reproducible demo, not a secret
    learners = class_students(course, size, rng=rng, also=also)
    questions = Question.objects.filter(deck__courses=course).order_by("uid").values_list("pk", flat=True)
    difficulty = {pk: rng.uniform(-1.5, 1.5) for pk in questions}
    first = (now - timedelta(days=days)).replace(hour=STUDY_HOUR, minute=0, second=0, microsecond=0)
    quiz_day = min(7, days - 1)
    reviews = attempts = 0
    for day in range(days):
        start = first + timedelta(days=day)
        studied = [learner for learner in learners if rng.random() < learner.diligence]
        for n, learner in enumerate(studied):
            reviews += _study_session(learner, start + timedelta(minutes=n), rng, difficulty)
        if day == quiz_day:  # taken by those who came that day
            quiz = _quiz(course, opens=start)
            for n, learner in enumerate(studied):
                _take_quiz(learner, quiz, start + timedelta(hours=2, minutes=n), rng, difficulty)
                attempts += 1
    return ClassSeeded(students=len(learners), reviews=reviews, quiz_attempts=attempts)
