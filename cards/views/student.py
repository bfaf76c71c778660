"""Student pages: sign-up, the study home, and the study loop (htmx with a plain-form fallback)."""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.converters import parse_id
from cards.core import exams, grading, scheduling
from cards.errors import DomainError, InvalidInput, NotFound
from cards.forms import JoinCourseForm, ReportForm, SignUpForm
from cards.permissions import is_instructor, student_course_and_deck
from cards.selectors.feedback import fresh_feedback, review_feedback
from cards.selectors.progress import streak
from cards.selectors.progress import suspended as suspended_cards
from cards.selectors.study import (
    StudyPlace,
    card_for_reveal,
    choice_order_seed,
    next_learning_due,
    shuffled,
    study_decks,
    study_place,
    study_queue,
    user_timezone,
)
from cards.selectors.terms import CHOICE_KINDS
from cards.services import accounts as account_services
from cards.services import authoring
from cards.services import courses as course_services
from cards.services import study as study_services

# Jinja2 (quizapp/templating.py): the page and the panel htmx swaps in, rendered hundreds of
# times a day per student.
STUDY_TEMPLATE = "cards/study.jinja"
PANEL_TEMPLATE = "cards/study_panel.jinja"


@require_http_methods(["GET", "POST"])
def signup(request):
    if request.user.is_authenticated:
        return redirect("cards:study_home")
    form = SignUpForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            user = account_services.register_student(**form.registration())
        except InvalidInput as exc:  # the username was taken since the form checked it
            form.add_error(exc.field, exc.message)
        else:
            login(request, user, backend="cards.accounts.backend.ModelBackend")
            messages.success(request, "Welcome! Your decks are ready below.")
            return redirect("cards:study_home")
    return render(request, "registration/signup.html", {"form": form})


@login_required
@require_GET
def study_home(request):
    now = timezone.now()
    tz = user_timezone(request.user)
    day_start, day_end = scheduling.study_day_bounds(now, tz)
    home = study_decks(user=request.user, now=now, day_start=day_start, day_end=day_end)
    context = {
        "rows": home.rows,
        "suspended": Counter((c.course_id, c.deck_id) for c in suspended_cards(user_id=request.user.pk)),
        "done_today": home.done_today,
        "streak": streak(user_id=request.user.pk, tz_name=tz, now=now),
        "join_form": JoinCourseForm(),
        "timezone_name": tz,
    }
    return render(request, "cards/student/home.html", context)


@login_required
@require_POST
def join_course(request):
    form = JoinCourseForm(request.POST)
    if form.is_valid():
        try:
            enrollment = course_services.join_course_by_code(user=request.user, code=form.cleaned_data["code"])
        except NotFound as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"You joined {enrollment.course.title}.")
    else:
        messages.error(request, "Enter a join code.")
    return redirect("cards:study_home")


def _place(request, course_id: int, deck_id: int, *, with_queue: bool = False) -> StudyPlace:
    """The course and deck of a study page, with the student's time zone: one query. With
    `with_queue` (pages that show the queue before changing anything), the deck's study
    queue comes with it (one round trip on PostgreSQL: cards.db.queue)."""
    day = _day(user_timezone(request.user)) if with_queue else None  # the time zone came with the session
    place = study_place(user_id=request.user.pk, course_id=course_id, deck_id=deck_id, day=day)
    if place is None:
        student_course_and_deck(request.user, course_id, deck_id)  # raises the 404 that says which
        raise Http404("No such deck in this course.")
    return place


@dataclass(frozen=True)
class DeckToday:
    """Where the student stands in a deck right now: the base of every study panel."""

    now: datetime
    day_end: datetime
    counts: object
    done: dict

    def context(self, course, deck, **extra) -> dict:
        return {"course": course, "deck": deck, "counts": self.counts, "done": self.done, **extra}


def _day(tz_name: str) -> tuple[datetime, datetime, datetime]:
    now = timezone.now()
    day_start, day_end = scheduling.study_day_bounds(now, tz_name)
    return now, day_start, day_end


def _today_and_queue(request, place: StudyPlace):
    """(where the student stands, the deck's queue): the queue read with the place, or read now."""
    if place.queue is not None:
        (now, _day_start, day_end), queue = place.day, place.queue
    else:
        now, day_start, day_end = _day(place.timezone)
        args = {"user_id": request.user.pk, "deck_id": place.deck.pk, "course": place.course, "now": now}
        queue = study_queue(**args, day_start=day_start, day_end=day_end)
        if queue is None:  # the course went away since the page's own query
            raise Http404("No such course among yours.")
    return DeckToday(now=now, day_end=day_end, counts=queue.counts, done=queue.done), queue


def _deck_today(request, place: StudyPlace) -> DeckToday:
    return _today_and_queue(request, place)[0]


def _panel_context(request, place: StudyPlace, *, notice: str = "", notice_level: str = "warning") -> dict:
    course, deck = place.course, place.deck
    today, queue = _today_and_queue(request, place)
    now, day_end = today.now, today.day_end
    card = queue.card
    context = today.context(
        course, deck, card=card, notice=notice, notice_level=notice_level, review_id=uuid.uuid4(), mode="question"
    )
    if card is None:
        context["mode"] = "done"
        comes_back = next_learning_due(user_id=request.user.pk, deck_id=deck.pk, day_end=day_end)
        if comes_back:
            context["comes_back_in"] = scheduling.format_interval(comes_back - now)
            context["comes_back_seconds"] = max(1, int((comes_back - now).total_seconds()) + 1)
        return context
    question = card.question
    seed = choice_order_seed(card.pk, card.reps)
    context["choices"] = shuffled(queue.choices, question, seed) if question.kind in CHOICE_KINDS else []
    context["front"] = grading.cloze_front(question.prompt, card.cloze) if question.kind == "cloze" else question.prompt
    return context


def _render_panel(request, context, status=200):
    """The study page, or only its panel for htmx."""
    template = PANEL_TEMPLATE if request.htmx else STUDY_TEMPLATE
    return render(request, template, context, status=status, using="jinja2")


@login_required
@require_GET
def study_session(request, course_id: int, deck_id: int):
    return _render_panel(request, _panel_context(request, _place(request, course_id, deck_id, with_queue=True)))


def answer_from_post(kind: str, data) -> dict:
    """The answer fields a study form posts, as the grader wants them."""
    if kind == "flashcard":
        return {"rating": _int_or_none(data.get("rating"))}
    if kind == "multiple":
        return {"choices": [v for v in (_int_or_none(c) for c in data.getlist("choices")) if v is not None]}
    if kind in ("single", "truefalse"):
        return {"choice": _int_or_none(data.get("choice"))}
    return {"text": data.get("text", "")}


def _response_ms(value) -> int | None:
    """Time to answer as the page measured it; implausible values are dropped, not stored."""
    ms = _int_or_none(value)
    return ms if ms is not None and 0 <= ms <= 86_400_000 else None


def _int_or_none(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _uuid_or_none(value):
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError):
        return None


@login_required
@require_POST
def answer(request, course_id: int, deck_id: int):
    """Record an answer. The service checks, in its one read and before writing anything,
    that the card is the student's, in this course and deck and course they are enrolled in;
    the page's course and deck are read only when a panel is rendered (htmx, or an error):
    the plain form's redirect needs none of them."""
    card_id = parse_id(request.POST.get("card"))
    review_id = _uuid_or_none(request.POST.get("review_id"))
    if card_id is None or review_id is None:
        return _render_panel(
            request,
            _panel_context(
                request,
                _place(request, course_id, deck_id),
                notice="The answer form was incomplete; here is the card again.",
            ),
            status=400,
        )
    kind = request.POST.get("kind", "")
    try:
        outcome = study_services.answer_card(
            user=request.user,
            card_id=card_id,
            answer=answer_from_post(kind, request.POST) if kind in grading.KINDS else {},
            review_id=review_id,
            now=timezone.now(),
            response_ms=_response_ms(request.POST.get("response_ms")),
            expected_reps=_int_or_none(request.POST.get("reps")),
            tz_name=user_timezone(request.user),
            course_id=course_id,
            deck_id=deck_id,
        )
    except NotFound as exc:
        _place(request, course_id, deck_id)  # a course or deck not theirs: its own 404
        raise Http404(exc.message) from exc
    except DomainError as exc:
        place = _place(request, course_id, deck_id)
        return _render_panel(request, _panel_context(request, place, notice=exc.message), status=exc.status)
    if kind == "flashcard":  # the student rated it: straight to the next card, as Anki does
        if not request.htmx:
            return _next_card_redirect(request, course_id, deck_id, notice=_rated(outcome), level="success")
        return _next_card_response(request, _place(request, course_id, deck_id), notice=_rated(outcome))
    if request.htmx:
        fresh = (
            None
            if outcome.replayed
            else fresh_feedback(
                outcome.card, list(outcome.choices), outcome.log, with_rerate=True, schedule=outcome.schedule
            )
        )
        place = _place(request, course_id, deck_id)
        return _render_panel(request, _feedback_context(request, place, outcome.log.review_id, fresh=fresh))
    return redirect("cards:study_feedback", course_id=course_id, deck_id=deck_id, review_id=outcome.log.review_id)


def _feedback_context(request, place: StudyPlace, review_id, *, fresh=None) -> dict:
    """The feedback panel: of the answer just recorded (`fresh`, read from memory) or read
    back from the log."""
    feedback = fresh or review_feedback(user=request.user, review_id=review_id)
    if feedback is None or feedback.card.deck_id != place.deck.pk:
        raise Http404("No such review.")
    return _deck_today(request, place).context(
        place.course, place.deck, mode="feedback", fb=feedback, rerate_id=uuid.uuid4()
    )


@login_required
@require_GET
def feedback(request, course_id: int, deck_id: int, review_id: uuid.UUID):
    place = _place(request, course_id, deck_id, with_queue=True)
    return _render_panel(request, _feedback_context(request, place, review_id))


@login_required
@require_GET
def reveal(request, course_id: int, deck_id: int, card_id: int):
    """A flashcard's back, with the four rating buttons and the interval each would give."""
    place = _place(request, course_id, deck_id, with_queue=True)
    course, deck = place.course, place.deck
    card = card_for_reveal(user=request.user, card_id=card_id, deck_id=deck.pk)
    if card is None:
        raise Http404("No such card in this deck.")
    today = _deck_today(request, place)
    outcomes = scheduling.next_states(
        study_services.card_state(card),
        today.now,
        course.scheduler_settings(
            card.student_retention, card.fitted_parameters, safety_critical=card.question.safety_critical
        ),
        card_id=card.pk,
    )
    exam = exams.effective_exam(card.student_exam, course.exam_date)
    outcomes = exams.capped_all(outcomes, today.now, exams.due_cap(today.now, exam, place.timezone))
    context = today.context(
        course,
        deck,
        card=card,
        mode="reveal",
        review_id=uuid.uuid4(),
        front=card.question.prompt,
        outcomes=[outcomes[r] for r in scheduling.Rating],
    )
    return _render_panel(request, context)


@login_required
@require_POST
def rerate(request, course_id: int, deck_id: int):
    place = _place(request, course_id, deck_id)
    course, deck = place.course, place.deck
    review_id = _uuid_or_none(request.POST.get("review_id"))
    new_review_id = _uuid_or_none(request.POST.get("new_review_id"))
    rating = _int_or_none(request.POST.get("rating"))
    if review_id is None or new_review_id is None or rating is None:
        messages.error(request, "The rating form was incomplete.")
        return redirect("cards:study_session", course_id=course.pk, deck_id=deck.pk)
    try:
        outcome = study_services.rerate_review(
            user=request.user, review_id=review_id, rating=rating, new_review_id=new_review_id, now=timezone.now()
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return _next_card_response(request, place, notice=exc.message, level="error")
    return _next_card_response(request, place, notice=_rated(outcome))


@login_required
@require_POST
def override(request, course_id: int, deck_id: int):
    """The student says "I was right": a typed answer graded wrong counts as correct."""
    place = _place(request, course_id, deck_id)
    review_id = _uuid_or_none(request.POST.get("review_id"))
    new_review_id = _uuid_or_none(request.POST.get("new_review_id"))
    if review_id is None or new_review_id is None:
        return _next_card_response(request, place, notice="The form was incomplete.", level="error")
    try:
        outcome = study_services.override_review(
            user=request.user, review_id=review_id, new_review_id=new_review_id, now=timezone.now()
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        return _next_card_response(request, place, notice=exc.message, level="error")
    interval = scheduling.format_interval(outcome.card.due - outcome.log.reviewed_at)
    return _next_card_response(request, place, notice=f"Counted as right, as you said: next in {interval}.")


MESSAGE_LEVELS = {"success": messages.SUCCESS, "warning": messages.WARNING, "error": messages.ERROR}


def _rated(outcome) -> str:
    return (
        f"Rated {scheduling.Rating(outcome.log.rating).name.title()}: next in "
        f"{scheduling.format_interval(outcome.card.due - outcome.log.reviewed_at)}."
    )


def _next_card_response(request, place: StudyPlace, *, notice: str = "", level: str = "success"):
    """The next card. A `notice` goes in the panel htmx swaps in (and goes with it); a plain
    form's redirect carries it as a message, shown once on the page it lands on."""
    if request.htmx:
        return _render_panel(request, _panel_context(request, place, notice=notice, notice_level=level))
    return _next_card_redirect(request, place.course.pk, place.deck.pk, notice=notice, level=level)


def _next_card_redirect(request, course_id: int, deck_id: int, *, notice: str = "", level: str = "success"):
    """A plain form's way to the next card: a redirect to the study page, the notice a
    message shown once there."""
    if notice:
        messages.add_message(request, MESSAGE_LEVELS[level], notice)
    return redirect("cards:study_session", course_id=course_id, deck_id=deck_id)


@login_required
@require_POST
def undo(request, course_id: int, deck_id: int):
    place = _place(request, course_id, deck_id)
    try:
        study_services.undo_last_review(user=request.user, now=timezone.now())
    except DomainError as exc:
        return _next_card_response(request, place, notice=exc.message, level="error")
    return _next_card_response(request, place, notice="Last review undone: the card is back as it was.")


@login_required
@require_POST
def suspend(request, course_id: int, deck_id: int, card_id: int):
    place = _place(request, course_id, deck_id)
    try:
        study_services.set_card_suspended(user=request.user, card_id=card_id, suspended=True)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, "Card suspended: it will not come back until you unsuspend it.")
    return _next_card_response(request, place)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


def home(request):
    """Where `/` and a login without `next` (LOGIN_REDIRECT_URL) lead: an instructor to what
    they teach, a student to what they study."""
    if request.user.is_authenticated:
        return redirect("cards:teach_home" if is_instructor(request.user) else "cards:study_home")
    return redirect(reverse("login"))


@login_required
@require_POST
def report_problem(request, question_id: int):
    """A student flags a question (wrong, unclear, typo); instructors triage it."""
    form = ReportForm(request.POST)
    try:
        question = authoring.get_question_for_report(user=request.user, question_id=question_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    if form.is_valid():
        try:
            authoring.report_create(user=request.user, question=question, comment=form.cleaned_data["comment"])
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Thank you: your instructor will look at this question.")
    else:
        messages.error(request, "Say what is wrong with the question.")
    return redirect(_safe_next(request) or "cards:study_home")


def _safe_next(request) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return ""


@login_required
@require_GET
def suspended_list(request, course_id: int, deck_id: int):
    """The deck's cards out of the student's reviews (suspended by them, or leeches), each
    with its way back."""
    place = _place(request, course_id, deck_id)
    cards = [
        c
        for c in suspended_cards(user_id=request.user.pk)
        if (c.course_id, c.deck_id) == (place.course.pk, place.deck.pk)
    ]
    return render(request, "cards/student/suspended.html", {"course": place.course, "deck": place.deck, "cards": cards})


@login_required
@require_POST
def unsuspend(request, card_id: int):
    """Put one of the student's suspended cards back into their reviews; back to the list it
    was unsuspended from (`next`), or to the dashboard."""
    try:
        study_services.set_card_suspended(user=request.user, card_id=card_id, suspended=False)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    messages.success(request, "Card back in your reviews.")
    return redirect(_safe_next(request) or "cards:dashboard")
