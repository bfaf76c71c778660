"""Authored text -> safe HTML: Markdown rendered, then sanitised with nh3.

Whatever an author types (or an import carries), the result has no script, no event
handlers and no javascript: URLs; nh3 keeps only the tags and attributes listed here.
Tables (GFM pipe tables) render. Images render only as uploaded images: `![alt](img:<name>)`
becomes `<img src="<prefix><name>" alt="alt">` under the media URL prefix the app sets
(`set_image_url_prefix`, from settings.MEDIA_URL); any other image (an external or data: URL)
is shown as its alt text, and an `<img>` whose src is not under the prefix is dropped by nh3.
"""

from __future__ import annotations

import re
from functools import lru_cache

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from cards.core.images import STORAGE_FOLDER, image_name

ALLOWED_TAGS = {"p", "em", "strong", "ul", "ol", "li", "sub", "sup", "code", "br", "a", "blockquote", "img"}
ALLOWED_TAGS |= {"table", "thead", "tbody", "tr", "th", "td"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt"}}
ALLOWED_SCHEMES = {"http", "https", "mailto"}

# Chemistry: H~2~O for subscript, Ca^2+^ for superscript (the Pandoc convention).
_SUB = re.compile(r"(?<![~\\])~(?!~)([^~\s][^~]{0,30}?)~")
_SUP = re.compile(r"(?<![\^\\])\^([^\^\s][^\^]{0,30}?)\^")


_image_prefix = f"/media/{STORAGE_FOLDER}/"


def set_image_url_prefix(prefix: str) -> None:
    """Where uploaded images are served from (settings.MEDIA_URL + the images' folder); the
    app sets it once at start. Rendered text is remembered, so that memory is cleared."""
    global _image_prefix
    _image_prefix = prefix
    _remembered.cache_clear()


def image_url_prefix() -> str:
    return _image_prefix


def _render_image(renderer, tokens, idx, options, env) -> str:
    token = tokens[idx]
    alt = escapeHtml(_md_text(token.children or []))
    name = image_name(token.attrGet("src") or "")
    if name is None:
        return alt  # not an uploaded image: its alt text, never a request elsewhere
    return f'<img src="{escapeHtml(_image_prefix + name)}" alt="{alt}">'


def _md_text(children) -> str:
    return "".join(child.content for child in children if child.type in ("text", "code_inline", "softbreak"))


@lru_cache(maxsize=1)
def _markdown() -> MarkdownIt:
    # html=False: raw HTML typed by an author is shown as text, never passed through.
    md = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table").disable(["heading"])
    md.add_render_rule("image", _render_image)
    return md


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    if tag == "img" and attribute == "src":
        return value if value.startswith(_image_prefix) and ".." not in value else None
    return value


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
        attribute_filter=_keep_attribute,
        set_tag_attribute_values={"table": {"class": "authored"}, "img": {"class": "authored"}},
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
