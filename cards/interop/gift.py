"""Moodle GIFT import and export, pure (no Django).

`parse(text)` turns a GIFT file into bank-format question dicts (see `json_bank`), `dump(bank)`
writes a bank as GIFT. docs/formats.md is the user-facing description; the short version:

- single / multiple / truefalse / short round-trip (prompt, choices, answers, explanation,
  topic, uid, and the citation through a `// source:` comment);
- a flashcard is an essay whose general feedback is the back, then a blank line, then the
  explanation (parse splits the general feedback at its first blank line);
- a cloze question is written as one short-answer question per deletion, the deletion's text
  first and its alternatives as further `=` answers (one way only: it reads back as those
  short-answer questions, with every answer kept);
- matching, numerical, description, essays without general feedback and missing-word
  questions without a correct answer are skipped with a warning (errors with strict=True).

quizapp reads two comment lines of its own, ignored by Moodle: `// topic: <slug>` right after a
`$CATEGORY:` line keeps the topic slug, and `// source: <source>#<passage>: "<quote>"` just
before a question keeps its citation.
"""

from __future__ import annotations

import hashlib
import math
import re
import unicodedata
from dataclasses import dataclass, field

from cards.core.grading import CLOZE_PATTERN, cloze_alternatives, cloze_deletions, normalize
from cards.interop.json_bank import STATUSES, BankError, Problem

BLANK = "_____"
DEFAULT_TOPIC = {"slug": "general", "name": "General"}
TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}

# While parsing, each escaped character is swapped for a Unicode noncharacter (U+FDD0..,
# reserved for internal use), so the structure can be read with plain string operations on
# the unescaped markers; the characters are put back in the texts at the end.
_ESCAPABLE = "~=#{}:\\"
_HIDE = {ch: chr(0xFDD0 + i) for i, ch in enumerate(_ESCAPABLE)}
_HIDDEN_NEWLINE = chr(0xFDD0 + len(_ESCAPABLE))
_REVEAL = str.maketrans({hidden: ch for ch, hidden in _HIDE.items()} | {_HIDDEN_NEWLINE: "\n"})
_ESCAPE_SEQUENCE = re.compile(r"\\([~=#{}:\\n])")
_SPECIAL = re.compile(r"[~=#{}:\\]")

_FORMAT_PREFIX = re.compile(r"^\s*\[(?:markdown|html|plain|moodle)\]", re.IGNORECASE)
_SOURCE_COMMENT = re.compile(r'^//\s*source:\s*(?P<source>[^#\s]+)#(?P<passage>[^:\s]+):\s*"(?P<quote>.*)"\s*$')
_TOPIC_COMMENT = re.compile(r"^//\s*topic:\s*(?P<slug>\S+)\s*$")
_CATEGORY = re.compile(r"^\$CATEGORY:\s*(?P<path>.*)$")
_MARKERS = re.compile(r"([=~])")


@dataclass
class GiftResult:
    questions: list[dict] = field(default_factory=list)
    topics: list[dict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


class _Malformed(Exception):
    """A question that is not valid GIFT: each argument is one error message."""


class _Skipped(Exception):
    """Valid GIFT that the bank format cannot hold: a warning (an error with strict=True)."""

    def __init__(self, gift_type: str, label: str, why: str):
        super().__init__(f"skipped {gift_type} question '{label}': {why}")


def slugify(value: str) -> str:
    """'Mechanism of action' -> 'mechanism-of-action' (ASCII letters, digits, '_' and '-')."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9_]+", "-", value.lower()).strip("-")


def escape(text: str) -> str:
    """Text as GIFT writes it: special characters and the backslash escaped, newlines as \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SPECIAL.sub(lambda m: "\\" + m.group(), text).replace("\n", "\\n")


def _hide_escapes(text: str) -> str:
    def hide(match: re.Match) -> str:
        ch = match.group(1)
        return _HIDDEN_NEWLINE if ch == "n" else _HIDE[ch]

    return _ESCAPE_SEQUENCE.sub(hide, text)


def _reveal(text: str) -> str:
    return text.translate(_REVEAL)


def _stable_uid(prompt: str) -> str:
    digest = hashlib.sha1(normalize(prompt).encode("utf-8"), usedforsecurity=False).hexdigest()
    return "gift-" + digest[:10]


def _blocks(text: str) -> list[list[tuple[int, str]]]:
    """Runs of non-blank lines, each line with its 1-based number."""
    blocks: list[list[tuple[int, str]]] = []
    current: list[tuple[int, str]] = []
    for number, line in enumerate(text.split("\n"), start=1):
        if line.strip():
            current.append((number, line))
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _category_name(path: str) -> str:
    """Last segment of a Moodle category path; '//' is a literal slash inside a name."""
    segments = [s.replace("//", "/").strip() for s in re.split(r"(?<!/)/(?!/)", path)]
    segments = [s for s in segments if s]
    return segments[-1] if segments else ""


def parse(text: str, *, name: str = "bank.gift", strict: bool = False, status: str = "draft") -> GiftResult:
    """Questions, topics and warnings of a GIFT file; BankError listing every malformed question."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    result = GiftResult()
    errors: list[Problem] = []
    topics: dict[str, dict] = {}
    topic = DEFAULT_TOPIC
    uid_lines: dict[str, int] = {}

    for block in _blocks(text):
        question_lines: list[tuple[int, str]] = []
        source: dict = {}
        category_in_block = False
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if question_lines:
                    continue
                if match := _SOURCE_COMMENT.match(stripped):
                    source = {"source": match["source"], "passage": match["passage"], "quote": match["quote"]}
                elif (match := _TOPIC_COMMENT.match(stripped)) and category_in_block and slugify(match["slug"]):
                    topic = {"slug": slugify(match["slug"]), "name": topic["name"]}
                continue
            if not question_lines and (match := _CATEGORY.match(stripped)):
                topic_name = _category_name(match["path"])
                if not slugify(topic_name):
                    errors.append(Problem(f"{name}:{number}", f"$CATEGORY {match['path']!r} names no topic"))
                    continue
                topic = {"slug": slugify(topic_name), "name": topic_name}
                category_in_block = True
                source = {}
                continue
            question_lines.append((number, line))
        if category_in_block:
            topic = topics.setdefault(topic["slug"], topic)
        if not question_lines:
            continue

        line_no = question_lines[0][0]
        where = f"{name}:{line_no}"
        try:
            raw = "\n".join(line.strip() for _n, line in question_lines)
            question = _parse_question(raw, where, result.warnings)
        except _Malformed as exc:
            errors += [Problem(where, message) for message in exc.args]
            if uid := _name_uid(question_lines[0][1]):
                uid_lines.setdefault(uid, line_no)
            continue
        except _Skipped as exc:
            (errors if strict else result.warnings).append(Problem(where, str(exc)))
            continue
        uid = question["uid"]
        if uid in uid_lines:
            errors.append(
                Problem(where, f"duplicate uid {uid!r}, already used on line {uid_lines[uid]}: rename the question")
            )
            continue
        uid_lines[uid] = line_no
        topic = topics.setdefault(topic["slug"], topic)
        question.update(topic=topic["slug"], source=source, status=status)
        result.questions.append(_ordered(question))

    if errors:
        raise BankError(errors)
    result.topics = [dict(t) for t in topics.values()]
    return result


def _name_uid(first_line: str) -> str:
    """The uid a `::name::` on the question's first line gives, '' without one."""
    text = _hide_escapes(first_line).strip()
    end = text.find("::", 2)
    return slugify(_reveal(text[2:end])) if text.startswith("::") and end > 0 else ""


def _ordered(q: dict) -> dict:
    keys = ("uid", "topic", "kind", "prompt", "back", "choices", "answers", "explanation", "source", "status", "tags")
    return {key: q.get(key, "") for key in keys}


def _parse_question(raw: str, where: str, warnings: list[Problem]) -> dict:
    text = _hide_escapes(raw).strip()
    label = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Malformed("the question name is not closed with '::'")
        label = _reveal(text[2:end]).strip()
        text = text[end + 2 :]
    text = _FORMAT_PREFIX.sub("", text, count=1)

    opening = text.find("{")
    closing = text.find("}")
    if opening < 0:
        if closing >= 0:
            raise _Malformed("'}' without an opening '{' (write \\} for a literal brace)")
        prompt = _reveal(text).strip()
        raise _Skipped("description", label or _excerpt(prompt), "it has no answer block {...}")
    if 0 <= closing < opening:
        raise _Malformed("'}' without an opening '{' (write \\} for a literal brace)")
    closing = text.find("}", opening + 1)
    if closing < 0:
        raise _Malformed("unclosed '{': the answer block has no closing '}'")
    inner = text[opening + 1 : closing]
    if "{" in inner:
        raise _Malformed("'{' inside an answer block: close the block first or write \\{")
    before, after = text[:opening], text[closing + 1 :]
    if "{" in after:
        raise _Malformed("more than one answer block {...} (write \\{ and \\} for literal braces)")
    if "}" in after:
        raise _Malformed("'}' without an opening '{' (write \\} for a literal brace)")
    mid_text = bool(after.strip())
    prompt = _reveal(before + BLANK + after if mid_text else before).strip()
    if not prompt:
        raise _Malformed("the question has no text")

    uid = slugify(label) or _stable_uid(prompt)
    label = label or _excerpt(prompt)
    question = {
        "uid": uid,
        "kind": "",
        "prompt": prompt,
        "back": "",
        "choices": [],
        "answers": [],
        "explanation": "",
        "tags": [],
    }
    _read_answer_block(inner, mid_text, label, question, where, warnings)
    return question


def _excerpt(text: str, size: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _read_answer_block(inner: str, mid_text: bool, label: str, q: dict, where: str, warnings: list[Problem]) -> None:
    content, marker, general = inner.partition("####")
    q["explanation"] = _reveal(_FORMAT_PREFIX.sub("", general, count=1)).strip() if marker else ""
    content = content.strip()

    if not content:
        if not q["explanation"]:
            raise _Skipped("essay", label, "an essay becomes a flashcard only with general feedback (####)")
        back, _blank, explanation = q["explanation"].partition("\n\n")
        q.update(kind="flashcard", back=back.strip(), explanation=explanation.strip())
        return
    if content.startswith("#"):
        raise _Skipped("numerical", label, "numerical answers are not supported")

    head, _sep, feedbacks = content.partition("#")
    if head.strip().upper() in TRUE_FALSE:
        truth = TRUE_FALSE[head.strip().upper()]
        wrong, _sep, right = (_reveal(part).strip() for part in feedbacks.partition("#"))
        q["kind"] = "truefalse"
        q["choices"] = [
            {"text": "True", "correct": truth, "feedback": right if truth else wrong},
            {"text": "False", "correct": not truth, "feedback": wrong if truth else right},
        ]
        return

    parts = _MARKERS.split(content)
    if parts[0].strip():
        raise _Malformed(f"text {_excerpt(_reveal(parts[0]))!r} before the first answer: answers start with = or ~")
    raw_answers = list(zip(parts[1::2], parts[2::2], strict=True))
    if all(m == "=" for m, _body in raw_answers) and all("->" in body for _m, body in raw_answers):
        raise _Skipped("matching", label, "matching pairs are not supported")

    answers = _read_answers(raw_answers)
    if all(m == "=" for m, *_rest in answers):
        _short_answer(answers, label, q, where, warnings)
        return

    plain_equals = sum(1 for m, weight, _t, _f in answers if m == "=" and weight is None)
    if plain_equals > 1:
        raise _Malformed(
            f"{plain_equals} answers are marked correct with '=': a single-answer question takes one, "
            "use ~%50% weights for several correct answers"
        )
    weighted = any(weight is not None for _m, weight, _t, _f in answers)
    correct = [weight > 0 if weight is not None else m == "=" for m, weight, _t, _f in answers]
    if not any(correct):
        if mid_text and not weighted:
            raise _Skipped("missing-word", label, "no answer is marked correct with '='")
        raise _Malformed("the multiple choice question has no correct answer: mark one with = or a positive %weight%")
    q["kind"] = "multiple" if sum(correct) >= 2 else "single"
    q["choices"] = [
        {"text": text, "correct": ok, "feedback": feedback}
        for (_m, _w, text, feedback), ok in zip(answers, correct, strict=True)
    ]


def _read_answers(raw_answers: list[tuple[str, str]]) -> list[tuple[str, float | None, str, str]]:
    """(marker, weight or None, text, feedback) for each answer; _Malformed naming every bad one."""
    answers = []
    problems = []
    for number, (marker, body) in enumerate(raw_answers, start=1):
        body = body.strip()
        weight = None
        if body.startswith("%"):
            end = body.find("%", 1)
            if end < 0:
                problems.append(f"answer {number} has a weight that is not closed with '%'")
                continue
            try:
                weight = float(body[1:end])
            except ValueError:
                weight = math.nan
            if not -100 <= weight <= 100:
                problems.append(
                    f"answer {number} has weight {_reveal(body[: end + 1])!r}, not a number between -100 and 100"
                )
                continue
            body = body[end + 1 :]
        text, _sep, feedback = body.partition("#")
        text = _reveal(_FORMAT_PREFIX.sub("", text, count=1)).strip()
        if not text:
            problems.append(f"answer {number} is empty")
            continue
        answers.append((marker, weight, text, _reveal(_FORMAT_PREFIX.sub("", feedback, count=1)).strip()))
    if problems:
        raise _Malformed(*problems)
    return answers


def _short_answer(answers: list, label: str, q: dict, where: str, warnings: list[Problem]) -> None:
    accepted = []
    for _m, weight, text, feedback in answers:
        if weight is not None and weight != 100:
            warnings.append(
                Problem(
                    where,
                    f"short-answer question '{label}': dropped answer {text!r} worth {weight:g}% "
                    "(only 100% answers are accepted)",
                )
            )
            continue
        if feedback:
            warnings.append(
                Problem(
                    where,
                    f"short-answer question '{label}': dropped the feedback of answer {text!r} "
                    "(typed answers have no feedback)",
                )
            )
        accepted.append(text)
    if not accepted:
        raise _Malformed("the short-answer question has no 100% answer")
    q.update(kind="short", answers=accepted)


# ---------------------------------------------------------------------------------------------
# Export


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


def _source_comment(q: dict) -> list[str]:
    source = q.get("source") or {}
    if not source.get("source"):
        return []
    quote = _one_line(source.get("quote", ""))
    return [f'// source: {source["source"]}#{source.get("passage", "")}: "{quote}"']


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
    head = _source_comment(q)
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
        lines = []
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
