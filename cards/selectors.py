"""Reads: the due queue, counts, specs for grading. Each returns a bounded number of queries
whatever the size of the deck or of the history."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db.models import (
    Avg,
    Case,
    Count,
    DateTimeField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    IntegerField,
    Max,
    OuterRef,
    Q,
    Subquery,
    Sum,
    Value,
    When,
)
from django.db.models.functions import TruncDate

from cards import analytics, grading, scheduling
from cards.db_functions import retrievability_expression
from cards.diffs import revision_diff
from cards.models import (
    Attempt,
    Card,
    Choice,
    Course,
    Deck,
    Enrollment,
    Passage,
    Profile,
    Question,
    QuestionReport,
    Quiz,
    Response,
    ReviewLog,
)

DECK_TERMS_TTL = 300  # seconds; authoring services also clear the key on change


def deck_terms_cache_key(deck_id: int) -> str:
    return f"deck-terms:{deck_id}"


def deck_terms(deck_id: int) -> dict[int, frozenset[str]]:
    """{question id: its accepted typed answers} for a deck, cached: the grader needs every
    other question's terms to refuse e.g. a neighbouring receptor as a 'typo'."""
    key = deck_terms_cache_key(deck_id)
    terms = cache.get(key)
    if terms is None:
        terms = {}
        for qid, kind, answers, prompt in Question.objects.filter(deck_id=deck_id).values_list(
            "id", "kind", "answers", "prompt"
        ):
            if kind == "cloze":
                terms[qid] = frozenset(a for a, _hint in grading.cloze_deletions(prompt).values())
            else:
                terms[qid] = frozenset(answers or ())
        for qid, text in Choice.objects.filter(question__deck_id=deck_id, correct=False).values_list(
            "question_id", "text"
        ):
            terms[-qid] = terms.get(-qid, frozenset()) | {text}
        cache.set(key, terms, DECK_TERMS_TTL)
    return terms


def question_spec(question: Question, *, cloze: int = 0, choices=None) -> grading.QuestionSpec:
    if choices is None:
        choices = list(question.choices.all()) if question.kind in ("single", "multiple", "truefalse") else []
    other_terms: frozenset[str] = frozenset()
    if question.kind in ("short", "cloze"):
        terms = deck_terms(question.deck_id)
        other_terms = frozenset().union(*(t for qid, t in terms.items() if qid != question.pk))
    return grading.QuestionSpec(
        kind=question.kind,
        choices=tuple(grading.ChoiceSpec(id=c.pk, text=c.text, correct=c.correct) for c in choices),
        answers=tuple(question.answers or ()),
        prompt=question.prompt,
        cloze=cloze,
        other_terms=other_terms,
    )


def user_timezone(user) -> str:
    tz = Profile.objects.filter(user=user).values_list("timezone", flat=True).first()
    return tz or "UTC"


def live_reviews(user_id: int):
    """Reviews that count: answers, not undo markers, and not undone."""
    return ReviewLog.objects.filter(user_id=user_id, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)


def reviews_done_today(*, user_id: int, course_id: int | None, since: datetime) -> dict[str, int]:
    qs = live_reviews(user_id).filter(reviewed_at__gte=since)
    if course_id is not None:
        qs = qs.filter(card__course_id=course_id)
    return qs.aggregate(
        total=Count("id"),
        new=Count("id", filter=Q(was_new=True)),
        reviews=Count("id", filter=Q(was_new=False, state_before__state=Card.State.REVIEW)),
    )


def _queue_filter(now: datetime, day_end: datetime) -> Q:
    learning = Q(state__in=[Card.State.LEARNING, Card.State.RELEARNING], last_review__isnull=False, due__lte=now)
    review = Q(state=Card.State.REVIEW, due__lt=day_end)
    new = Q(last_review__isnull=True)
    return learning | review | new


def studyable_cards(user_id: int):
    return Card.objects.filter(user_id=user_id, suspended=False, question__status=Question.Status.PUBLISHED)


@dataclass(frozen=True)
class QueueCounts:
    new: int
    learning: int
    due: int
    total: int

    @property
    def remaining(self) -> int:
        return self.new + self.learning + self.due


def _count_expressions(now: datetime, day_end: datetime) -> dict:
    return {
        "new": Count("id", filter=Q(last_review__isnull=True)),
        "learning": Count("id", filter=Q(state__in=[1, 3], last_review__isnull=False, due__lte=now)),
        "later_today": Count("id", filter=Q(state__in=[1, 3], last_review__isnull=False, due__gt=now, due__lt=day_end)),
        "due": Count("id", filter=Q(state=2, due__lt=day_end)),
        "total": Count("id"),
    }


def _capped(raw: dict, course: Course, done: dict) -> QueueCounts:
    return QueueCounts(
        new=min(raw["new"], max(0, course.new_per_day - done["new"])),
        learning=raw["learning"],
        due=min(raw["due"], max(0, course.reviews_per_day - done["reviews"])),
        total=raw["total"],
    )


def deck_counts(
    *, user_id: int, deck_id: int, course: Course, now: datetime, day_start: datetime, day_end: datetime
) -> tuple[QueueCounts, dict]:
    """(capped counts, today's done counts) of one deck for a student: two queries."""
    raw = studyable_cards(user_id).filter(deck_id=deck_id).aggregate(**_count_expressions(now, day_end))
    done = reviews_done_today(user_id=user_id, course_id=course.pk, since=day_start)
    return _capped(raw, course, done), {**done, "later_today": raw["later_today"]}


def next_card(*, user_id: int, deck_id: int, now: datetime, day_end: datetime, counts: QueueCounts):
    """The card to show now: learning steps due first, then reviews, then new cards,
    within today's limits (encoded in `counts`). None when nothing is due."""
    allowed = Q(state__in=[1, 3], last_review__isnull=False, due__lte=now)
    if counts.due > 0:
        allowed |= Q(state=2, due__lt=day_end)
    if counts.new > 0:
        allowed |= Q(last_review__isnull=True)
    priority = Case(
        When(Q(last_review__isnull=False, state__in=[1, 3]), then=Value(0)),
        When(Q(last_review__isnull=False), then=Value(1)),
        default=Value(2),
        output_field=IntegerField(),
    )
    return (
        studyable_cards(user_id)
        .filter(deck_id=deck_id)
        .filter(allowed)
        .annotate(priority=priority)
        .select_related("question", "question__passage")
        .order_by("priority", "due", "id")
        .first()
    )


def next_learning_due(*, user_id: int, deck_id: int, day_end: datetime):
    """When the next learning step of today comes back (for a 'come back in 4 min' screen)."""
    return (
        studyable_cards(user_id)
        .filter(deck_id=deck_id, state__in=[1, 3], last_review__isnull=False, due__lt=day_end)
        .order_by("due")
        .values_list("due", flat=True)
        .first()
    )


def card_choices(question: Question, *, shuffle_seed: str | None = None) -> list[Choice]:
    """A question's choices; shuffled when a seed is given (the same seed, the same order,
    so the feedback after an answer lists the choices as the question showed them)."""
    choices = list(Choice.objects.filter(question_id=question.pk).order_by("order", "id"))
    if shuffle_seed is not None and question.kind != Question.Kind.TRUEFALSE:
        # bandit: display order, not a secret
        random.Random(shuffle_seed).shuffle(choices)  # nosec B311
    return choices


def choice_order_seed(card_id: int, reps: int) -> str:
    return f"{card_id}:{reps}"


@dataclass(frozen=True)
class DeckRow:
    deck: Deck
    course: Course
    counts: QueueCounts


@dataclass(frozen=True)
class StudyHome:
    rows: list[DeckRow]
    done_today: int


def study_decks(*, user, now: datetime, day_start: datetime, day_end: datetime) -> StudyHome:
    """Every deck the student studies with its capped counts, and today's reviews: four queries."""
    courses = {
        c.pk: c for c in Course.objects.filter(enrollments__user=user).prefetch_related("decks").order_by("title")
    }
    raw_rows = studyable_cards(user.pk).values("deck_id", "course_id").annotate(**_count_expressions(now, day_end))
    raw = {(r["deck_id"], r["course_id"]): r for r in raw_rows}
    done_rows = (
        live_reviews(user.pk)
        .filter(reviewed_at__gte=day_start)
        .values("card__course_id")
        .annotate(
            total=Count("id"),
            new=Count("id", filter=Q(was_new=True)),
            reviews=Count("id", filter=Q(was_new=False, state_before__state=Card.State.REVIEW)),
        )
    )
    done = {r["card__course_id"]: r for r in done_rows}
    empty_raw = {"new": 0, "learning": 0, "due": 0, "total": 0, "later_today": 0}
    empty_done = {"total": 0, "new": 0, "reviews": 0}
    rows = []
    for course in courses.values():
        for deck in course.decks.all():
            counts = _capped(raw.get((deck.pk, course.pk), empty_raw), course, done.get(course.pk, empty_done))
            rows.append(DeckRow(deck=deck, course=course, counts=counts))
    return StudyHome(rows=rows, done_today=sum(r["total"] for r in done.values()))


def study_days(*, user_id: int, tz_name: str, since: datetime) -> set:
    """The local study days (04:00 rollover) on which the student reviewed at least once."""
    shifted = ExpressionWrapper(
        F("reviewed_at") - timedelta(hours=scheduling.DAY_ROLLOVER_HOUR), output_field=DateTimeField()
    )
    return set(
        live_reviews(user_id)
        .filter(reviewed_at__gte=since)
        .annotate(day=TruncDate(shifted, tzinfo=ZoneInfo(tz_name)))
        .values_list("day", flat=True)
        .distinct()
    )


def streak(*, user_id: int, tz_name: str, now: datetime) -> int:
    """Consecutive study days up to today (today not yet studied does not break it)."""
    today = scheduling.study_day(now, tz_name)
    days = study_days(user_id=user_id, tz_name=tz_name, since=now - timedelta(days=400))
    day = today if today in days else today - timedelta(days=1)
    count = 0
    while day in days:
        count += 1
        day -= timedelta(days=1)
    return count


def card_for_reveal(*, user, card_id: int, deck_id: int):
    retention = Enrollment.objects.filter(user=user, course=OuterRef("course_id")).values("desired_retention")[:1]
    return (
        studyable_cards(user.pk)
        .filter(pk=card_id, deck_id=deck_id, question__kind=Question.Kind.FLASHCARD)
        .select_related("question")
        .annotate(student_retention=Subquery(retention))
        .first()
    )


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


def review_feedback(*, user, review_id) -> Feedback | None:
    """Everything the student sees after answering: two queries."""
    undone = ReviewLog.objects.filter(undoes=OuterRef("pk"))
    log = (
        ReviewLog.objects.filter(user=user, review_id=review_id, kind=ReviewLog.Kind.REVIEW)
        .select_related("card__course", "card__question__passage__source")
        .annotate(is_undone=Exists(undone))
        .first()
    )
    if log is None:
        return None
    card, question = log.card, log.card.question
    seed = choice_order_seed(card.pk, log.state_before.get("reps", 0))
    choices = card_choices(question, shuffle_seed=seed) if question.kind in ("single", "multiple", "truefalse") else []
    picked = set(log.answer.get("choices") or []) | {log.answer.get("choice")}
    rerate = []
    state_after = scheduling.CardState.from_json(log.state_after)
    if log.correct and not log.is_undone and question.kind != "flashcard":
        before = scheduling.CardState.from_json(log.state_before)
        outcomes = scheduling.next_states(before, log.reviewed_at, card.course.scheduler_settings(), card_id=card.pk)
        rerate = [outcomes[r] for r in (scheduling.Rating.HARD, scheduling.Rating.GOOD, scheduling.Rating.EASY)]
    return Feedback(
        log=log,
        card=card,
        question=question,
        choices=[ChoiceResult(choice=c, picked=c.pk in picked) for c in choices],
        correct_answer=correct_answer_text(question, choices, card.cloze),
        undone=log.is_undone,
        interval_label=scheduling.format_interval(state_after.due - log.reviewed_at),
        rerate_options=rerate,
    )


# --- instructor reads ------------------------------------------------------------------


def deck_questions(deck: Deck, *, status: str = "", topic: str = "", kind: str = "", needs_review: bool = False):
    qs = (
        Question.objects.filter(deck=deck)
        .select_related("topic", "passage")
        .annotate(open_reports=Count("reports", filter=Q(reports__status=QuestionReport.Status.OPEN)))
        .order_by("topic__name", "uid")
    )
    if status:
        qs = qs.filter(status=status)
    if topic:
        qs = qs.filter(topic__slug=topic)
    if kind:
        qs = qs.filter(kind=kind)
    if needs_review:
        qs = qs.filter(needs_review=True)
    return qs


def deck_summary(deck: Deck) -> dict:
    return Question.objects.filter(deck=deck).aggregate(
        total=Count("id"),
        published=Count("id", filter=Q(status=Question.Status.PUBLISHED)),
        draft=Count("id", filter=Q(status=Question.Status.DRAFT)),
        retired=Count("id", filter=Q(status=Question.Status.RETIRED)),
        needs_review=Count("id", filter=Q(needs_review=True)),
    )


@dataclass(frozen=True)
class PassageCoverage:
    passage: object
    questions: list
    by_kind: dict
    by_topic: dict

    @property
    def uncovered(self) -> bool:
        return not self.questions


def coverage(deck: Deck) -> list[PassageCoverage]:
    """Each passage of the deck's sources with the (non-retired) questions that cite it:
    two queries, grouped in Python over at most the deck's questions."""
    passages = list(
        Passage.objects.filter(source__decks=deck).select_related("source").order_by("source__title", "order")
    )
    citing: dict[int, list] = {}
    for q in (
        Question.objects.filter(deck=deck, passage__isnull=False)
        .exclude(status=Question.Status.RETIRED)
        .select_related("topic")
        .order_by("uid")
    ):
        citing.setdefault(q.passage_id, []).append(q)
    rows = []
    for p in passages:
        qs = citing.get(p.pk, [])
        by_kind: dict[str, int] = {}
        by_topic: dict[str, int] = {}
        for q in qs:
            by_kind[q.kind] = by_kind.get(q.kind, 0) + 1
            by_topic[q.topic.name] = by_topic.get(q.topic.name, 0) + 1
        rows.append(PassageCoverage(passage=p, questions=qs, by_kind=by_kind, by_topic=by_topic))
    return rows


def question_revisions(question: Question) -> list[tuple]:
    """[(revision, changes from the previous one)], newest first."""
    revisions = list(question.revisions.select_related("author").order_by("revision"))
    rows = []
    previous = None
    for rev in revisions:
        rows.append((rev, revision_diff(previous.data, rev.data) if previous else []))
        previous = rev
    return list(reversed(rows))


def open_reports(decks):
    return (
        QuestionReport.objects.filter(question__deck__in=decks)
        .select_related("question", "question__deck", "reporter")
        .order_by("status", "-created_at")
    )


# --- student statistics ----------------------------------------------------------------


def course_for_deck(*, user, deck_id: int) -> Course | None:
    """The course through which the student studies this deck (first joined)."""
    return Course.objects.filter(enrollments__user=user, decks=deck_id).order_by("enrollments__joined_at").first()


def true_retention_counts(*, user_id: int, since: datetime) -> tuple[int, int]:
    """(recalled, total) over reviews of cards that were in the Review state."""
    row = (
        live_reviews(user_id)
        .filter(reviewed_at__gte=since, state_before__state=Card.State.REVIEW)
        .aggregate(total=Count("id"), recalled=Count("id", filter=Q(rating__gt=1)))
    )
    return row["recalled"], row["total"]


def topic_mastery(*, user_id: int, now: datetime) -> list[tuple[str, str, float | None, int]]:
    """[(topic slug, name, mean predicted recall, cards)] over the student's studyable cards."""
    by_topic: dict[tuple[str, str], list[float]] = {}
    rows = studyable_cards(user_id).values_list(
        "question__topic__slug",
        "question__topic__name",
        "state",
        "stability",
        "last_review",
        "course__desired_retention",
    )
    for slug, name, state, stability, last_review, _retention in rows:
        value = scheduling.retrievability(
            scheduling.CardState(state=state, stability=stability, last_review=last_review), now
        )
        by_topic.setdefault((slug, name), []).append(value)
    return [
        (slug, name, (sum(values) / len(values)) if values else None, len(values))
        for (slug, name), values in sorted(by_topic.items(), key=lambda item: item[0][1])
    ]


def due_count(*, user_id: int, now: datetime, until: datetime) -> int:
    return studyable_cards(user_id).filter(last_review__isnull=False, due__lt=until).count()


# --- quizzes --------------------------------------------------------------------------------


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
        Quiz.objects.filter(course__enrollments__user=user)
        .filter(Q(is_practice=False) | Q(created_by=user))
        .select_related("course")
        .annotate(my_attempts=Count("attempts", filter=Q(attempts__user=user), distinct=True))
        .order_by("-created_at")
    )


@dataclass(frozen=True)
class AttemptItem:
    number: int
    question: Question
    choices: list
    response: object | None
    show_correct: bool
    show_explanation: bool
    correct_answer: str

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
                correct_answer=correct_answer_text(question, ordered, 1 if question.kind == "cloze" else 0)
                if show_correct
                else "",
            )
        )
    return items


# --- dashboards -----------------------------------------------------------------------------


def _local_day(field: str, tz_name: str):
    """The local study day (04:00 rollover) of a datetime column, computed in the database."""
    shifted = ExpressionWrapper(F(field) - timedelta(hours=scheduling.DAY_ROLLOVER_HOUR), output_field=DateTimeField())
    return TruncDate(shifted, tzinfo=ZoneInfo(tz_name))


def reviews_per_day(*, user_id: int, tz_name: str, since: datetime) -> dict:
    """{local day: reviews} grouped in the database."""
    rows = (
        live_reviews(user_id)
        .filter(reviewed_at__gte=since)
        .annotate(day=_local_day("reviewed_at", tz_name))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {r["day"]: r["n"] for r in rows}


def due_per_day(*, user_id: int, tz_name: str, until: datetime) -> dict:
    """{local day: cards falling due} for reviewed cards due before `until` (overdue included)."""
    rows = (
        studyable_cards(user_id)
        .filter(last_review__isnull=False, due__lt=until)
        .annotate(day=_local_day("due", tz_name))
        .values("day")
        .annotate(n=Count("id"))
    )
    return {r["day"]: r["n"] for r in rows}


@dataclass(frozen=True)
class WeakItem:
    card: Card
    retrievability: float


def weakest_items(*, user_id: int, now: datetime, limit: int = 10) -> list[WeakItem]:
    """The student's reviewed cards with the lowest predicted recall now."""
    cards = list(
        studyable_cards(user_id)
        .filter(last_review__isnull=False)
        .select_related("question", "question__topic")
        .only(
            "id",
            "state",
            "stability",
            "last_review",
            "lapses",
            "cloze",
            "question__uid",
            "question__prompt",
            "question__kind",
            "question__topic__name",
        )
    )
    scored = [
        WeakItem(
            c,
            scheduling.retrievability(
                scheduling.CardState(state=c.state, stability=c.stability, last_review=c.last_review), now
            ),
        )
        for c in cards
    ]
    return sorted(scored, key=lambda w: (w.retrievability, -w.card.lapses))[:limit]


def leeches(*, user_id: int):
    return (
        Card.objects.filter(user_id=user_id, leech=True)
        .select_related("question", "question__topic", "course", "deck")
        .order_by("-lapses")
    )


# --- class analytics (instructors) ----------------------------------------------------------


def class_cards(course: Course):
    """Cards of the course's enrolled students for its published questions."""
    return Card.objects.filter(
        course=course, user__enrollments__course=course, question__status=Question.Status.PUBLISHED
    )


def class_topic_mastery(course: Course, *, now: datetime) -> list[dict]:
    """Mean predicted recall per topic over every enrolled student's cards: one aggregate query."""
    return list(
        class_cards(course)
        .values("question__topic__slug", "question__topic__name")
        .annotate(mastery=Avg(retrievability_expression(now)), cards=Count("id"), students=Count("user", distinct=True))
        .order_by("question__topic__name")
    )


def class_forgetting(course: Course, *, now: datetime, limit: int = 10) -> list[dict]:
    """Questions the class forgets: highest lapse rate (lapses per review), then lowest mean
    predicted recall; one aggregate query."""
    rows = (
        class_cards(course)
        .filter(last_review__isnull=False)
        .values("question_id", "question__uid", "question__prompt", "question__topic__name")
        .annotate(
            lapses=Sum("lapses"),
            reps=Sum("reps"),
            students=Count("user", distinct=True),
            recall=Avg(retrievability_expression(now)),
        )
        .annotate(lapse_rate=ExpressionWrapper(F("lapses") * 1.0 / F("reps"), output_field=FloatField()))
        .order_by("-lapse_rate", "recall")[:limit]
    )
    return list(rows)


def item_responses(course: Course) -> list[tuple[int, int, float, tuple]]:
    """(student, question, score, picked choices) rows, oldest first: every quiz response of
    the course's (non-practice) quizzes and every first-try study answer. Two queries."""
    quiz_rows = (
        Response.objects.filter(attempt__quiz__course=course, attempt__quiz__is_practice=False)
        .order_by("first_answered_at", "id")
        .values_list("attempt__user_id", "question_id", "score", "answer", "first_answered_at")
    )
    study_rows = (
        live_reviews_for_course(course)
        .filter(was_new=True, card__cloze__lte=1)
        .exclude(card__question__kind="flashcard")
        .order_by("reviewed_at", "id")
        .values_list("user_id", "card__question_id", "score", "answer", "reviewed_at")
    )
    rows = sorted([*quiz_rows, *study_rows], key=lambda r: r[4])
    return [
        (user, question, min(1.0, max(0.0, score or 0.0)), tuple(_picked(answer)))
        for user, question, score, answer, _at in rows
    ]


def _picked(answer: dict) -> list[int]:
    picked = list(answer.get("choices") or [])
    if isinstance(answer.get("choice"), int):
        picked.append(answer["choice"])
    return [c for c in picked if isinstance(c, int)]


def live_reviews_for_course(course: Course):
    return ReviewLog.objects.filter(card__course=course, kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)


def course_item_analysis(course: Course):
    """Item statistics of every published question of the course (see cards.analytics)."""
    questions = {
        q.pk: q
        for q in Question.objects.filter(deck__courses=course, status=Question.Status.PUBLISHED)
        .select_related("topic")
        .order_by("uid")
    }
    choice_ids: dict[int, list[int]] = {qid: [] for qid in questions}
    for qid, cid in (
        Choice.objects.filter(question_id__in=questions)
        .order_by("question_id", "order", "id")
        .values_list("question_id", "id")
    ):
        choice_ids[qid].append(cid)
    stats = analytics.item_analysis([r for r in item_responses(course) if r[1] in questions], choice_ids)
    return [(questions[s.question_id], s) for s in stats if s.question_id in questions]


def student_progress(course: Course, *, now: datetime) -> list[dict]:
    """Per enrolled student: cards studied, reviews in 7 days, lapses, mean recall, last review."""
    week_ago = now - timedelta(days=7)
    rows = (
        class_cards(course)
        .values("user_id", "user__username")
        .annotate(
            cards=Count("id"),
            studied=Count("id", filter=Q(last_review__isnull=False)),
            lapses=Sum("lapses"),
            mastery=Avg(retrievability_expression(now)),
            last_review=Max("last_review"),
        )
        .order_by("user__username")
    )
    reviews = dict(
        live_reviews_for_course(course)
        .filter(reviewed_at__gte=week_ago)
        .values("user_id")
        .annotate(n=Count("id"))
        .values_list("user_id", "n")
    )
    return [{**r, "reviews_7d": reviews.get(r["user_id"], 0)} for r in rows]


def quiz_attempts(course: Course):
    return (
        Attempt.objects.filter(quiz__course=course, quiz__is_practice=False)
        .select_related("quiz", "user")
        .order_by("quiz__title", "user__username", "number")
    )
