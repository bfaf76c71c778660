"""The one template engine of the product's pages: Jinja2 (quizapp/jinja2/, cards/jinja2/).

Every page extends quizapp/jinja2/layout.jinja and fills its blocks. Jinja2 was chosen by
measurement: on the study page, the page a student loads hundreds of times a day, Django's
template engine was about 0.38 ms of a 1.4 ms request (tests/bench, docs/benchmarks.md). The
Django engine stays for the admin's and DRF's own templates only.

The environment's helpers are what the Django templates had: `link` for `{% url %}`,
`asset` for `{% static %}`, `widthratio`, a fragment `cached` for `{% cache %}`, and
Django's own filters (date, floatformat, pluralize, ...) so that the markup is the same."""

from __future__ import annotations

from functools import lru_cache

from django.core.cache import InvalidCacheBackendError, caches
from django.core.cache.utils import make_template_fragment_key
from django.template import TemplateDoesNotExist, defaultfilters
from django.template.backends.jinja2 import Jinja2 as DjangoJinja2
from django.templatetags.static import static
from django.test.signals import template_rendered
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.module_loading import import_string
from django.utils.timezone import template_localtime
from jinja2 import Environment, pass_context
from markupsafe import Markup

from cards.templatetags.authored import (
    cloze_back,
    cloze_front1,
    fixed2,
    flag_label,
    md,
    md_inline,
    short,
    split_pairs,
    whole_sentences,
)

# -- links and static files -----------------------------------------------------------------


@lru_cache(maxsize=8192)
def remembered_reverse(urlconf, prefix: str, name: str, args: tuple) -> str:
    # The key holds what reverse() reads besides its arguments: the urlconf and the prefix.
    return reverse(name, args=args, urlconf=urlconf)


def url_place() -> tuple:
    """What reverse() reads besides its arguments: the urlconf and the script prefix (each a
    read of a context-local, a few microseconds)."""
    return get_urlconf(), get_script_prefix()


@pass_context
def link(context, name: str, *args) -> str:
    """The URL of a named view with positional arguments, as {% url name arg ... %}, with the
    reversing remembered: reversing walks the URL patterns each time, and the study page's
    ten links were a tenth of its time (tests/bench). The urlconf and script prefix are read
    once per page (cards.context_processors.nav), or here when no request is rendered (an
    email): read at every link, they were a few percent of the study page."""
    place = context.get("url_place") or url_place()
    return remembered_reverse(*place, name, args)


def asset(path: str) -> str:
    """{% static path %}, remembered: the fingerprinted name of a file does not change while
    the process runs (the manifest is read at start)."""
    return _static(path)


@lru_cache(maxsize=256)
def _static(path: str) -> str:
    return static(path)


def with_query(query, name: str, value) -> str:
    """The query string `query` (a QueryDict) with `name` set to `value`: a pager's link
    keeps the page's other parameters (sort order, the other table's page)."""
    changed = query.copy()
    changed[name] = value
    return "?" + changed.urlencode()


# -- numbers and dates, as Django's tags and filters print them -------------------------------


def widthratio(value, max_value, max_width) -> str:
    """{% widthratio value max_value max_width %}: "" for no value, "0" for a zero maximum."""
    try:
        return str(round(float(value) / float(max_value) * int(max_width)))
    except ZeroDivisionError:
        return "0"
    except (ValueError, TypeError, OverflowError):
        return ""


def percent(value) -> int | str:
    """A share as a whole percentage, as {% widthratio value 1 100 %} prints it ("" for none)."""
    try:
        return round(float(value) / 1.0 * 100)
    except (TypeError, ValueError, OverflowError):
        return ""


def date(value, arg=None) -> str:
    """Django's `date` filter, in the current time zone as the Django engine gave it."""
    return defaultfilters.date(template_localtime(value), arg)


# -- fragment caching -----------------------------------------------------------------------


def cached(timeout, name: str, *vary_on, caller) -> Markup:
    """{% call cached(600, "name", key, ...) %}...{% endcall %}: {% cache %}, the same keys
    in the same cache: the body is rendered only when it is not stored yet."""
    try:
        cache = caches["template_fragments"]
    except InvalidCacheBackendError:
        cache = caches["default"]
    key = make_template_fragment_key(name, vary_on)
    value = cache.get(key)
    if value is None:
        value = str(caller())
        cache.set(key, value, timeout)
    return Markup(value)  # noqa: S704  # nosec B704 - rendered by this environment, autoescaped there


# -- the environment and its backend --------------------------------------------------------


def environment(**options) -> Environment:
    if isinstance(options.get("undefined"), str):  # settings name the class (StrictUndefined in dev and tests)
        options["undefined"] = import_string(options["undefined"])
    env = Environment(**options)  # noqa: S701  # nosec B701 - Django's backend turns autoescape on
    env.globals.update(link=link, asset=asset, with_query=with_query, widthratio=widthratio, cached=cached)
    env.filters.update(
        md=md,
        md_inline=md_inline,
        cloze_back=cloze_back,
        cloze_front1=cloze_front1,
        split_pairs=split_pairs,
        short=short,
        whole_sentences=whole_sentences,
        flag_label=flag_label,
        fixed2=fixed2,
        percent=percent,
        date=date,
        timesince=defaultfilters.timesince_filter,
        floatformat=defaultfilters.floatformat,
        pluralize=defaultfilters.pluralize,
        truncatechars=defaultfilters.truncatechars,
        yesno=defaultfilters.yesno,
    )
    return env


class Block:
    """One block of a page, rendered alone: "page.html#name" is `{% block name scoped %}` of
    page.html, a partial of the page that htmx swaps in."""

    def __init__(self, page, block: str):
        self.page, self.block = page, block
        self.name, self.filename = f"{page.name}#{block}", page.filename

    def render(self, context) -> str:
        render_block = self.page.blocks[self.block]
        return self.page.environment.concat(render_block(self.page.new_context(context)))


class Told:
    """A template that tells `template_rendered` what it renders, with its whole context, as
    Django's engine does under tests: the test client's `response.context` and
    `assertTemplateUsed` (a signal with no receivers, outside tests, costs next to nothing)."""

    def __init__(self, template):
        self.template, self.name, self.filename = template, template.name, template.filename

    def render(self, context) -> str:
        template_rendered.send(sender=self, template=self, context=context)
        return self.template.render(context)


class Jinja2(DjangoJinja2):
    """Django's Jinja2 backend, where "page.html#block" names one block of a page, and whose
    templates tell the test client what they rendered."""

    def get_template(self, template_name):
        name, _, block = template_name.partition("#")
        template = super().get_template(name)
        if block and block not in template.template.blocks:
            raise TemplateDoesNotExist(template_name, backend=self)
        template.template = Told(Block(template.template, block) if block else template.template)
        return template
