"""A file sent as a download, the same from a page and from the API (which both export a
deck): bytes in one response, an open file streamed and closed when sent."""

from __future__ import annotations

from typing import IO

from django.http import FileResponse, HttpResponse


def attachment(content: bytes | IO[bytes], *, content_type: str, filename: str) -> HttpResponse:
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
        return response
    return FileResponse(content, as_attachment=True, filename=filename, content_type=content_type)
