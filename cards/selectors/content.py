"""The instructor's reads of content: a deck's questions, its summary, passage coverage,
revisions and reports."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from cards.core.diffs import revision_diff
from cards.models import Deck, Passage, Question, QuestionReport


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


def deck_tags(deck: Deck) -> list[tuple[str, int, int]]:
    """The deck's tags as (tag, questions, of them safety-critical), by tag: what the deck
    page's "safety-critical by tag" form offers."""
    counts: dict[str, list[int]] = {}
    for tags, critical in Question.objects.filter(deck=deck).values_list("tags", "safety_critical"):
        for tag in set(tags or []):
            row = counts.setdefault(str(tag), [0, 0])
            row[0] += 1
            row[1] += int(critical)
    return [(tag, n, critical) for tag, (n, critical) in sorted(counts.items())]


STATUS_COUNTS = ("published", "draft", "retired")


def with_question_counts(decks):
    """Decks with deck_summary()'s counts as annotations (n_total, n_published, n_draft,
    n_retired, n_needs_review): a list of decks in one query, not one per deck."""
    counts = {
        f"n_{status}": Count("questions", filter=Q(questions__status=status), distinct=True) for status in STATUS_COUNTS
    }
    return decks.annotate(
        n_total=Count("questions", distinct=True),
        n_needs_review=Count("questions", filter=Q(questions__needs_review=True), distinct=True),
        **counts,
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
            kind = q.get_kind_display()  # "True / false", not "truefalse"
            by_kind[kind] = by_kind.get(kind, 0) + 1
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
