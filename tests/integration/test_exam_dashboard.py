"""The dashboard of a student with an exam: predicted exam-day recall per topic (FSRS
retrievability of each studied card on the exam morning, with the parameters that schedule
the student; cards not yet seen counted apart) and the reviews due per day until the exam (a
chart and its table); one read more than without an exam, none without one. And the exam-day
recall of a simulated student who answers Good every day until the exam."""

import re
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from cards.core import exams, scheduling
from cards.core.fitting import DEFAULT_PARAMETERS
from cards.core.scheduling import CardState, SchedulerSettings
from cards.models import Card, Enrollment, ParameterSet, ReviewLog, SchedulerParameters, Topic
from cards.selectors.exams import upcoming_exams
from cards.selectors.study import study_queue
from cards.services.courses import enroll_student
from cards.services.study import answer_card, card_state
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

NOW = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)  # a Monday, 10:00 UTC
EXAM = date(2026, 4, 20)


def test_recall_at_is_fsrs_retrievability_with_the_students_parameters():
    slow = list(DEFAULT_PARAMETERS)
    slow[20] = 0.5  # another forgetting curve (w[20], the decay)
    state = CardState(state=2, step=None, stability=4.0, difficulty=5.0, due=NOW, last_review=NOW - timedelta(days=3))
    moment = NOW + timedelta(days=6, hours=3)
    for parameters in (None, tuple(slow)):
        expected = scheduling.retrievability(state, moment, SchedulerSettings(parameters=parameters))
        assert exams.recall_at(4.0, state.last_review, moment, parameters) == pytest.approx(expected)
    assert exams.recall_at(4.0, state.last_review, moment, slow) != pytest.approx(
        exams.recall_at(4.0, state.last_review, moment, None)
    )


def test_the_workload_counts_each_days_due_cards_overdue_today_and_nothing_after_the_exam():
    today = date(2026, 4, 6)
    card = lambda due: exams.ExamCard("T", 3.0, NOW - timedelta(days=2), due)  # noqa: E731
    cards = [
        card(datetime(2026, 4, 1, 9, tzinfo=UTC)),  # overdue: today
        card(datetime(2026, 4, 7, 3, tzinfo=UTC)),  # before 04:00: still the 6th's study day
        card(datetime(2026, 4, 8, 4, tzinfo=UTC)),
        card(datetime(2026, 4, 9, 4, tzinfo=UTC)),  # the exam day's morning
        card(datetime(2026, 4, 30, tzinfo=UTC)),  # set before the exam date was: not in the range
        exams.ExamCard("T", None, None, NOW),  # never seen: no review due
    ]
    assert exams.daily_workload(cards, today=today, exam=date(2026, 4, 9), tz_name="UTC") == [
        (date(2026, 4, 6), 2),
        (date(2026, 4, 7), 0),
        (date(2026, 4, 8), 1),
        (date(2026, 4, 9), 1),
    ]


@pytest.fixture
def course(db):
    deck = DeckFactory(slug="exam-board", title="Exam board")
    opioids = Topic.objects.create(slug="opioids", name="Opioids")
    sedatives = Topic.objects.create(slug="sedatives", name="Sedatives")
    for i in range(8):
        make_question(deck, "flashcard", prompt=f"Front {i}", back=f"Back {i}", topic=opioids if i < 5 else sedatives)
    course = CourseFactory(title="Board course", new_per_day=4)
    course.decks.add(deck)
    return course


@pytest.fixture
def student(course):
    user = UserFactory(username="boarder")
    enroll_student(user=user, course=course)
    return user


def study_day(user, course, now) -> None:
    """Answer Good on everything the queue offers now, learning steps included (the session
    goes on in 11-minute steps until nothing is left)."""
    deck = course.decks.get()
    for _ in range(30):
        start, end = scheduling.study_day_bounds(now, "UTC")
        q = study_queue(user_id=user.pk, deck_id=deck.pk, course=course, now=now, day_start=start, day_end=end)
        if q.card is None:
            if q.counts.learning == 0 and not Card.objects.filter(user=user, state__in=[1, 3], due__lt=end).exists():
                return
            now += timedelta(minutes=11)
            continue
        answer_card(user=user, card_id=q.card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=now)


def test_the_dashboard_shows_recall_per_topic_and_the_workload_until_the_exam(client, student, course):
    client.force_login(student)
    with time_machine.travel(NOW, tick=False):
        for card in Card.objects.filter(user=student, question__topic__slug="opioids")[:3]:
            answer_card(user=student, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=NOW)
        Enrollment.objects.filter(user=student).update(exam_date=EXAM)
        (exam,) = upcoming_exams(user=student, now=NOW, tz_name="UTC")
        html = client.get(reverse("cards:dashboard")).content.decode()
    moment = exams.day_start(EXAM, "UTC")
    studied = Card.objects.filter(user=student, last_review__isnull=False)
    expected = sum(scheduling.retrievability(card_state(c), moment) for c in studied) / 3
    by_topic = {t.topic: t for t in exam.topics}
    assert by_topic["Opioids"].recall == pytest.approx(expected)
    assert (by_topic["Opioids"].studied, by_topic["Opioids"].unseen) == (3, 2)
    assert (by_topic["Sedatives"].recall, by_topic["Sedatives"].unseen) == (None, 3)  # apart, not 0
    assert [d for d, _n in exam.workload] == [NOW.date() + timedelta(days=i) for i in range(15)]  # to the exam day
    assert sum(n for _d, n in exam.workload) == 3  # every studied card once
    assert "Predicted recall on the exam day" in html and "Daily workload until the exam" in html
    row = re.search(r'<th scope="row">Opioids</th><td class="num">(\d+)%</td><td class="num">3</td>'
                    r'<td class="num">2</td>', html)  # fmt: skip
    assert row and int(row.group(1)) == round(expected * 100)
    assert "<caption>Reviews due per day until the exam</caption>" in html  # the chart's table
    assert 'id="exam-workload-' in html and 'id="exam-recall-' in html  # ids unique per exam


def fit(course, *, decay: float, enrollment=None) -> SchedulerParameters:
    """Fitted parameters of the course (or of the student's `enrollment`): FSRS's defaults
    with another forgetting curve (w[20], the decay)."""
    weights = [*DEFAULT_PARAMETERS[:20], decay]
    return SchedulerParameters.objects.create(
        course=course,
        enrollment=enrollment,
        parameters=weights,
        parameter_set=ParameterSet.objects.create(parameters=weights, created_at=NOW),
        source="course",
        fitted_at=NOW,
        checked_at=NOW,
        n_reviews=100,
    )


def test_the_recall_uses_the_parameters_that_schedule_the_student(student, course):
    with time_machine.travel(NOW, tick=False):
        card = Card.objects.filter(user=student).first()
        answer_card(user=student, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=NOW)
        Enrollment.objects.filter(user=student).update(exam_date=EXAM)
        (default,) = upcoming_exams(user=student, now=NOW, tz_name="UTC")
        fit(course, decay=0.6)
        (fitted,) = upcoming_exams(user=student, now=NOW, tz_name="UTC")
    recall = {t.topic: t.recall for t in default.topics if t.recall is not None}
    assert {t.topic: t.recall for t in fitted.topics if t.recall is not None}.keys() == recall.keys()
    assert [t.recall for t in fitted.topics if t.recall] != list(recall.values())


def test_the_exam_courses_read_the_parameters_that_schedule_the_student(student, course):
    """cards.db.exams, sent with the dashboard's statements, reads the fit the ORM's
    fitted_parameters reads: the course's, or the student's own once they use it."""
    from cards.db.exams import exam_courses
    from cards.selectors.scheduler import student_schedule

    enrollment = Enrollment.objects.get(user=student)
    assert exam_courses(user_id=student.pk) == []  # no exam date: not read
    Enrollment.objects.filter(pk=enrollment.pk).update(exam_date=EXAM)
    (row,) = exam_courses(user_id=student.pk)
    assert (row.course_id, row.course_title, row.new_per_day, row.own, row.course_exam, row.fitted) == (
        course.pk, "Board course", 4, EXAM, None, None
    )  # fmt: skip
    fit(course, decay=0.3)
    fit(course, decay=0.7, enrollment=enrollment)  # the student's own fit, not used yet
    for own in (False, True):
        Enrollment.objects.filter(pk=enrollment.pk).update(own_parameters=own)
        (row,) = exam_courses(user_id=student.pk)
        assert row.fitted[20] == (0.7 if own else 0.3)
        assert tuple(row.fitted) == student_schedule(user_id=student.pk, course_id=course.pk)[2]


def test_the_dashboard_reads_once_more_with_an_exam_and_not_at_all_without(client, student, course):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(student)
    client.get(reverse("cards:dashboard"))  # warm the session and the nav's lookups
    with CaptureQueriesContext(connection) as without:
        client.get(reverse("cards:dashboard"))
    Enrollment.objects.filter(user=student).update(exam_date=timezone.now().date() + timedelta(days=10))
    with CaptureQueriesContext(connection) as with_exam:
        assert "Daily workload until the exam" in client.get(reverse("cards:dashboard")).content.decode()
    assert len(with_exam) == len(without) + 1  # every card's memory and due date of the exam's course


def test_a_student_answering_good_every_day_meets_the_exam_target_and_nothing_is_due_after_the_exam(student, course):
    """The simulated student: studies every day until the exam (new cards at the exam's pace,
    reviews when due, Good every time). No card is ever due after the exam day; every card is
    seen before the exam; and the last review of each card before the exam leaves its predicted
    recall on the exam morning at the exam target or better, as the dashboard then shows."""
    Enrollment.objects.filter(user=student).update(exam_date=EXAM)
    course.new_per_day = 1  # the pace (8 cards in 14 days: 1 a day) covers it; the limit alone would too
    course.save()
    exam_start = exams.day_start(EXAM, "UTC")
    day = NOW
    with time_machine.travel(day, tick=False) as traveller:
        while day < exam_start:
            study_day(student, course, day)
            late = Card.objects.filter(user=student, last_review__isnull=False, due__gt=exam_start)
            assert not late.exists(), f"due after the exam day: {list(late.values_list('id', 'due'))}"
            day += timedelta(days=1)
            traveller.move_to(day)
        (exam,) = upcoming_exams(user=student, now=day - timedelta(hours=6), tz_name="UTC")
    assert not Card.objects.filter(user=student, last_review__isnull=True).exists()  # all seen
    morning = exam_start + timedelta(hours=5)
    for card in Card.objects.filter(user=student):
        last = ReviewLog.objects.filter(card=card, reviewed_at__lt=exam_start).order_by("-reviewed_at").first()
        after = CardState.from_json(last.state_after)
        assert after.due <= exam_start
        assert exams.recall_at(after.stability, last.reviewed_at, morning, None) >= exams.EXAM_TARGET
    assert all(t.recall >= exams.EXAM_TARGET and t.unseen == 0 for t in exam.topics)


def _rerate_labels(html: str) -> dict[str, str]:
    return dict(re.findall(r'<kbd>[24]</kbd> (Hard|Easy) <span class="ivl">([^<]+)</span>', html))


def _days(label: str) -> float:
    unit = {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1, "mo": 30, "y": 365}
    number, suffix = re.fullmatch(r"([\d.]+)([a-z]+)", label).groups()
    return float(number) * unit[suffix]


def test_the_feedback_panels_rerate_buttons_show_capped_intervals(client, db):
    deck = DeckFactory(slug="rerate", title="Rerate")
    question = make_question(deck, "single")
    course = CourseFactory(title="Rerate course")
    course.decks.add(deck)
    user = UserFactory(username="rerater")
    enroll_student(user=user, course=course)
    client.force_login(user)
    right = question.choices.get(correct=True).pk
    card = Card.objects.get(user=user)
    url = reverse("cards:study_answer", args=[course.pk, deck.pk])
    labels = {}
    for exam in (None, NOW.date() + timedelta(days=3)):
        Enrollment.objects.filter(user=user).update(exam_date=exam)
        Card.objects.filter(pk=card.pk).update(
            state=2, step=None, stability=40.0, difficulty=5.0, last_review=NOW - timedelta(days=30), due=NOW, reps=5
        )
        review_id = uuid.uuid4()
        with time_machine.travel(NOW, tick=False):
            html = client.post(
                url,
                {"card": card.pk, "kind": "single", "review_id": str(review_id), "reps": 5, "choice": right},
                headers={"HX-Request": "true"},
            ).content.decode()
            reloaded = client.get(reverse("cards:study_feedback", args=[course.pk, deck.pk, review_id])).content
        labels[exam] = _rerate_labels(html)
        assert _rerate_labels(reloaded.decode()) == labels[exam]  # the same read back from the log
    uncapped, capped = labels[None], labels[NOW.date() + timedelta(days=3)]
    assert _days(uncapped["Easy"]) > 30 and _days(uncapped["Hard"]) > 3  # a month and more without an exam
    assert _days(capped["Easy"]) <= 3 and _days(capped["Hard"]) <= 3  # back by the exam's eve


def test_an_exam_months_away_shows_its_workload_a_week_a_bar():
    from cards.selectors.exams import ExamDate
    from cards.views.dashboard import exam_panel

    today = date(2026, 4, 6)
    workload = [(today + timedelta(days=i), 1) for i in range(100)]
    far = ExamDate(course_id=7, course_title="Far", own=today + timedelta(days=99), course=None, days_left=99,
                   workload=workload)  # fmt: skip
    panel = exam_panel(far)
    assert "<caption>Reviews due per week until the exam</caption>" in panel["workload_table"]
    assert panel["workload_table"].count('<th scope="row">') == 15  # 100 days in weeks from today's
    assert '<th scope="row">2026-04-13</th><td>7</td>' in panel["workload_table"]
    near = exam_panel(ExamDate(course_id=8, course_title="Near", own=today, course=None, days_left=0,
                               workload=workload[:1]))  # fmt: skip
    assert "<caption>Reviews due per day until the exam</caption>" in near["workload_table"]
