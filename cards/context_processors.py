"""What every page's layout needs."""

from django.middleware.csrf import get_token
from django.urls import get_script_prefix, get_urlconf
from django.utils.html import format_html

from cards.permissions import shows_teach_link
from cards.templatetags.links import remembered_reverse


def nav(request) -> dict:
    user = getattr(request, "user", None)
    # A callable: templates call it only if the nav asks (and a page without a user never does).
    return {"can_teach": lambda: user is not None and shows_teach_link(user)}


def csrf_values(token: str) -> dict:
    """`csrf_token` and `csrf_input` (its hidden form field) as the Jinja2 templates print
    them, from one masked token."""
    return {
        "csrf_token": token,
        "csrf_input": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
    }


def csrf_once(request) -> dict:
    """The CSRF token of a Jinja2 page, made once: the backend's `csrf_token` and
    `csrf_input` are lazy strings that mask a new token each time they are printed (four
    times on a study page, a tenth of its time), where a Django page masks one per render."""
    return csrf_values(get_token(request))


def page_links(request) -> dict:
    """`link(name, *args)` for a Jinja2 page, with the urlconf and script prefix read once
    for the page rather than at each of its dozen links (the global `link` reads both every
    time, as `{% link %}` must)."""
    urlconf, prefix = get_urlconf(), get_script_prefix()

    def link(name: str, *args) -> str:
        return remembered_reverse(urlconf, prefix, name, args)

    return {"link": link}
