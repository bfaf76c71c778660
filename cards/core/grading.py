"""Grading, pure: an answer to a question -> correct?, partial credit, FSRS rating.

No Django models: the caller passes a `QuestionSpec` built from whatever storage it has.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache

from rapidfuzz.distance import DamerauLevenshtein

from cards.core.scheduling import Rating

KINDS = ("flashcard", "single", "multiple", "truefalse", "short", "cloze")
TYPED_KINDS = ("short", "cloze")  # answered by typing

# The one typo rule, for study, quizzes and the API alike (all grade through `grade`): a typed
# answer may carry one slip (a wrong, missing, extra or swapped letter) in one word of at least
# this many characters, and never in its digits: "central nervous sytem" and "baclofem" are
# slips, "GABAA" for "GABAB" is a different receptor, "alpha1" for "alpha2" another subtype.
TYPO_MIN_LENGTH = 6

CLOZE_PATTERN = re.compile(r"\{\{c(\d+)::(.*?)(?:::(.*?))?\}\}", re.DOTALL)


class InvalidAnswer(ValueError):
    """The answer does not have the shape this kind of question needs."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name
        self.message = message


@dataclass(frozen=True)
class ChoiceSpec:
    id: int
    text: str
    correct: bool


@dataclass(frozen=True)
class QuestionSpec:
    kind: str
    choices: tuple[ChoiceSpec, ...] = ()
    answers: tuple[str, ...] = ()
    prompt: str = ""
    cloze: int = 0
    # A cloze question's accepted alternatives per blank: ((1, ("CNS",)), ...), from its
    # `answers` ({"c1": ["CNS"]}; see `cloze_alternatives`). The blank's own text is always right.
    alternatives: tuple[tuple[int, tuple[str, ...]], ...] = ()
    # Terms that are right elsewhere (other questions' answers, this deck's choices):
    # a typed answer equal to one of them is never accepted as a typo of ours.
    other_terms: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Grade:
    correct: bool
    score: float  # 0..1 partial credit
    rating: Rating
    typo: bool = False  # accepted, but not spelled as expected


NORMALIZE_REMEMBERED_LENGTH = 200  # characters


def normalize(text: str) -> str:
    """Case, spacing and punctuation do not matter: 'GABA-B receptors' == 'gabab receptors'."""
    # Short texts (a deck's terms, typed answers) are remembered: the terms are normalised
    # again for each question the grader first meets (cards.selectors._typo_neighbours),
    # about a thousand per question. Long ones are not, so no answer can fill the memory.
    return _normalize_remembered(text) if len(text) <= NORMALIZE_REMEMBERED_LENGTH else _normalize(text)


@lru_cache(maxsize=8192)
def _normalize_remembered(text: str) -> str:
    return _normalize(text)


def _normalize(text: str) -> str:
    text = unicodedata.normalize("NFKD", text).casefold()
    return "".join(ch for ch in text if ch.isalnum())


def cloze_deletions(prompt: str) -> dict[int, tuple[str, str | None]]:
    """{number: (answer, hint)} for each `{{cN::answer::hint}}` in the prompt."""
    found: dict[int, tuple[str, str | None]] = {}
    for match in CLOZE_PATTERN.finditer(prompt):
        found.setdefault(int(match.group(1)), (match.group(2), match.group(3)))
    return found


def cloze_front(prompt: str, number: int) -> str:
    """The prompt as the card for deletion `number` shows it: that one hidden, others shown."""

    def render(match: re.Match) -> str:
        if int(match.group(1)) == number:
            return f"[{match.group(3)}]" if match.group(3) else "[...]"
        return match.group(2)

    return CLOZE_PATTERN.sub(render, prompt)


def cloze_back(prompt: str) -> str:
    return CLOZE_PATTERN.sub(lambda m: m.group(2), prompt)


CLOZE_KEY = re.compile(r"c([1-9]\d*)")


def cloze_key(number: int) -> str:
    """The `answers` key of blank `number`: 1 -> "c1"."""
    return f"c{number}"


def cloze_alternatives(answers) -> dict[int, tuple[str, ...]]:
    """{blank number: its alternatives} from a cloze question's stored `answers`, a dict keyed
    by blank ({"c1": ["CNS", "central nervous system"]}). Other kinds keep a list of accepted
    answers, which has no alternatives per blank; malformed entries are left out (the bank
    validator refuses them)."""
    if not isinstance(answers, dict):
        return {}
    found: dict[int, tuple[str, ...]] = {}
    for key, values in answers.items():
        match = CLOZE_KEY.fullmatch(key) if isinstance(key, str) else None
        if match and isinstance(values, (list, tuple)):
            found[int(match.group(1))] = tuple(v for v in values if isinstance(v, str) and v.strip())
    return found


def typed_answers(answers) -> tuple[str, ...]:
    """A short-answer question's accepted answers from its stored `answers` (a list)."""
    if not isinstance(answers, (list, tuple)):
        return ()
    return tuple(a for a in answers if isinstance(a, str))


def spec_answers(answers) -> dict:
    """The `QuestionSpec` fields a stored `answers` value fills, whatever the kind."""
    return {"answers": typed_answers(answers), "alternatives": tuple(sorted(cloze_alternatives(answers).items()))}


def accepted_answers(spec: QuestionSpec) -> tuple[str, ...]:
    """What a typed answer may match: a short answer's list; a cloze blank's own text, then
    its alternatives."""
    if spec.kind == "cloze":
        deletion = cloze_deletions(spec.prompt).get(spec.cloze)
        if not deletion:
            return ()
        alternatives = dict(spec.alternatives).get(spec.cloze, ())
        return (deletion[0], *(a for a in alternatives if a != deletion[0]))
    return spec.answers


def words(text: str) -> list[str]:
    """Normalised words: 'GABA-B receptors' -> ['gabab', 'receptors']."""
    return [w for w in (normalize(part) for part in text.split()) if w]


def _digits(word: str) -> str:
    return "".join(ch for ch in word if ch.isdigit())


def _one_typo_apart(given: list[str], target: list[str]) -> bool:
    """Same words but one, and that one a word of TYPO_MIN_LENGTH or more with a single slip
    (a wrong, missing, extra or swapped letter) that leaves its digits alone. A short word
    like GABA-B gets no slack at all."""
    if len(given) != len(target):
        return False
    differing = [(g, t) for g, t in zip(given, target, strict=True) if g != t]
    if len(differing) != 1:
        return False
    typed, wanted = differing[0]
    return (
        len(wanted) >= TYPO_MIN_LENGTH
        and _digits(typed) == _digits(wanted)
        and DamerauLevenshtein.distance(typed, wanted) <= 1
    )


def typo_of(text: str, accepted: tuple[str, ...]) -> str | None:
    """The accepted answer that `text` is one slip away from (not equal to), or None: what
    the typo note after an accepted answer shows, in study, quizzes and the API alike."""
    given = normalize(text)
    if not given or given in {normalize(a) for a in accepted}:
        return None
    given_words = words(text)
    return next((a for a in accepted if normalize(a) and _one_typo_apart(given_words, words(a))), None)


def match_typed(text: str, accepted: tuple[str, ...], other_terms: frozenset[str]) -> tuple[bool, bool]:
    """(accepted?, with a typo?) for a typed answer."""
    given = normalize(text)
    if not given:
        return False, False
    targets = {normalize(a) for a in accepted if normalize(a)}
    if given in targets:
        return True, False
    if given in {normalize(t) for t in other_terms} - targets:
        return False, False
    return (True, True) if typo_of(text, accepted) else (False, False)


def _rating_for(correct: bool, score: float) -> Rating:
    if correct:
        return Rating.GOOD
    return Rating.HARD if score > 0 else Rating.AGAIN


def grade(spec: QuestionSpec, answer: dict) -> Grade:
    """Grade `answer` (one of choice / choices / truefalse / text / rating) for `spec`."""
    kind = spec.kind
    if kind == "flashcard":
        rating = answer.get("rating")
        if rating not in (1, 2, 3, 4) or isinstance(rating, bool):
            raise InvalidAnswer("rating", "a flashcard needs a rating from 1 (again) to 4 (easy)")
        return Grade(correct=rating > 1, score=1.0 if rating > 1 else 0.0, rating=Rating(rating))

    if kind in ("single", "truefalse"):
        choice_id = _chosen_single(spec, answer)
        correct = any(c.id == choice_id and c.correct for c in spec.choices)
        return Grade(correct=correct, score=float(correct), rating=_rating_for(correct, 0.0))

    if kind == "multiple":
        picked = answer.get("choices")
        if not isinstance(picked, (list, tuple)) or not all(
            isinstance(c, int) and not isinstance(c, bool) for c in picked
        ):
            raise InvalidAnswer("choices", "pick the choices as a list of choice ids")
        known = {c.id for c in spec.choices}
        if not set(picked) <= known:
            raise InvalidAnswer("choices", "a picked choice does not belong to this question")
        score = multiple_score(spec.choices, set(picked))
        return Grade(correct=score == 1.0, score=score, rating=_rating_for(score == 1.0, score))

    if kind in ("short", "cloze"):
        text = answer.get("text")
        if not isinstance(text, str):
            raise InvalidAnswer("text", "type an answer")
        ok, typo = match_typed(text, accepted_answers(spec), spec.other_terms)
        return Grade(correct=ok, score=float(ok), rating=_rating_for(ok, 0.0), typo=typo)

    raise InvalidAnswer("kind", f"unknown question kind {kind!r}")


def _chosen_single(spec: QuestionSpec, answer: dict) -> int:
    if spec.kind == "truefalse" and "truefalse" in answer:
        value = answer["truefalse"]
        if not isinstance(value, bool):
            raise InvalidAnswer("truefalse", "answer true or false")
        wanted = "true" if value else "false"
        for choice in spec.choices:
            if normalize(choice.text) == wanted:
                return choice.id
        raise InvalidAnswer("truefalse", "this question has no True/False choices")
    choice_id = answer.get("choice")
    if not isinstance(choice_id, int) or isinstance(choice_id, bool):
        raise InvalidAnswer("choice", "pick one choice")
    if choice_id not in {c.id for c in spec.choices}:
        raise InvalidAnswer("choice", "that choice does not belong to this question")
    return choice_id


def multiple_score(choices: tuple[ChoiceSpec, ...], picked: set[int]) -> float:
    """Partial credit for 'select all that apply': right picks minus wrong picks, over the
    number of right choices, never below zero (as Moodle's all-or-nothing-free scoring)."""
    right = {c.id for c in choices if c.correct}
    if not right:
        return 0.0
    hits = len(picked & right)
    misses = len(picked - right)
    return max(0.0, (hits - misses) / len(right))


def allowed_ratings(grade_: Grade) -> tuple[Rating, ...]:
    """After a correct answer the student may say it was Hard or Easy instead of Good."""
    if grade_.correct and grade_.rating == Rating.GOOD:
        return (Rating.HARD, Rating.GOOD, Rating.EASY)
    return (grade_.rating,)
