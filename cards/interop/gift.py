"""Moodle GIFT import (and, from `gift_export`, export), pure (no Django).

`parse(text)` turns a GIFT file into bank-format question dicts (see `json_bank`), reading
each question as Moodle's own GIFT importer does wherever the bank can hold it;
`dump(bank)` writes a bank as GIFT. docs/formats.md is the user-facing description; the
short version:

- single / multiple / truefalse / short round-trip (prompt, choices, answers, explanation,
  topic, uid, tags, and the citation through a `// source:` comment);
- a block with an `=` answer is a single-answer question, as in Moodle: only its 100% answer is
  correct, partial-credit answers count as wrong (their feedback kept, a warning saying so);
  a block of `~` answers is select-all when two or more carry a positive weight;
- a flashcard is an essay whose general feedback is the back, then a blank line, then the
  explanation (parse splits the general feedback at its first blank line);
- a cloze question is written as one short-answer question per deletion after a
  `// cloze:` comment holding its prompt, and read back as the one cloze question;
- Moodle's `// [tag:...]` comments are the question's tags, its `[id:...]` its uid;
- unnamed questions take their uid from their text; a uid used twice in a file (two
  "Who's buried in Grant's tomb?", two questions named alike) gets `-2`, `-3`, ... with a warning;
- matching, numerical, description, essays without general feedback, missing-word questions
  without a correct answer and single-answer questions with two 100% answers are skipped with a
  warning naming their line (errors with strict=True). Only what Moodle would refuse too is an
  error, and an error refuses the whole file.

quizapp reads comment lines of its own, ignored by Moodle: `// quizapp deck <slug>: <title>`
(the deck an export came from), `// topic: <slug>` right after a `$CATEGORY:` line keeps the
topic slug, `// source: <source>#<passage>: "<quote>"` just before a question keeps its
citation, `// cloze: <uid>: "<prompt>"` puts a cloze question back together.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from cards.core.grading import cloze_deletions, cloze_key
from cards.interop import gift_syntax as syntax
from cards.interop.gift_export import dump
from cards.interop.gift_syntax import BLANK, DEFAULT_TOPIC, escape, slugify
from cards.interop.json_bank import STATUSES, BankError, Problem

__all__ = ["BLANK", "DEFAULT_TOPIC", "GiftResult", "dump", "escape", "parse", "slugify"]

TRUE_FALSE = {"T": True, "TRUE": True, "F": False, "FALSE": False}
_MARKERS = re.compile(r"([=~])")
_PART_NAME = re.compile(r"^(?P<uid>.+)-c(?P<number>[1-9]\d*)$")


@dataclass
class GiftResult:
    questions: list[dict] = field(default_factory=list)
    topics: list[dict] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)  # everything to tell, the skips included
    skipped: list[Problem] = field(default_factory=list)  # the questions left out
    lines: dict[str, int] = field(default_factory=dict)  # uid -> the line its question starts on
    deck: dict = field(default_factory=dict)  # {"slug", "title"} the file names, {} if none


class _Malformed(Exception):
    """A question that is not valid GIFT: each argument is one error message."""


class _Skipped(Exception):
    """Valid GIFT that the bank format cannot hold: a warning (an error with strict=True)."""

    def __init__(self, gift_type: str, label: str, why: str):
        super().__init__(f"skipped {gift_type} question '{label}': {why}")


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


@dataclass
class _Cloze:
    """A cloze question being put back together from its short-answer parts."""

    uid: str
    prompt: str
    first: dict
    line: int
    parts: dict[int, list[str]] = field(default_factory=dict)

    def takes(self, q: dict) -> int:
        """The deletion number `q` is a part of, 0 if it is not one of this question's parts."""
        match = _PART_NAME.match(q["uid"]) if q["kind"] == "short" else None
        if match is None or match["uid"] != self.uid:
            return 0
        number = int(match["number"])
        return number if number in cloze_deletions(self.prompt) and number not in self.parts else 0

    def question(self) -> dict:
        answers = {}
        for number, (text, _hint) in sorted(cloze_deletions(self.prompt).items()):
            alternatives = [a for a in self.parts.get(number, []) if a != text]
            if alternatives:
                answers[cloze_key(number)] = alternatives
        return {**self.first, "uid": self.uid, "kind": "cloze", "prompt": self.prompt, "answers": answers or []}


class _Reader:
    def __init__(self, name: str, strict: bool, status: str):
        self.name, self.strict, self.status = name, strict, status
        self.result = GiftResult()
        self.errors: list[Problem] = []
        self.topics: dict[str, dict] = {}
        self.topic = DEFAULT_TOPIC
        self.cloze: _Cloze | None = None

    def where(self, line: int) -> str:
        return f"{self.name}:{line}"

    def warn(self, line: int, message: str) -> None:
        self.result.warnings.append(Problem(self.where(line), message))

    def block(self, block: list[tuple[int, str]]) -> None:
        question_lines: list[tuple[int, str]] = []
        comments: list[str] = []
        category_in_block = False
        for number, line in block:
            stripped = line.strip()
            if stripped.startswith("//"):
                if not question_lines:
                    comments.append(stripped)
                    self._comment(stripped, category_in_block)
                continue
            if not question_lines and (match := syntax.CATEGORY.match(stripped)):
                category_in_block = self._category(number, match["path"]) or category_in_block
                comments = []
                continue
            question_lines.append((number, line))
        if category_in_block:
            self.topic = self.topics.setdefault(self.topic["slug"], self.topic)
        if question_lines:
            self._question(question_lines, comments)

    def _comment(self, line: str, category_in_block: bool) -> None:
        if (match := syntax.TOPIC_COMMENT.match(line)) and category_in_block and slugify(match["slug"]):
            self.topic = {"slug": slugify(match["slug"]), "name": self.topic["name"]}
        elif (match := syntax.DECK_COMMENT.match(line)) and not self.result.deck:
            self.result.deck = {"slug": match["slug"], "title": match["title"].strip() or match["slug"]}

    def _category(self, number: int, path: str) -> bool:
        segments = syntax.category_segments(path)
        if not segments or not slugify(segments[-1]):
            self.errors.append(Problem(self.where(number), f"$CATEGORY {path!r} names no topic"))
            return False
        if not self.result.deck and slugify(segments[0]):
            self.result.deck = {"slug": slugify(segments[0]), "title": segments[0]}
        self.topic = {"slug": slugify(segments[-1]), "name": segments[-1]}
        return True

    def _question(self, question_lines: list[tuple[int, str]], comments: list[str]) -> None:
        line = question_lines[0][0]
        try:
            raw = "\n".join(text.strip() for _n, text in question_lines)
            q, name = _parse_question(raw, lambda message: self.warn(line, message))
        except _Malformed as exc:
            self.errors += [Problem(self.where(line), message) for message in exc.args]
            return
        except _Skipped as exc:
            problem = Problem(self.where(line), str(exc))
            if self.strict:
                self.errors.append(problem)
            else:
                self.result.warnings.append(problem)
                self.result.skipped.append(problem)
            return
        source = {}
        for comment in comments:
            if match := syntax.SOURCE_COMMENT.match(comment):
                source = {"source": match["source"], "passage": match["passage"], "quote": match["quote"]}
        # Moodle's marks, not from quizapp's own comment lines (a quoted text may hold anything)
        idnumber, tags = syntax.moodle_marks([c for c in comments if not syntax.OWN_COMMENT.match(c)])
        q["uid"] = syntax.uid_from_name(idnumber or name) if (idnumber or name).strip() else ""
        q["uid"] = q["uid"] or syntax.uid_from_text(q["prompt"])
        self.topic = self.topics.setdefault(self.topic["slug"], self.topic)
        q.update(topic=self.topic["slug"], source=source, status=self.status, tags=tags)
        if any(syntax.SAFETY_COMMENT.match(c) for c in comments):
            q["safety_critical"] = True
        self._place(q, line, comments)

    def _place(self, q: dict, line: int, comments: list[str]) -> None:
        """A part of the cloze question being read, the start of one, or a question of its own."""
        if self.cloze is not None and (number := self.cloze.takes(q)):
            self.cloze.parts[number] = q["answers"]
            return
        self.close_cloze()
        note = next(filter(None, map(syntax.read_cloze_comment, comments)), None)
        if note is not None:
            self.cloze = _Cloze(uid=note[0], prompt=note[1], first=q, line=line)
            if number := self.cloze.takes(q):
                self.cloze.parts[number] = q["answers"]
                return
            self.cloze = None
            self.warn(line, f"the cloze comment names {note[0]!r}, not this question: read as it is written")
        self._add(q, line)

    def close_cloze(self) -> None:
        if self.cloze is not None:
            cloze, self.cloze = self.cloze, None
            self._add(cloze.question(), cloze.line)

    def _add(self, q: dict, line: int) -> None:
        uid = base = q["uid"]
        taken = self.result.lines
        suffix = 1
        while uid in taken:
            suffix += 1
            uid = f"{base}-{suffix}"
        if uid != base:
            self.warn(line, f"uid {base!r} is already used on line {taken[base]}: this question is imported as {uid!r}")
        q["uid"] = uid
        taken[uid] = line
        self.result.questions.append(_ordered(q))


def parse(text: str, *, name: str = "bank.gift", strict: bool = False, status: str = "draft") -> GiftResult:
    """Questions, topics and warnings of a GIFT file; BankError listing every malformed question."""
    if status not in STATUSES:
        raise ValueError(f"status must be one of {', '.join(STATUSES)}")
    text = text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    reader = _Reader(name, strict, status)
    for block in _blocks(text):
        reader.block(block)
    reader.close_cloze()
    if reader.errors:
        raise BankError(reader.errors)
    reader.result.topics = [dict(t) for t in reader.topics.values()]
    return reader.result


def _ordered(q: dict) -> dict:
    keys = ("uid", "topic", "kind", "prompt", "back", "choices", "answers", "explanation", "source", "status", "tags")
    return {key: q.get(key, "") for key in keys} | ({"safety_critical": True} if q.get("safety_critical") else {})


def _parse_question(raw: str, warn) -> tuple[dict, str]:
    """The question (without uid, topic, source) and its name ('' if it has none)."""
    text = syntax.hide_escapes(raw).strip()
    name = ""
    if text.startswith("::"):
        end = text.find("::", 2)
        if end < 0:
            raise _Malformed("the question name is not closed with '::'")
        name = syntax.reveal(text[2:end]).strip()
        text = text[end + 2 :]
    text = syntax.drop_format(text)

    opening = text.find("{")
    closing = text.find("}")
    if opening < 0:
        if closing >= 0:
            raise _Malformed("'}' without an opening '{' (write \\} for a literal brace)")
        raise _Skipped("description", name or _excerpt(syntax.reveal(text)), "it has no answer block {...}")
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
    prompt = syntax.reveal(before + BLANK + after if mid_text else before).strip()
    if not prompt:
        raise _Malformed("the question has no text")

    question = {"kind": "", "prompt": prompt, "back": "", "choices": [], "answers": [], "explanation": ""}
    _read_answer_block(inner, mid_text, name or _excerpt(prompt), question, warn)
    return question, name


def _excerpt(text: str, size: int = 40) -> str:
    text = " ".join(text.split())
    return text if len(text) <= size else text[: size - 1] + "…"


def _read_answer_block(inner: str, mid_text: bool, label: str, q: dict, warn) -> None:
    content, marker, general = inner.partition("####")
    q["explanation"] = syntax.plain(general) if marker else ""
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
        wrong, _sep, right = (syntax.plain(part) for part in feedbacks.partition("#"))
        q["kind"] = "truefalse"
        q["choices"] = [
            {"text": "True", "correct": truth, "feedback": right if truth else wrong},
            {"text": "False", "correct": not truth, "feedback": wrong if truth else right},
        ]
        return

    parts = _MARKERS.split(content)
    if parts[0].strip():
        raise _Malformed(
            f"text {_excerpt(syntax.reveal(parts[0]))!r} before the first answer: answers start with = or ~"
        )
    raw_answers = list(zip(parts[1::2], parts[2::2], strict=True))
    if all(m == "=" for m, _body in raw_answers) and all("->" in body for _m, body in raw_answers):
        raise _Skipped("matching", label, "matching pairs are not supported")

    answers = _read_answers(raw_answers)
    if all(m == "=" for m, *_rest in answers):
        _short_answer(answers, label, q, warn)
    else:
        _choices(answers, mid_text, label, q, warn)


def _choices(answers: list, mid_text: bool, label: str, q: dict, warn) -> None:
    """Moodle's rule: a block with an `=` answer is a single-answer question whose 100% answers
    are right; a block of `~` answers is select-all, each positive weight a right answer (one
    alone makes a single-answer question here, since select-all needs two)."""
    if any(m == "=" for m, *_rest in answers):
        correct = [weight == 100 if weight is not None else m == "=" for m, weight, _t, _f in answers]
        for (_m, weight, text, _f), ok in zip(answers, correct, strict=True):
            if not ok and weight is not None and weight > 0:
                warn(
                    f"question '{label}': answer {text!r} is worth {weight:g}%; quizapp has no partial credit, "
                    "so it counts as wrong (its feedback is kept)"
                )
        if sum(correct) > 1:
            raise _Skipped(
                "multiple choice", label, f"{sum(correct)} answers are fully correct; a single-answer question has one"
            )
    else:
        correct = [weight is not None and weight > 0 for _m, weight, _t, _f in answers]
    if not any(correct):
        if mid_text and all(weight is None for _m, weight, _t, _f in answers):
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
                    f"answer {number} has weight {syntax.reveal(body[: end + 1])!r}, not a number between -100 and 100"
                )
                continue
            body = body[end + 1 :]
        text, _sep, feedback = body.partition("#")
        text = syntax.plain(text)
        if not text:
            problems.append(f"answer {number} is empty")
            continue
        answers.append((marker, weight, text, syntax.plain(feedback)))
    if problems:
        raise _Malformed(*problems)
    return answers


def _short_answer(answers: list, label: str, q: dict, warn) -> None:
    accepted = []
    for _m, weight, text, feedback in answers:
        if weight is not None and weight != 100:
            warn(
                f"short-answer question '{label}': dropped answer {text!r} worth {weight:g}% "
                "(only 100% answers are accepted)"
            )
            continue
        if feedback:
            warn(
                f"short-answer question '{label}': dropped the feedback of answer {text!r} "
                "(typed answers have no feedback)"
            )
        accepted.append(text)
    if not accepted:
        raise _Malformed("the short-answer question has no 100% answer")
    q.update(kind="short", answers=accepted)
