"""Instructor writes: sources and their versions, decks, courses, questions and their
revisions, status changes, and the triage of students' reports."""

from __future__ import annotations

import re
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify

from cards.core.passages import split_passages
from cards.errors import InvalidInput, NotFound
from cards.interop import json_bank
from cards.models import (
    Card,
    Course,
    Deck,
    Passage,
    Question,
    QuestionReport,
    Source,
    SourceRevision,
    Topic,
)
from cards.models.courses import new_join_code
from cards.permissions import is_instructor
from cards.selectors.terms import deck_terms_cache_key
from cards.services.banks import (
    apply_question_data,
    content_of,
    flag_questions_citing,
    normalized_question,
    question_data,
    snapshot_revision,
)
from cards.services.courses import ensure_cards_for_course, ensure_cards_for_questions
from cards.services.media import unknown_image_problems

MAX_SOURCE_CHARS = 500_000
# A passage an edit removed keeps its row (questions and old reviews cite it) with its order
# moved past this, out of the reading order.
REMOVED_PASSAGE_ORDER = 100_000
_CLOZE_OPEN = re.compile(r"\{\{c\d+::")


class QuestionInvalid(InvalidInput):
    """The question was not saved; `problems` name each field at fault."""

    code = "question_invalid"

    def __init__(self, problems: list[json_bank.Problem]):
        super().__init__("; ".join(p.message for p in problems), field=problems[0].field if problems else None)
        self.problems = problems

    def as_dict(self) -> dict:
        return {
            "code": self.code,
            "detail": self.message,
            "fields": {p.field or "non_field_errors": p.message for p in reversed(self.problems)},
        }


def unique_slug(model, base: str, *, field: str = "slug") -> str:
    slug = slugify(base)[:60] or "item"
    candidate, n = slug, 1
    while model.objects.filter(**{field: candidate}).exists():
        n += 1
        candidate = f"{slug}-{n}"
    return candidate


# --- sources ------------------------------------------------------------------------


def _check_source_text(text: str) -> None:
    if not text.strip():
        raise InvalidInput("The source text is empty.", field="text")
    if len(text) > MAX_SOURCE_CHARS:
        raise InvalidInput(f"The source is longer than {MAX_SOURCE_CHARS:,} characters.", field="text")


@transaction.atomic
def source_create(*, owner, title: str, text: str, deck: Deck | None = None) -> Source:
    _check_source_text(text)
    source = Source.objects.create(slug=unique_slug(Source, title), title=title, text=text, owner=owner)
    for p in split_passages(text):
        Passage.objects.create(source=source, key=p.key, text=p.text, order=p.order, heading=p.heading)
    SourceRevision.objects.create(source=source, version=1, text=text, author=owner)
    if deck is not None:
        deck.sources.add(source)
    return source


@dataclass(frozen=True)
class SourceUpdate:
    source: Source
    changed_passages: list[str]
    removed_passages: list[str]
    flagged_questions: int


@transaction.atomic
def source_update(*, source: Source, title: str, text: str, author) -> SourceUpdate:
    """A new version: passages keep their keys; questions citing a changed or removed
    passage are flagged 'needs review' (their old cited text is kept to show beside the new)."""
    _check_source_text(text)
    source = Source.objects.select_for_update().get(pk=source.pk)
    if text == source.text and title == source.title:
        return SourceUpdate(source, [], [], 0)
    text_changed = text != source.text
    source.title = title
    if text_changed:
        source.version += 1
        source.text = text
        SourceRevision.objects.create(source=source, version=source.version, text=text, author=author)
    source.save()
    existing = {p.key: p for p in source.passages.all()}
    wanted = split_passages(text)
    changed, flagged = [], 0
    for p in wanted:
        passage = existing.pop(p.key, None)
        if passage is None:
            Passage.objects.create(source=source, key=p.key, text=p.text, order=p.order, heading=p.heading)
            continue
        if passage.text != p.text:
            changed.append(p.key)
        passage.text, passage.order, passage.heading = p.text, p.order, p.heading
        passage.save(update_fields=["text", "order", "heading"])
        flagged += flag_questions_citing(passage)
    removed = sorted(existing)
    for passage in existing.values():
        passage.order = REMOVED_PASSAGE_ORDER + passage.order
        passage.save(update_fields=["order"])
        flagged += Question.objects.filter(passage=passage, needs_review=False).update(needs_review=True)
    return SourceUpdate(source, changed, removed, flagged)


@transaction.atomic
def question_mark_reviewed(*, question: Question) -> Question:
    """The author checked the question against the new passage text: clear the flag."""
    question.cited_text = question.passage.text if question.passage else ""
    question.needs_review = False
    question.save(update_fields=["cited_text", "needs_review"])
    return question


@transaction.atomic
def deck_tag_safety(*, deck: Deck, tag: str, critical: bool) -> int:
    """Mark (or unmark) every question of the deck tagged `tag` as safety-critical (issue #20:
    "questions, or a tag"): scheduled at the course's safety retention from their next answer,
    no new revision (the flag is not content). How many questions changed."""
    tag = (tag or "").strip()
    if not tag:
        raise InvalidInput("Choose a tag.", code="invalid_tag", field="tag")
    tagged = [q.pk for q in Question.objects.filter(deck=deck).only("id", "tags") if tag in (q.tags or [])]
    if not tagged:
        raise InvalidInput(f"No question of this deck is tagged “{tag}”.", code="invalid_tag", field="tag")
    return Question.objects.filter(pk__in=tagged).exclude(safety_critical=critical).update(safety_critical=critical)


# --- decks and courses --------------------------------------------------------------


@transaction.atomic
def deck_create(*, owner, title: str, description: str = "") -> Deck:
    if not title.strip():
        raise InvalidInput("A deck needs a title.", field="title")
    return Deck.objects.create(slug=unique_slug(Deck, title), title=title, description=description, owner=owner)


@transaction.atomic
def course_create(*, owner, title: str, **settings) -> Course:
    """A new course with its owner as its first instructor, validated as the model validates it."""
    course = Course(title=title, owner=owner, **settings)
    course.full_clean()
    course.save()
    course.instructors.add(owner)
    return course


@transaction.atomic
def course_update(*, course: Course, **fields) -> Course:
    """Change a course's settings (the fields named), validated as the model validates them."""
    locked = Course.objects.select_for_update().get(pk=course.pk)
    for name, value in fields.items():
        setattr(locked, name, value)
    locked.full_clean()
    locked.save(update_fields=list(fields))
    return locked


@transaction.atomic
def course_regenerate_code(*, course: Course) -> Course:
    course.join_code = new_join_code()
    while Course.objects.filter(join_code=course.join_code).exists():
        course.join_code = new_join_code()
    course.save(update_fields=["join_code"])
    return course


@transaction.atomic
def course_add_instructor(*, course: Course, username: str) -> None:
    user = get_user_model().objects.filter(username=username.strip()).first()
    if user is None or not is_instructor(user):
        raise InvalidInput(f"No instructor is called {username!r}.", code="unknown_instructor", field="username")
    course.instructors.add(user)


@transaction.atomic
def course_attach_deck(*, course: Course, deck: Deck) -> None:
    course.decks.add(deck)
    ensure_cards_for_course(course=course)


@transaction.atomic
def course_detach_deck(*, course: Course, deck: Deck) -> None:
    # Students keep their cards and history; the deck just stops being offered.
    course.decks.remove(deck)


@transaction.atomic
def topic_create(*, name: str, slug: str = "") -> Topic:
    """A topic questions can be filed under (topics are shared by every deck, as on import)."""
    name = name.strip()
    if not name:
        raise InvalidInput("A topic needs a name.", field="name")
    slug = slugify(slug or name)[:50]
    if not slug:
        raise InvalidInput("Give the topic a slug of letters or digits.", field="slug")
    if Topic.objects.filter(slug=slug).exists():
        raise InvalidInput(f"There is already a topic {slug!r}.", code="topic_exists", field="slug")
    return Topic.objects.create(slug=slug, name=name[:100])


# --- questions ----------------------------------------------------------------------


def deck_passages(deck: Deck) -> dict[tuple[str, str], Passage]:
    return {(p.source.slug, p.key): p for p in Passage.objects.filter(source__decks=deck).select_related("source")}


def _new_uid(deck: Deck, prompt: str) -> str:
    words = slugify(_CLOZE_OPEN.sub("", prompt))[:30]
    base = f"{deck.slug}-{words}".strip("-")
    return unique_slug(Question, base, field="uid")


class Change:
    MINOR = "minor"  # a typo fixed: students keep their progress
    SUBSTANTIVE = "substantive"  # the question now asks something else: cards start over


def _reset_cards(question: Question) -> int:
    return Card.objects.filter(question=question).update(
        state=Card.State.LEARNING,
        step=0,
        stability=None,
        difficulty=None,
        due=timezone.now(),
        last_review=None,
        reps=0,
        lapses=0,
        leech=False,
    )


@transaction.atomic
def question_save(
    *, deck: Deck, data: dict, author, question: Question | None = None, change: str = Change.MINOR
) -> Question:
    """Create or edit a question (bank-format `data`). Nothing is written unless it is valid.
    Each save that changes the content is a new revision; reviews keep the revision they answered."""
    passages = deck_passages(deck)
    data = normalized_question({"uid": "", "topic": "", "kind": "", "prompt": "", **data})
    if question is not None:
        question = Question.objects.select_for_update().get(pk=question.pk)
        data = {**data, "uid": question.uid}
    else:
        data = {**data, "uid": data.get("uid") or _new_uid(deck, data.get("prompt", ""))}
    topics = {t.slug: t for t in Topic.objects.all()}
    problems = json_bank.question_problems(
        data, uid=data["uid"], passages={k: p.text for k, p in passages.items()}, topic_slugs=set(topics)
    )
    problems += unknown_image_problems(data)
    if problems:
        raise QuestionInvalid(problems)
    if question is None:
        question = Question(deck=deck, uid=data["uid"], revision=1)
        choices = apply_question_data(question, data, topics=topics, passages=passages)
        snapshot_revision(question, choices, author=author)
    else:
        content_changed = content_of(question_data(question, list(question.choices.all()))) != content_of(data)
        if content_changed:
            question.revision += 1
        choices = apply_question_data(question, data, topics=topics, passages=passages)
        if content_changed:
            snapshot_revision(question, choices, author=author)
            if change == Change.SUBSTANTIVE:
                _reset_cards(question)
    cache.delete(deck_terms_cache_key(deck.pk))
    ensure_cards_for_questions(questions=[question])
    return question


def review_before_publishing(question: Question) -> list[json_bank.Problem]:
    """The house rules a question breaks (an imported draft may): what to fix before it is
    published. Empty for a question the editor saved."""
    return json_bank.house_rule_problems(question_data(question, list(question.choices.all())), uid=question.uid)


@transaction.atomic
def question_set_status(*, question: Question, status: str) -> Question:
    if status not in Question.Status.values:
        raise InvalidInput(f"Unknown status {status!r}.", field="status")
    question = Question.objects.select_for_update().get(pk=question.pk)
    if status == Question.Status.PUBLISHED and (problems := review_before_publishing(question)):
        raise QuestionInvalid(problems)
    question.status = status
    question.save(update_fields=["status", "updated_at"])
    cache.delete(deck_terms_cache_key(question.deck_id))
    ensure_cards_for_questions(questions=[question])
    return question


# --- reports --------------------------------------------------------------------------


@transaction.atomic
def report_create(*, user, question: Question, comment: str) -> QuestionReport:
    comment = comment.strip()
    if not comment:
        raise InvalidInput("Say what is wrong with the question.", field="comment")
    if len(comment) > 2000:
        raise InvalidInput("Keep the report under 2,000 characters.", field="comment")
    return QuestionReport.objects.create(question=question, revision=question.revision, reporter=user, comment=comment)


@transaction.atomic
def report_resolve(*, report: QuestionReport, status: str, user) -> QuestionReport:
    if status not in (QuestionReport.Status.FIXED, QuestionReport.Status.DISMISSED, QuestionReport.Status.OPEN):
        raise InvalidInput(f"Unknown status {status!r}.", field="status")
    report.status = status
    report.resolved_by = user if status != QuestionReport.Status.OPEN else None
    report.resolved_at = timezone.now() if status != QuestionReport.Status.OPEN else None
    report.save(update_fields=["status", "resolved_by", "resolved_at"])
    return report


def get_question_for_report(*, user, question_id: int) -> Question:
    """Students report questions they can study (published, in one of their courses)."""
    question = (
        Question.objects.filter(pk=question_id, status=Question.Status.PUBLISHED, cards__user=user).distinct().first()
    )
    if question is None:
        raise NotFound("No such question among yours.")
    return question
