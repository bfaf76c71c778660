"""What grading a typed answer needs to know: the question's spec and its deck's other terms."""

from __future__ import annotations

import uuid
from dataclasses import replace

from django.core.cache import cache
from rapidfuzz.distance import DamerauLevenshtein

from cards.core import grading
from cards.models import Choice, Question

DECK_TERMS_TTL = 300  # seconds; authoring services also clear the key on change
CHOICE_KINDS = ("single", "multiple", "truefalse")  # the kinds answered by picking choices


def deck_terms_cache_key(deck_id: int) -> str:
    return f"deck-terms:{deck_id}"


# The terms themselves stay in each process; the shared cache holds only a version of them,
# which authoring deletes on change. Unpickling every term of a deck from the cache on each
# typed answer cost ~1 ms at 200 questions and grew with the deck (tests/bench).
_LOCAL_TERMS: dict[int, tuple[str, dict, dict]] = {}  # deck -> (version, terms, {(question, cloze): neighbours})


def _deck_terms_entry(deck_id: int) -> tuple[str, dict, dict]:
    """(version, {question id: its accepted typed answers}, neighbours) for a deck, cached: the
    grader needs every other question's terms to refuse e.g. a neighbouring receptor as a
    'typo' (negative ids: a question's wrong choices)."""
    key = deck_terms_cache_key(deck_id)
    version = cache.get(key)
    local = _LOCAL_TERMS.get(deck_id)
    if version is not None and local is not None and local[0] == version:
        return local
    terms: dict[int, frozenset[str]] = {}
    for qid, kind, answers, prompt in Question.objects.filter(deck_id=deck_id).values_list(
        "id", "kind", "answers", "prompt"
    ):
        if kind == "cloze":
            alternatives = grading.cloze_alternatives(answers)
            terms[qid] = frozenset(
                term
                for number, (text, _hint) in grading.cloze_deletions(prompt).items()
                for term in (text, *alternatives.get(number, ()))
            )
        else:
            terms[qid] = frozenset(answers or ())
    for qid, text in Choice.objects.filter(question__deck_id=deck_id, correct=False).values_list("question_id", "text"):
        terms[-qid] = terms.get(-qid, frozenset()) | {text}
    if version is None:
        version = uuid.uuid4().hex
        cache.set(key, version, DECK_TERMS_TTL)
    _LOCAL_TERMS[deck_id] = entry = (version, terms, {})
    return entry


def _other_terms(question: Question, cloze: int) -> frozenset[str]:
    """The deck's other terms that can change this question's grade, kept per question
    with the deck's terms (see `typo_neighbours`)."""
    _version, terms, neighbours = _deck_terms_entry(question.deck_id)
    found = neighbours.get((question.pk, cloze))
    if found is None:
        others = frozenset().union(*(t for qid, t in terms.items() if qid != question.pk))
        spec = grading.QuestionSpec(
            kind=question.kind, prompt=question.prompt, **grading.spec_answers(question.answers)
        )
        found = neighbours[question.pk, cloze] = typo_neighbours(
            tuple(grading.accepted_answers(replace(spec, cloze=cloze))), others
        )
    return found


def typo_neighbours(accepted: tuple[str, ...], others: frozenset[str]) -> frozenset[str]:
    """The other terms that can change a grade. grading.match_typed refuses a typo equal to
    another term, and a typo it would accept is one edit away from an accepted answer (one
    edit in one word), so only terms one edit from an accepted answer can ever matter.
    Keeping just those spares the grader normalising every term of the deck per answer."""
    targets = [grading.normalize(a) for a in accepted]
    return frozenset(
        t for t in others if any(DamerauLevenshtein.distance(grading.normalize(t), a) <= 1 for a in targets if a)
    )


def question_spec(question: Question, *, cloze: int = 0, choices=None) -> grading.QuestionSpec:
    if choices is None:
        choices = list(question.choices.all()) if question.kind in CHOICE_KINDS else []
    other_terms: frozenset[str] = frozenset()
    if question.kind in ("short", "cloze"):
        other_terms = _other_terms(question, cloze)
    return grading.QuestionSpec(
        kind=question.kind,
        choices=tuple(grading.ChoiceSpec(id=c.pk, text=c.text, correct=c.correct) for c in choices),
        prompt=question.prompt,
        cloze=cloze,
        **grading.spec_answers(question.answers),
        other_terms=other_terms,
    )
