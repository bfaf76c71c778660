"""Instructor pages: courses, decks, sources, the question editor, history and reports.

Every view is behind `instructor_required` (students get 403) and reaches objects only
through the `instructor_*` helpers (another instructor's objects are 404)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.core import grading
from cards.errors import InvalidInput
from cards.forms import DeckForm, QuestionForm, SourceForm
from cards.models import Choice, Question, QuestionReport
from cards.permissions import (
    authored_decks,
    instructor_deck,
    instructor_question,
    instructor_report,
    instructor_required,
    instructor_source,
    taught_courses,
)
from cards.selectors.content import coverage, deck_questions, deck_summary, deck_tags, open_reports, question_revisions
from cards.selectors.feedback import ChoiceResult, correct_answer_text
from cards.services import authoring
from cards.services.banks import question_data


@instructor_required
@require_GET
def teach_home(request):
    decks = authored_decks(request.user).order_by("title")
    context = {
        "courses": taught_courses(request.user).order_by("title"),
        "decks": [(d, deck_summary(d)) for d in decks],
        "open_report_count": open_reports(decks).filter(status=QuestionReport.Status.OPEN).count(),
    }
    return render(request, "cards/instructor/home.html", context)


# --- decks and sources -----------------------------------------------------------------


@instructor_required
@require_http_methods(["GET", "POST"])
def deck_new(request):
    form = DeckForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        deck = authoring.deck_create(owner=request.user, **form.cleaned_data)
        messages.success(request, "Deck created. Add source material, then write questions citing it.")
        return redirect("cards:deck_detail", deck_id=deck.pk)
    return render(request, "cards/instructor/simple_form.html", {"form": form, "title": "New deck"})


@instructor_required
@require_GET
def deck_detail(request, deck_id: int):
    deck = instructor_deck(request.user, deck_id)
    filters = {
        "status": request.GET.get("status", ""),
        "topic": request.GET.get("topic", ""),
        "kind": request.GET.get("kind", ""),
        "needs_review": request.GET.get("needs_review") == "1",
    }
    context = {
        "deck": deck,
        "questions": deck_questions(deck, **filters),
        "summary": deck_summary(deck),
        "filters": filters,
        "sources": deck.sources.order_by("title"),
        "kinds": Question.Kind.choices,
        "statuses": Question.Status.choices,
        "topics": {q.topic for q in deck.questions.select_related("topic")},
        "tags": deck_tags(deck),
    }
    return render(request, "cards/instructor/deck_detail.html", context)


@instructor_required
@require_POST
def deck_safety_tag(request, deck_id: int):
    """Mark or unmark every question of the deck with a tag as safety-critical."""
    deck = instructor_deck(request.user, deck_id)
    tag = request.POST.get("tag", "")
    critical = request.POST.get("critical") == "1"
    try:
        changed = authoring.deck_tag_safety(deck=deck, tag=tag, critical=critical)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        state = "safety-critical" if critical else "no longer safety-critical"
        messages.success(request, f"{changed} question{'s' if changed != 1 else ''} tagged “{tag}” made {state}.")
    return redirect("cards:deck_detail", deck_id=deck.pk)


@instructor_required
@require_GET
def deck_coverage(request, deck_id: int):
    deck = instructor_deck(request.user, deck_id)
    rows = coverage(deck)
    context = {"deck": deck, "rows": rows, "uncovered": sum(1 for r in rows if r.uncovered)}
    return render(request, "cards/instructor/coverage.html", context)


@instructor_required
@require_http_methods(["GET", "POST"])
def source_new(request, deck_id: int):
    deck = instructor_deck(request.user, deck_id)
    form = SourceForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            source = authoring.source_create(
                owner=request.user, title=form.cleaned_data["title"], text=form.cleaned_data["text"], deck=deck
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Source added: {source.passages.count()} passages.")
            return redirect("cards:source_detail", source_id=source.pk)
    return render(
        request,
        "cards/instructor/simple_form.html",
        {"form": form, "title": f"Add source material to {deck.title}", "multipart": True},
    )


@instructor_required
@require_http_methods(["GET", "POST"])
def source_detail(request, source_id: int):
    source = instructor_source(request.user, source_id)
    form = SourceForm(request.POST or None, request.FILES or None, initial={"title": source.title, "text": source.text})
    if request.method == "POST" and form.is_valid():
        try:
            result = authoring.source_update(
                source=source, title=form.cleaned_data["title"], text=form.cleaned_data["text"], author=request.user
            )
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(
                request,
                f"Saved as version {result.source.version}: {len(result.changed_passages)} passage(s) "
                f"changed, {result.flagged_questions} question(s) flagged for review.",
            )
            return redirect("cards:source_detail", source_id=source.pk)
    flagged = Question.objects.filter(passage__source=source, needs_review=True).select_related("passage", "deck")
    context = {
        "source": source,
        "form": form,
        "passages": source.passages.filter(order__lt=authoring.REMOVED_PASSAGE_ORDER).order_by("order"),
        "flagged": flagged,
        "revisions": source.revisions.order_by("-version"),
    }
    return render(request, "cards/instructor/source_detail.html", context)


# --- questions -------------------------------------------------------------------------


def _preview_objects(form: QuestionForm, deck) -> dict:
    """An unsaved question as the student would see it, then as its feedback shows it."""
    data = form.to_data()
    question = Question(
        deck=deck,
        kind=data["kind"],
        prompt=data["prompt"],
        back=data["back"],
        answers=data["answers"],
        explanation=data["explanation"],
        passage=form.cleaned_data.get("passage"),
        quote=data["source"].get("quote", ""),
    )
    choices = [
        Choice(pk=i, text=c["text"], correct=c["correct"], feedback=c["feedback"])
        for i, c in enumerate(data["choices"], start=1)
    ]
    cloze = 1 if data["kind"] == "cloze" else 0
    return {
        "question": question,
        "front": grading.cloze_front(question.prompt, 1) if cloze else question.prompt,
        "choices": choices,
        "results": [ChoiceResult(choice=c, picked=False) for c in choices],
        "correct_answer": correct_answer_text(question, choices, cloze),
    }


@instructor_required
@require_POST
def question_preview(request, deck_id: int):
    deck = instructor_deck(request.user, deck_id)
    form = QuestionForm(request.POST, deck=deck)
    context = {"form": form}
    if form.is_valid():
        context["preview"] = _preview_objects(form, deck)
    return render(request, "cards/instructor/preview.html", context)


def _editor(request, deck, question=None):
    initial = (
        question_data(question, list(question.choices.all()))
        if question
        else {
            "kind": request.GET.get("kind", "single"),
            "status": "draft",
            "choices": [{"text": "True", "correct": True}, {"text": "False", "correct": False}]
            if request.GET.get("kind") == "truefalse"
            else [],
        }
    )
    form = QuestionForm(request.POST or None, deck=deck, question=question, initial_data=initial)
    if request.method == "POST" and form.is_valid():
        try:
            saved = authoring.question_save(
                deck=deck,
                data=form.to_data(),
                author=request.user,
                question=question,
                change=form.cleaned_data.get("change") or "minor",
            )
        except authoring.QuestionInvalid as exc:
            form.add_problems(exc.problems)
        else:
            messages.success(
                request, f"Saved {saved.uid} (revision {saved.revision}, {saved.get_status_display().lower()})."
            )
            return redirect("cards:question_edit", question_id=saved.pk)
    if question is not None and not form.is_bound and (review := authoring.review_before_publishing(question)):
        # an imported draft that breaks a house rule: what to fix before publishing (shown once, not stored)
        messages.warning(request, "Before publishing: " + "; ".join(p.message for p in review) + ".")
    context = {"deck": deck, "question": question, "form": form}
    if form.is_bound and form.is_valid():
        context["preview"] = _preview_objects(form, deck)
    elif question is not None and not form.is_bound:
        # Opened for editing: the preview shows the question as saved, before any typing.
        saved = QuestionForm(form.initial_as_data(), deck=deck, question=question)
        if saved.is_valid():
            context["preview"] = _preview_objects(saved, deck)
    return render(request, "cards/instructor/question_form.html", context)


@instructor_required
@require_http_methods(["GET", "POST"])
def question_new(request, deck_id: int):
    return _editor(request, instructor_deck(request.user, deck_id))


@instructor_required
@require_http_methods(["GET", "POST"])
def question_edit(request, question_id: int):
    question = instructor_question(request.user, question_id)
    return _editor(request, question.deck, question)


@instructor_required
@require_POST
def question_status(request, question_id: int):
    question = instructor_question(request.user, question_id)
    try:
        question = authoring.question_set_status(question=question, status=request.POST.get("status", ""))
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"{question.uid} is now {question.get_status_display().lower()}.")
    if request.POST.get("back") == "deck":
        return redirect("cards:deck_detail", deck_id=question.deck_id)
    return redirect("cards:question_edit", question_id=question.pk)


@instructor_required
@require_POST
def question_reviewed(request, question_id: int):
    question = authoring.question_mark_reviewed(question=instructor_question(request.user, question_id))
    messages.success(request, f"{question.uid} checked against the new passage text.")
    return redirect("cards:question_edit", question_id=question.pk)


@instructor_required
@require_GET
def question_history(request, question_id: int):
    question = instructor_question(request.user, question_id)
    return render(
        request, "cards/instructor/history.html", {"question": question, "revisions": question_revisions(question)}
    )


# --- reports ---------------------------------------------------------------------------


@instructor_required
@require_GET
def reports(request):
    status = request.GET.get("status", QuestionReport.Status.OPEN)
    queue = open_reports(authored_decks(request.user))
    if status:
        queue = queue.filter(status=status)
    return render(
        request,
        "cards/instructor/reports.html",
        {"reports": queue, "status": status, "statuses": QuestionReport.Status.choices},
    )


@instructor_required
@require_POST
def report_resolve(request, report_id: int):
    report = instructor_report(request.user, report_id)
    try:
        authoring.report_resolve(report=report, status=request.POST.get("status", ""), user=request.user)
    except InvalidInput as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Report updated.")
    return redirect("cards:reports")
