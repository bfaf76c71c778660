"""Fitted scheduler parameters in the product (cards.services.scheduler_params): kept per
course and per enrolment, replaced only by a fit that predicts held-out reviews better, used
by the answer (in its one read) and the rating buttons, refitted after enough reviews and by
`refit_scheduler`; memory states recomputed from the log with due dates kept; a student sees
which parameters schedule them and can go back to the course's."""

import random
import re
import uuid
from datetime import UTC, datetime, timedelta
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from cards.core import fitting
from cards.core.fitting import DEFAULT_PARAMETERS, Fit
from cards.models import Card, Enrollment, SchedulerParameters
from cards.services import scheduler_params, tasks
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.conftest import api_for
from tests.factories import CourseFactory, DeckFactory, ReviewLogFactory, UserFactory, make_question
from tests.integration.test_query_counts import planned_once

T0 = datetime(2026, 1, 5, 15, 0, tzinfo=UTC)


def weights(good_stability: float) -> list[float]:
    """The defaults with another initial stability after Good (w[2]): what a new card's first
    Good leaves as its stability, so a test can tell which parameters scheduled it."""
    values = list(DEFAULT_PARAMETERS)
    values[2] = good_stability
    return values


def set_fit(course, parameters, *, enrollment=None, n=100, log_loss=0.4):
    return SchedulerParameters.objects.create(
        course=course,
        enrollment=enrollment,
        parameters=parameters,
        source="student+course" if enrollment else "course",
        fitted_at=timezone.now(),
        checked_at=timezone.now(),
        n_reviews=n,
        log_loss=log_loss,
        rmse_bins=0.05,
    )


@pytest.fixture
def flash_course(db):
    deck = DeckFactory(slug="flash", title="Flash")
    for i in range(4):
        make_question(deck, "flashcard", prompt=f"Front {i}", back=f"Back {i}")
    course = CourseFactory(title="Flash course")
    course.decks.add(deck)
    return course


@pytest.fixture
def learner(flash_course):
    user = UserFactory(username="learner")
    enroll_student(user=user, course=flash_course)
    return user


def good(user, card, now=None):
    return answer_card(
        user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now or timezone.now()
    ).card


def test_the_answer_schedules_with_the_own_fit_else_the_course_fit_and_a_reset_goes_back(learner, flash_course):
    a, b, c, d = Card.objects.filter(user=learner).order_by("pk")
    assert good(learner, a).stability == pytest.approx(DEFAULT_PARAMETERS[2])  # nothing fitted: the defaults
    set_fit(flash_course, weights(7.0))
    assert good(learner, b).stability == pytest.approx(7.0)
    enrollment = Enrollment.objects.get(user=learner, course=flash_course)
    set_fit(flash_course, weights(11.0), enrollment=enrollment)
    c = good(learner, c)
    assert c.stability == pytest.approx(11.0)
    due_before = c.due
    scheduler_params.use_own_parameters(user=learner, course_id=flash_course.pk, own=False)
    c.refresh_from_db()
    assert c.stability == pytest.approx(7.0)  # recomputed from the log with the course's
    assert c.due == due_before  # due dates stay
    a.refresh_from_db()
    assert a.stability == pytest.approx(7.0)  # every reviewed card, not only those answered since
    assert good(learner, d).stability == pytest.approx(7.0)


def test_the_answer_read_stays_one_statement_with_fits_stored(learner, flash_course, django_assert_num_queries):
    enrollment = Enrollment.objects.get(user=learner, course=flash_course)
    set_fit(flash_course, weights(7.0))
    set_fit(flash_course, weights(11.0), enrollment=enrollment)
    card = Card.objects.filter(user=learner).first()
    learner = type(learner).objects.select_related("profile").get(pk=learner.pk)
    # savepoint, the answer's read, the log's insert, the card's update, release: as without fits
    # (on PostgreSQL also the answer's SET LOCAL of its generic plan, as test_query_counts says)
    with django_assert_num_queries(5 + planned_once("answer")):
        answer_card(user=learner, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=timezone.now())


def test_the_rating_buttons_show_intervals_of_the_fitted_parameters(client, learner, flash_course):
    card = Card.objects.filter(user=learner).order_by("pk").first()
    Card.objects.filter(pk=card.pk).update(
        state=Card.State.REVIEW, step=None, stability=3.0, difficulty=5.0, last_review=T0, due=T0, reps=3
    )
    client.force_login(learner)
    url = reverse("cards:study_reveal", args=[flash_course.pk, card.deck_id, card.pk])
    default_html = client.get(url).content.decode()
    fast = list(DEFAULT_PARAMETERS)
    fast[8] = 0.001  # almost no stability growth on a successful review (w[8], fsrs's bounds)
    set_fit(flash_course, fast)
    fitted_html = client.get(url).content.decode()
    assert default_html != fitted_html  # the same card, other intervals


def history(course, users, *, seed=1, days=(0, 1, 3, 8, 20, 45)):
    """Reviews of every card of each student on these days (ratings drawn, mostly Good)."""
    rng = random.Random(seed)
    for user in users:
        for card in Card.objects.filter(user=user, course=course):
            for i, day in enumerate(days):
                at = T0 + timedelta(days=day, minutes=card.pk)
                rating = 1 if rng.random() < 0.2 else rng.choice([2, 3, 3, 3, 4])
                ReviewLogFactory(card=card, rating=rating, reviewed_at=at, was_new=i == 0)
            Card.objects.filter(pk=card.pk).update(
                state=Card.State.REVIEW, stability=1.0, difficulty=5.0, last_review=at, due=at + timedelta(days=9)
            )


@pytest.fixture
def cohort(flash_course, learner):
    users = [learner] + [UserFactory(username=f"c{i}") for i in range(3)]
    for user in users[1:]:
        enroll_student(user=user, course=flash_course)
    history(flash_course, users)
    return users


def test_a_new_fit_replaces_the_course_parameters_only_when_it_predicts_held_out_reviews_better(
    flash_course, cohort, monkeypatch
):
    fits = iter(
        [Fit(tuple(weights(6.0)), 90, "course", 0.0, 0.01, 0.0), Fit(tuple(weights(9.0)), 95, "course", 50.0, 1, 1e9)]
    )
    monkeypatch.setattr(scheduler_params.fitting, "fit_course", lambda reviews: next(fits))
    monkeypatch.setattr(scheduler_params.fitting, "fit_student", lambda reviews, center, **kw: center)
    now = timezone.now()
    result = scheduler_params.refit_course(course_id=flash_course.pk, now=now)
    row = SchedulerParameters.objects.get(course=flash_course, enrollment=None)
    assert result["course_fit"] == "replaced" and row.parameters[2] == 6.0 and row.n_reviews == 90
    assert result["cards_restated"] > 0  # every student's memory states, from the log
    card = Card.objects.filter(user=cohort[0]).first()
    due = card.due
    later = now + timedelta(hours=1)
    result = scheduler_params.refit_course(course_id=flash_course.pk, now=later)
    row.refresh_from_db()
    assert result["course_fit"] == "kept" and row.parameters[2] == 6.0  # the worse fit is not kept
    assert row.checked_at == later and row.fitted_at == now  # but the check counts
    card.refresh_from_db()
    assert card.due == due


def test_a_student_whose_reviews_the_defaults_predict_best_is_scheduled_with_them(
    flash_course, cohort, monkeypatch, client
):
    # The class's fit lets stability hardly grow after a recall (w8 at its bound). It is kept
    # for the class (its stated held-out loss wins over the defaults), each student's own fit
    # is worse than both, and each student keeps whichever of the class's fit and FSRS's
    # defaults predicts their own latest days (20% forgotten, drawn) better.
    slow = list(DEFAULT_PARAMETERS)
    slow[8] = 0.001
    monkeypatch.setattr(
        scheduler_params.fitting, "fit_course", lambda reviews: Fit(tuple(slow), 90, "course", 0.0, 0.01, 0.0)
    )
    monkeypatch.setattr(
        scheduler_params.fitting,
        "fit_student",
        lambda reviews, center, **kw: Fit(tuple(weights(9.0)), 20, "student+course", 99.0, 0.5, 1e9),
    )
    result = scheduler_params.refit_course(course_id=flash_course.pk, now=timezone.now())
    assert result["course_fit"] == "replaced"
    assert SchedulerParameters.objects.get(course=flash_course, enrollment=None).parameters == slow
    reviews = scheduler_params.reads.course_reviews(flash_course.pk)
    on_defaults = set()
    for user in cohort:
        folds = fitting.rolling_folds(fitting.items_for(reviews[user.pk]))
        later = folds[0][1]

        def evidence(parameters, folds=folds):
            return sum(fitting.data_loss(parameters, [i.item for i in fold_later]) for _e, fold_later in folds)

        defaults_better = evidence(DEFAULT_PARAMETERS) < evidence(slow)
        row = SchedulerParameters.objects.filter(course=flash_course, enrollment__user=user).first()
        if defaults_better:
            on_defaults.add(user)
            assert (row.parameters, row.source, row.n_reviews) == (list(DEFAULT_PARAMETERS), "default", 20)
            assert row.log_loss == pytest.approx(fitting.measure(DEFAULT_PARAMETERS, later)[0])
        else:
            assert row is None  # the class's fit stays theirs
    assert 0 < len(on_defaults) < len(cohort) and result["students_replaced"] == len(on_defaults)
    student = next(iter(on_defaults))
    in_use = scheduler_params.reads.effective_parameters(course_id=flash_course.pk)
    assert {u: in_use[u.pk] for u in cohort} == {
        u: None if u in on_defaults else tuple(slow) for u in cohort
    }  # None: the defaults
    client.force_login(student)
    html = client.get(reverse("cards:preferences")).content.decode()
    assert "default parameters: at the refit of" in html and "Use the course" in html
    state = scheduler_params.reads.course_scheduling(flash_course.pk)
    assert (state.own, state.defaults, state.students) == (0, len(on_defaults), 4)


def test_a_real_refit_through_the_task(flash_course, cohort):
    result = tasks.fit_course_parameters.enqueue(course_id=flash_course.pk)
    assert result.status == "SUCCESSFUL", result.errors
    value = result.return_value
    assert value["course_reviews"] > 0 and value["course_fit"] in {"replaced", "kept"}
    row = SchedulerParameters.objects.get(course=flash_course, enrollment=None)
    assert len(row.parameters) == len(DEFAULT_PARAMETERS)
    for own in SchedulerParameters.objects.filter(course=flash_course, enrollment__isnull=False):
        assert own.n_reviews > 0 and own.log_loss is not None  # kept only when measured better


def test_the_refit_command_enqueues_or_fits_each_course(flash_course, cohort):
    out = StringIO()
    call_command("refit_scheduler", stdout=out)
    assert "SUCCESSFUL" in out.getvalue() and "enqueued 1 course(s)" in out.getvalue()
    out = StringIO()
    call_command("refit_scheduler", "--now", "--course", str(flash_course.pk), stdout=out)
    assert f"'course_id': {flash_course.pk}" in out.getvalue() and "refitted 1 course(s)" in out.getvalue()


def test_answers_enqueue_a_refit_every_refit_every_reviews(
    learner, flash_course, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr("cards.db.answer.REFIT_EVERY", 3)
    monkeypatch.setattr("cards.services.study.REFIT_EVERY", 3)
    cards = list(Card.objects.filter(user=learner).order_by("pk"))
    for card in cards[:2]:
        with django_capture_on_commit_callbacks(execute=True) as callbacks:
            good(learner, card)
        assert not callbacks
    assert not SchedulerParameters.objects.exists()
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        good(learner, cards[2])
    assert len(callbacks) == 1
    row = SchedulerParameters.objects.get(course=flash_course, enrollment=None)  # the refit ran, and counts
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        good(learner, cards[3])
    assert not callbacks  # counted again from the refit
    assert row.checked_at <= timezone.now()


def test_the_preferences_page_says_what_schedules_the_student_and_resets_to_the_course(client, learner, flash_course):
    client.force_login(learner)
    page = reverse("cards:preferences")
    html = client.get(page).content.decode()
    assert "FSRS's default parameters (nothing fitted yet)" in html
    tried = set_fit(flash_course, list(DEFAULT_PARAMETERS))
    SchedulerParameters.objects.filter(pk=tried.pk).update(source="default")  # a refit that beat nothing
    assert "no fit to the course's reviews predicts them better yet" in client.get(page).content.decode()
    tried.delete()
    set_fit(flash_course, weights(7.0), n=321)
    html = client.get(page).content.decode()
    assert "The course's parameters" in html and "321 reviews" in html
    enrollment = Enrollment.objects.get(user=learner, course=flash_course)
    set_fit(flash_course, weights(11.0), enrollment=enrollment, n=123)
    html = client.get(page).content.decode()
    assert "Your own parameters" in html and "123 of your reviews" in html and "Use the course" in html
    url = reverse("cards:scheduler_parameters", args=[flash_course.pk])
    html = client.post(url, {"own": "0"}, follow=True).content.decode()
    assert "scheduled with the course" in html and "Use my own parameters" in html
    assert not Enrollment.objects.get(pk=enrollment.pk).own_parameters
    html = client.post(url, {"own": "maybe"}, follow=True).content.decode()
    assert "Choose your own parameters (own=1) or the course" in html
    client.post(url, {"own": "1"})
    assert Enrollment.objects.get(pk=enrollment.pk).own_parameters


def test_the_instructor_sees_how_the_class_is_scheduled_and_can_refit_now(flash_course, cohort, instructor, client):
    flash_course.instructors.add(instructor)
    client.force_login(instructor)
    page = reverse("cards:course_detail", args=[flash_course.pk])
    before = client.get(page).content.decode()
    assert "How the class is scheduled" in before
    assert "nothing has been fitted yet" in before
    assert "Students scheduled with a fit of their own: 0 of 4" in before
    # Refit now: a POST (the immediate backend in tests runs the task before the redirect).
    response = client.post(reverse("cards:course_refit", args=[flash_course.pk]), follow=True)
    assert response.redirect_chain[-1][0].endswith(f"{page}#scheduling")
    shown = response.content.decode()
    assert re.search(r"Refitted: (a new fit|the class&#39;s parameters are unchanged)", shown)
    row = SchedulerParameters.objects.get(course=flash_course, enrollment=None)
    assert row.student_spread in fitting.WIDENINGS
    assert "nothing has been fitted yet" not in shown
    assert f"Their own fits may move {row.student_spread:.2f} of the spread between people" in shown
    rows = SchedulerParameters.objects.filter(course=flash_course, enrollment__own_parameters=True)
    own, defaults = rows.exclude(source="default").count(), rows.filter(source="default").count()
    assert f"Students scheduled with a fit of their own: {own} of 4; with FSRS's defaults: {defaults}" in shown
    # A GET does not refit.
    assert client.get(reverse("cards:course_refit", args=[flash_course.pk])).status_code == 405


def test_the_api_reads_how_the_class_is_scheduled_and_refits_it(flash_course, cohort, instructor, other_instructor):
    flash_course.instructors.add(instructor)
    url = reverse("api:teach_course_scheduling", args=[flash_course.pk])
    api = api_for(instructor)
    before = api.get(url).json()
    assert before["source"] == "default" and before["parameters"] == list(DEFAULT_PARAMETERS)
    assert (before["students"], before["students_on_own_fit"], before["checked_at"]) == (4, 0, None)
    assert before["students_on_defaults"] == 0
    refit = api.post(url).json()
    assert refit["status"] == "SUCCESSFUL"  # the immediate backend in tests
    assert refit["result"]["course_fit"] in {"replaced", "kept"}
    row = SchedulerParameters.objects.get(course=flash_course, enrollment=None)
    after = refit["scheduling"]
    assert after["student_spread"] == row.student_spread and after["checked_at"] is not None
    rows = SchedulerParameters.objects.filter(course=flash_course, enrollment__own_parameters=True)
    assert after["students_on_own_fit"] == rows.exclude(source="default").count()
    assert after["students_on_defaults"] == rows.filter(source="default").count()
    assert api.get(url).json() == after
    # Another instructor's course is not found; a student may not ask.
    assert api_for(other_instructor).post(url).status_code == 404
    assert api_for(cohort[0]).get(url).status_code == 403
