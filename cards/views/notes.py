"""A student's flags and private notes: the notes page and the note form (shown under a
question after answering it, in study and in blocks)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods

from cards.errors import DomainError, NotFound
from cards.selectors.notes import note_on, notes_of
from cards.services import notes as note_services
from cards.services.authoring import get_question_for_report

NOTE_FORM = "cards/notes/form.html"


@login_required
@require_GET
def notes(request):
    flagged_only = request.GET.get("flagged") == "1"
    return render(
        request,
        "cards/notes/list.html",
        {"notes": notes_of(request.user, flagged_only=flagged_only)[:200], "flagged_only": flagged_only},
    )


def _next(request) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_http_methods(["GET", "POST"])
def question_note(request, question_id: int):
    """The note form of one question (the whole page, or the form alone for htmx); a POST
    saves it, and an unflagged empty note is no note."""
    try:
        question = get_question_for_report(user=request.user, question_id=question_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    note, error = note_on(request.user, question.pk), ""
    if request.method == "POST":
        flagged, text = request.POST.get("flagged") == "on", request.POST.get("text", "")
        try:
            if note is not None and not flagged and not text.strip():
                note_services.note_delete(user=request.user, note_id=note.pk)
                note = None
            elif note is not None or flagged or text.strip():
                note = note_services.note_save(
                    user=request.user, question_id=question.pk, flagged=flagged, text=text, now=timezone.now()
                )
        except DomainError as exc:
            error = exc.message
        else:
            if not request.htmx:
                messages.success(request, "Note saved.")
                return redirect(_next(request) or "cards:notes")
    context = {
        "question": question,
        "note": note,
        "error": error,
        "saved": request.method == "POST" and not error,
        "next": _next(request),
    }
    template = f"{NOTE_FORM}#form" if request.htmx else NOTE_FORM
    return render(request, template, context, status=400 if error else 200)
