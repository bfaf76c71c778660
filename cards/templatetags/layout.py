"""`{% layout %}`: the Django pages in the shared Jinja2 layout (quizapp/jinja2/layout.jinja);
`{% jinja_include %}`: a Jinja2 partial in a Django page.

templates/base.html is this tag around the page's three blocks (title, scripts, content),
so a page still extends "base.html" and fills its blocks as before, and there is one layout
for both engines rather than a copy in each. The blocks are rendered here, then given to the
layout as finished markup."""

from django import template
from django.template import engines
from django.utils.safestring import mark_safe

from cards.context_processors import csrf_values

register = template.Library()

PARTS = ("title", "scripts", "content")


class LayoutNode(template.Node):
    child_nodelists = PARTS  # so that {% extends %} finds the blocks inside

    def __init__(self, title, scripts, content):
        self.title, self.scripts, self.content = title, scripts, content

    def render(self, context):
        parts = {name: mark_safe(getattr(self, name).render(context)) for name in PARTS}  # noqa: S308  # nosec B308, B703 - rendered by the Django engine, escaped there
        # What the layout reads, from the page's own context (its processors have run and
        # its CSRF token is made): not the Jinja2 backend's render, which would run them again.
        layout = engines["jinja2"].get_template("layout.jinja").template
        return layout.render(
            parts,
            request=context.get("request"),
            user=context.get("user"),
            messages=context.get("messages", ()),
            can_teach=context.get("can_teach", _nobody),
            **csrf_values(str(context.get("csrf_token", ""))),
        )


def _nobody() -> bool:
    return False


@register.tag
def layout(parser, token):
    """{% layout %}title{% layout_part %}scripts{% layout_part %}content{% endlayout %}"""
    nodelists = []
    for end in ("layout_part", "layout_part", "endlayout"):
        nodelists.append(parser.parse((end,)))
        parser.delete_first_token()
    return LayoutNode(*nodelists)


@register.simple_tag(takes_context=True)
def jinja_include(context, name: str, **values):
    """{% jinja_include "cards/partials/question_body.jinja" question=q ... %}: the partials
    the study panel and the question editor's preview share, one copy of each."""
    partial = engines["jinja2"].get_template(name).template
    return mark_safe(partial.render(request=context.get("request"), **values))  # noqa: S308  # nosec B308, B703 - rendered by Jinja2 with autoescape on
