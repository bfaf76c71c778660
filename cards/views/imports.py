"""Instructor pages for bank files: import (upload -> dry-run preview -> confirm), into a deck
or into a new deck the file names, and export in each format."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.downloads import attachment
from cards.forms import ImportForm
from cards.interop.json_bank import BankError
from cards.models import Deck
from cards.permissions import instructor_deck, instructor_required
from cards.services import bank_files, imports

IMPORT_SESSION_KEY = "pending_import"
TEMPLATE = "cards/instructor/import.html"


def _read(pending: dict, *, deck: Deck | None) -> imports.ParsedBank:
    return imports.read_bank_file(
        name=pending["name"],
        content=base64.b64decode(pending["content"]),
        fmt=pending["format"],
        strict=pending["strict"],
        deck=deck,
        own_deck=deck is None,
    )


def _preview(request, deck: Deck | None) -> dict:
    """The upload form, and on a valid upload the dry run of its import (kept in the session
    for the confirm step)."""
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"deck": deck, "form": form}
    if request.method != "POST" or not form.is_valid():
        return context
    upload = form.cleaned_data["upload"]
    pending = {
        "deck": deck.pk if deck else None,
        "name": upload.name,
        "content": base64.b64encode(upload.read(imports.MAX_IMPORT_BYTES + 1)).decode(),
        "format": form.cleaned_data["format"],
        "strict": form.cleaned_data["strict"],
    }
    try:
        parsed = _read(pending, deck=deck)
        plan = imports.plan_import(bank=parsed.bank, owner=request.user)
    except BankError as exc:
        context["problems"] = exc.problems
        return context
    request.session[IMPORT_SESSION_KEY] = {**pending, "digest": parsed.digest}
    skipped = set(parsed.skipped)
    context.update(
        {
            "plan": plan,
            "new_deck": parsed.bank["deck"] if parsed.new_deck else None,
            "skipped": parsed.skipped,
            "notes": [w for w in parsed.warnings if w not in skipped],
            "review": parsed.review_list(),
            "digest": parsed.digest,
            "name": upload.name,
            "import_count": len(plan.created) + len(plan.updated),
        }
    )
    return context


def _confirm(request, deck: Deck | None):
    pending = request.session.pop(IMPORT_SESSION_KEY, None)
    again = redirect("cards:deck_import", deck_id=deck.pk) if deck else redirect("cards:bank_import")
    if not pending or pending["deck"] != (deck.pk if deck else None) or pending["digest"] != request.POST.get("digest"):
        messages.error(request, "That import preview has expired; upload the file again.")
        return again
    try:
        parsed = _read(pending, deck=deck)
        report = imports.apply_import(
            bank=parsed.bank, owner=request.user, new_deck=parsed.new_deck, images=parsed.images
        )
    except BankError as exc:
        messages.error(request, f"Nothing was imported: {exc.problems[0]}")
        return again
    made = f"made the deck “{parsed.bank['deck']['title']}”, " if report.deck_created else ""
    to_review = f", {len(parsed.review)} draft(s) to review before publishing" if parsed.review else ""
    messages.success(request, f"Imported {pending['name']}: {made}{report.summary()}{to_review}.")
    return redirect("cards:deck_detail", deck_id=Deck.objects.get(slug=report.deck).pk)


@instructor_required
@require_http_methods(["GET", "POST"])
def deck_import(request, deck_id: int):
    """Upload -> dry-run preview (created / updated / unchanged / skipped / to review) -> confirm."""
    return render(request, TEMPLATE, _preview(request, instructor_deck(request.user, deck_id)))


@instructor_required
@require_POST
def deck_import_confirm(request, deck_id: int):
    return _confirm(request, instructor_deck(request.user, deck_id))


@instructor_required
@require_http_methods(["GET", "POST"])
def bank_import(request):
    """The same, into a new deck named by the file (its $CATEGORY, its deck, its name)."""
    return render(request, TEMPLATE, _preview(request, None))


@instructor_required
@require_POST
def bank_import_confirm(request):
    return _confirm(request, None)


@instructor_required
@require_GET
def deck_export(request, deck_id: int, fmt: str):
    deck = instructor_deck(request.user, deck_id)
    if fmt not in imports.EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    download = bank_files.deck_download(deck=deck, fmt=fmt)
    return attachment(
        download.content, content_type=download.content_type, filename=download.filename, warnings=download.warnings
    )
