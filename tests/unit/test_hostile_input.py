"""Hostile input, by property: whatever text or answer arrives, nothing runs and nothing crashes.

(a) Rendered Markdown holds only allowed tags and attributes, no event handler and no link
    with a scheme other than http, https or mailto (checked on the parsed output: escaped
    text is data, only real tags count).
(b) The bank parsers (GIFT, CSV, JSON + validate) return a result or raise BankError.
(c) Grading returns a grade or raises InvalidAnswer.
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from cards.core import grading
from cards.core.grading import ChoiceSpec, InvalidAnswer, QuestionSpec
from cards.core.rendering import ALLOWED_ATTRIBUTES, ALLOWED_SCHEMES, ALLOWED_TAGS, image_url_prefix, render_markdown
from cards.interop import csv_bank, gift, json_bank
from cards.interop.json_bank import BankError

PROPERTY = settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def outcome(function, *args, expected=BankError, **kwargs):
    """(result, None) or (None, the expected exception); any other exception propagates."""
    try:
        return function(*args, **kwargs), None
    except expected as exc:
        return None, exc


# --- (a) rendering ------------------------------------------------------------------------

FRAGMENTS = [
    "<script>",
    "</script>",
    "<script src=//evil.example/x.js>",
    "javascript:",
    "JaVaScRiPt:",
    "java\tscript:",
    "vbscript:",
    "data:text/html;base64,PHNjcmlwdD4=",
    "alert(1)",
    "onerror=",
    " onload=alert(1)",
    "onmouseover=",
    "[x](",
    "](javascript:",
    "](JAVASCRIPT:alert(1))",
    "](http://ok.example)",
    "](/relative)",
    "](mailto:a@b.c)",
    "![x](",
    "<javascript:alert(1)>",
    "<http://auto.example>",
    "<img",
    "<img src=x onerror=alert(1)>",
    "<svg",
    "<svg/onload=alert(1)>",
    "<iframe",
    "<a href=",
    '<a href="javascript:alert(1)">',
    "<sub>",
    "</sub>",
    "<sup onclick=alert(1)>",
    "<style>",
    "<!--",
    "-->",
    "&#106;avascript:",
    "&colon;",
    "&lt;",
    "&",
    '"',
    "'",
    "`",
    "```",
    "<",
    ">",
    "(",
    ")",
    "[",
    "]",
    "~",
    "^",
    "*",
    "_",
    "\\",
    "\n",
    "\n\n",
    "    ",
    "\x00",
    "x",
]
hostile_text = st.text() | st.lists(st.sampled_from(FRAGMENTS) | st.text(max_size=4), max_size=30).map("".join)

_URL_WHITESPACE = re.compile(r"[\t\n\r]")
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.\-]*):")


def url_scheme(url: str) -> str | None:
    """The scheme a browser would see: it drops leading/trailing controls and spaces and every
    tab or newline before parsing (WHATWG URL), so 'java\\tscript:' is javascript:."""
    cleaned = _URL_WHITESPACE.sub("", url.strip("".join(chr(c) for c in range(0x21))))
    match = _SCHEME.match(cleaned)
    return match.group(1).lower() if match else None


class _RealTags(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.starts: list[tuple[str, list[tuple[str, str | None]]]] = []
        self.ends: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.starts.append((tag, attrs))

    def handle_endtag(self, tag):
        self.ends.append(tag)


ALLOWED_BY_TAG = {tag: set(ALLOWED_ATTRIBUTES.get(tag, set())) for tag in ALLOWED_TAGS}
ALLOWED_BY_TAG["a"] |= {"rel"}  # nh3 adds rel="noopener noreferrer nofollow"
ALLOWED_BY_TAG["img"] |= {"class"}  # nh3 sets class="authored" on images and tables
ALLOWED_BY_TAG["table"] |= {"class"}


def assert_safe_html(html: str) -> None:
    parser = _RealTags()
    parser.feed(html)
    parser.close()
    for tag, attrs in parser.starts:
        assert tag in ALLOWED_TAGS, (tag, html)
        for name, value in attrs:
            assert not name.startswith("on"), (tag, name, html)
            assert name in ALLOWED_BY_TAG[tag], (tag, name, html)
            if name == "href":
                scheme = url_scheme(value or "")
                assert scheme is None or scheme in ALLOWED_SCHEMES, (value, html)
            if tag == "img" and name == "src":  # only an uploaded image, from our media URL
                assert (value or "").startswith(image_url_prefix()) and ".." not in value, (value, html)
    for tag in parser.ends:
        assert tag in ALLOWED_TAGS, (tag, html)


@pytest.mark.parametrize(
    ("url", "scheme"),
    [
        ("javascript:alert(1)", "javascript"),
        (" \x01JavaScript:x", "javascript"),
        ("java\tscript:x", "javascript"),
        ("https://a.example", "https"),
        ("/relative/path", None),
        ("#top", None),
        ("page?q=a:b", None),
    ],
)
def test_url_scheme_sees_what_a_browser_sees(url, scheme):
    assert url_scheme(url) == scheme


def test_the_checker_catches_what_it_must():
    for bad in [
        "<script>x</script>",
        '<p onclick="x">a</p>',
        '<a href="javascript:x">a</a>',
        '<a href="java&#9;script:x">a</a>',
        '<img src="x">',
        '<img src="https://evil.example/x.png">',
    ]:
        with pytest.raises(AssertionError):
            assert_safe_html(bad)
    assert_safe_html('<p>&lt;script&gt; <a href="https://x.example" rel="nofollow">x</a></p>')


@PROPERTY
@given(text=hostile_text, inline=st.booleans())
@example(text="[x](javascript:alert(1))", inline=False)
@example(text="[x](java\tscript:alert(1))", inline=False)
@example(text="<javascript:alert(1)>", inline=False)
@example(text="H~2~O <sub onclick=alert(1)>x</sub>", inline=True)
@example(text="Ca^<img src=x onerror=alert(1)>^", inline=False)
@example(text="[a](&#106;avascript:alert(1))", inline=False)
@example(text='![x" onerror="alert(1)](img:' + "a" * 64 + ".png) ![y](data:image/png;base64,AA)", inline=True)
@example(text="| <b>a</b> | b |\n|---|---|\n| ![z](img:../../x.png) | javascript:x |", inline=False)
def test_rendered_markdown_is_always_safe(text, inline):
    assert_safe_html(render_markdown(text, inline=inline))


# --- (b) bank parsers ----------------------------------------------------------------------

GIFT_FRAGMENTS = [
    "::",
    "{",
    "}",
    "=",
    "~",
    "#",
    "####",
    "%50%",
    "%-100%",
    "->",
    "\\{",
    "\\}",
    "\\=",
    "\\:",
    "\\n",
    "$CATEGORY: ",
    "$CATEGORY: $course$/",
    '// source: s#p: "q"',
    "// topic: ",
    "//",
    "[markdown]",
    "[html]",
    "{T}",
    "{FALSE}",
    "{#1:2}",
    "{=a =b}",
    "\n",
    "\n\n",
    "\r\n",
    "\ufeff",
    " ",
    "x",
    "Q",
]
gift_text = st.text() | st.lists(st.sampled_from(GIFT_FRAGMENTS) | st.text(max_size=3), max_size=40).map("".join)


@PROPERTY
@given(text=gift_text, strict=st.booleans())
def test_gift_parse_returns_or_raises_bank_error(text, strict):
    result, error = outcome(gift.parse, text, strict=strict)
    assert isinstance(result, gift.GiftResult) or error.problems


csv_cell = st.text(max_size=12) | st.sampled_from(
    ["TRUE", "FALSE", "single", "multiple", "flashcard", "cloze", "published", "a|b", "{{c1::x}}", '"', ",", "\n"]
)
csv_header = st.lists(st.sampled_from([*csv_bank.COLUMNS, "", "UID", " kind ", "extra"]), max_size=12)


def _csv_text(header, rows):
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue()


csv_text = (
    st.text()
    | st.builds(_csv_text, csv_header, st.lists(st.lists(csv_cell, max_size=14), max_size=5))
    | st.builds(_csv_text, st.just(csv_bank.COLUMNS), st.lists(st.lists(csv_cell, max_size=40), max_size=4))
)


@PROPERTY
@given(text=csv_text)
@example(text="\x00")
@example(text='uid,kind\n"unclosed')
def test_csv_parse_returns_or_raises_bank_error(text):
    questions, error = outcome(csv_bank.parse, text)
    assert isinstance(questions, list) or error.problems


@PROPERTY
@given(text=st.text() | st.sampled_from(["{}", "[]", "null", '{"questions": 1}', "1e999", '"x"', "{" * 50]))
def test_json_loads_and_validate_return_or_raise_bank_error(text):
    result, error = outcome(validate_text, text)
    assert isinstance(result, list) or error.problems


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=12,
)
hashable = st.none() | st.booleans() | st.integers() | st.text(max_size=8)


def bank_like(*, wild: bool):
    """Bank-shaped JSON with hostile values. `wild=False` keeps the containers validate
    iterates over (topics, passages) lists and the values it looks up (topic slugs, cited
    source and passage) hashable: the four places it crashes otherwise (see below)."""
    any_value = json_values
    key_like = json_values if wild else hashable
    choice = st.fixed_dictionaries({}, optional={"text": any_value, "correct": any_value, "feedback": any_value})
    citation = st.fixed_dictionaries({}, optional={"source": key_like, "passage": key_like, "quote": any_value})
    question = st.fixed_dictionaries(
        {},
        optional={
            "uid": st.text(max_size=6) | any_value,
            "topic": st.sampled_from(["mechanism", ""]) | key_like,
            "kind": st.sampled_from(grading.KINDS) | any_value,
            "prompt": st.sampled_from(["Which?", "{{c1::GABA-B}}", "{{c1::}} {{c1::x}}", "{{c2::a::b}}"]) | any_value,
            "back": any_value,
            "choices": st.lists(choice | any_value, max_size=4) | any_value,
            "answers": st.lists(st.text(max_size=5) | any_value, max_size=3) | any_value,
            "explanation": any_value,
            "source": citation | (any_value if wild else st.none() | st.text(max_size=4) | st.integers()),
            "status": st.sampled_from(json_bank.STATUSES) | any_value,
            "tags": any_value,
        },
    )
    passage = st.fixed_dictionaries({}, optional={"key": any_value, "text": any_value}) | any_value
    passages = st.lists(passage, max_size=3)
    source = st.fixed_dictionaries(
        {}, optional={"slug": any_value, "title": any_value, "passages": passages | any_value if wild else passages}
    )
    topic = st.fixed_dictionaries({}, optional={"slug": key_like, "name": any_value})
    topics = st.lists(topic | (any_value if wild else hashable), max_size=3)
    return st.fixed_dictionaries(
        {},
        optional={
            "format": st.just(json_bank.FORMAT) | any_value,
            "version": st.just(json_bank.VERSION) | any_value,
            "deck": st.fixed_dictionaries({}, optional={"slug": any_value, "title": any_value}) | any_value,
            "topics": topics | any_value if wild else topics,
            "sources": st.lists(source | any_value, max_size=2) | any_value,
            "questions": st.lists(question | any_value, max_size=4) | any_value,
        },
    )


def validate_text(text: str):
    return json_bank.validate(json_bank.loads(text))


@PROPERTY
@given(data=bank_like(wild=False))
def test_validate_of_bank_shaped_json_returns_problems_or_raises_bank_error(data):
    result, error = outcome(validate_text, json.dumps(data))
    assert isinstance(result, list) or error.problems


# App bug (cards/interop/json_bank.py, validate): a bank whose containers have the wrong type
# raises TypeError instead of listing a problem; an uploaded JSON bank like these is a 500 on
# the import page (cards/services/imports.py calls validate). One example per crash site:
VALIDATE_CRASHES = [
    pytest.param({"topics": None}, id="json_bank.py:165 topics not a list"),
    pytest.param({"topics": [{"slug": ["x"]}]}, id="json_bank.py:165 unhashable topic slug"),
    pytest.param({"sources": [{"slug": "s", "title": "t", "passages": 3}]}, id="json_bank.py:176 passages not a list"),
    pytest.param(
        {"questions": [{"uid": "q", "kind": "single", "topic": "t", "prompt": "p", "source": {"source": ["s"]}}]},
        id="json_bank.py:216 unhashable cited source",
    ),
    pytest.param({"questions": [{"status": "published", "topic": ["x"]}]}, id="json_bank.py:254 unhashable topic"),
]


@pytest.mark.parametrize("data", VALIDATE_CRASHES)
def test_validate_lists_a_problem_for_a_wrongly_typed_bank(data):
    result, error = outcome(validate_text, json.dumps(data))
    assert result or error.problems


@PROPERTY
@given(data=bank_like(wild=True))
@example(data={"topics": None})
def test_validate_of_any_bank_shaped_json_returns_problems_or_raises_bank_error(data):
    result, error = outcome(validate_text, json.dumps(data))
    assert isinstance(result, list) or error.problems


# --- (c) grading --------------------------------------------------------------------------

CHOICES = (ChoiceSpec(1, "GABA-B", True), ChoiceSpec(2, "GABA-A", False), ChoiceSpec(3, "NMDA", True))
SPECS = [
    QuestionSpec(kind="flashcard"),
    QuestionSpec(kind="single", choices=CHOICES[:2]),
    QuestionSpec(kind="multiple", choices=CHOICES),
    QuestionSpec(kind="truefalse", choices=(ChoiceSpec(7, "True", False), ChoiceSpec(8, "False", True))),
    QuestionSpec(kind="truefalse", choices=CHOICES[:2]),  # no True/False choices
    QuestionSpec(kind="short", answers=("GABA-B", "GABA-B receptor"), other_terms=frozenset({"GABA-A"})),
    QuestionSpec(kind="short", answers=()),
    QuestionSpec(kind="cloze", prompt="Baclofen activates {{c1::GABA-B}} receptors.", cloze=1),
    QuestionSpec(kind="cloze", prompt="No deletion here.", cloze=3),
    QuestionSpec(kind="unknown"),
    QuestionSpec(kind="multiple", choices=()),
]
scalars = (
    st.integers()
    | st.integers(min_value=-2, max_value=9)
    | st.text(max_size=20)
    | st.sampled_from(["GABA-B", "gaba b", "GABA-A", "", " ", "1", "true"])
    | st.booleans()
    | st.none()
    | st.floats()
)
answer_values = scalars | st.lists(scalars | st.lists(scalars, max_size=2), max_size=5)
answers = st.dictionaries(
    st.sampled_from(["choice", "choices", "truefalse", "text", "rating", "other", ""]), answer_values, max_size=5
)


@PROPERTY
@given(spec=st.sampled_from(SPECS), answer=answers)
@example(spec=SPECS[2], answer={"choices": [1, 1, True]})
@example(spec=SPECS[0], answer={"rating": 3.0})
@example(spec=SPECS[0], answer={"rating": float("nan")})
@example(spec=SPECS[2], answer={"choices": [[1]]})
def test_grading_returns_a_grade_or_invalid_answer(spec, answer):
    result, error = outcome(grading.grade, spec, answer, expected=InvalidAnswer)
    if error is not None:
        assert error.field and error.message
    else:
        assert isinstance(result, grading.Grade)
        assert 0.0 <= result.score <= 1.0
        assert int(result.rating) in (1, 2, 3, 4)
