"""Reads of custom blocks: the pools a block draws from, a block's items as the student may
see them now, its result, and the history of blocks."""

from __future__ import annotations

import copy
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.lookups import Exact, LessThan

from cards.core import scheduling
from cards.core.blocks import class_percentile
from cards.db.blocks import block_answers, block_content, block_of
from cards.db.functions import retrievability_expression
from cards.models import Block, BlockAnswer, Card, Choice, ClassShare, Question, QuestionNote, ReviewLog
from cards.selectors.feedback import ChoiceResult, correct_answer_text

BLOCK_KINDS = ("single", "multiple", "truefalse", "short", "cloze")  # graded without self-rating
LOW_RECALL = 0.80  # predicted recall below which a card is in the low-recall pool
MIN_CLASS = 10  # students who answered a question before the class's answers are shown


def _pool_filters(*, user, now: datetime, day_end: datetime) -> dict[str, Q]:
    """What puts a card in each pool, as expressions on the card itself (no annotation, so
    that one aggregate can count every pool: an aggregate over annotations is wrapped in a
    subquery, where the correlated subqueries lose their card)."""
    # Whether the card's last live review was right: one index probe of (card, reviewed_at).
    # As EXISTS(a review whose id is the last one's and is wrong), PostgreSQL evaluated the
    # last-review subquery for every review-log row it scanned: over a minute for a student
    # with 10,000 cards (tests/integration/test_block_query_counts.py).
    last_correct = Subquery(
        ReviewLog.objects.filter(card=OuterRef("pk"), kind=ReviewLog.Kind.REVIEW, undone_by__isnull=True)
        .order_by("-reviewed_at", "-id")
        .values("correct")[:1]
    )
    flagged = QuestionNote.objects.filter(user=user, question=OuterRef("question_id"), flagged=True)
    reviewed = Q(last_review__isnull=False)
    return {
        Block.Pool.UNUSED: Q(last_review__isnull=True),
        Block.Pool.INCORRECT: reviewed & Q(Exact(last_correct, False)),
        Block.Pool.FLAGGED: Q(Exists(flagged)),
        Block.Pool.LOW_RECALL: reviewed & Q(LessThan(retrievability_expression(now), LOW_RECALL)),
        Block.Pool.DUE: (reviewed & Q(state=Card.State.REVIEW, due__lt=day_end))
        | (reviewed & Q(state__in=[Card.State.LEARNING, Card.State.RELEARNING], due__lte=now)),
        Block.Pool.ALL: Q(),
    }


def pool_cards(*, user, course_id: int, topic_ids=()):
    """The student's cards a block of the course may draw: published, auto-graded questions
    of the course's decks, not suspended."""
    cards = Card.objects.filter(
        user=user,
        course_id=course_id,
        suspended=False,
        question__status=Question.Status.PUBLISHED,
        question__kind__in=BLOCK_KINDS,
        deck__courses=course_id,
    )
    if topic_ids:
        cards = cards.filter(question__topic_id__in=list(topic_ids))
    return cards


def pool_of(pool: str, *, user, course_id: int, topic_ids=(), now: datetime, day_end: datetime):
    cards = pool_cards(user=user, course_id=course_id, topic_ids=topic_ids)
    return cards.filter(_pool_filters(user=user, now=now, day_end=day_end)[pool])


def pool_sizes(*, user, course_id: int, topic_ids=(), now: datetime, day_end: datetime) -> dict[str, int]:
    """How many questions each pool has, in one query (the block form shows them)."""
    cards = pool_cards(user=user, course_id=course_id, topic_ids=topic_ids)
    filters = _pool_filters(user=user, now=now, day_end=day_end)
    counts = cards.aggregate(**{name: Count("pk", filter=test) for name, test in filters.items()})
    return {name: int(counts[name] or 0) for name in filters}


def block_as_of(block: Block, *, now: datetime) -> Block:
    """The block as it stands at `now`: past its deadline it reads as submitted at the
    deadline, without writing (the next answer or submit records it the same way)."""
    if block.is_submitted or block.deadline is None or now < block.deadline:
        return block
    shown = copy.copy(block)
    for name, value in submitted_values(block, at=block.deadline, auto=True).items():
        setattr(shown, name, value)
    return shown


def submitted_values(block: Block, *, at: datetime, auto: bool) -> dict:
    scores = BlockAnswer.objects.filter(block=block).values_list("score", flat=True)
    return {
        "score": float(sum(s or 0.0 for s in scores)),
        "max_score": float(len(block.card_ids)),
        "status": Block.Status.SUBMITTED,
        "submitted_at": at,
        "auto_submitted": auto,
    }


@dataclass(frozen=True)
class BlockItem:
    number: int
    card: Card
    question: Question
    choices: list
    answer: BlockAnswer | None
    revealed: bool  # the key, explanation, passage and class shares may be shown
    correct_answer: str
    share: ClassShares | None = None  # how the class answered (None: no snapshot covers it); shown once revealed

    @property
    def picked(self) -> set:
        if self.answer is None:
            return set()
        given = self.answer.answer
        return set(given.get("choices") or []) | {given.get("choice")}

    @property
    def given_text(self) -> str:
        return str(self.answer.answer.get("text", "")) if self.answer else ""

    @property
    def results(self) -> list[ChoiceResult]:
        """The choices as shown, each with whether the student picked it (for the review)."""
        picked = self.picked
        return [ChoiceResult(choice=c, picked=c.pk in picked) for c in self.choices]

    @property
    def seconds(self) -> float | None:
        return self.answer.response_ms / 1000 if self.answer and self.answer.response_ms is not None else None


def block_items(block: Block) -> list[BlockItem]:
    """The block's questions in their drawn order, choices in their drawn order, with the
    answers given and what may be shown (tutor: after each answer; timed: once submitted):
    three statements whatever the block's size or the student's history (cards.db.blocks)."""
    return _items(block, block_content(block))


@dataclass(frozen=True)
class BlockStep:
    """What the block page shows: one question, and whether each of the block's numbers has
    an answer (its row of numbers)."""

    item: BlockItem
    answered: list[bool]  # by number - 1

    @property
    def size(self) -> int:
        return len(self.answered)


def block_step(block: Block, requested: int | None) -> BlockStep | None:
    """The question the block page shows: the number asked for, else the first without an
    answer, else the last; with the block's answers for its row of numbers. Reads that one
    question (cards.db.blocks), whatever the block's size; None: the block has no question
    left (its questions were deleted)."""
    answers = block_answers(block.pk)
    done = {a.card_id for a in answers}
    answered = [int(card_id) in done for card_id in block.card_ids]
    if requested is not None and 1 <= requested <= len(answered):
        number = requested
    else:
        number = next((n for n, d in enumerate(answered, start=1) if not d), len(answered))
    if not number:
        return None
    card_id = int(block.card_ids[number - 1])
    items = _items(block, block_content(block, card_ids=[card_id], answers=answers))
    if not items:  # its question was deleted since the block was drawn: the first one left to answer
        items = block_items(block)
        items = [next((i for i in items if i.answer is None), items[-1])] if items else []
    return BlockStep(item=items[0], answered=answered) if items else None


def _items(block: Block, content) -> list[BlockItem]:
    cards = content.cards
    choices: dict[int, dict[int, Choice]] = defaultdict(dict)
    for choice in content.choices:
        choices[choice.question_id][choice.pk] = choice
    answers = {a.card_id: a for a in content.answers}
    shares = content.shares
    items = []
    for n, card_id in enumerate(block.card_ids, start=1):
        card = cards.get(card_id)
        if card is None:
            continue
        question = card.question
        by_id = choices.get(question.pk, {})
        order = block.choice_orders.get(str(question.pk)) or sorted(by_id, key=lambda c: (by_id[c].order, c))
        shown = [by_id[c] for c in order if c in by_id]
        answer = answers.get(card_id)
        revealed = block.is_submitted or (block.mode == Block.Mode.TUTOR and answer is not None)
        items.append(
            BlockItem(
                number=n,
                card=card,
                question=question,
                choices=shown,
                answer=answer,
                revealed=revealed,
                correct_answer=correct_answer_text(question, shown, card.cloze) if revealed else "",
                share=share_of(*shares[question.pk]) if question.pk in shares else None,
            )
        )
    return items


@dataclass
class TopicResult:
    name: str
    answered: int = 0
    correct: int = 0
    questions: int = 0


@dataclass
class BlockResult:
    score: float
    max_score: float
    answered: int
    seconds_total: float
    by_topic: list[TopicResult] = field(default_factory=list)

    @property
    def percent(self) -> int:
        return round(100 * self.score / self.max_score) if self.max_score else 0


def block_result(block: Block, items: list[BlockItem]) -> BlockResult:
    topics: dict[str, TopicResult] = {}
    for item in items:
        row = topics.setdefault(item.question.topic.name, TopicResult(name=item.question.topic.name))
        row.questions += 1
        if item.answer is not None:
            row.answered += 1
            row.correct += int(item.answer.correct)
    answered = [i.answer for i in items if i.answer is not None]
    return BlockResult(
        score=block.score if block.score is not None else sum(a.score for a in answered),
        max_score=block.max_score or float(len(items)),
        answered=len(answered),
        seconds_total=sum((a.response_ms or 0) for a in answered) / 1000,
        by_topic=sorted(topics.values(), key=lambda t: t.name),
    )


def blocks_of(user):
    return Block.objects.filter(user=user).select_related("course")


def block_for(user, block_id: int) -> Block | None:
    """The student's block with its course; None: not theirs (one statement, cards.db.blocks)."""
    return block_of(user_id=user.pk, block_id=block_id)


def day_end_for(now: datetime, tz_name: str) -> datetime:
    return scheduling.study_day_bounds(now, tz_name)[1]


@dataclass(frozen=True)
class ClassShares:
    """How the class answered a question on its first try, from the class snapshot:
    `students` answered it; `right` and the shares per choice only once MIN_CLASS have."""

    students: int
    right: float | None = None
    choices: dict = field(default_factory=dict)  # {choice id: share}

    @property
    def shown(self) -> bool:
        return self.students >= MIN_CLASS


def share_of(students: int, right: float | None, choices: dict) -> ClassShares:
    """A question's ClassShares from its first-try counts (a ClassShare row's columns)."""
    students = int(students or 0)
    if students < MIN_CLASS:
        return ClassShares(students=students)
    return ClassShares(
        students=students, right=right, choices={int(cid): n / students for cid, n in (choices or {}).items()}
    )


def class_shares(course_id: int, question_ids) -> dict[int, ClassShares]:
    """{question id: ClassShares} of these questions in the course's last class snapshot (one
    query by the (course, question) key, whatever the bank's size; no review log read: the
    snapshot is made by `refresh_class_stats` or "Recalculate now"). A question the snapshot
    does not cover (none made yet, or added since) is absent."""
    rows = ClassShare.objects.filter(course_id=course_id, question_id__in=list(question_ids)).values_list(
        "question_id", "students", "right", "choices"
    )
    return {question_id: share_of(students, right, choices) for question_id, students, right, choices in rows}


def item_shares(items: list[BlockItem]) -> dict[int, ClassShares]:
    """{question id: ClassShares} of these items (read with them: no query)."""
    return {i.question.pk: i.share for i in items if i.share is not None}


def block_percentile(items: list[BlockItem], shares: dict[int, ClassShares] | None) -> int | None:
    """The student's percentile in the course on this block's questions that at least
    MIN_CLASS classmates answered (cards.core.blocks.class_percentile); None when fewer than
    half the block's questions have class statistics."""
    known = [i for i in items if shares and i.question.pk in shares and shares[i.question.pk].shown]
    if not items or len(known) * 2 < len(items):
        return None
    right = sum(1 for i in known if i.answer is not None and i.answer.correct)
    return class_percentile(right, [shares[i.question.pk].right or 0.0 for i in known])
