"""Custom blocks: each pool's filter, the modes, leaving and resuming, the deadline kept on
the server, and the review of the card that each first answer is."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from cards.errors import AnswerRejected, InvalidInput, NotFound
from cards.models import Block, BlockAnswer, Card, ReviewLog
from cards.selectors.blocks import block_as_of, block_items, pool_sizes
from cards.services.blocks import block_answer, block_create, block_submit, close_expired_blocks
from cards.services.courses import ensure_cards_for_course
from cards.services.notes import note_save
from cards.services.study import answer_card
from tests.factories import PassageFactory, make_question

pytestmark = pytest.mark.django_db
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
DAY_END = T0 + timedelta(hours=16)


def _card(student, kind, cloze=0):
    return Card.objects.get(user=student, question__kind=kind, cloze=cloze)


def _right(card):
    if card.question.kind == "single":
        return {"choice": card.question.choices.get(correct=True).pk}
    return {"text": "GABA-B"}


def _wrong(card):
    return {"choice": card.question.choices.exclude(correct=True).first().pk}


def _some_answer(card):
    kind = card.question.kind
    if kind in ("single", "truefalse"):
        return {"choice": card.question.choices.first().pk}
    if kind == "multiple":
        return {"choices": [card.question.choices.first().pk]}
    return {"text": "GABA-B"}


def _study(student, card, answer, now):
    return answer_card(user=student, card_id=card.pk, answer=answer, review_id=uuid.uuid4(), now=now)


def _sizes(student, course, now=T0, day_end=DAY_END, **kwargs):
    return pool_sizes(user=student, course_id=course.pk, now=now, day_end=day_end, **kwargs)


def test_a_new_student_has_every_auto_graded_card_unused(student, course):
    sizes = _sizes(student, course)
    # single, multiple, true/false, short and the cloze's two deletions; never the flashcard
    assert sizes["all"] == 6 and sizes["unused"] == 6
    assert sizes["incorrect"] == sizes["flagged"] == sizes["low_recall"] == sizes["due"] == 0


def test_unused_and_incorrect_follow_the_last_answer(student, course):
    card = _card(student, "single")
    _study(student, card, _wrong(card), T0)
    sizes = _sizes(student, course)
    assert sizes["unused"] == 5 and sizes["incorrect"] == 1
    with time_machine.travel(T0 + timedelta(days=1), tick=False):
        _study(student, Card.objects.get(pk=card.pk), _right(card), T0 + timedelta(days=1))
    assert _sizes(student, course, now=T0 + timedelta(days=1))["incorrect"] == 0


def test_flagged_pool_is_the_students_own_flags(student, other_student, course):
    question = _card(student, "short").question
    note_save(user=student, question_id=question.pk, flagged=True, now=T0)
    assert _sizes(student, course)["flagged"] == 1
    assert _sizes(other_student, course)["flagged"] == 0


def test_low_recall_is_predicted_recall_now_below_80_percent(student, course):
    card = _card(student, "single")
    _study(student, card, _right(card), T0)
    with time_machine.travel(T0 + timedelta(minutes=5), tick=False):
        assert _sizes(student, course, now=datetime.now(UTC))["low_recall"] == 0
    with time_machine.travel(T0 + timedelta(days=60), tick=False):
        later = datetime.now(UTC)
        assert _sizes(student, course, now=later, day_end=later + timedelta(hours=1))["low_recall"] == 1


def test_due_pool_is_what_study_would_show_now(student, course):
    card = _card(student, "single")
    _study(student, card, _wrong(card), T0)  # a relearning step, back in minutes
    assert _sizes(student, course)["due"] == 0
    assert _sizes(student, course, now=T0 + timedelta(hours=1))["due"] == 1


def test_topics_narrow_every_pool(student, course):
    single = _card(student, "single").question
    assert _sizes(student, course, topic_ids=[single.topic_id])["all"] == 6  # one topic in the fixture
    other = make_question(course.decks.first(), "single", topic__slug="kinetics")
    ensure_cards_for_course(course=course)
    assert _sizes(student, course, topic_ids=[other.topic_id])["all"] == 1


def test_block_draws_from_the_pool_and_fixes_its_order(student, course):
    # 5 of the 6 cards: at least one has shuffled choices (single or multiple) whichever the
    # seed draws, as the card ids (in the order enrolment made them) say no kind
    block = block_create(user=student, course_id=course.pk, pool="all", size=5, now=T0, seed=1)
    assert len(block.card_ids) == 5 and len(set(block.card_ids)) == 5
    again = Block.objects.get(pk=block.pk)
    assert [i.card.pk for i in block_items(again)] == block.card_ids
    single = next(i for i in block_items(again) if i.question.kind in ("single", "multiple"))
    assert [c.pk for c in single.choices] == block.choice_orders[str(single.question.pk)]


def test_block_size_is_capped_by_the_pool_and_an_empty_pool_is_refused(student, course):
    block = block_create(user=student, course_id=course.pk, pool="all", size=100, now=T0)
    assert block.size == 6
    with pytest.raises(InvalidInput) as exc:
        block_create(user=student, course_id=course.pk, pool="flagged", size=5, now=T0)
    assert exc.value.code == "empty_pool"
    with pytest.raises(InvalidInput) as exc:
        block_create(user=student, course_id=course.pk, pool="all", size=101, now=T0)
    assert exc.value.field == "size"


def test_a_course_not_joined_is_404(other_instructor, course):
    with pytest.raises(NotFound):
        block_create(user=other_instructor, course_id=course.pk, now=T0)


def test_tutor_mode_shows_the_key_after_each_answer_and_refuses_a_second(student, course):
    block = block_create(user=student, course_id=course.pk, pool="all", size=6, now=T0, seed=2)
    card = next(c for c in Card.objects.filter(pk__in=block.card_ids) if c.question.kind == "single")
    assert not any(i.revealed for i in block_items(block))
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=_wrong(card), now=T0)
    item = next(i for i in block_items(block) if i.card.pk == card.pk)
    assert item.revealed and item.correct_answer == "GABA-B" and not item.answer.correct
    with pytest.raises(AnswerRejected) as exc:
        block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=_right(card), now=T0)
    assert exc.value.code == "already_answered"


def test_timed_mode_hides_the_key_until_the_end_and_lets_an_answer_change(student, course):
    block = block_create(user=student, course_id=course.pk, pool="all", size=3, mode="timed", now=T0, seed=3)
    assert block.deadline == T0 + timedelta(seconds=3 * 90)
    card = Card.objects.get(pk=block.card_ids[0])
    answer = _some_answer(card)
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=answer, now=T0)
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=answer, now=T0 + timedelta(seconds=5))
    assert not any(i.revealed for i in block_items(block))
    block_submit(user=student, block_id=block.pk, now=T0 + timedelta(seconds=30))
    block.refresh_from_db()
    assert block.is_submitted and all(i.revealed for i in block_items(block))


def test_per_block_seconds_override_the_default(student, course):
    block = block_create(user=student, course_id=course.pk, size=2, mode="timed", seconds_per_question=30, now=T0)
    assert block.deadline == T0 + timedelta(seconds=60)
    with pytest.raises(InvalidInput):
        block_create(user=student, course_id=course.pk, size=2, mode="timed", seconds_per_question=5, now=T0)


def test_the_deadline_is_kept_on_the_server(student, course):
    block = block_create(user=student, course_id=course.pk, size=2, mode="timed", seconds_per_question=10, now=T0)
    late = T0 + timedelta(seconds=21)
    assert block_as_of(block, now=late).is_submitted and not Block.objects.get(pk=block.pk).is_submitted
    card = Card.objects.get(pk=block.card_ids[0])
    with pytest.raises(AnswerRejected) as exc:
        block_answer(user=student, block_id=block.pk, card_id=card.pk, answer={"text": "x"}, now=late)
    assert exc.value.code == "time_up"
    block.refresh_from_db()
    assert block.is_submitted and block.auto_submitted and block.submitted_at == block.deadline


def test_expired_blocks_are_closed_by_the_periodic_job(student, course):
    block = block_create(user=student, course_id=course.pk, size=2, mode="timed", seconds_per_question=10, now=T0)
    assert close_expired_blocks(now=T0 + timedelta(minutes=5)) == 1
    block.refresh_from_db()
    assert block.is_submitted


def test_a_block_is_resumed_where_it_was_left(student, course):
    block = block_create(user=student, course_id=course.pk, size=4, now=T0, seed=5)
    first = Card.objects.get(pk=block.card_ids[0])
    block_answer(user=student, block_id=block.pk, card_id=first.pk, answer=_some_answer(first), now=T0)
    items = block_items(Block.objects.get(pk=block.pk))
    assert [i.answer is not None for i in items] == [True, False, False, False]


def test_the_block_page_shows_the_first_question_left_and_the_row_of_numbers(student, student_client, course):
    block = block_create(user=student, course_id=course.pk, size=4, now=T0, seed=5)
    first = Card.objects.get(pk=block.card_ids[0])
    block_answer(user=student, block_id=block.pk, card_id=first.pk, answer=_some_answer(first), now=T0)
    page = student_client.get(f"/blocks/{block.pk}/").content.decode()
    assert "Question 2 of 4" in page and "1 of 4 answered" in page
    assert page.count("(answered)") == 1 and page.count("(not answered)") == 3
    asked = student_client.get(f"/blocks/{block.pk}/?n=1").content.decode()
    assert "Question 1 of 4" in asked and 'data-mode="feedback"' in asked  # tutor: answered, so its feedback


def test_a_question_deleted_after_the_draw_leaves_the_rest_of_the_block(student, student_client, course):
    block = block_create(user=student, course_id=course.pk, size=4, now=T0, seed=5)
    gone = Card.objects.get(pk=block.card_ids[0])
    gone.question.delete()
    page = student_client.get(f"/blocks/{block.pk}/").content.decode()
    assert "Question 2 of 4" in page and f'value="{block.card_ids[1]}"' in page
    # its number points at the first question left rather than at nothing
    assert "Question 2 of 4" in student_client.get(f"/blocks/{block.pk}/?n=1").content.decode()


def test_every_first_answer_is_one_review_of_the_card(student, course):
    block = block_create(user=student, course_id=course.pk, size=6, mode="timed", now=T0, seed=6)
    card = next(c for c in Card.objects.filter(pk__in=block.card_ids) if c.question.kind == "single")
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=_wrong(card), now=T0)
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=_right(card), now=T0)
    logs = ReviewLog.objects.filter(card=card)
    assert logs.count() == 1 and logs.get().correct is False  # the first answer, not the change
    card.refresh_from_db()
    assert card.reps == 1 and card.last_review == T0
    assert BlockAnswer.objects.get(card=card).correct is True


def test_siblings_are_spread_apart_in_a_block(student, course):
    deck = course.decks.first()
    passage = PassageFactory()
    for _ in range(3):
        make_question(deck, "short", passage=passage)
    ensure_cards_for_course(course=course)
    block = block_create(user=student, course_id=course.pk, size=9, now=T0, seed=7)
    passages = [i.question.passage_id for i in block_items(block)]
    assert passages.count(passage.pk) == 3
    assert all(not (a == b == passage.pk) for a, b in zip(passages, passages[1:], strict=False))


def test_the_history_reads_a_timed_out_block_as_submitted_without_writing(student, student_client, course):
    from django.urls import reverse
    from django.utils import timezone

    block = block_create(
        user=student,
        course_id=course.pk,
        size=1,
        mode="timed",
        seconds_per_question=10,
        now=timezone.now() - timedelta(minutes=5),
    )
    html = student_client.get(reverse("cards:block_list")).content.decode()
    assert "Carry on" not in html and "(time up)" in html
    assert not Block.objects.get(pk=block.pk).is_submitted  # a GET never writes


def test_a_block_answer_records_the_fitted_parameters_that_scheduled_it(student, course):
    """A block's first answer is a review like any other: the log points at the course's
    fitted ParameterSet, so verify_reviews replays it with those weights."""
    from django.utils import timezone

    from cards.core.fitting import DEFAULT_PARAMETERS
    from cards.models import ParameterSet, SchedulerParameters

    weights = list(DEFAULT_PARAMETERS)
    weights[2] = 9.0
    used = ParameterSet.objects.create(parameters=weights, created_at=timezone.now())
    SchedulerParameters.objects.create(
        course=course, source="course", n_reviews=100, parameters=weights, parameter_set=used,
        fitted_at=timezone.now(), checked_at=timezone.now(),
    )  # fmt: skip
    block = block_create(user=student, course_id=course.pk, size=6, mode="tutor", now=T0, seed=6)
    card = next(c for c in Card.objects.filter(pk__in=block.card_ids) if c.question.kind == "single")
    block_answer(user=student, block_id=block.pk, card_id=card.pk, answer=_right(card), now=T0)
    assert ReviewLog.objects.get(card=card).parameter_set_id == used.pk
