"""The JSON bank format ("format": "quizapp-bank", "version": 1): parse and validate, pure.

Validation returns every problem at once, each as `Problem(where, message)` where `where`
is the question uid (or `sources[0]`, `deck`, ...), so a fix can be made in one pass.
"""

from __future__ import annotations

import json
import re
from collections import Counter

from rapidfuzz import fuzz

from cards.core.grading import CLOZE_KEY, KINDS, cloze_deletions, cloze_key, normalize
from cards.core.images import image_problems
from cards.interop import bank_checks
from cards.interop.bank_checks import StyleLimits
from cards.interop.problems import Problem

FORMAT = "quizapp-bank"
VERSION = 1
STATUSES = ("draft", "published", "retired")
NEAR_DUPLICATE_RATIO = 90  # rapidfuzz ratio (0-100) of normalised prompts
MAX_QUESTIONS = 20000


class BankError(ValueError):
    def __init__(self, problems: list[Problem]):
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


def loads(text: str, *, name: str = "bank") -> dict:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise BankError([Problem(f"{name}:{exc.lineno}", f"invalid JSON: {exc.msg} (column {exc.colno})")]) from exc
    if not isinstance(data, dict):
        raise BankError([Problem(name, "the top level must be an object")])
    return data


def dumps(data: dict) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def _is_str(value) -> bool:
    return isinstance(value, str)


def _check_choices(uid: str, kind: str, choices, problems: list[Problem]) -> None:
    if not isinstance(choices, list):
        problems.append(Problem(uid, "choices must be a list", "choices"))
        return
    for n, choice in enumerate(choices, start=1):
        if not isinstance(choice, dict) or not _is_str(choice.get("text")) or not choice.get("text", "").strip():
            problems.append(Problem(uid, f"choice {n} needs a non-empty text", "choices"))
            return
        if not isinstance(choice.get("correct"), bool):
            problems.append(Problem(uid, f"choice {n} needs correct: true or false", "choices"))
            return
        if not _is_str(choice.get("feedback", "")):
            problems.append(Problem(uid, f"choice {n} feedback must be text", "choices"))
    correct = sum(1 for c in choices if c["correct"])
    texts = [choice_key(c["text"]) for c in choices]
    if len(set(texts)) != len(texts):
        problems.append(Problem(uid, "two choices have the same text", "choices"))
    if kind == "single":
        if correct != 1:
            problems.append(
                Problem(uid, f"a single-answer question needs exactly one correct choice, has {correct}", "choices")
            )
    elif kind == "multiple":
        if correct < 2:
            problems.append(
                Problem(uid, f"a multiple-answer question needs at least 2 correct choices, has {correct}", "choices")
            )
        if correct == len(choices):
            problems.append(Problem(uid, "a multiple-answer question needs at least one wrong choice", "choices"))
    elif kind == "truefalse":
        if sorted(texts) != ["false", "true"] or correct != 1:
            problems.append(
                Problem(uid, "a true/false question needs exactly the choices True and False, one correct", "choices")
            )
    elif choices:
        problems.append(Problem(uid, f"a {kind} question has no choices", "choices"))


def choice_key(text: str) -> str:
    """What makes two choices the same: their letters and digits ('GABA-B' is 'gaba b'), or, for a
    choice with neither (Moodle's `\\~`, `\\=`, `\\#` choices), its symbols."""
    return normalize(text) or "".join(text.split())


def house_rule_problems(q: dict, *, uid: str) -> list[Problem]:
    """quizapp's own rules for its published bank and its editor, which a valid question from
    another tool may break: a wrong choice says why it is wrong, a single-answer question offers
    at least 3 choices. An import takes such questions as drafts to review."""
    choices = q.get("choices")
    if q.get("kind") not in ("single", "multiple", "truefalse") or not isinstance(choices, list):
        return []
    if not all(isinstance(c, dict) and _is_str(c.get("text")) for c in choices):
        return []  # question_problems names what is wrong with them
    problems = []
    if q["kind"] == "single" and len(choices) < 3:
        problems.append(
            Problem(uid, f"a single-answer question needs at least 3 choices, has {len(choices)}", "choices")
        )
    for n, choice in enumerate(choices, start=1):
        if not choice.get("correct") and not str(choice.get("feedback", "")).strip():
            problems.append(
                Problem(uid, f"wrong choice {n} ({choice['text'][:40]!r}) needs feedback saying why", "choices")
            )
    return problems


def _check_cloze_alternatives(uid: str, answers, prompt: str, problems: list[Problem]) -> None:
    """A cloze question's `answers`: absent, or an object keyed by blank ("c1") whose values
    are lists of non-empty alternatives to that blank's text."""
    if answers in ([], {}):
        return
    if not isinstance(answers, dict):
        problems.append(
            Problem(uid, 'a cloze question\'s answers are alternatives per blank, e.g. {"c1": ["CNS"]}', "answers")
        )
        return
    deletions = cloze_deletions(prompt)
    for key, values in answers.items():
        match = CLOZE_KEY.fullmatch(key)
        if match is None or int(match.group(1)) not in deletions:
            have = ", ".join(cloze_key(n) for n in sorted(deletions)) or "none"
            message = f"answers name blank {key!r}, which the prompt does not have ({have})"
            problems.append(Problem(uid, message, "answers"))
            continue
        if not isinstance(values, list) or not all(_is_str(v) and normalize(v) for v in values):
            problems.append(Problem(uid, f"the alternatives for {key} must be a list of non-empty strings", "answers"))
            continue
        if len({normalize(v) for v in values}) != len(values):
            problems.append(Problem(uid, f"the alternatives for {key} repeat one another", "answers"))


def _check_kind_fields(uid: str, q: dict, problems: list[Problem]) -> None:
    kind = q["kind"]
    answers = q.get("answers", [])
    if kind == "cloze":
        _check_cloze_alternatives(uid, answers, q["prompt"], problems)
        answers = []
    if not isinstance(answers, list) or not all(_is_str(a) for a in answers):
        problems.append(Problem(uid, "answers must be a list of strings", "answers"))
        return
    if kind == "short" and not [a for a in answers if normalize(a)]:
        problems.append(Problem(uid, "a short-answer question needs at least one accepted answer", "answers"))
    if kind != "short" and answers:
        problems.append(Problem(uid, f"a {kind} question takes no typed answers list", "answers"))
    if kind == "flashcard" and not str(q.get("back", "")).strip():
        problems.append(Problem(uid, "a flashcard needs a back", "back"))
    if kind == "cloze":
        deletions = cloze_deletions(q["prompt"])
        if not deletions:
            problems.append(Problem(uid, "a cloze question needs at least one {{c1::...}} deletion", "prompt"))
        numbers = [int(n) for n in re.findall(r"\{\{c(\d+)::", q["prompt"])]
        if len(numbers) != len(set(numbers)):
            problems.append(Problem(uid, "each cloze number may be used once", "prompt"))
        if any(not normalize(a) for a, _h in deletions.values()):
            problems.append(Problem(uid, "a cloze deletion is empty", "prompt"))


def question_problems(
    q: dict,
    *,
    uid: str,
    passages: dict[tuple[str, str], str],
    topic_slugs: set | None = None,
    house_rules: bool = True,
) -> list[Problem]:
    """Every problem of one question; each names the field at fault (used by the editor too).
    With house_rules=False, only what makes the question unusable (see house_rule_problems)."""
    problems: list[Problem] = []
    if q.get("kind") not in KINDS:
        return [Problem(uid, f"kind must be one of {', '.join(KINDS)}, not {q.get('kind')!r}", "kind")]
    if not _is_str(q.get("prompt")) or not q["prompt"].strip():
        return [Problem(uid, "needs a prompt", "prompt")]
    if q.get("status", "draft") not in STATUSES:
        problems.append(Problem(uid, f"status must be one of {', '.join(STATUSES)}", "status"))
    if not _is_str(q.get("topic")) or (topic_slugs and q["topic"] not in topic_slugs):
        problems.append(Problem(uid, f"topic {q.get('topic')!r} is not declared in topics", "topic"))
    if not isinstance(q.get("tags", []), list) or not all(_is_str(t) for t in q.get("tags", [])):
        problems.append(Problem(uid, "tags must be a list of strings", "tags"))
    if not isinstance(q.get("safety_critical", False), bool):
        problems.append(Problem(uid, "safety_critical must be true or false", "safety_critical"))
    if not _is_str(q.get("explanation", "")):
        problems.append(Problem(uid, "explanation must be text", "explanation"))
    _check_choices(uid, q["kind"], q.get("choices", []), problems)
    if house_rules:
        problems += house_rule_problems(q, uid=uid)
    _check_kind_fields(uid, q, problems)
    _check_citation(uid, q.get("source"), passages, problems)
    _check_images(uid, q, problems)
    return problems


def authored_texts(q: dict) -> list[tuple[str, str]]:
    """(field, text) of every authored text of a question that may hold Markdown and images."""
    texts = [(f, q.get(f)) for f in ("prompt", "back", "explanation")]
    choices = q.get("choices")
    for choice in choices if isinstance(choices, list) else []:  # anything else: _check_choices says so
        if isinstance(choice, dict):
            texts += [("choices", choice.get("text")), ("choices", choice.get("feedback"))]
    return [(f, t) for f, t in texts if _is_str(t) and t]


def _check_images(uid: str, q: dict, problems: list[Problem]) -> None:
    """Images are uploaded ones (`img:`), each with alt text (cards.core.images)."""
    for field, text in authored_texts(q):
        problems += [Problem(uid, message, field) for message in image_problems(text)]


def validate(
    data: dict,
    *,
    min_questions: int = 0,
    min_per_topic: int = 0,
    min_per_kind: int = 0,
    topics: tuple[str, ...] = (),
    style: StyleLimits | None = None,
    drafts_follow_house_rules: bool = True,
) -> list[Problem]:
    """Every problem of a bank, in file order. Empty list: the bank is valid.

    With `style`, also the publishing checks of `bank_checks` (key positions, true/false
    share, wording, longest option, items per fact) on the published questions. With
    drafts_follow_house_rules=False (an import), drafts are held only to what makes a question
    usable: the house rules (`house_rule_problems`, near duplicates) are for published ones."""
    problems: list[Problem] = []
    if data.get("format") != FORMAT:
        problems.append(Problem("format", f'must be "{FORMAT}"'))
    if data.get("version") != VERSION:
        problems.append(Problem("version", f"must be {VERSION}"))
    deck = data.get("deck")
    if not isinstance(deck, dict) or not _is_str(deck.get("slug")) or not _is_str(deck.get("title")):
        problems.append(Problem("deck", "needs a slug and a title"))
    declared_topics = data.get("topics", [])
    if not isinstance(declared_topics, list):
        problems.append(Problem("topics", "must be a list of {slug, name}"))
        declared_topics = []
    topic_slugs = {t.get("slug") for t in declared_topics if isinstance(t, dict) and _is_str(t.get("slug"))}
    passages: dict[tuple[str, str], str] = {}
    sources = data.get("sources", [])
    if not isinstance(sources, list):
        problems.append(Problem("sources", "must be a list"))
        sources = []
    for i, source in enumerate(sources):
        where = f"sources[{i}]"
        if not isinstance(source, dict) or not _is_str(source.get("slug")) or not _is_str(source.get("title")):
            problems.append(Problem(where, "needs a slug and a title"))
            continue
        keys = set()
        source_passages = source.get("passages", [])
        if not isinstance(source_passages, list):
            problems.append(Problem(f"{where}.passages", "must be a list"))
            source_passages = []
        for j, passage in enumerate(source_passages):
            if not isinstance(passage, dict) or not _is_str(passage.get("key")) or not _is_str(passage.get("text")):
                problems.append(Problem(f"{where}.passages[{j}]", "needs a key and a text"))
                continue
            if passage["key"] in keys:
                problems.append(Problem(f"{where}.passages[{j}]", f"duplicate passage key {passage['key']!r}"))
            keys.add(passage["key"])
            passages[(source["slug"], passage["key"])] = passage["text"]
    questions = data.get("questions")
    if not isinstance(questions, list):
        return [*problems, Problem("questions", "must be a list")]
    if len(questions) > MAX_QUESTIONS:
        problems.append(Problem("questions", f"at most {MAX_QUESTIONS} questions per file, found {len(questions)}"))
    seen_uids: set[str] = set()
    valid: list[dict] = []
    for n, q in enumerate(questions, start=1):
        if not isinstance(q, dict):
            problems.append(Problem(f"questions[{n - 1}]", "must be an object"))
            continue
        uid = q.get("uid") if _is_str(q.get("uid")) and q.get("uid") else f"questions[{n - 1}]"
        before = len(problems)
        if uid in seen_uids:
            problems.append(Problem(uid, "duplicate uid"))
        seen_uids.add(uid)
        strict = drafts_follow_house_rules or q.get("status") == "published"
        problems += question_problems(q, uid=uid, passages=passages, topic_slugs=topic_slugs, house_rules=strict)
        if len(problems) == before:
            valid.append(q)
    if not drafts_follow_house_rules:
        valid = [q for q in valid if q.get("status") == "published"]
    problems += near_duplicates(valid)
    problems += _count_problems(questions, min_questions, min_per_topic, min_per_kind, topics)
    if style is not None:
        problems += bank_checks.style_problems(valid, style)
    return problems


def _check_citation(uid: str, source, passages: dict, problems: list[Problem]) -> None:
    if source in (None, {}):
        return
    if not isinstance(source, dict):
        problems.append(Problem(uid, "source must be an object with source, passage and quote", "quote"))
        return
    key = (source.get("source"), source.get("passage"))
    if not all(_is_str(part) for part in key) or key not in passages:
        problems.append(
            Problem(uid, f"cites passage {key[1]!r} of source {key[0]!r}, which is not in the file", "passage")
        )
        return
    quote = source.get("quote", "")
    if not _is_str(quote) or not quote.strip():
        problems.append(Problem(uid, "the citation needs a quote from the passage", "quote"))
    elif quote not in passages[key]:
        problems.append(Problem(uid, f"quote is not verbatim in passage {key[1]!r}: {quote[:60]!r}", "quote"))


def answer_key(q: dict) -> str:
    if q["kind"] == "flashcard":
        return normalize(q.get("back", ""))
    if q["kind"] == "short":
        return normalize((q.get("answers") or [""])[0])
    if q["kind"] == "cloze":
        return "|".join(normalize(a) for a, _h in cloze_deletions(q["prompt"]).values())
    return "|".join(sorted(normalize(c["text"]) for c in q.get("choices", []) if c.get("correct")))


def near_duplicates(questions: list[dict]) -> list[Problem]:
    """Pairs with (almost) the same stem and the same answer."""
    problems = []
    prepared = [(q["uid"], normalize(q["prompt"]), answer_key(q)) for q in questions]
    for i, (uid_a, prompt_a, key_a) in enumerate(prepared):
        for uid_b, prompt_b, key_b in prepared[i + 1 :]:
            if key_a == key_b and fuzz.ratio(prompt_a, prompt_b) >= NEAR_DUPLICATE_RATIO:
                problems.append(Problem(uid_b, f"near duplicate of {uid_a} (same stem and answer)"))
    return problems


def _count_problems(questions, min_questions, min_per_topic, min_per_kind, topics) -> list[Problem]:
    published = [q for q in questions if isinstance(q, dict) and q.get("status") == "published"]
    problems = []
    if len(published) < min_questions:
        problems.append(Problem("questions", f"{len(published)} published questions, at least {min_questions} needed"))
    by_topic = Counter(q.get("topic") for q in published if _is_str(q.get("topic")))
    for topic in topics:
        if by_topic[topic] < min_per_topic:
            problems.append(
                Problem(
                    "topics",
                    f"topic {topic!r} has {by_topic[topic]} published questions, at least {min_per_topic} needed",
                )
            )
    if min_per_kind:
        by_kind = Counter(q.get("kind") for q in published if _is_str(q.get("kind")))
        for kind in KINDS:
            if by_kind[kind] < min_per_kind:
                problems.append(
                    Problem(
                        "kinds",
                        f"kind {kind!r} has {by_kind[kind]} published questions, at least {min_per_kind} needed",
                    )
                )
    return problems


def _comparable(q) -> bool:
    """Shaped well enough for near_duplicates to compare (the validator names anything else)."""
    return (
        isinstance(q, dict)
        and q.get("kind") in KINDS
        and _is_str(q.get("uid"))
        and _is_str(q.get("prompt"))
        and _is_str(q.get("back", ""))
        and isinstance(q.get("choices", []), list)
        and all(isinstance(c, dict) and _is_str(c.get("text")) for c in q.get("choices", []))
        and (q["kind"] == "cloze" or isinstance(q.get("answers", []), list))
        and all(_is_str(a) for a in (q.get("answers") if isinstance(q.get("answers"), list) else []))
    )


def review_notes(questions: list) -> dict[str, list[Problem]]:
    """{uid: the house rules it breaks} for the questions of an import: each comes in as a draft,
    with this list of what to review before publishing it."""
    notes: dict[str, list[Problem]] = {}
    comparable = [q for q in questions if _comparable(q)]
    for q in comparable:
        if found := house_rule_problems(q, uid=q["uid"]):
            notes.setdefault(q["uid"], []).extend(found)
    twins: dict[str, list[str]] = {}
    prepared = [(q["uid"], normalize(q["prompt"]), answer_key(q)) for q in comparable]
    for i, (uid, prompt, key) in enumerate(prepared):
        for other, other_prompt, other_key in prepared[:i]:
            if key == other_key and fuzz.ratio(prompt, other_prompt) >= NEAR_DUPLICATE_RATIO:
                twins.setdefault(uid, []).append(other)
    for uid, earlier in twins.items():
        shown = ", ".join(earlier[:3]) + (f" and {len(earlier) - 3} more" if len(earlier) > 3 else "")
        notes.setdefault(uid, []).append(Problem(uid, f"near duplicate of {shown} (same stem and answer)"))
    return notes
