"""The Jinja2 environment of the `*.jinja` templates: the layout every page shares
(quizapp/jinja2/layout.jinja, which Django pages reach through templates/base.html) and
the study loop's page and panels (cards/jinja2/cards/).

Those are the pages a student loads hundreds of times a day; Django's template engine spent
about as long rendering them as the rest of the request (tests/bench). The helpers are the
ones the Django templates use: the same links, static files and filters, so both engines
print the same markup."""

from __future__ import annotations

from jinja2 import Environment

from cards.templatetags.authored import cloze_back, md, md_inline
from cards.templatetags.links import asset, link


def percent(value) -> int | str:
    """A share as a whole percentage, as {% widthratio value 1 100 %} prints it ("" for none)."""
    try:
        return round(float(value) / 1.0 * 100)
    except (TypeError, ValueError, OverflowError):
        return ""


def environment(**options) -> Environment:
    env = Environment(**options)  # noqa: S701  # nosec B701 - Django's backend turns autoescape on
    env.globals.update(link=link, asset=asset)
    env.filters.update(md=md, md_inline=md_inline, cloze_back=cloze_back, percent=percent)
    return env
