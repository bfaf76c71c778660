"""A question bank as CSV, one question per row, pure (no Django).

Lossless for the questions of a bank: `parse(dump(bank)) == bank["questions"]` for any bank
whose questions have at most 8 choices, no empty items in `answers` / `tags` and no CR LF
inside texts. A cloze question's alternatives per blank are written in `answers` as items
`c1: CNS` (the blank, a colon, the alternative). The deck, topics and sources are not in the
file: `topic` and `source` / `passage` hold their slugs and keys. The columns are described in docs/formats.md.

Identifiers (uid, topic, source, passage) are stripped of surrounding spaces, texts are kept
as they are. `parse` checks the shape of each row (known kind and status, TRUE/FALSE flags, a
citation with its source and passage, no duplicate uid); whether the question makes sense (a
single choice with one correct answer, the quote verbatim in the passage, ...) is
`json_bank.validate`'s job once the questions are in a bank.
"""

from __future__ import annotations

import csv
import io

from cards.core.grading import CLOZE_KEY, KINDS
from cards.interop.json_bank import STATUSES, BankError, Problem

MAX_CHOICES = 8
LIST_SEPARATOR = "|"
CHOICE_COLUMNS = [f"choice_{n}{part}" for n in range(1, MAX_CHOICES + 1) for part in ("", "_correct", "_feedback")]
COLUMNS = [
    "uid",
    "topic",
    "kind",
    "status",
    "prompt",
    "back",
    "answers",
    *CHOICE_COLUMNS,
    "explanation",
    "source",
    "passage",
    "quote",
    "tags",
    "safety_critical",
]
REQUIRED = ("uid", "topic", "kind", "prompt")
FLAGS = {"TRUE": True, "FALSE": False}
BOM = "\ufeff"


def join_list(items: list[str]) -> str:
    """['a|b', 'c'] -> 'a\\|b|c': a bar inside an item is written \\|, a backslash \\\\."""
    return LIST_SEPARATOR.join(item.replace("\\", "\\\\").replace("|", "\\|") for item in items)


def split_list(value: str) -> list[str]:
    """The inverse of join_list; items are stripped and empty ones dropped. A backslash before
    anything but | or \\ is kept as it is."""
    items, current = [], []
    chars = iter(value)
    for ch in chars:
        if ch == "\\":
            nxt = next(chars, "")
            current.append(nxt if nxt in ("|", "\\") else ch + nxt)
        elif ch == LIST_SEPARATOR:
            items.append("".join(current))
            current = []
        else:
            current.append(ch)
    items.append("".join(current))
    return [item.strip() for item in items if item.strip()]


def dump(bank: dict, *, bom: bool = True) -> str:
    """Every question of the bank (retired ones too, with their status) as CSV text.

    Rows end with \\r\\n and the text starts with a byte order mark (bom=False leaves it out)
    so that Excel reads it as UTF-8. BankError for questions with more than 8 choices."""
    problems = []
    rows = []
    for q in bank.get("questions", []):
        choices = q.get("choices") or []
        if len(choices) > MAX_CHOICES:
            problems.append(
                Problem(
                    q.get("uid", "?"),
                    f"column choice_{MAX_CHOICES + 1}: {len(choices)} choices, a CSV row holds at most {MAX_CHOICES}",
                )
            )
            continue
        rows.append(_row(q, choices))
    if problems:
        raise BankError(problems)
    out = io.StringIO()
    writer = csv.writer(out)  # excel dialect: quotes when needed, \r\n line endings
    writer.writerow(COLUMNS)
    writer.writerows(rows)
    return (BOM if bom else "") + out.getvalue()


def _row(q: dict, choices: list[dict]) -> list[str]:
    source = q.get("source") or {}
    cells = {
        "uid": q.get("uid", ""),
        "topic": q.get("topic", ""),
        "kind": q.get("kind", ""),
        "status": q.get("status", "draft"),
        "prompt": q.get("prompt", ""),
        "back": q.get("back", ""),
        "answers": join_list(_answer_items(q.get("answers") or [])),
        "explanation": q.get("explanation", ""),
        "source": source.get("source", ""),
        "passage": source.get("passage", ""),
        "quote": source.get("quote", ""),
        "tags": join_list(q.get("tags") or []),
        "safety_critical": "TRUE" if q.get("safety_critical") else "",
    }
    for n, choice in enumerate(choices, start=1):
        cells[f"choice_{n}"] = choice.get("text", "")
        cells[f"choice_{n}_correct"] = "TRUE" if choice.get("correct") else "FALSE"
        cells[f"choice_{n}_feedback"] = choice.get("feedback", "")
    return [cells.get(column) or "" for column in COLUMNS]


def parse(text: str, *, name: str = "bank.csv") -> list[dict]:
    """Bank-format question dicts, in row order; BankError listing every problem found.

    Row numbers are spreadsheet rows: the header is row 1, the first question row 2. Rows
    whose cells are all empty are ignored."""
    try:
        records = list(csv.reader(io.StringIO(text.removeprefix(BOM), newline="")))
    except csv.Error as exc:
        raise BankError([Problem(name, f"not readable as CSV: {exc}")]) from exc
    if not records:
        raise BankError([Problem(f"{name}:row 1", "the file is empty: the first row must name the columns")])
    header = [cell.strip().lower() for cell in records[0]]
    _check_header(header, name)

    problems: list[Problem] = []
    questions: list[dict] = []
    uid_rows: dict[str, int] = {}
    for row_number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        where = f"{name}:row {row_number}"
        if len(record) > len(header) and any(cell.strip() for cell in record[len(header) :]):
            problems.append(Problem(where, f"{len(record)} cells, but the header names {len(header)} columns"))
            continue
        pairs = list(zip(header, record, strict=False))
        if any(value.strip() for column, value in pairs if not column):
            problems.append(Problem(where, "a filled-in cell under a column with no name in the header"))
            continue
        cells = {column: value.replace("\r\n", "\n") for column, value in pairs if column}
        row_problems: list[str] = []
        question = _question(cells, row_problems)
        uid = question["uid"]
        if uid in uid_rows:
            row_problems.append(f"column uid: duplicate uid {uid!r}, already on row {uid_rows[uid]}")
        elif uid:
            uid_rows[uid] = row_number
        if row_problems:
            problems += [Problem(where, message) for message in row_problems]
        else:
            questions.append(question)
    if problems:
        raise BankError(problems)
    return questions


def _check_header(header: list[str], name: str) -> None:
    where = f"{name}:row 1"
    problems = []
    known = set(COLUMNS)
    for column in header:
        if column and column not in known:
            problems.append(Problem(where, f"column {column}: unknown column"))
    for column in sorted({c for c in header if c and header.count(c) > 1}, key=header.index):
        problems.append(Problem(where, f"column {column}: appears twice in the header"))
    for column in REQUIRED:
        if column not in header:
            problems.append(Problem(where, f"column {column}: missing from the header"))
    for n in range(1, MAX_CHOICES + 1):
        if f"choice_{n}" in header and f"choice_{n}_correct" not in header:
            problems.append(
                Problem(where, f"column choice_{n}_correct: missing from the header (needed by choice_{n})")
            )
    if problems:
        raise BankError(problems)


def _question(cells: dict[str, str], problems: list[str]) -> dict:
    def cell(column: str) -> str:
        return cells.get(column) or ""

    for column in ("uid", "topic", "prompt"):
        if not cell(column).strip():
            problems.append(f"column {column}: empty")
    kind = cell("kind").strip().lower()
    if kind not in KINDS:
        problems.append(f"column kind: unknown kind {cell('kind')!r}, expected one of {', '.join(KINDS)}")
    status = cell("status").strip().lower() or "draft"
    if status not in STATUSES:
        problems.append(f"column status: unknown status {cell('status')!r}, expected one of {', '.join(STATUSES)}")
    return {
        "uid": cell("uid").strip(),
        "topic": cell("topic").strip(),
        "kind": kind,
        "prompt": cell("prompt"),
        "back": cell("back"),
        "choices": _choices(cell, problems),
        "answers": _answers(kind, split_list(cell("answers")), problems),
        "explanation": cell("explanation"),
        "source": _citation(cell, problems),
        "status": status,
        "tags": split_list(cell("tags")),
        **_safety(cell("safety_critical"), problems),
    }


def _safety(value: str, problems: list[str]) -> dict:
    """The safety_critical cell: TRUE sets the flag; FALSE or empty leaves it out."""
    flag = FLAGS.get(value.strip().upper()) if value.strip() else False
    if flag is None:
        problems.append(f"column safety_critical: {value!r} is not TRUE or FALSE")
    return {"safety_critical": True} if flag else {}


def _answer_items(answers) -> list[str]:
    """A short answer's accepted answers as they are; a cloze question's alternatives
    ({"c1": ["CNS", "central nervous system"]}) as `c1: CNS`, `c1: central nervous system`."""
    if isinstance(answers, dict):
        return [f"{key}: {alternative}" for key, alternatives in answers.items() for alternative in alternatives]
    return list(answers)


def _answers(kind: str, items: list[str], problems: list[str]) -> list[str] | dict[str, list[str]]:
    """The inverse of `_answer_items`: a cloze row's `c1: CNS` items back into alternatives per blank."""
    if kind != "cloze" or not items:
        return items
    alternatives: dict[str, list[str]] = {}
    for item in items:
        key, colon, text = item.partition(":")
        if not colon or not CLOZE_KEY.fullmatch(key.strip()) or not text.strip():
            problems.append(
                f"column answers: a cloze alternative is written as its blank and the text, c1: CNS, not {item!r}"
            )
            continue
        alternatives.setdefault(key.strip(), []).append(text.strip())
    return alternatives


def _choices(cell, problems: list[str]) -> list[dict]:
    choices = []
    for n in range(1, MAX_CHOICES + 1):
        text, flag, feedback = cell(f"choice_{n}"), cell(f"choice_{n}_correct").strip(), cell(f"choice_{n}_feedback")
        if not text.strip():
            if flag or feedback.strip():
                problems.append(f"column choice_{n}: empty, but choice_{n}_correct or choice_{n}_feedback is filled in")
            continue
        if flag.upper() not in FLAGS:
            problems.append(f"column choice_{n}_correct: must be TRUE or FALSE, not {flag!r}")
            continue
        choices.append({"text": text, "correct": FLAGS[flag.upper()], "feedback": feedback})
    return choices


def _citation(cell, problems: list[str]) -> dict:
    source, passage, quote = cell("source"), cell("passage"), cell("quote")
    if not (source.strip() or passage.strip() or quote.strip()):
        return {}
    for column, value in (("source", source), ("passage", passage)):
        if not value.strip():
            problems.append(
                f"column {column}: empty, but the row cites a source (source, passage and quote go together)"
            )
    return {"source": source.strip(), "passage": passage.strip(), "quote": quote}
