"""Bank files over HTTP: a deck's export as a named download (the web's and the API's), and
an import in two steps for clients without a browser session (the API): the upload is read
and planned (nothing written to the deck) and kept as a PendingImport; confirming it reads
the same bytes again against the deck as it is then and writes them atomically.

Reading, planning, writing and exporting are cards.services.imports' own functions, the ones
the web's import and export call; this module only names the download and keeps the upload
between the two steps."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import IO

from django.db import transaction
from django.utils import timezone

from cards.errors import NotFound
from cards.interop.json_bank import Problem
from cards.models import Deck, PendingImport
from cards.services import imports
from cards.services.banks import LoadReport

PREVIEW_LIFETIME = timedelta(hours=1)
PENDING_PER_USER = 5  # a user's older previews go when they make more


@dataclass(frozen=True)
class Preview:
    pending: PendingImport | None  # None for an import written at once (no dry run)
    plan: LoadReport
    warnings: list[Problem]
    digest: str

    @property
    def expires_at(self) -> datetime | None:
        return self.pending.created_at + PREVIEW_LIFETIME if self.pending else None


@transaction.atomic
def import_preview_create(*, user, deck: Deck, name: str, content: bytes, fmt: str, strict: bool) -> Preview:
    """Read and plan `content` for `deck` (BankError, with every problem's file:line, if it
    cannot be imported) and keep it for `import_preview_confirm`."""
    parsed = imports.read_bank_file(name=name, content=content, fmt=fmt, strict=strict, deck=deck)
    plan = imports.plan_import(bank=parsed.bank, owner=user)
    _forget_old_previews(user=user)
    pending = PendingImport.objects.create(
        user=user, deck=deck, name=name, content=content, format=fmt, strict=strict, digest=parsed.digest
    )
    return Preview(pending=pending, plan=plan, warnings=parsed.warnings, digest=parsed.digest)


@transaction.atomic
def import_now(*, user, deck: Deck, name: str, content: bytes, fmt: str, strict: bool) -> Preview:
    """Read and write `content` into `deck` in one step (the CLI's import without --dry-run)."""
    parsed = imports.read_bank_file(name=name, content=content, fmt=fmt, strict=strict, deck=deck)
    report = imports.apply_import(bank=parsed.bank, owner=user, images=parsed.images)
    return Preview(pending=None, plan=report, warnings=parsed.warnings, digest=parsed.digest)


def _forget_old_previews(*, user) -> None:
    mine = PendingImport.objects.filter(user=user)
    mine.filter(created_at__lt=timezone.now() - PREVIEW_LIFETIME).delete()
    keep = list(mine.order_by("-created_at").values_list("pk", flat=True)[: PENDING_PER_USER - 1])
    mine.exclude(pk__in=keep).delete()


def pending_import_for(*, user, pending_id) -> PendingImport:
    """The user's own unexpired preview, or NotFound (another user's is not found either)."""
    pending = (
        PendingImport.objects.filter(pk=pending_id, user=user, created_at__gte=timezone.now() - PREVIEW_LIFETIME)
        .select_related("deck")
        .first()
    )
    if pending is None:
        raise NotFound(
            "No such import preview among yours (previews last an hour): upload the file again.",
            code="import_expired",
        )
    return pending


@transaction.atomic
def import_preview_confirm(*, pending: PendingImport, user) -> LoadReport:
    """Write the previewed file into its deck and use the preview up, in one transaction:
    a file that no longer imports (the deck changed since) writes nothing and keeps its
    preview, and of two confirmations at once only the first writes."""
    locked = PendingImport.objects.select_for_update().filter(pk=pending.pk).first()
    if locked is None:
        raise NotFound("That import preview was already confirmed.", code="import_expired")
    parsed = imports.read_bank_file(
        name=locked.name, content=bytes(locked.content), fmt=locked.format, strict=locked.strict, deck=pending.deck
    )
    report = imports.apply_import(bank=parsed.bank, owner=user, images=parsed.images)
    locked.delete()
    return report


# --- export -----------------------------------------------------------------------------

CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "gift": "text/plain; charset=utf-8",
    "csv": "text/csv; charset=utf-8",
    "apkg": "application/octet-stream",
    "zip": "application/zip",
}
EXTENSIONS = {"json": "json", "gift": "gift.txt", "csv": "csv", "apkg": "apkg", "zip": "zip"}


@dataclass(frozen=True)
class Download:
    content: bytes | IO[bytes]  # an .apkg comes as an open temporary file, gone when closed
    content_type: str
    filename: str
    warnings: tuple[str, ...] = ()  # what the format could not carry (images, for GIFT, CSV, JSON)


def deck_download(*, deck: Deck, fmt: str) -> Download:
    """The deck exported in `fmt` (one of imports.EXPORT_FORMATS), named after the deck."""
    if fmt not in imports.EXPORT_FORMATS:
        raise NotFound(f"Unknown export format {fmt!r}: use one of {', '.join(imports.EXPORT_FORMATS)}.")
    filename = f"{deck.slug}.{EXTENSIONS[fmt]}"
    warnings = tuple(str(p) for p in imports.images_not_carried(deck=deck, fmt=fmt))
    if fmt == "apkg":
        handle = tempfile.NamedTemporaryFile(suffix=".apkg")  # noqa: SIM115 - the response closes it
        imports.export_deck(deck=deck, fmt="apkg", path=handle.name)
        handle.seek(0)
        return Download(handle, CONTENT_TYPES[fmt], filename, warnings)
    content = imports.export_deck(deck=deck, fmt=fmt)
    content = content if isinstance(content, bytes) else str(content).encode()
    return Download(content, CONTENT_TYPES[fmt], filename, warnings)
