"""What every page's layout needs (the context processors of the Jinja2 engine)."""

from django.middleware.csrf import get_token
from django.utils.html import format_html

from cards.permissions import shows_teach_link
from quizapp.templating import url_place


def nav(request) -> dict:
    user = getattr(request, "user", None)
    return {
        # A callable: templates call it only if the nav asks (and a page without a user never does).
        "can_teach": lambda: user is not None and shows_teach_link(user),
        # What the page's dozen link()s reverse with, read once for the page.
        "url_place": url_place(),
    }


def csrf_values(token: str) -> dict:
    """`csrf_token` and `csrf_input` (its hidden form field, as `{% csrf_token %}` printed
    it) from one masked token."""
    return {
        "csrf_token": token,
        "csrf_input": format_html('<input type="hidden" name="csrfmiddlewaretoken" value="{}">', token),
    }


def csrf_once(request) -> dict:
    """The CSRF token of a page, made once: the Jinja2 backend's `csrf_token` and
    `csrf_input` are lazy strings that mask a new token each time they are printed (four
    times on a study page, a tenth of its time)."""
    return csrf_values(get_token(request))
