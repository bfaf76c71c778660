"""Load a bank (JSON bank format) into the database, and export a deck back out.

Loading is an idempotent upsert by question uid, in one transaction: an unchanged question
is left alone, a changed one gets a new revision (students keep their cards and history),
and a question missing from the file is retired, never deleted.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.core.cache import cache
from django.db import transaction

from cards.core import grading
from cards.interop import json_bank
from cards.interop.json_bank import BankError, Problem
from cards.models import Card, Choice, Deck, Passage, Question, QuestionRevision, Source, Topic
from cards.selectors.terms import deck_terms_cache_key
from cards.services.courses import ensure_cards_for_questions


@dataclass
class LoadReport:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    retired: list[str] = field(default_factory=list)
    deck: str = ""  # the slug of the deck loaded into
    deck_created: bool = False  # the load made that deck

    def summary(self) -> str:
        return (
            f"{len(self.created)} created, {len(self.updated)} updated, "
            f"{len(self.unchanged)} unchanged, {len(self.retired)} retired"
        )


def answers_of(value):
    """A copy of a question's `answers`: a list (a short answer's accepted answers) or, for a
    cloze question, its alternatives per blank ({"c1": ["CNS"]}), blanks without any left
    out; no alternatives at all reads as the empty list, as before there were any. Anything
    else is passed on as it is, for the validator to refuse."""
    if isinstance(value, dict):
        kept = {k: list(v) if isinstance(v, list) else v for k, v in value.items() if v != []}
        return kept or []
    if value is None:
        return []
    return list(value) if isinstance(value, (list, tuple)) else value


def question_data(question: Question, choices: list[Choice], *, with_ids: bool = False) -> dict:
    """A question in the bank format (the same dict export writes and revisions store)."""
    passage = question.passage
    data = {
        "uid": question.uid,
        "topic": question.topic.slug,
        "kind": question.kind,
        "prompt": question.prompt,
        "back": question.back,
        "choices": [
            {**({"id": c.pk} if with_ids else {}), "text": c.text, "correct": c.correct, "feedback": c.feedback}
            for c in choices
        ],
        "answers": answers_of(question.answers),
        "explanation": question.explanation,
        "source": ({"source": passage.source.slug, "passage": passage.key, "quote": question.quote} if passage else {}),
        "status": question.status,
        "tags": list(question.tags or []),
    }
    if question.safety_critical:  # only when set: banks without the flag read and export as before
        data["safety_critical"] = True
    return data


def normalized_question(q: dict) -> dict:
    """A file question with every optional field filled, comparable with question_data()."""
    return {
        "uid": q["uid"],
        "topic": q["topic"],
        "kind": q["kind"],
        "prompt": q["prompt"],
        "back": q.get("back", ""),
        "choices": [
            {"text": c["text"], "correct": c["correct"], "feedback": c.get("feedback", "")}
            for c in q.get("choices", [])
        ],
        "answers": answers_of(q.get("answers", [])),
        "explanation": q.get("explanation", ""),
        "source": dict(q["source"]) if q.get("source") else {},
        "status": q.get("status", "draft"),
        "tags": list(q.get("tags", [])),
        **({"safety_critical": True} if q.get("safety_critical") else {}),
    }


def content_of(data: dict) -> dict:
    """What makes a new revision: everything but the status and the safety-critical flag
    (scheduling, not what the question asks)."""
    return {k: v for k, v in data.items() if k not in ("status", "safety_critical")}


def _upsert_sources(data: dict, owner) -> dict[tuple[str, str], Passage]:
    passages: dict[tuple[str, str], Passage] = {}
    for src in data.get("sources", []):
        source = Source.objects.filter(slug=src["slug"]).first()
        if source is None:
            source = Source.objects.create(
                slug=src["slug"],
                title=src["title"],
                text=src.get("text", ""),
                version=src.get("version", 1),
                owner=owner,
            )
        elif source.text != src.get("text", source.text) or source.title != src["title"]:
            source.title = src["title"]
            source.text = src.get("text", source.text)
            source.version = max(source.version + 1, src.get("version", 1))
            source.save()
        existing = {p.key: p for p in source.passages.all()}
        for order, p in enumerate(src.get("passages", [])):
            passage = existing.get(p["key"])
            if passage is None:
                passage = Passage.objects.create(
                    source=source, key=p["key"], text=p["text"], order=order, heading=p.get("heading", "")
                )
            elif passage.text != p["text"] or passage.order != order:
                passage.text, passage.order = p["text"], order
                passage.save(update_fields=["text", "order"])
                flag_questions_citing(passage)
            passages[(source.slug, passage.key)] = passage
    return passages


def flag_questions_citing(passage: Passage) -> int:
    """Questions whose cited passage no longer reads as when they were written need a look."""
    return (
        Question.objects.filter(passage=passage, needs_review=False)
        .exclude(cited_text=passage.text)
        .update(needs_review=True)
    )


def _write_choices(question: Question, wanted: list[dict]) -> list[Choice]:
    """Update choices in place by position so their ids (kept in review logs) stay valid."""
    current = list(question.choices.order_by("order", "id"))
    result = []
    for order, c in enumerate(wanted):
        if order < len(current):
            choice = current[order]
            choice.text, choice.correct, choice.feedback, choice.order = c["text"], c["correct"], c["feedback"], order
            choice.save()
        else:
            choice = Choice.objects.create(
                question=question, text=c["text"], correct=c["correct"], feedback=c["feedback"], order=order
            )
        result.append(choice)
    for extra in current[len(wanted) :]:
        extra.delete()
    return result


def apply_question_data(
    question: Question, data: dict, *, topics: dict[str, Topic], passages: dict[tuple[str, str], Passage]
) -> list[Choice]:
    question.kind = data["kind"]
    question.prompt = data["prompt"]
    question.back = data["back"]
    question.answers = data["answers"]
    question.explanation = data["explanation"]
    question.topic = topics[data["topic"]]
    question.tags = data["tags"]
    question.status = data["status"]
    question.safety_critical = bool(data.get("safety_critical"))
    src = data["source"]
    question.passage = passages.get((src.get("source"), src.get("passage"))) if src else None
    question.quote = src.get("quote", "") if src else ""
    question.cited_text = question.passage.text if question.passage else ""
    question.needs_review = False
    question.card_count = len(grading.cloze_deletions(question.prompt)) if question.kind == "cloze" else 1
    question.save()
    # A blank the new text no longer has: its cards (and their history) stay, never studied again.
    Card.objects.filter(question=question, cloze__gt=question.card_count, suspended=False).update(suspended=True)
    return _write_choices(question, data["choices"])


def snapshot_revision(question: Question, choices: list[Choice], *, author=None) -> QuestionRevision:
    return QuestionRevision.objects.create(
        question=question,
        revision=question.revision,
        data=question_data(question, choices, with_ids=True),
        author=author,
    )


@transaction.atomic
def load_bank(
    *, data: dict, owner=None, retire_missing: bool = True, drafts_follow_house_rules: bool = True
) -> LoadReport:
    """The bank's deck (made if missing), topics, sources and questions, in one transaction.
    drafts_follow_house_rules=False (an import) holds drafts only to what makes them usable."""
    problems = json_bank.validate(data, drafts_follow_house_rules=drafts_follow_house_rules)
    if problems:
        raise BankError(problems)
    deck_info = data["deck"]
    deck, created = Deck.objects.get_or_create(
        slug=deck_info["slug"], defaults={"title": deck_info["title"], "owner": owner}
    )
    if deck.title != deck_info["title"] or deck.description != deck_info.get("description", deck.description):
        deck.title = deck_info["title"]
        deck.description = deck_info.get("description", deck.description)
        deck.save()
    topics = {t.slug: t for t in Topic.objects.all()}
    for t in data.get("topics", []):
        if t["slug"] not in topics:
            topics[t["slug"]] = Topic.objects.create(slug=t["slug"], name=t.get("name", t["slug"]))
    for q in data["questions"]:
        if q["topic"] not in topics:
            topics[q["topic"]] = Topic.objects.create(slug=q["topic"], name=q["topic"].replace("-", " ").title())
    passages = _upsert_sources(data, owner)
    if passages:
        deck.sources.add(*{p.source_id for p in passages.values()})

    existing = {
        q.uid: q
        for q in Question.objects.filter(uid__in=[q["uid"] for q in data["questions"]])
        .select_related("topic", "passage__source")
        .prefetch_related("choices")
    }
    clash = [uid for uid, q in existing.items() if q.deck_id != deck.pk]
    if clash:
        raise BankError([Problem(uid, "uid already belongs to another deck") for uid in clash])

    report = LoadReport(deck=deck.slug, deck_created=created)
    touched: list[Question] = []
    for q in data["questions"]:
        wanted = normalized_question(q)
        question = existing.get(q["uid"])
        if question is None:
            question = Question(deck=deck, uid=q["uid"], revision=1)
            choices = apply_question_data(question, wanted, topics=topics, passages=passages)
            snapshot_revision(question, choices, author=owner)
            report.created.append(question.uid)
            touched.append(question)
            continue
        current = question_data(question, list(question.choices.all()))
        if current == wanted:
            report.unchanged.append(question.uid)
            continue
        content_changed = content_of(current) != content_of(wanted)
        if content_changed:
            question.revision += 1
        choices = apply_question_data(question, wanted, topics=topics, passages=passages)
        if content_changed:
            snapshot_revision(question, choices, author=owner)
        report.updated.append(question.uid)
        touched.append(question)

    if retire_missing:
        in_file = {q["uid"] for q in data["questions"]}
        missing = deck.questions.exclude(uid__in=in_file).exclude(status=Question.Status.RETIRED)
        report.retired = sorted(missing.values_list("uid", flat=True))
        missing.update(status=Question.Status.RETIRED)

    cache.delete(deck_terms_cache_key(deck.pk))
    ensure_cards_for_questions(questions=touched)
    return report


def export_bank(deck: Deck) -> dict:
    questions = list(
        deck.questions.select_related("topic", "passage__source").prefetch_related("choices").order_by("uid")
    )
    topic_slugs = sorted({q.topic.slug for q in questions})
    topics = Topic.objects.filter(slug__in=topic_slugs).order_by("slug")
    source_ids = {q.passage.source_id for q in questions if q.passage} | set(deck.sources.values_list("id", flat=True))
    sources = Source.objects.filter(id__in=source_ids).prefetch_related("passages").order_by("slug")
    return {
        "format": json_bank.FORMAT,
        "version": json_bank.VERSION,
        "deck": {"slug": deck.slug, "title": deck.title, "description": deck.description},
        "topics": [{"slug": t.slug, "name": t.name} for t in topics],
        "sources": [
            {
                "slug": s.slug,
                "title": s.title,
                "version": s.version,
                "text": s.text,
                "passages": [{"key": p.key, "text": p.text} for p in s.passages.all()],
            }
            for s in sources
        ],
        "questions": [question_data(q, list(q.choices.all())) for q in questions],
    }
