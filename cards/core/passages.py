"""Split source material into passages with stable keys.

Pure: no Django models. A passage key is derived from the section heading it sits under
and its position in that section (``mechanism-of-action-2``), not from its text, so a
passage keeps its key when its wording is edited and questions citing it can be flagged
for review instead of losing their citation.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# A paragraph longer than this is cut into sentences, each its own citable passage.
LONG_PARAGRAPH_CHARS = 700
# A line this short without closing punctuation is read as a section heading.
HEADING_MAX_CHARS = 80

_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'“(])")
_NON_SLUG = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class PassageText:
    key: str
    text: str
    order: int
    heading: str


def slugify_heading(heading: str) -> str:
    slug = _NON_SLUG.sub("-", heading.lower()).strip("-")
    return slug[:50].rstrip("-") or "section"


def is_heading(line: str) -> bool:
    stripped = line.strip().lstrip("#").strip()
    if line.lstrip().startswith("#"):
        return True
    return 0 < len(stripped) <= HEADING_MAX_CHARS and stripped[-1] not in '.!?:;,"”)'


def _blocks(text: str) -> list[str]:
    """Headings and paragraphs in order. Paragraphs are separated by blank lines when the
    text has any (Markdown), else each non-empty line is one (plain .txt); a heading line
    at the top of a block is split off either way."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\n\n" in text.strip():
        chunks = [c.split("\n") for c in re.split(r"\n\s*\n", text)]
    else:
        chunks = [[line] for line in text.split("\n")]
    blocks: list[str] = []
    for lines in chunks:
        lines = [line for line in lines if line.strip()]
        while len(lines) > 1 and is_heading(lines[0]):
            blocks.append(lines.pop(0).strip())
        if lines:
            blocks.append(" ".join(" ".join(lines).split()))
    return blocks


def split_sentences(paragraph: str) -> list[str]:
    return [s.strip() for s in _SENTENCE_END.split(paragraph) if s.strip()]


def split_passages(text: str, *, intro_heading: str = "introduction") -> list[PassageText]:
    passages: list[PassageText] = []
    heading = intro_heading
    used: dict[str, int] = {}
    for block in _blocks(text):
        if is_heading(block):
            heading = block.lstrip("#").strip()
            continue
        slug = slugify_heading(heading)
        used[slug] = used.get(slug, 0) + 1
        base_key = f"{slug}-{used[slug]}"
        if len(block) > LONG_PARAGRAPH_CHARS:
            for n, sentence in enumerate(split_sentences(block), start=1):
                passages.append(PassageText(f"{base_key}-s{n}", sentence, len(passages), heading))
        else:
            passages.append(PassageText(base_key, block, len(passages), heading))
    return passages


def quote_in_sentences(passage: str, quote: str) -> str:
    """The quote widened to the whole sentences of the passage it sits in: a quote cut
    mid-sentence ("... intrathecal baclofen is reserved") reads as the source's sentence. The
    quote as it is when the passage does not contain it (edited since) or it has no text."""
    quote = (quote or "").strip()
    text = passage or ""
    if not quote:
        return quote
    start = text.find(quote)
    if start < 0:
        start = text.casefold().find(quote.casefold())
    if start < 0:
        return quote
    end = start + len(quote)
    bounds = [0, *(m.end() for m in _SENTENCE_END.finditer(text)), len(text) + 1]
    first = max(b for b in bounds if b <= start)
    last = min(b for b in bounds if b >= end)
    return text[first:last].strip()


def passage_label(key: str, heading: str) -> str:
    """A passage as a reader names it: its section heading and paragraph number
    ("Approved medical applications, paragraph 1"), not its key
    ("approved-medical-applications-1"). The key's own words when there is no heading."""
    match = re.search(r"-(\d+)(?:-s(\d+))?$", key or "")
    place = ""
    if match:
        place = f"paragraph {match.group(1)}" + (f", sentence {match.group(2)}" if match.group(2) else "")
    name = (heading or "").lstrip("#").strip()
    if not name:
        name = (key[: match.start()] if match else key or "").replace("-", " ").strip()
    name = name[:1].upper() + name[1:]
    return ", ".join(part for part in (name, place) if part)
