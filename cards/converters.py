"""URL converters (registered on import, once per process). Database ids are at most 18
digits: a longer number in a URL is a 404,
not an integer overflow in the database driver (a 500)."""

from django.urls import register_converter

MAX_ID = 10**18 - 1


class IdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: int) -> str:
        return str(int(value))


def parse_id(value) -> int | None:
    """An id from a query string or form field, or None when it is not a plausible id."""
    try:
        number = int(str(value))
    except (TypeError, ValueError):
        return None
    return number if 0 < number <= MAX_ID else None


register_converter(IdConverter, "id")
