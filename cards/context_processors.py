"""What every page's layout needs."""

from cards.permissions import shows_teach_link


def nav(request) -> dict:
    user = getattr(request, "user", None)
    # A callable: templates call it only if the nav asks (and a page without a user never does).
    return {"can_teach": lambda: user is not None and shows_teach_link(user)}
