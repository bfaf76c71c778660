"""The review log records the fitted parameters that scheduled each review (ReviewLog.
parameter_set, in the answer's own INSERT), and `verify_reviews` replays each review with
them: reviews scheduled with fitted parameters, and cards whose memory state a refit
recomputed, are no longer reported as mismatches."""

import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from cards.core.fitting import DEFAULT_PARAMETERS
from cards.models import Card, Enrollment, ParameterSet, ReviewLog, SchedulerParameters
from cards.services import scheduler_params
from cards.services.courses import enroll_student
from cards.services.study import answer_card, rerate_review
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

T0 = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def weights(good_stability: float) -> list[float]:
    values = list(DEFAULT_PARAMETERS)
    values[2] = good_stability  # a new card's stability after its first Good
    return values


def fit(course, parameters, *, enrollment=None) -> SchedulerParameters:
    """A fit stored as the refit service stores it (cards.services.scheduler_params._store):
    its weights, and a ParameterSet of them for the log to point at."""
    row = SchedulerParameters.objects.filter(course=course, enrollment=enrollment).first()
    row = row or SchedulerParameters(course=course, enrollment=enrollment, source="course", n_reviews=100)
    row.parameters = parameters
    row.parameter_set = ParameterSet.objects.create(parameters=parameters, created_at=timezone.now())
    row.fitted_at = row.checked_at = timezone.now()
    row.save()
    return row


@pytest.fixture
def course(db):
    deck = DeckFactory(slug="params", title="Params")
    for i in range(3):
        make_question(deck, "flashcard", prompt=f"Front {i}", back=f"Back {i}")
    make_question(deck, "single")
    course = CourseFactory(title="Params course")
    course.decks.add(deck)
    return course


@pytest.fixture
def learner(course):
    user = UserFactory(username="paula")
    enroll_student(user=user, course=course)
    return user


def good(user, card, now):
    return answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)


def verify(**kwargs) -> str:
    out = StringIO()
    call_command("verify_reviews", stdout=out, **kwargs)
    return out.getvalue()


def test_each_review_records_its_parameters_and_verify_replays_with_them_across_a_refit(learner, course):
    a, b, c = Card.objects.filter(user=learner, question__kind="flashcard").order_by("pk")
    good(learner, a, T0)  # FSRS's defaults: nothing recorded
    first = fit(course, weights(7.0))
    b_log = good(learner, b, T0 + timedelta(minutes=1)).log
    assert b_log.parameter_set_id == first.parameter_set_id
    assert ReviewLog.objects.get(card=a).parameter_set_id is None
    assert Card.objects.get(pk=b.pk).stability == pytest.approx(7.0)
    assert "0 mismatches" in verify(username="paula")

    # A refit: new weights in a new set, memory states recomputed from the log, due dates kept.
    second = fit(course, weights(11.0))
    assert second.parameter_set_id != first.parameter_set_id
    assert scheduler_params.restate_student(course=course, user_id=learner.pk, parameters=weights(11.0)) == 2
    assert Card.objects.get(pk=b.pk).stability == pytest.approx(11.0)
    assert "0 mismatches" in verify(username="paula")  # restated cards explained by the parameters now

    # The next review starts from the recomputed state, scheduled by the new set.
    b = Card.objects.get(pk=b.pk)
    later = good(learner, b, b.due)
    assert later.log.parameter_set_id == second.parameter_set_id
    good(learner, c, b.due)
    assert "checked 4 cards, 0 mismatches" in verify(username="paula")
    # a per-card check too (the command's --card)
    assert "checked 1 cards, 0 mismatches" in verify(card_id=b.pk)


def test_verify_still_catches_a_review_its_recorded_parameters_do_not_explain(learner, course):
    card = Card.objects.filter(user=learner, question__kind="flashcard").order_by("pk").first()
    used = fit(course, weights(7.0))
    good(learner, card, T0)
    # The set that scheduled the review says other weights: the replay no longer explains it.
    ParameterSet.objects.filter(pk=used.parameter_set_id).update(parameters=weights(3.0))
    out = StringIO()
    with pytest.raises(CommandError, match="do not match"):
        call_command("verify_reviews", username="paula", stdout=out)
    assert "stability" in out.getvalue() and f"card {card.pk}" in out.getvalue()


def test_the_own_fit_is_recorded_and_a_rerating_records_it_too(learner, course):
    enrollment = Enrollment.objects.get(user=learner, course=course)
    fit(course, weights(7.0))
    own = fit(course, weights(9.0), enrollment=enrollment)
    card = Card.objects.get(user=learner, question__kind="single")
    right = answer_card(user=learner, card_id=card.pk, answer={"choice": card.question.choices.get(correct=True).pk},
                        review_id=uuid.uuid4(), now=T0)  # fmt: skip
    assert right.log.parameter_set_id == own.parameter_set_id
    again = rerate_review(user=learner, review_id=right.log.review_id, rating=4, new_review_id=uuid.uuid4(), now=T0)
    assert again.log.parameter_set_id == own.parameter_set_id
    assert "0 mismatches" in verify(card_id=card.pk)


def test_the_refit_service_gives_each_new_fit_its_own_set(learner, course):
    row = scheduler_params._store(None, course_id=course.pk, enrollment_id=None, fit=None, now=T0)
    assert row.parameter_set.parameters == list(DEFAULT_PARAMETERS)
    kept = row.parameter_set_id
    row = scheduler_params._store(row, course_id=course.pk, enrollment_id=None, fit=None, now=T0)  # only checked
    assert row.parameter_set_id == kept
