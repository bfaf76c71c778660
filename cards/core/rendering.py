"""Authored text -> safe HTML: Markdown rendered, then sanitised with nh3.

Whatever an author types (or an import carries), the result has no script, no event
handlers and no javascript: URLs; nh3 keeps only the tags and attributes listed here.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt

ALLOWED_TAGS = {"p", "em", "strong", "ul", "ol", "li", "sub", "sup", "code", "br", "a", "blockquote"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

# Chemistry: H~2~O for subscript, Ca^2+^ for superscript (the Pandoc convention).
_SUB = re.compile(r"(?<![~\\])~(?!~)([^~\s][^~]{0,30}?)~")
_SUP = re.compile(r"(?<![\^\\])\^([^\^\s][^\^]{0,30}?)\^")


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML typed by an author is shown as text, never passed through.
    return MarkdownIt("commonmark", {"html": False, "linkify": False}).disable(
        ["image", "heading", "table"], ignoreInvalid=True
    )


def render_markdown(text: str, *, inline: bool = False) -> str:
    if not text:
        return ""
    return _remembered(text, inline) if len(text) <= REMEMBER_UP_TO else _render(text, inline)


REMEMBER_UP_TO = 4000  # characters: prompts, choices and explanations, not whole sources


# Pure (the text decides the HTML), so remembered: a study page renders the same few
# prompts again and again, and parsing plus sanitising was ~5% of its time (tests/bench).
@lru_cache(maxsize=4096)
def _remembered(text: str, inline: bool) -> str:
    return _render(text, inline)


def _render(text: str, inline: bool) -> str:
    source = _SUP.sub(r"<sup>\1</sup>", _SUB.sub(r"<sub>\1</sub>", text))
    md = _markdown()
    html = md.renderInline(source) if inline else md.render(source)
    # The sub/sup markers above were escaped by markdown-it (html=False); restore only those.
    html = re.sub(r"&lt;(/?)(sub|sup)&gt;", r"<\1\2>", html)
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_SCHEMES,
        link_rel="noopener noreferrer nofollow",
    )


_MARKS = re.compile(r"[*_`~^]+")


def plain_line(text: str, limit: int = 90) -> str:
    """Authored text as one short plain line for a list (not the question itself): Markdown
    marks and extra spaces gone, cut at a word with an ellipsis. A cloze is filled in by the
    caller (cards.core.grading.cloze_back)."""
    plain = " ".join(_MARKS.sub("", text or "").split())
    if len(plain) <= limit:
        return plain
    return plain[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"
