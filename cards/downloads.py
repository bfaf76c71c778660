"""A file sent as a download, the same from a page and from the API (which both export a
deck): bytes in one response, an open file streamed and closed when sent."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse, HttpResponse

WARNINGS_HEADER = "X-Export-Warnings"


def attachment(
    content: bytes | IO[bytes], *, content_type: str, filename: str, warnings: tuple[str, ...] = ()
) -> HttpResponse:
    """The download; `warnings` (what the format could not carry) in the X-Export-Warnings
    header, one per line of ' | '."""
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    else:
        response = FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
    if warnings:
        text = " | ".join(" ".join(w.split()) for w in warnings)
        response[WARNINGS_HEADER] = text.encode("ascii", "replace").decode("ascii")
    return response
