from django import template
from django.utils.safestring import mark_safe

from cards.grading import cloze_back as fill_cloze
from cards.rendering import render_markdown

register = template.Library()


@register.filter
def md(text: str) -> str:
    """Authored Markdown, sanitised (safe to output)."""
    return mark_safe(render_markdown(text))  # noqa: S308 (nh3-sanitised)


@register.filter
def md_inline(text: str) -> str:
    return mark_safe(render_markdown(text, inline=True))  # noqa: S308 (nh3-sanitised)


@register.filter
def cloze_back(text: str) -> str:
    """A cloze prompt with every deletion filled in (shown after answering)."""
    return fill_cloze(text)
