"""`{% link %}`: `{% url %}` for the pages served most (the layout and the study loop),
with the reversing remembered. Reversing a name walks the URL patterns each time, and the
study page's ten links were a tenth of its time (tests/bench)."""

from functools import lru_cache

from django import template
from django.templatetags.static import static
from django.urls import get_script_prefix, get_urlconf, reverse

register = template.Library()


@lru_cache(maxsize=8192)
def remembered_reverse(urlconf, prefix: str, name: str, args: tuple) -> str:
    # The key holds what reverse() reads besides its arguments: the urlconf and the prefix.
    return reverse(name, args=args, urlconf=urlconf)


@register.simple_tag
def link(name: str, *args) -> str:
    """The URL of a named view with positional arguments, as {% url name arg ... %}."""
    return remembered_reverse(get_urlconf(), get_script_prefix(), name, args)


@register.simple_tag
def with_query(query, name: str, value) -> str:
    """The query string `query` (a QueryDict) with `name` set to `value`: a pager's link
    keeps the page's other parameters (sort order, the other table's page)."""
    changed = query.copy()
    changed[name] = value
    return "?" + changed.urlencode()


@register.simple_tag
def asset(path: str) -> str:
    """{% static path %}, remembered: the fingerprinted name of a file does not change while
    the process runs (the manifest is read at start)."""
    return _static(path)


@lru_cache(maxsize=256)
def _static(path: str) -> str:
    return static(path)
