"""Instructor pages: courses, decks, sources, the question editor, history and reports.

Every view is behind `instructor_required` (students get 403) and reaches objects only
through the `instructor_*` helpers (another instructor's objects are 404)."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.converters import parse_id
from cards.core import grading
from cards.downloads import attachment
from cards.errors import InvalidInput
from cards.forms import CoInstructorForm, CourseForm, DeckForm, ImportForm, QuestionForm, QuizForm, SourceForm
from cards.interop.json_bank import BankError
from cards.models import Choice, Question, QuestionReport
from cards.permissions import (
    authored_decks,
    instructor_course,
    instructor_deck,
    instructor_question,
    instructor_report,
    instructor_required,
    instructor_source,
    taught_courses,
)
from cards.selectors.content import coverage, deck_questions, deck_summary, open_reports, question_revisions
from cards.selectors.feedback import ChoiceResult, correct_answer_text
from cards.services import authoring, bank_files, imports
from cards.services import quizzes as quiz_services
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


# --- courses ---------------------------------------------------------------------------


@instructor_required
@require_http_methods(["GET", "POST"])
def course_new(request):
    form = CourseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        course = authoring.course_create(owner=request.user, **form.cleaned_data)
        messages.success(request, f"Course created. Students join with the code {course.join_code}.")
        return redirect("cards:course_detail", course_id=course.pk)
    return render(request, "cards/instructor/course_form.html", {"form": form})


@instructor_required
@require_http_methods(["GET", "POST"])
def course_detail(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = CourseForm(request.POST or None, instance=course)
    if request.method == "POST" and form.is_valid():
        authoring.course_update(course=course, **{name: form.cleaned_data[name] for name in CourseForm.Meta.fields})
        messages.success(request, "Course settings saved.")
        return redirect("cards:course_detail", course_id=course.pk)
    context = {
        "course": course,
        "form": form,
        "instructor_form": CoInstructorForm(),
        "attached": course.decks.order_by("title"),
        "attachable": authored_decks(request.user).exclude(courses=course).order_by("title"),
        "instructors": course.instructors.order_by("username"),
        "student_count": course.enrollments.count(),
    }
    return render(request, "cards/instructor/course_detail.html", context)


@instructor_required
@require_POST
def course_code(request, course_id: int):
    course = authoring.course_regenerate_code(course=instructor_course(request.user, course_id))
    messages.success(request, f"New join code: {course.join_code}. The old one no longer works.")
    return redirect("cards:course_detail", course_id=course.pk)


@instructor_required
@require_POST
def course_decks(request, course_id: int):
    course = instructor_course(request.user, course_id)
    deck_id = parse_id(request.POST.get("deck"))
    if deck_id is None:
        raise Http404("No such deck.")
    deck = instructor_deck(request.user, deck_id)
    if request.POST.get("action") == "detach":
        authoring.course_detach_deck(course=course, deck=deck)
        messages.success(request, f"{deck.title} removed from the course; students keep their history.")
    else:
        authoring.course_attach_deck(course=course, deck=deck)
        messages.success(request, f"{deck.title} added: enrolled students get its published questions.")
    return redirect("cards:course_detail", course_id=course.pk)


@instructor_required
@require_POST
def course_instructors(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = CoInstructorForm(request.POST)
    if form.is_valid():
        try:
            authoring.course_add_instructor(course=course, username=form.cleaned_data["username"])
        except InvalidInput as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Co-instructor added.")
    return redirect("cards:course_detail", course_id=course.pk)


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
    }
    return render(request, "cards/instructor/deck_detail.html", context)


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
    context = {"deck": deck, "question": question, "form": form}
    if form.is_bound and form.is_valid():
        context["preview"] = _preview_objects(form, deck)
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


# --- import and export -----------------------------------------------------------------

IMPORT_SESSION_KEY = "pending_import"


@instructor_required
@require_http_methods(["GET", "POST"])
def deck_import(request, deck_id: int):
    """Upload -> dry-run preview (created / updated / unchanged / skipped) -> confirm."""
    deck = instructor_deck(request.user, deck_id)
    form = ImportForm(request.POST or None, request.FILES or None)
    context = {"deck": deck, "form": form}
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["upload"]
        content = upload.read(imports.MAX_IMPORT_BYTES + 1)
        try:
            parsed = imports.read_bank_file(
                name=upload.name,
                content=content,
                fmt=form.cleaned_data["format"],
                strict=form.cleaned_data["strict"],
                deck=deck,
            )
            plan = imports.plan_import(bank=parsed.bank, owner=request.user)
        except BankError as exc:
            context["problems"] = exc.problems
        else:
            request.session[IMPORT_SESSION_KEY] = {
                "deck": deck.pk,
                "name": upload.name,
                "content": base64.b64encode(content).decode(),
                "format": form.cleaned_data["format"],
                "strict": form.cleaned_data["strict"],
                "digest": parsed.digest,
            }
            context.update(
                {
                    "plan": plan,
                    "warnings": parsed.warnings,
                    "digest": parsed.digest,
                    "name": upload.name,
                    "import_count": len(plan.created) + len(plan.updated),
                }
            )
    return render(request, "cards/instructor/import.html", context)


@instructor_required
@require_POST
def deck_import_confirm(request, deck_id: int):
    deck = instructor_deck(request.user, deck_id)
    pending = request.session.get(IMPORT_SESSION_KEY)
    if not pending or pending["deck"] != deck.pk or pending["digest"] != request.POST.get("digest"):
        messages.error(request, "That import preview has expired; upload the file again.")
        return redirect("cards:deck_import", deck_id=deck.pk)
    try:
        parsed = imports.read_bank_file(
            name=pending["name"],
            content=base64.b64decode(pending["content"]),
            fmt=pending["format"],
            strict=pending["strict"],
            deck=deck,
        )
        report = imports.apply_import(bank=parsed.bank, owner=request.user)
    except BankError as exc:
        messages.error(request, f"Nothing was imported: {exc.problems[0]}")
        return redirect("cards:deck_import", deck_id=deck.pk)
    finally:
        request.session.pop(IMPORT_SESSION_KEY, None)
    messages.success(request, f"Imported {pending['name']}: {report.summary()}.")
    return redirect("cards:deck_detail", deck_id=deck.pk)


@instructor_required
@require_GET
def deck_export(request, deck_id: int, fmt: str):
    deck = instructor_deck(request.user, deck_id)
    if fmt not in imports.EXPORT_FORMATS:
        raise Http404("Unknown export format.")
    download = bank_files.deck_download(deck=deck, fmt=fmt)
    return attachment(download.content, content_type=download.content_type, filename=download.filename)


@instructor_required
@require_http_methods(["GET", "POST"])
def quiz_new(request, course_id: int):
    course = instructor_course(request.user, course_id)
    form = QuizForm(request.POST or None, course=course)
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            quiz = quiz_services.quiz_create(course=course, created_by=request.user, **data)
        except InvalidInput as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            messages.success(request, f"Quiz “{quiz.title}” created: students see it on their Quizzes page.")
            return redirect("cards:course_analytics", course_id=course.pk)
    return render(request, "cards/instructor/quiz_form.html", {"course": course, "form": form})
