"""The small pieces of GIFT both the reader (`gift`) and the writer (`gift_export`) need:
escapes, format markers, names as uids, and the comment lines that carry what GIFT itself
cannot say (Moodle's `[tag:...]` and `[id:...]`, and quizapp's own `topic:`, `source:`,
`cloze:` and `safety-critical` comments, which Moodle ignores). Pure: no Django.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata

from cards.core.grading import normalize

BLANK = "_____"
DEFAULT_TOPIC = {"slug": "general", "name": "General"}
MAX_UID = 60  # the uid column holds 80; room for a "-2" suffix and a deck prefix

# While parsing, each escaped character is swapped for a Unicode noncharacter (U+FDD0..,
# reserved for internal use), so the structure can be read with plain string operations on
# the unescaped markers; the characters are put back in the texts at the end.
_ESCAPABLE = "~=#{}:\\"
HIDE = {ch: chr(0xFDD0 + i) for i, ch in enumerate(_ESCAPABLE)}
_HIDDEN_NEWLINE = chr(0xFDD0 + len(_ESCAPABLE))
_REVEAL = str.maketrans({hidden: ch for ch, hidden in HIDE.items()} | {_HIDDEN_NEWLINE: "\n"})
_ESCAPE_SEQUENCE = re.compile(r"\\([~=#{}:\\n])")
_SPECIAL = re.compile(r"[~=#{}:\\]")
_FORMAT_PREFIX = re.compile(r"^\s*\[(?:markdown|html|plain|moodle)\]", re.IGNORECASE)

SOURCE_COMMENT = re.compile(r'^//\s*source:\s*(?P<source>[^#\s]+)#(?P<passage>[^:\s]+):\s*"(?P<quote>.*)"\s*$')
TOPIC_COMMENT = re.compile(r"^//\s*topic:\s*(?P<slug>\S+)\s*$")
CLOZE_COMMENT = re.compile(r'^//\s*cloze:\s*(?P<uid>[-\w]+):\s*(?P<prompt>".*")\s*$')
DECK_COMMENT = re.compile(r"^//\s*quizapp deck (?P<slug>[-\w]+):\s*(?P<title>.*)$")
CATEGORY = re.compile(r"^\$CATEGORY:\s*(?P<path>.*)$")
SAFETY_COMMENT = re.compile(r"^//\s*safety-critical\s*$")
OWN_COMMENT = re.compile(r"^//\s*(?:source|cloze|topic|quizapp deck|safety-critical)\b")
# Moodle 3.x: `[tag:name]` and `[id:idnumber]` anywhere in the comments before a question, one
# line each (a tag never spans lines), `\]` for a literal bracket, spaces inside trimmed.
_MOODLE_MARK = re.compile(r"\[(?P<what>tag|id):(?P<value>(?:\\.|[^\]\\\n])*)\]")
_MOODLE_PLACEHOLDER = re.compile(r"^\$\w+\$$")


def slugify(value: str) -> str:
    """'Mechanism of action' -> 'mechanism-of-action' (ASCII letters, digits, '_' and '-')."""
    value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    return re.sub(r"[^a-z0-9_]+", "-", value.lower()).strip("-")


def short_uid(uid: str) -> str:
    """A uid cut to MAX_UID characters, its end a digest of the whole so that cuts stay apart."""
    if len(uid) <= MAX_UID:
        return uid
    digest = hashlib.sha1(uid.encode("utf-8"), usedforsecurity=False).hexdigest()[:8]
    return uid[: MAX_UID - 9].rstrip("-") + "-" + digest


def uid_from_name(name: str) -> str:
    """A question name (or Moodle idnumber) as a uid: slugified, so an exported (lower-case)
    uid comes back unchanged; the importer matches other cases to the deck's own uids."""
    return short_uid(slugify(name))


def uid_from_text(prompt: str) -> str:
    """The uid of an unnamed question: a digest of its text."""
    return "gift-" + hashlib.sha1(normalize(prompt).encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


def escape(text: str) -> str:
    """Text as GIFT writes it: special characters and the backslash escaped, newlines as \\n."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _SPECIAL.sub(lambda m: "\\" + m.group(), text).replace("\n", "\\n")


def hide_escapes(text: str) -> str:
    def hide(match: re.Match) -> str:
        ch = match.group(1)
        return _HIDDEN_NEWLINE if ch == "n" else HIDE[ch]

    return _ESCAPE_SEQUENCE.sub(hide, text)


def reveal(text: str) -> str:
    return text.translate(_REVEAL)


def plain(text: str) -> str:
    """A hidden-escape fragment as text: its format marker ([html], [moodle], [plain],
    [markdown]) dropped, the escapes put back, the ends stripped."""
    return reveal(_FORMAT_PREFIX.sub("", text, count=1)).strip()


def drop_format(text: str) -> str:
    return _FORMAT_PREFIX.sub("", text, count=1)


def category_segments(path: str) -> list[str]:
    """A Moodle category path's names; '//' is a literal slash inside a name; Moodle's own
    `$course$`-style contexts and the `top` category are left out."""
    segments = [s.replace("//", "/").strip() for s in re.split(r"(?<!/)/(?!/)", path)]
    segments = [s for s in segments if s and not _MOODLE_PLACEHOLDER.match(s)]
    return segments[1:] if segments[:1] == ["top"] and len(segments) > 1 else segments


def moodle_marks(comments: list[str]) -> tuple[str, list[str]]:
    """(idnumber, tags) of the comment lines before a question, as Moodle reads them."""
    idnumber, tags = "", []
    for line in comments:
        for match in _MOODLE_MARK.finditer(line):
            value = match["value"].replace("\\]", "]").strip()
            if match["what"] == "id":
                idnumber = value
            elif value and value not in tags:
                tags.append(value)
    return idnumber, tags


def tags_comment(tags: list[str]) -> list[str]:
    """The comment line Moodle writes for a question's tags, none without tags."""
    marks = [f"[tag:{tag.replace(']', chr(92) + ']')}]" for tag in tags if "\n" not in tag and tag.strip()]
    return [f"// {' '.join(marks)}"] if marks else []


def cloze_comment(uid: str, prompt: str) -> str:
    """quizapp's note before the first part of a cloze question written as short answers:
    the question's uid and its whole prompt (a JSON string, on one line)."""
    return f"// cloze: {uid}: {json.dumps(prompt, ensure_ascii=False)}"


def read_cloze_comment(line: str) -> tuple[str, str] | None:
    """(uid, prompt) of a `// cloze:` comment, None for any other line or an unreadable one."""
    match = CLOZE_COMMENT.match(line)
    if match is None:
        return None
    try:
        prompt = json.loads(match["prompt"])
    except ValueError:
        return None
    return (match["uid"], prompt) if isinstance(prompt, str) else None
