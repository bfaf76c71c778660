"""Word-level differences between two texts, pure (the template marks them up)."""

from __future__ import annotations

import difflib
import json
import re
from dataclasses import dataclass

_TOKEN = re.compile(r"\s+|\w+|[^\w\s]")


@dataclass(frozen=True)
class Piece:
    op: str  # "same", "del", "ins"
    text: str


def text_diff(old: str, new: str) -> list[Piece]:
    a, b = _TOKEN.findall(old or ""), _TOKEN.findall(new or "")
    pieces: list[Piece] = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(a=a, b=b, autojunk=False).get_opcodes():
        if tag == "equal":
            pieces.append(Piece("same", "".join(a[i1:i2])))
            continue
        if i2 > i1:
            pieces.append(Piece("del", "".join(a[i1:i2])))
        if j2 > j1:
            pieces.append(Piece("ins", "".join(b[j1:j2])))
    return pieces


def _field_text(value) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, list) and value and isinstance(value[0], dict):
        return "\n".join(
            f"{'✔' if c.get('correct') else '✘'} {c.get('text', '')}"
            + (f" — {c['feedback']}" if c.get("feedback") else "")
            for c in value
        )
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, dict):
        # a citation ({source, passage, quote}) or a cloze's alternatives ({"c1": ["CNS", ...]})
        return " · ".join(f"{k}: {'; '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in value.items())
    return json.dumps(value, ensure_ascii=False)


@dataclass(frozen=True)
class FieldChange:
    field: str
    pieces: list[Piece]


def revision_diff(old: dict, new: dict) -> list[FieldChange]:
    """Per-field word differences between two revisions (bank-format dicts)."""
    changes = []
    strip_ids = lambda d: {  # noqa: E731 - choice ids are storage detail, not content
        **d,
        "choices": [{k: v for k, v in c.items() if k != "id"} for c in d.get("choices", [])],
    }
    old, new = strip_ids(old), strip_ids(new)
    for name in new:
        if name in ("uid",) or old.get(name) == new.get(name):
            continue
        changes.append(FieldChange(name, text_diff(_field_text(old.get(name, "")), _field_text(new.get(name)))))
    return changes
