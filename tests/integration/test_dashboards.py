"""Student dashboard and instructor analytics: right numbers, fixed query counts, access."""

import re
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cards.core import scheduling
from cards.models import Card
from cards.selectors.cohort import class_topic_mastery, course_item_analysis
from cards.services import quizzes as quiz_services
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.factories import UserFactory

START = datetime(2026, 3, 2, 15, 0, tzinfo=UTC)


def study_all(user, *, days: int, correct=True):
    """Answer every card of the user once a day for `days` days (flashcards: Good)."""
    with time_machine.travel(START, tick=False) as traveller:
        for _ in range(days):
            for card in Card.objects.filter(user=user).select_related("question"):
                q = card.question
                if q.kind == "flashcard":
                    answer = {"rating": 3 if correct else 1}
                elif q.kind in ("single", "truefalse"):
                    answer = {"choice": q.choices.filter(correct=correct).first().pk}
                elif q.kind == "multiple":
                    answer = {"choices": [c.pk for c in q.choices.filter(correct=correct)]}
                else:
                    answer = {"text": "GABA-B" if correct else "nope"}
                if card.question.kind == "cloze":
                    from cards.core.grading import cloze_deletions

                    answer = {"text": cloze_deletions(q.prompt)[card.cloze][0] if correct else "nope"}
                try:
                    answer_card(
                        user=user, card_id=card.pk, answer=answer, review_id=uuid.uuid4(), now=datetime.now(UTC)
                    )
                except Exception:  # noqa: BLE001, S112 - not due today: fine
                    continue
            traveller.shift(timedelta(days=1))


def make_students(course, n: int, start: int = 0):
    users = [UserFactory(username=f"s{start + i}") for i in range(n)]
    for user in users:
        enroll_student(user=user, course=course)
    return users


def test_dashboard_numbers(student, student_client):
    study_all(student, days=2)  # day 0: new cards, day 1: their learning steps come back
    with time_machine.travel(START + timedelta(days=2), tick=False):
        html = student_client.get(reverse("cards:dashboard")).content.decode()
    assert "<dt>Streak</dt><dd>2 days</dd>" in html
    assert "Mastery per topic" in html and "<svg" in html and 'role="img"' in html
    assert "<caption>Reviews per day</caption>" in html  # the text equivalent of the chart


def test_dashboard_query_count_does_not_grow_with_history(django_assert_num_queries, student, student_client):
    with django_assert_num_queries(11):  # and the nav's permission lookup (one query, cards.accounts.backend)
        student_client.get(reverse("cards:dashboard"))
    study_all(student, days=6)
    # the session with its user and their time zone (one query), today's counts as /study/
    # reads them (every deck's counts with its course's limits, today's done: two), due per
    # day, reviews per day, retention, mastery per topic with the weakest cards (one), streak
    # days, suspended cards (the nav's permission lookups of the first request are
    # remembered), the courses with an exam date
    with django_assert_num_queries(10):
        response = student_client.get(reverse("cards:dashboard"))
    assert response.status_code == 200


def test_leech_is_suspended_and_listed(student, student_client):
    card = Card.objects.filter(user=student, question__kind="single").select_related("question").get()
    Card.objects.filter(pk=card.pk).update(
        state=2,
        stability=1.0,
        difficulty=5.0,
        lapses=7,
        reps=9,
        last_review=START - timedelta(days=3),
        due=START - timedelta(days=1),
        step=None,
    )
    wrong = card.question.choices.filter(correct=False).first()
    with time_machine.travel(START, tick=False):
        answer_card(
            user=student, card_id=card.pk, answer={"choice": wrong.pk}, review_id=uuid.uuid4(), now=datetime.now(UTC)
        )
    card.refresh_from_db()
    assert card.lapses == 8 and card.leech and card.suspended
    html = student_client.get(reverse("cards:dashboard")).content.decode()
    assert card.question.prompt[:40] in html
    student_client.post(reverse("cards:unsuspend", args=[card.pk]))
    card.refresh_from_db()
    assert not card.suspended


def test_class_mastery_matches_fsrs_retrievability(course, student, other_student):
    study_all(student, days=2)
    now = START + timedelta(days=5)
    rows = {r["question__topic__slug"]: r for r in class_topic_mastery(course, now=now)}
    cards = Card.objects.filter(course=course, question__topic__slug="mechanism")
    expected = (
        sum(
            scheduling.retrievability(
                scheduling.CardState(state=c.state, stability=c.stability, last_review=c.last_review), now
            )
            for c in cards
        )
        / cards.count()
    )
    assert rows["mechanism"]["mastery"] == pytest.approx(expected)
    assert rows["mechanism"]["students"] == 2


def test_item_analysis_from_quiz_responses(course, instructor, deck):
    students = make_students(course, 4)
    single = deck.questions.get(kind="single")
    quiz = quiz_services.quiz_create(
        course=course, created_by=instructor, title="Q", num_questions=1, questions=[single]
    )
    right = single.choices.get(correct=True)
    wrong = single.choices.filter(correct=False).first()
    for i, user in enumerate(students):
        attempt = quiz_services.attempt_start(user=user, quiz=quiz, now=datetime.now(UTC))
        quiz_services.attempt_answer(
            user=user,
            attempt_id=attempt.pk,
            question_id=single.pk,
            answer={"choice": (right if i < 3 else wrong).pk},
            now=datetime.now(UTC),
        )
    stats = dict((q.pk, s) for q, s in course_item_analysis(course))[single.pk]
    # each quiz answer also made a first-try study answer; one response per student counts
    assert stats.responses == 4
    assert stats.facility == pytest.approx(0.75)
    assert stats.distractors[right.pk] == 3 and stats.distractors[wrong.pk] == 1


def test_analytics_page_and_csvs(instructor_client, course, student):
    study_all(student, days=1)
    instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]))
    html = instructor_client.get(reverse("cards:course_analytics", args=[course.pk])).content.decode()
    assert "Class mastery per topic" in html and "What the class forgets" in html and "alice" in html
    csv = instructor_client.get(reverse("cards:export_items", args=[course.pk])).content.decode("utf-8-sig")
    assert csv.splitlines()[0] == "uid,topic,kind,responses,facility,discrimination,point_biserial,flags"
    students = instructor_client.get(reverse("cards:export_students", args=[course.pk])).content.decode("utf-8-sig")
    assert "alice" in students


def test_analytics_query_count_does_not_grow(django_assert_num_queries, instructor_client, course, deck, instructor):
    url = reverse("cards:course_analytics", args=[course.pk])
    quiz = quiz_services.quiz_create(course=course, created_by=instructor, title="Q", num_questions=2)
    for user in make_students(course, 2):
        quiz_services.attempt_start(user=user, quiz=quiz, now=datetime.now(UTC))
    instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]))  # the snapshot
    instructor_client.get(url)  # renders the snapshot's tables (remembered for the next views)
    # the session with its user, perms (one query, cards.accounts.backend), the course, the
    # snapshot, the count of its students (their rows rendered with the snapshot are
    # remembered), the count of quiz attempts and their page
    with django_assert_num_queries(7):
        instructor_client.get(url)
    for user in make_students(course, 5, start=10):
        study_all(user, days=1)
    instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]))
    instructor_client.get(url)  # renders the new snapshot's rows
    with django_assert_num_queries(7):
        response = instructor_client.get(url)
    assert response.content.decode().count('<th scope="row">s1') >= 5
    assert response.context["students"].paginator.count == 7


def test_analytics_pages_quiz_attempts_and_a_page_past_the_end_shows_the_last(instructor_client, course, instructor):
    from cards.views.analytics import PAGE_ROWS

    quiz = quiz_services.quiz_create(course=course, created_by=instructor, title="Q", num_questions=2)
    students = make_students(course, PAGE_ROWS + 3)
    for user in students:
        quiz_services.attempt_start(user=user, quiz=quiz, now=datetime.now(UTC))
    url = reverse("cards:course_analytics", args=[course.pk])
    expected = sorted(u.username for u in students)
    first = instructor_client.get(url).context["attempts"]
    assert first.number == 1 and first.paginator.count == PAGE_ROWS + 3
    assert [a["student"] for a in first.object_list] == expected[:PAGE_ROWS]
    for asked in ("2", "99", "-1", "x", str(10**30)):
        page = instructor_client.get(url, {"attempts": asked}).context["attempts"]
        wanted = 1 if asked == "x" else 2
        assert page.number == wanted, asked
        assert [a["student"] for a in page.object_list] == expected[(wanted - 1) * PAGE_ROWS : wanted * PAGE_ROWS]


def test_students_cannot_see_analytics_and_other_instructors_get_404(student_client, other_instructor, course):
    urls = [
        reverse(name, args=[course.pk])
        for name in ("cards:course_analytics", "cards:export_items", "cards:export_students", "cards:export_attempts")
    ]
    other = Client()
    other.force_login(other_instructor)
    for url in urls:
        assert student_client.get(url).status_code == 403
        assert other.get(url).status_code == 404


def _just_lapsed_and_one_in_review(student, now):
    """A card answered wrong three minutes ago (relearning) and one in review 10 days on."""
    cards = list(Card.objects.filter(user=student).select_related("question").order_by("question_id", "cloze"))
    lapsed = cards[0]
    reviewed = next(c for c in cards if c.question_id != lapsed.question_id)
    Card.objects.filter(pk=lapsed.pk).update(
        state=3, stability=2.0, difficulty=6.0, lapses=1, reps=3, last_review=now - timedelta(minutes=3), step=0
    )
    Card.objects.filter(pk=reviewed.pk).update(
        state=2, stability=5.0, difficulty=5.0, lapses=0, reps=2, last_review=now - timedelta(days=10), step=None
    )
    return lapsed, reviewed


def test_weakest_items_show_a_learning_card_as_learning_not_100_percent(student, student_client):
    now = START
    lapsed, reviewed = _just_lapsed_and_one_in_review(student, now)
    with time_machine.travel(now, tick=False):
        html = student_client.get(reverse("cards:dashboard")).content.decode()
    weakest = html[html.index("<h2>Weakest items</h2>") : html.index("<h2>Suspended cards</h2>")]
    rows = weakest.split("<tr>")[2:]
    assert len(rows) == 2
    assert lapsed.question.prompt[:30] in rows[0] and ">learning<" in rows[0]
    assert "100%" not in weakest
    assert reviewed.question.prompt[:30] in rows[1] and re.search(r'<td class="num">\d+%</td>', rows[1])


def test_what_the_class_forgets_does_not_read_a_learning_card_as_100_percent(
    instructor_client, course, student, other_student
):
    from cards.selectors.cohort import class_forgetting
    from cards.services import class_stats

    now = START
    lapsed, _reviewed = _just_lapsed_and_one_in_review(student, now)
    rows = {r["question_id"]: r for r in class_forgetting(course, now=now)}
    assert rows[lapsed.question_id]["recall"] is None  # every student still learning it
    with time_machine.travel(now, tick=False):
        class_stats.refresh(course)
        html = instructor_client.get(reverse("cards:course_analytics", args=[course.pk])).content.decode()
    forgets = html[html.index("What the class forgets") : html.index('id="items"')]
    assert ">learning<" in forgets and "100%" not in forgets


@pytest.mark.django_db(transaction=True)
def test_the_dashboards_reads_sent_together_are_each_read_alone():
    """Outside a transaction (as a request runs) PostgreSQL gets the dashboard's statements in
    one round trip: each value must be what its statement reads alone."""
    from django.utils import timezone

    from cards.core import scheduling
    from cards.selectors import progress
    from cards.selectors.study import study_today
    from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

    deck = DeckFactory()
    for kind in ("single", "multiple", "short", "flashcard"):
        make_question(deck, kind)
    course = CourseFactory()
    course.decks.add(deck)
    user = UserFactory()
    enroll_student(user=user, course=course)
    study_all(user, days=3)
    now = timezone.now()
    start, end = scheduling.study_day_bounds(now, "UTC")
    today = scheduling.study_day(now, "UTC")
    board = progress.dashboard(
        user_id=user.pk, tz_name="UTC", now=now, day=(start, end), today=today, forecast_days=30, history_days=90
    )
    assert board.today == study_today(user_id=user.pk, now=now, day_start=start, day_end=end, tz_name="UTC")
    assert board.due == progress.due_per_day(user_id=user.pk, tz_name="UTC", today=today, days=30)
    assert board.streak == progress.streak(user_id=user.pk, tz_name="UTC", now=now)
    assert (board.recalled, board.reviewed) == progress.true_retention(user_id=user.pk, since=now - timedelta(days=30))
    assert board.mastery == progress.topic_mastery(user_id=user.pk, now=now)
    assert board.weakest == progress.weakest_items(user_id=user.pk, now=now)
    assert board.suspended == progress.suspended(user_id=user.pk)
    since = end - timedelta(days=91)
    assert board.history == progress.reviews_per_day(user_id=user.pk, tz_name="UTC", since=since, until=end)
