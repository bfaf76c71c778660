"""A bank written as Moodle GIFT, pure (no Django). `gift.parse` reads it back as the same
questions: uids as question names, tags as Moodle's `// [tag:...]` comments, topics as
`$CATEGORY:` blocks (with quizapp's `// topic:` slug), citations as `// source:` comments.

A cloze question has no GIFT form: it is written as one short-answer question per deletion
(`<uid>-c<N>`, the deletion's text first and its alternatives as further `=` answers), which
Moodle reads as such, after a `// cloze: <uid>: "<prompt>"` comment with the whole prompt, from
which quizapp puts the question back together.
"""

from __future__ import annotations

import re

from cards.core.grading import CLOZE_PATTERN, cloze_alternatives, cloze_deletions, normalize
from cards.interop.gift_syntax import BLANK, DEFAULT_TOPIC, cloze_comment, escape, tags_comment
from cards.interop.json_bank import BankError, Problem


def dump(bank: dict) -> str:
    """The bank as GIFT: one $CATEGORY block per topic (bank order), retired questions left out.

    Raises BankError for questions of a kind GIFT cannot hold."""
    deck = bank.get("deck") or {}
    lines = [f"// quizapp deck {_one_line(deck.get('slug', ''))}: {_one_line(deck.get('title', ''))}", ""]
    names = {t["slug"]: t.get("name") or t["slug"] for t in bank.get("topics", [])}
    by_topic: dict[str, list[dict]] = {slug: [] for slug in names}
    for q in bank.get("questions", []):
        if q.get("status") != "retired":
            by_topic.setdefault(q.get("topic", DEFAULT_TOPIC["slug"]), []).append(q)
    problems: list[Problem] = []
    for slug, questions in by_topic.items():
        if not questions:
            continue
        category = _one_line(names.get(slug, slug)).replace("/", "//")
        lines += [f"$CATEGORY: {category}", f"// topic: {slug}", ""]
        for q in questions:
            try:
                lines += _dump_question(q)
            except ValueError as exc:
                problems.append(Problem(q.get("uid", "?"), str(exc)))
    if problems:
        raise BankError(problems)
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def _comments(q: dict) -> list[str]:
    """The comment lines before a question: its citation, its tags, and whether it is
    safety-critical."""
    source = q.get("source") or {}
    lines = ["// safety-critical"] if q.get("safety_critical") else []
    if source.get("source"):
        quote = _one_line(source.get("quote", ""))
        lines.append(f'// source: {source["source"]}#{source.get("passage", "")}: "{quote}"')
    return lines + tags_comment(list(q.get("tags") or []))


def _question(uid: str, prompt: str, block: list[str], explanation: str) -> list[str]:
    """`::uid::[markdown]prompt {` + answer lines + general feedback + `}` and a blank line."""
    lines = [f"::{escape(uid)}::[markdown]{escape(prompt)} {{", *block]
    if explanation:
        lines.append(f"\t####{escape(explanation)}")
    return [*lines, "}", ""]


def _weight(value: float) -> str:
    return f"{value:.5f}".rstrip("0").rstrip(".")


def _with_feedback(text: str, feedback: str) -> str:
    return escape(text) + (f"#{escape(feedback)}" if feedback else "")


def _dump_question(q: dict) -> list[str]:
    kind, uid, prompt = q.get("kind"), q["uid"], q.get("prompt", "")
    explanation = q.get("explanation", "") or ""
    choices = q.get("choices", [])
    head = _comments(q)
    if kind == "single":
        block = [f"\t{'=' if c['correct'] else '~'}{_with_feedback(c['text'], c.get('feedback', ''))}" for c in choices]
        return head + _question(uid, prompt, block, explanation)
    if kind == "multiple":
        right = sum(1 for c in choices if c["correct"]) or 1
        block = [
            f"\t~%{_weight(100 / right if c['correct'] else -100 / right)}%"
            + _with_feedback(c["text"], c.get("feedback", ""))
            for c in choices
        ]
        return head + _question(uid, prompt, block, explanation)
    if kind == "truefalse":
        by_text = {normalize(c["text"]): c for c in choices}
        truth = bool(by_text.get("true", {}).get("correct"))
        right = by_text.get("true" if truth else "false", {}).get("feedback", "")
        wrong = by_text.get("false" if truth else "true", {}).get("feedback", "")
        answer = "TRUE" if truth else "FALSE"
        if right or wrong:
            answer += f"#{escape(wrong)}#{escape(right)}"
        return head + _question(uid, prompt, [f"\t{answer}"], explanation)
    if kind == "short":
        block = [f"\t={escape(a)}" for a in q.get("answers", [])]
        return head + _question(uid, prompt, block, explanation)
    if kind == "flashcard":
        general = q.get("back", "") + (f"\n\n{explanation}" if explanation else "")
        return head + _question(uid, prompt, [], general)
    if kind == "cloze":
        lines = [cloze_comment(uid, prompt)]
        alternatives = cloze_alternatives(q.get("answers"))
        for number, (answer, _hint) in sorted(cloze_deletions(prompt).items()):
            accepted = [answer, *(a for a in alternatives.get(number, ()) if a != answer)]
            block = [f"\t={escape(a)}" for a in accepted]
            lines += head + _question(f"{uid}-c{number}", _cloze_blank(prompt, number), block, explanation)
        return lines
    raise ValueError(f"a {kind!r} question cannot be written as GIFT")


def _cloze_blank(prompt: str, number: int) -> str:
    """Deletion `number` as a blank (its hint, if any, in parentheses), the other deletions filled in."""

    def render(match: re.Match) -> str:
        if int(match.group(1)) != number:
            return match.group(2)
        return f"{BLANK} ({match.group(3)})" if match.group(3) else BLANK

    return CLOZE_PATTERN.sub(render, prompt)
