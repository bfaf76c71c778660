"""Publishing checks for a JSON bank: the item-writing rules that can be checked by counting.

`json_bank.validate` checks that a bank is well formed; these check that it is fit to
publish (NBME item-writing guidelines, minimum information principle of spaced repetition):

- single-answer keys spread over the stored positions (exports keep bank order);
- select-all items not keyed on their first choices;
- true/false a small share of the bank, and none guessable from its wording
  (absolute words in a false statement, hedges in a true one);
- the longest option not usually the key;
- at most `max_per_fact` items per key fact, each at a different level (recall,
  understanding, application), by the `fact:<slug>` tags and by shared answers;
- a share of patient vignettes (single-answer items tagged `vignette`).

Only published questions are judged. Bank-wide shares are judged only once there are
`min_items` items to count, so a small draft bank is not held to them.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from dataclasses import dataclass

from cards.core.grading import cloze_deletions, normalize
from cards.interop.problems import Problem

ABSOLUTE_WORDS = ("always", "never", "all", "only", "every", "none", "nothing", "no")
HEDGE_WORDS = ("may", "might", "could", "can", "some", "sometimes", "often", "usually", "possibly", "generally")
FACT_TAG = "fact:"
VIGNETTE_TAG = "vignette"
CONTAINED_MIN_LENGTH = 5  # a shorter normalised answer must equal another to count as the same


@dataclass(frozen=True)
class StyleLimits:
    key_position_tolerance: float = 0.10  # each key position within this of an even spread
    max_truefalse_share: float = 0.10
    max_longest_key_share: float = 0.35  # by chance about 1 in 4 with four options
    max_first_keys_share: float = 0.34  # select-all items whose keys are the first N choices
    max_per_fact: int = 3
    min_vignette_share: float = 0.0
    min_items: int = 10  # judge a bank-wide share only over at least this many items
    wording: bool = True  # absolute words in false, hedged words in true statements


def _problem(where: str, message: str, field: str = "") -> Problem:
    return Problem(where, message, field)


def level(q: dict) -> str:
    """recall (flashcard, cloze, short), application (a vignette to choose on), else understanding."""
    if q["kind"] in ("flashcard", "cloze", "short"):
        return "recall"
    if q["kind"] in ("single", "multiple") and VIGNETTE_TAG in q.get("tags", []):
        return "application"
    return "understanding"


def is_vignette(q: dict) -> bool:
    return q["kind"] == "single" and VIGNETTE_TAG in q.get("tags", [])


def _found(words: tuple[str, ...], text: str) -> list[str]:
    lowered = text.casefold()
    return [w for w in words if re.search(rf"\b{w}\b", lowered)]


def _truefalse_key(q: dict) -> bool | None:
    for choice in q.get("choices", []):
        if choice.get("correct"):
            return normalize(choice["text"]) == "true"
    return None


def wording_problems(questions: list[dict]) -> list[Problem]:
    problems = []
    for q in questions:
        if q["kind"] != "truefalse":
            continue
        key = _truefalse_key(q)
        if key is False and (words := _found(ABSOLUTE_WORDS, q["prompt"])):
            problems.append(
                _problem(
                    q["uid"],
                    f"a false statement with absolute wording ({', '.join(words)}) gives itself away",
                    "prompt",
                )
            )
        if key is True and (words := _found(HEDGE_WORDS, q["prompt"])):
            problems.append(
                _problem(
                    q["uid"], f"a true statement with hedged wording ({', '.join(words)}) gives itself away", "prompt"
                )
            )
    return problems


def key_position_problems(questions: list[dict], limits: StyleLimits) -> list[Problem]:
    """Where single-answer keys are stored, against an even spread over each item's choices."""
    singles = [q for q in questions if q["kind"] == "single" and q.get("choices")]
    if len(singles) < limits.min_items:
        return []
    expected: Counter = Counter()
    actual: Counter = Counter()
    for q in singles:
        n = len(q["choices"])
        for position in range(n):
            expected[position] += 1 / n
        actual[next(i for i, c in enumerate(q["choices"]) if c["correct"])] += 1
    off = []
    for position in sorted(expected):
        share, even = actual[position] / len(singles), expected[position] / len(singles)
        if abs(share - even) > limits.key_position_tolerance:
            off.append(f"{chr(65 + position)} {share:.0%} (even {even:.0%})")
    if not off:
        return []
    return [
        _problem(
            "questions",
            f"single-answer keys are stored unevenly, more than {limits.key_position_tolerance:.0%} "
            f"off an even spread: {', '.join(off)}",
        )
    ]


def first_keys_problems(questions: list[dict], limits: StyleLimits) -> list[Problem]:
    multiples = [q for q in questions if q["kind"] == "multiple" and q.get("choices")]
    if len(multiples) < limits.min_items:
        return []
    first = [
        q["uid"]
        for q in multiples
        if [c["correct"] for c in q["choices"]] == sorted((c["correct"] for c in q["choices"]), reverse=True)
    ]
    if len(first) / len(multiples) <= limits.max_first_keys_share:
        return []
    return [
        _problem(
            "questions",
            f"{len(first)} of {len(multiples)} select-all items store their keys as the first choices "
            f"(at most {limits.max_first_keys_share:.0%}): {', '.join(first)}",
        )
    ]


def longest_key_problems(questions: list[dict], limits: StyleLimits) -> list[Problem]:
    singles = [q for q in questions if q["kind"] == "single" and q.get("choices")]
    if len(singles) < limits.min_items:
        return []
    longest = []
    for q in singles:
        key = len(next(c["text"] for c in q["choices"] if c["correct"]))
        if all(key > len(c["text"]) for c in q["choices"] if not c["correct"]):
            longest.append(q["uid"])
    if len(longest) / len(singles) <= limits.max_longest_key_share:
        return []
    return [
        _problem(
            "questions",
            f"the key is the longest option in {len(longest)} of {len(singles)} single-answer items "
            f"(at most {limits.max_longest_key_share:.0%}): {', '.join(longest)}",
        )
    ]


def share_problems(questions: list[dict], limits: StyleLimits) -> list[Problem]:
    if len(questions) < limits.min_items:
        return []
    problems = []
    truefalse = sum(1 for q in questions if q["kind"] == "truefalse")
    if truefalse / len(questions) > limits.max_truefalse_share:
        problems.append(
            _problem(
                "kinds",
                f"{truefalse} of {len(questions)} published items are true/false "
                f"(at most {limits.max_truefalse_share:.0%})",
            )
        )
    vignettes = sum(1 for q in questions if is_vignette(q))
    if vignettes / len(questions) < limits.min_vignette_share:
        problems.append(
            _problem(
                "kinds",
                f"{vignettes} of {len(questions)} published items are single-answer patient vignettes "
                f"(at least {limits.min_vignette_share:.0%})",
            )
        )
    return problems


def _fact_group_problems(fact: str, members: list[dict], limits: StyleLimits) -> list[Problem]:
    problems = []
    if len(members) > limits.max_per_fact:
        uids = ", ".join(q["uid"] for q in members)
        problems.append(
            _problem("facts", f"{len(members)} items on fact {fact!r} (at most {limits.max_per_fact}): {uids}")
        )
    seen: dict[str, str] = {}
    for q in members:
        at = level(q)
        if at in seen:
            problems.append(_problem(q["uid"], f"same fact ({fact}) at the same level ({at}) as {seen[at]}", "tags"))
        else:
            seen[at] = q["uid"]
    return problems


def _answers(q: dict) -> set[str]:
    """What a question asks the student to produce or pick, normalised."""
    if q["kind"] == "short":
        found = {normalize(a) for a in q.get("answers", [])}
    elif q["kind"] == "cloze":
        found = {normalize(a) for a, _hint in cloze_deletions(q["prompt"]).values()}
    elif q["kind"] == "flashcard":
        found = {normalize(q.get("back", ""))}
    elif q["kind"] == "single":
        found = {normalize(c["text"]) for c in q.get("choices", []) if c.get("correct")}
    else:  # true/false and select-all items have no single answer to compare
        found = set()
    return {a for a in found if a}


def _same_answer(a: set[str], b: set[str]) -> bool:
    for x in a:
        for y in b:
            short, long_ = sorted((x, y), key=len)
            if short == long_ or (len(short) >= CONTAINED_MIN_LENGTH and short in long_):
                return True
    return False


def _root(parent: list[int], i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return i


def _answer_clusters(questions: list[dict]) -> list[list[dict]]:
    """Items citing the same passage that ask for the same answer, vignettes aside (their stems differ
    by design and the `fact:` tags govern them)."""
    by_passage: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        if level(q) != "application" and isinstance(q.get("source"), dict):
            by_passage[str(q["source"].get("passage"))].append(q)
    clusters = []
    for items in by_passage.values():
        parent = list(range(len(items)))
        answers = [_answers(q) for q in items]
        for i in range(len(items)):
            for j in range(i + 1, len(items)):
                if _same_answer(answers[i], answers[j]):
                    parent[_root(parent, j)] = _root(parent, i)
        groups: dict[int, list[dict]] = defaultdict(list)
        for i, q in enumerate(items):
            groups[_root(parent, i)].append(q)
        clusters += [group for group in groups.values() if len(group) > 1]
    return clusters


def fact_problems(questions: list[dict], limits: StyleLimits) -> list[Problem]:
    problems = []
    by_fact: dict[str, list[dict]] = defaultdict(list)
    for q in questions:
        for tag in q.get("tags", []):
            if tag.startswith(FACT_TAG):
                by_fact[tag[len(FACT_TAG) :]].append(q)
    for fact, members in by_fact.items():
        problems += _fact_group_problems(fact, members, limits)
    for cluster in _answer_clusters(questions):
        shared = set.intersection(*({t for t in q.get("tags", []) if t.startswith(FACT_TAG)} for q in cluster))
        if shared:
            continue  # within one declared fact: judged with it
        label = f"same answer from passage {cluster[0]['source'].get('passage')!r}"
        problems += _fact_group_problems(label, cluster, limits)
    return problems


def style_problems(questions: list, limits: StyleLimits) -> list[Problem]:
    """Every publishing problem of the bank's published, well-formed questions."""
    published = [q for q in questions if isinstance(q, dict) and q.get("status") == "published"]
    problems = []
    if limits.wording:
        problems += wording_problems(published)
    problems += key_position_problems(published, limits)
    problems += first_keys_problems(published, limits)
    problems += longest_key_problems(published, limits)
    problems += share_problems(published, limits)
    problems += fact_problems(published, limits)
    return problems
