"""Filters of the product's Jinja2 templates (quizapp/templating.py) for authored text and
the statistics the instructor pages print."""

from decimal import ROUND_HALF_UP, Decimal

from django.utils.safestring import SafeString

from cards.core.grading import cloze_back as fill_cloze
from cards.core.grading import cloze_front
from cards.core.passages import quote_in_sentences
from cards.core.rendering import plain_line, render_markdown


def md(text: str) -> str:
    """Authored Markdown, sanitised (safe to output)."""
    # bandit: render_markdown sanitises with nh3 (tags, attributes and URL schemes allow-listed)
    return SafeString(render_markdown(text))  # nosec B703


def md_inline(text: str) -> str:
    # bandit: sanitised by nh3, as above
    return SafeString(render_markdown(text, inline=True))  # nosec B703


def cloze_back(text: str) -> str:
    """A cloze prompt with every deletion filled in (shown after answering)."""
    return fill_cloze(text)


def cloze_front1(text: str) -> str:
    """A cloze prompt as a quiz asks it: the first deletion hidden."""
    return cloze_front(text, 1)


def short(text: str, limit: int = 90) -> str:
    """A question's text as a short plain line (a cloze filled in) for a list of questions."""
    return plain_line(fill_cloze(text or ""), limit)


def whole_sentences(quote: str, passage_text: str) -> str:
    """A cited quote widened to the whole sentences of its passage (cards.core.passages)."""
    return quote_in_sentences(passage_text or "", quote or "")


def split_pairs(spec: str) -> list[tuple[str, str]]:
    """'a:A,b:B' -> [('a', 'A'), ('b', 'B')], for table headers written in the template."""
    return [tuple(part.split(":", 1)) for part in spec.split(",")]


def flag_label(code: str) -> str:
    """An item-analysis flag code as words: 'negative_discrimination' -> 'negative discrimination'."""
    return str(code).replace("_", " ")


_HUNDREDTH = Decimal("0.01")
_TENTH = Decimal("0.1")


def half_up(value: float, places: Decimal) -> Decimal:
    """The value rounded half up to `places` (Decimal("0.01") for two), as floatformat does."""
    return Decimal(repr(value)).quantize(places, rounding=ROUND_HALF_UP)


def score_text(score: float | None, max_score: float | None) -> str:
    """'7.5/10' as `score|floatformat:"-1"` / `max_score|floatformat:0` gave it (no decimal
    for a whole score, else one: 2.95 is 3.0), or a dash when there is no score."""
    if score is None:
        return "—"
    mine = half_up(score, Decimal(1) if float(score).is_integer() else _TENTH)
    return f"{mine}/{half_up(max_score or 0, Decimal(1))}"


def fixed2(value) -> str:
    """A statistic with two decimals (half up, as `floatformat:2`: 0.125 is 0.13), or a dash
    when there is none: what `floatformat:2|default` gave, at a fraction of the cost (the
    analytics page prints hundreds)."""
    if value is None:
        return "—"
    rounded = half_up(value, _HUNDREDTH)
    return str(abs(rounded) if rounded == 0 else rounded)
