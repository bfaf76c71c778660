"""Custom blocks, as question banks do them: build one (course, topics, pool, size, mode),
answer it by keyboard (tutor: feedback after each question; timed: one clock), leave and
resume, and review the result; the history of blocks with scores over time."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from cards.converters import parse_id
from cards.core import charts, grading
from cards.errors import DomainError, NotFound
from cards.models import Block, Course, Topic
from cards.selectors.blocks import (
    block_as_of,
    block_for,
    block_items,
    block_percentile,
    block_result,
    block_step,
    blocks_of,
    class_shares,
    day_end_for,
    item_shares,
    pool_sizes,
)
from cards.selectors.study import user_timezone
from cards.services import blocks as block_services
from cards.services.authoring import get_question_for_report
from cards.views.student import _response_ms, answer_from_post

HISTORY_CHART = 30  # the last blocks drawn on the chart


def _own_block(request, block_id: int) -> Block:
    block = block_for(request.user, block_id)
    if block is None:
        raise Http404("No such block among yours.")
    return block_as_of(block, now=timezone.now())  # read as submitted once its time is up; never written here


@login_required
@require_GET
def block_list(request):
    now = timezone.now()
    # a timed block past its deadline reads as submitted (a query only for such a block)
    blocks = [block_as_of(b, now=now) for b in blocks_of(request.user)[:200]]
    done = [b for b in blocks if b.is_submitted]
    points = [(f"{b.submitted_at:%m-%d %H:%M}", b.score / b.max_score if b.max_score else None) for b in done][
        :HISTORY_CHART
    ][::-1]
    context = {
        "in_progress": [b for b in blocks if not b.is_submitted],
        "done": done,
        "chart": charts.line_chart(
            points, title="Block scores", y_label="score", y_max=1, value_format=charts.format_percent
        )
        if points
        else "",
        "table": charts.data_table(
            points, caption="Block scores", headers=("Block", "Score"), value_format=charts.format_percent
        )
        if points
        else "",
    }
    return render(request, "cards/blocks/list.html", context)


def _int(value, default: int | None) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


@login_required
@require_http_methods(["GET", "POST"])
def block_new(request):
    """The block form; it says how many questions each pool has for the chosen course and topics."""
    data = request.POST if request.method == "POST" else request.GET
    courses = list(Course.objects.filter(enrollments__user=request.user).order_by("title"))
    course_id = parse_id(data.get("course")) or (courses[0].pk if courses else None)
    course = next((c for c in courses if c.pk == course_id), None)
    if data.get("course") and course is None:
        raise Http404("No such course among yours.")
    topic_ids = [t for t in (parse_id(v) for v in data.getlist("topics")) if t is not None]
    now = timezone.now()
    error = ""
    if request.method == "POST" and course is not None:
        try:
            block = block_services.block_create(
                user=request.user,
                course_id=course.pk,
                topic_ids=topic_ids,
                pool=data.get("pool", Block.Pool.ALL),
                size=_int(data.get("size"), 0),
                mode=data.get("mode", Block.Mode.TUTOR),
                seconds_per_question=_int(data.get("seconds_per_question"), None),
                now=now,
            )
        except NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            error = exc.message
        else:
            return redirect("cards:block", block_id=block.pk)
    sizes = {}
    if course is not None:
        day_end = day_end_for(now, user_timezone(request.user))
        sizes = pool_sizes(user=request.user, course_id=course.pk, topic_ids=topic_ids, now=now, day_end=day_end)
    context = {
        "courses": courses,
        "course": course,
        "topics": Topic.objects.filter(questions__deck__courses=course).distinct().order_by("name") if course else [],
        "chosen_topics": set(topic_ids),
        "pools": [(value, label, sizes.get(value, 0)) for value, label in Block.Pool.choices],
        "pool": data.get("pool", Block.Pool.ALL),
        "size": data.get("size", "20"),
        "mode": data.get("mode", Block.Mode.TUTOR),
        "seconds": data.get("seconds_per_question", str(block_services.DEFAULT_SECONDS)),
        "modes": Block.Mode.choices,
        "error": error,
    }
    return render(request, "cards/blocks/new.html", context, status=400 if error else 200)


@login_required
@require_GET
def block_page(request, block_id: int):
    block = _own_block(request, block_id)
    if block.is_submitted:
        return redirect("cards:block_result", block_id=block.pk)
    step = block_step(block, _int(request.GET.get("n"), None))
    if step is None:
        raise Http404("This block has no question left.")
    item = step.item
    question = item.question
    remaining = None
    if block.deadline:
        remaining = max(0, int((block.deadline - timezone.now()).total_seconds()))
    context = {
        "block": block,
        "step": step,
        "item": item,
        "answered": sum(step.answered),
        "front": grading.cloze_front(question.prompt, item.card.cloze) if question.kind == "cloze" else question.prompt,
        "remaining_seconds": remaining,
        "back": f"{reverse('cards:block', args=[block.pk])}?n={item.number}",
        # read only once the question's feedback shows: the question itself costs no more
        "shares": item_shares([item]) if item.revealed else None,
    }
    return render(request, "cards/blocks/block.html", context)


@login_required
@require_POST
def block_answer(request, block_id: int):
    # The service reads the block (someone else's is not found: 404) and locks it once.
    card_id = parse_id(request.POST.get("card"))
    number = _int(request.POST.get("n"), 1)
    if card_id is None:
        raise Http404("No such question in this block.")
    try:
        saved = block_services.block_answer(
            user=request.user,
            block_id=block_id,
            card_id=card_id,
            answer=answer_from_post(request.POST.get("kind", ""), request.POST),
            now=timezone.now(),
            response_ms=_response_ms(request.POST.get("response_ms")),
        )
    except NotFound as exc:
        raise Http404(exc.message) from exc
    except DomainError as exc:
        messages.error(request, exc.message)
        if exc.code == "time_up":
            return redirect("cards:block_result", block_id=block_id)
        return redirect(f"{reverse('cards:block', args=[block_id])}?n={number}")
    block = saved.block
    # Tutor: the same question again, now with its feedback; timed: straight on.
    if block.mode == Block.Mode.TUTOR:
        return redirect(f"{reverse('cards:block', args=[block.pk])}?n={number}")
    following = number + 1 if number < block.size else number
    return redirect(f"{reverse('cards:block', args=[block.pk])}?n={following}")


@login_required
@require_POST
def block_submit(request, block_id: int):
    block = _own_block(request, block_id)
    try:
        block_services.block_submit(user=request.user, block_id=block.pk, now=timezone.now())
    except DomainError as exc:
        messages.warning(request, exc.message)
    return redirect("cards:block_result", block_id=block.pk)


@login_required
@require_GET
def block_result_page(request, block_id: int):
    block = _own_block(request, block_id)
    if not block.is_submitted:
        return redirect("cards:block", block_id=block.pk)
    items = block_items(block)
    shares = item_shares(items)
    context = {
        "block": block,
        "items": items,
        "result": block_result(block, items),
        "shares": shares,
        "percentile": block_percentile(items, shares),
    }
    return render(request, "cards/blocks/result.html", context)


@login_required
@require_GET
def question_class(request, question_id: int):
    """How the class answered a question (for the study feedback, loaded by htmx so that the
    answer itself reads nothing more): from the course's class snapshot, after answering."""
    try:
        question = get_question_for_report(user=request.user, question_id=question_id)
    except NotFound as exc:
        raise Http404(exc.message) from exc
    course_id = parse_id(request.GET.get("course"))
    if course_id is None or not Course.objects.filter(pk=course_id, enrollments__user=request.user).exists():
        raise Http404("No such course among yours.")
    item = {"question": question, "choices": list(question.choices.order_by("order", "id"))}
    return render(
        request, "cards/blocks/class_fragment.html", {"item": item, "shares": class_shares(course_id, [question.pk])}
    )
