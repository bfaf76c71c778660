"""What a block's pages read: the block with its course, its cards with their questions
(topic, cited passage and source), the questions' choices, and the answers given.

Measured (`make bench`'s block scenario, in-process, SQLite, cProfile of the block page):
through the ORM (`select_related` four tables deep, `in_bulk`, two filters) building and
compiling the four queries was ~80% of a 4.2 ms page, the study page taking 1.2 ms; the
same four statements written here are read into the same model instances, by column name
(1.8 ms). The class shares of the block's questions come with its cards (a join on
cards_classshare's key): a revealed question's page and the result page read no more."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from django.db import connection

from cards.db.dialect import columns, fetch, instance, json_value, select_list
from cards.models import Block, BlockAnswer, Card, Choice, Course, Passage, Question, Source, Topic

_PASSAGE = ("id", "key", "text", "heading", "source_id")
_SOURCE = ("id", "slug", "title")


@lru_cache(maxsize=4)
def _block_sql(vendor: str, lock: bool) -> str:
    block, course = select_list("b", Block, prefix="b"), select_list("co", Course, prefix="co")
    return (
        f"SELECT {block}, {course} FROM cards_block b JOIN cards_course co ON co.id = b.course_id "  # noqa: S608  # nosec B608
        "WHERE b.id = %s AND b.user_id = %s" + (" FOR UPDATE OF b" if lock and vendor == "postgresql" else "")
    )


def block_of(*, user_id: int, block_id: int, lock: bool = False) -> Block | None:
    """The student's block with its course loaded (`lock`: locked on PostgreSQL, for the
    caller's transaction; SQLite's IMMEDIATE transactions hold the write lock already);
    None: no such block of theirs."""
    rows = fetch(_block_sql(connection.vendor, lock), [block_id, user_id])
    if not rows:
        return None
    block = instance(Block, rows[0], prefix="b")
    block.course = instance(Course, rows[0], prefix="co")
    return block


@lru_cache(maxsize=1)
def _cards_sql() -> str:
    parts = [
        select_list("c", Card, prefix="c"),
        select_list("q", Question, prefix="q"),
        select_list("t", Topic, prefix="t"),
        ", ".join(f"p.{name} AS p__{name}" for name in _PASSAGE),
        ", ".join(f"s.{name} AS s__{name}" for name in _SOURCE),
        'cs.students AS cs__students, cs."right" AS cs__right, cs.choices AS cs__choices',
    ]
    return (
        f"SELECT {', '.join(parts)} FROM cards_card c "  # noqa: S608  # nosec B608
        "JOIN cards_question q ON q.id = c.question_id JOIN cards_topic t ON t.id = q.topic_id "
        "LEFT JOIN cards_passage p ON p.id = q.passage_id LEFT JOIN cards_source s ON s.id = p.source_id "
        "LEFT JOIN cards_classshare cs ON cs.course_id = %s AND cs.question_id = q.id "
        "WHERE c.user_id = %s AND c.id IN ({ids})"
    )


# "order" is a keyword: quoted, as every choice column here
_CHOICE_LIST = ", ".join(f'ch."{name}" AS ch__{name}' for name in columns(Choice))
_CHOICES = f"SELECT {_CHOICE_LIST} FROM cards_choice ch WHERE ch.question_id IN ({{ids}})"  # noqa: S608  # nosec B608
_ANSWERS = f"SELECT {select_list('a', BlockAnswer, prefix='a')} FROM cards_blockanswer a WHERE a.block_id = %s"  # noqa: S608  # nosec B608


def answer_of(*, block_id: int, card_id: int) -> BlockAnswer | None:
    """The answer given to a card of a block, if any."""
    rows = fetch(_ANSWERS + " AND a.card_id = %s", [block_id, card_id])
    return instance(BlockAnswer, rows[0], prefix="a") if rows else None


@dataclass(frozen=True)
class BlockContent:
    cards: dict[int, Card]  # by id, each with its question (topic, passage and source loaded)
    choices: list[Choice]  # of those questions, in no order
    answers: list[BlockAnswer]
    # {question id: (students, right, {choice id: first tries})}: how the class answered, for
    # the questions the course's class snapshot covers (for the caller to show once revealed)
    shares: dict[int, tuple]


def block_answers(block_id: int) -> list[BlockAnswer]:
    """Every answer given in the block."""
    return [instance(BlockAnswer, row, prefix="a") for row in fetch(_ANSWERS, [block_id])]


def block_content(block: Block, *, card_ids=None, answers: list[BlockAnswer] | None = None) -> BlockContent:
    """The block's cards (`card_ids`: only these of them) with how the class answered their
    questions, their choices and every answer given in the block: three statements whatever the
    block's size (at most 100 cards), the bank's or the student's history (two when the caller
    has read the `answers` already).

    The block page reads one card (its question) and the answers (the numbers' row): reading
    the ten cards of a 10-question block into model instances for each page was most of its
    time (in-process, SQLite: 2.3 ms against 1.4 ms for one card; docs/performance.md)."""
    ids = [int(i) for i in (block.card_ids if card_ids is None else card_ids)]
    cards: dict[int, Card] = {}
    shares: dict[int, tuple] = {}
    if ids:
        sql = _cards_sql().format(ids=", ".join(["%s"] * len(ids)))
        for row in fetch(sql, [block.course_id, block.user_id, *ids]):
            card = instance(Card, row, prefix="c")
            question = instance(Question, row, prefix="q")
            question.topic = instance(Topic, row, prefix="t")
            if question.passage_id is None:
                question.passage = None
            else:
                question.passage = instance(Passage, row, prefix="p", names=_PASSAGE)
                question.passage.source = instance(Source, row, prefix="s", names=_SOURCE)
            card.question = question
            cards[card.pk] = card
            if row["cs__students"] is not None:
                shares[question.pk] = (row["cs__students"], row["cs__right"], json_value(row["cs__choices"]))
    question_ids = sorted({c.question_id for c in cards.values()})
    choices = []
    if question_ids:
        sql = _CHOICES.format(ids=", ".join(["%s"] * len(question_ids)))
        choices = [instance(Choice, row, prefix="ch") for row in fetch(sql, question_ids)]
    if answers is None:
        answers = block_answers(block.pk)
    return BlockContent(cards=cards, choices=choices, answers=answers, shares=shares)
