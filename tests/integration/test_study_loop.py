import re
import uuid
from datetime import UTC, datetime, timedelta

import fsrs
import pytest
import time_machine
from django.urls import reverse

from cards.models import Card, ReviewLog
from cards.services.courses import enroll_student
from tests.answers import card_answer
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def session_url(course, deck):
    return reverse("cards:study_session", args=[course.pk, deck.pk])


def answer_url(course, deck):
    return reverse("cards:study_answer", args=[course.pk, deck.pk])


def shown_card(html: str) -> Card | None:
    match = re.search(r'name="card" value="(\d+)"', html) or re.search(r"/reveal/(\d+)/", html)
    return Card.objects.select_related("question").get(pk=int(match.group(1))) if match else None


correct_answer = card_answer


def post_answer(client, course, deck, card, answer=None, review_id=None, **extra):
    data = {
        "card": card.pk,
        "kind": card.question.kind,
        "review_id": str(review_id or uuid.uuid4()),
        "reps": card.reps,
        **(answer if answer is not None else correct_answer(card)),
        **extra,
    }
    return client.post(answer_url(course, deck), data)


def study_one(client, course, deck):
    """Open the session, answer the shown card correctly; returns the card (before) or None."""
    html = client.get(session_url(course, deck)).content.decode()
    card = shown_card(html)
    if card is None:
        return None
    response = post_answer(client, course, deck, card)
    assert response.status_code == 302, re.findall(r"msg-warning[^<]*<", response.content.decode())
    return card


def test_study_over_simulated_days_follows_fsrs(student, student_client, course, deck):
    """Cards come back exactly when a direct fsrs.Scheduler says they should."""
    scheduler = fsrs.Scheduler(enable_fuzzing=False)
    expected: dict[int, fsrs.Card] = {}
    with time_machine.travel(START, tick=False) as traveller:
        for _day in range(12):
            waited = False
            while True:
                now = datetime.now(UTC)
                card = study_one(student_client, course, deck)
                if card is None:
                    # nothing is shown early: every learning card left is due later than now
                    assert not Card.objects.filter(
                        user=student, last_review__isnull=False, due__lte=now, state__in=[1, 3]
                    ).exists()
                    if waited:
                        break
                    traveller.shift(timedelta(minutes=11))  # today's learning steps come back
                    waited = True
                    continue
                waited = False
                fcard = expected.get(card.pk) or fsrs.Card(card_id=card.pk, due=card.due.astimezone(UTC))
                fcard, _ = scheduler.review_card(fcard, fsrs.Rating.Good, now)
                expected[card.pk] = fcard
                stored = Card.objects.get(pk=card.pk)
                assert stored.due == fcard.due
                assert stored.stability == pytest.approx(fcard.stability)
                assert stored.state == int(fcard.state)
                traveller.shift(timedelta(seconds=30))
            next_day = (datetime.now(UTC) + timedelta(days=1)).date()
            traveller.move_to(datetime.combine(next_day, datetime.min.time(), tzinfo=UTC) + timedelta(hours=15))
    reviewed = Card.objects.filter(user=student, last_review__isnull=False)
    assert reviewed.count() == Card.objects.filter(user=student).count()
    assert reviewed.filter(state=Card.State.REVIEW).count() == reviewed.count()
    assert ReviewLog.objects.filter(user=student).count() >= 3 * reviewed.count()


def test_a_card_is_not_shown_before_fsrs_says(student, student_client, course, deck):
    with time_machine.travel(START, tick=False) as traveller:
        card = study_one(student_client, course, deck)
        stored = Card.objects.get(pk=card.pk)
        assert stored.due == START + timedelta(minutes=10)  # Good on a new card: second step
        # answer everything else of today
        while study_one(student_client, course, deck) not in (None,):
            if datetime.now(UTC) >= stored.due:
                break
        traveller.move_to(stored.due - timedelta(seconds=1))
        html = student_client.get(session_url(course, deck)).content.decode()
        shown = shown_card(html)
        assert shown is None or shown.pk != card.pk
        traveller.move_to(stored.due)
        html = student_client.get(session_url(course, deck)).content.decode()
        assert shown_card(html).pk == card.pk


def test_double_submit_records_one_review(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    review_id = uuid.uuid4()
    first = post_answer(student_client, course, deck, card, review_id=review_id)
    second = post_answer(student_client, course, deck, card, review_id=review_id)
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert ReviewLog.objects.filter(user=student).count() == 1
    assert Card.objects.get(pk=card.pk).reps == 1


def test_second_tab_is_told_and_nothing_changes(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    post_answer(student_client, course, deck, card)
    after_first = Card.objects.get(pk=card.pk)
    response = post_answer(student_client, course, deck, card)  # stale form: reps=0, new review id
    assert response.status_code == 409
    assert "already answered" in response.content.decode()
    assert ReviewLog.objects.filter(user=student).count() == 1
    assert Card.objects.get(pk=card.pk).due == after_first.due


def test_card_not_due_is_refused_with_a_message(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    post_answer(student_client, course, deck, card)
    card.refresh_from_db()
    response = post_answer(student_client, course, deck, card)  # fresh reps, but due in 10 minutes
    assert response.status_code == 409
    assert "not due" in response.content.decode()
    assert ReviewLog.objects.filter(user=student).count() == 1


def test_another_students_card_is_404(student, other_student, other_student_client, course, deck):
    alices = Card.objects.filter(user=student).select_related("question").first()
    response = post_answer(other_student_client, course, deck, alices)
    assert response.status_code == 404
    assert not ReviewLog.objects.exists()


def test_a_course_you_are_not_in_is_404(student_client, deck):
    other = CourseFactory()
    other.decks.add(deck)
    assert student_client.get(session_url(other, deck)).status_code == 404


def test_anonymous_is_sent_to_login(client, course, deck):
    response = client.get(session_url(course, deck))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("kind", ["single", "multiple", "truefalse", "short", "cloze", "flashcard"])
def test_answer_key_is_absent_from_the_question_page(kind, student_client, course):
    deck = DeckFactory()
    question = make_question(
        deck,
        kind,
        explanation="SECRET-EXPLANATION",
        quote="SECRET-QUOTE",
        **({"back": "SECRET-BACK"} if kind == "flashcard" else {}),
    )
    question.choices.filter(correct=False).update(feedback="SECRET-FEEDBACK")
    question.choices.filter(correct=True).update(feedback="SECRET-RIGHT")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    html = student_client.get(session_url(course, deck)).content.decode()
    assert shown_card(html).question_id == question.pk
    for secret in ("SECRET-EXPLANATION", "SECRET-QUOTE", "SECRET-BACK", "SECRET-FEEDBACK", "SECRET-RIGHT"):
        assert secret not in html
    assert "correct" not in re.sub(r"Check answer|correct-horse", "", html).lower() or kind == "flashcard"
    if kind == "short":
        assert "GABA-B receptor" not in html
    if kind == "cloze":
        hidden = "GABA-B" if shown_card(html).cloze == 1 else "potassium"
        assert hidden not in html


def test_feedback_shows_answer_explanation_and_source(student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    response = post_answer(student_client, course, deck, card)
    page = student_client.get(response["Location"]).content.decode()
    assert card.question.explanation in page
    assert card.question.quote in page
    assert "Next review in" in page


def test_wrong_answer_shows_choice_feedback(student_client, course):
    deck = DeckFactory()
    question = make_question(deck, "single")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    wrong = question.choices.get(text="GABA-A")
    page = student_client.get(post_answer(student_client, course, deck, card, {"choice": wrong.pk})["Location"])
    html = page.content.decode()
    assert "Not quite" in html
    assert "That is benzodiazepines." in html
    assert ReviewLog.objects.get().rating == 1


def test_htmx_answer_returns_the_panel_only(student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    response = student_client.post(
        answer_url(course, deck),
        {
            "card": card.pk,
            "kind": card.question.kind,
            "review_id": str(uuid.uuid4()),
            "reps": 0,
            **correct_answer(card),
        },
        HTTP_HX_REQUEST="true",
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<section id="panel"')
    assert "<html" not in html


def test_daily_new_card_limit_holds(student, student_client, course, deck):
    course.new_per_day = 3
    course.save()
    with time_machine.travel(START, tick=False):
        studied = [study_one(student_client, course, deck) for _ in range(5)]
        assert [c is not None for c in studied] == [True, True, True, False, False]
        assert ReviewLog.objects.filter(user=student, was_new=True).count() == 3
        # posting a fourth new card directly is refused too
        fresh = Card.objects.filter(user=student, last_review__isnull=True).select_related("question").first()
        response = post_answer(student_client, course, deck, fresh)
        assert response.status_code == 409
        assert "limit" in response.content.decode()
    with time_machine.travel(START + timedelta(days=1), tick=False):
        assert study_one(student_client, course, deck) is not None  # a new day, new allowance


def test_daily_review_limit_holds(student, student_client, course, deck):
    course.reviews_per_day = 1
    course.save()
    Card.objects.filter(user=student).update(
        state=Card.State.REVIEW,
        stability=5.0,
        difficulty=5.0,
        last_review=START - timedelta(days=5),
        due=START - timedelta(days=1),
        reps=3,
        step=None,
    )
    with time_machine.travel(START, tick=False):
        assert study_one(student_client, course, deck) is not None
        assert study_one(student_client, course, deck) is None


def test_day_rolls_over_at_four_in_the_students_time_zone(student, student_client, course, deck):
    student.profile.timezone = "Asia/Tokyo"  # UTC+9: 04:00 local is 19:00 UTC
    student.profile.save()
    course.new_per_day = 1
    course.save()
    with time_machine.travel(datetime(2026, 3, 2, 18, 0, tzinfo=UTC), tick=False):
        assert study_one(student_client, course, deck) is not None
        assert study_one(student_client, course, deck) is None
    with time_machine.travel(datetime(2026, 3, 2, 19, 1, tzinfo=UTC), tick=False):
        assert study_one(student_client, course, deck) is not None


def test_undo_restores_the_card_and_keeps_the_review_marked(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    before = Card.objects.get(pk=card.pk)
    post_answer(student_client, course, deck, card)
    response = student_client.post(reverse("cards:study_undo", args=[course.pk, deck.pk]))
    assert response.status_code == 302
    after = Card.objects.get(pk=card.pk)
    assert (after.reps, after.due, after.state, after.last_review) == (before.reps, before.due, before.state, None)
    review = ReviewLog.objects.get(user=student, kind=ReviewLog.Kind.REVIEW)
    assert ReviewLog.objects.get(kind=ReviewLog.Kind.UNDO).undoes == review
    # and the same card is offered again
    assert shown_card(student_client.get(session_url(course, deck)).content.decode()).pk == card.pk


def test_undo_with_nothing_to_undo_says_so(student_client, course, deck):
    response = student_client.post(reverse("cards:study_undo", args=[course.pk, deck.pk]), follow=True)
    assert "no review to undo" in response.content.decode()


def test_suspended_card_is_not_shown(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    student_client.post(reverse("cards:study_suspend", args=[course.pk, deck.pk, card.pk]))
    assert Card.objects.get(pk=card.pk).suspended
    for _ in range(10):
        shown = study_one(student_client, course, deck)
        assert shown is None or shown.pk != card.pk


def test_suspending_someone_elses_card_is_404(student, other_student_client, course, deck):
    alices = Card.objects.filter(user=student).first()
    response = other_student_client.post(reverse("cards:study_suspend", args=[course.pk, deck.pk, alices.pk]))
    assert response.status_code == 404
    assert not Card.objects.get(pk=alices.pk).suspended


def test_rerate_a_correct_answer_as_easy(student, student_client, course):
    deck = DeckFactory()
    make_question(deck, "single")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    with time_machine.travel(START, tick=False):
        card = study_one(student_client, course, deck)
        good = ReviewLog.objects.get(user=student)
        good_due = Card.objects.get(pk=card.pk).due
        response = student_client.post(
            reverse("cards:study_rerate", args=[course.pk, deck.pk]),
            {"review_id": good.review_id, "new_review_id": uuid.uuid4(), "rating": 4},
        )
        assert response.status_code == 302
    easy = Card.objects.get(pk=card.pk)
    assert easy.due > good_due
    assert easy.reps == 1
    assert ReviewLog.objects.filter(user=student, kind="review", undone_by__isnull=True).get().rating == 4


def test_flashcard_reveal_shows_back_and_four_intervals(student_client, course):
    deck = DeckFactory()
    make_question(deck, "flashcard")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    html = student_client.get(reverse("cards:study_reveal", args=[course.pk, deck.pk, card.pk])).content.decode()
    assert "In the central nervous system." in html
    assert (
        re.findall(r'class="ivl">([^<]*)', html) == ["1m", "6m", "10m", "7d"]
        or len(re.findall(r'class="ivl">', html)) == 4
    )


def test_joining_a_course_by_code_creates_cards(db, deck):
    course = CourseFactory(join_code="JOINME22")
    course.decks.add(deck)
    user = UserFactory()
    from django.test import Client

    client = Client()
    client.force_login(user)
    client.post(reverse("cards:join_course"), {"code": "joinme22"})
    assert Card.objects.filter(user=user).count() == deck.questions.count() + 1  # the cloze has two deletions


def test_enrolling_twice_duplicates_nothing(student, course):
    count = Card.objects.filter(user=student).count()
    enroll_student(user=student, course=course)
    assert Card.objects.filter(user=student).count() == count


def test_rating_a_flashcard_shows_the_next_card_not_a_feedback_screen(student, student_client, course):
    deck = DeckFactory()
    for n in range(2):
        make_question(deck, "flashcard", prompt=f"Front {n}?")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    data = {"card": card.pk, "kind": "flashcard", "review_id": str(uuid.uuid4()), "reps": 0, "rating": 3}
    html = student_client.post(answer_url(course, deck), data, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-mode="question"' in html and "You rated it" not in html
    assert "Rated Good: next in" in html
    assert 'data-key="u"' in html  # the undo key still has its button
    assert shown_card(html).pk != card.pk
    # without htmx, the plain form lands on the next card too
    other = shown_card(html)
    data = {"card": other.pk, "kind": "flashcard", "review_id": str(uuid.uuid4()), "reps": 0, "rating": 4}
    response = student_client.post(answer_url(course, deck), data)
    assert response["Location"] == session_url(course, deck)


def test_htmx_undo_says_so_in_the_panel_and_leaves_no_message_for_later(student, student_client, course, deck):
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    post_answer(student_client, course, deck, card)
    response = student_client.post(reverse("cards:study_undo", args=[course.pk, deck.pk]), HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="panel"')
    assert "Last review undone" in html
    # nothing waits in the session to appear above a later card
    assert "Last review undone" not in student_client.get(session_url(course, deck)).content.decode()
    nothing = student_client.post(reverse("cards:study_undo", args=[course.pk, deck.pk]), HTTP_HX_REQUEST="true")
    assert "no review to undo" in nothing.content.decode()


def test_a_partly_right_answer_is_styled_partial_not_wrong(student_client, course):
    deck = DeckFactory()
    question = make_question(deck, "multiple")
    course.decks.set([deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    card = shown_card(student_client.get(session_url(course, deck)).content.decode())
    two_of_three = list(question.choices.filter(correct=True).values_list("pk", flat=True))[:2]
    response = post_answer(student_client, course, deck, card, {"choices": two_of_three})
    html = student_client.get(response["Location"]).content.decode()
    article = re.search(r'<article class="qcard feedback ([^"]*)"', html).group(1)
    assert article.split() == ["is-partial"], article
    assert "Partly right (67%)" in html and "Not quite" not in html
