"""The class analytics snapshot (cards.services.class_stats): the same numbers as the live
aggregates, its age shown, never made or redone by a GET, recalculated on demand and by
`refresh_class_stats`, students and attempts a page at a time."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from cards.models import ClassStats, StudentStats
from cards.selectors import cohort
from cards.services import class_stats
from tests.integration.test_dashboards import make_students, study_all


def analytics(client, course, **query):
    return client.get(reverse("cards:course_analytics", args=[course.pk]), query).content.decode()


@pytest.fixture
def studied(course, student, other_student):
    study_all(student, days=2)
    study_all(other_student, days=1, correct=False)
    return course


def test_the_snapshot_holds_what_the_live_aggregates_say(studied):
    now = timezone.now()
    stats = class_stats.refresh(studied, now=now)
    stats.refresh_from_db()  # as read back from the database
    assert stats.topics == cohort.class_topic_mastery(studied, now=now)
    assert [f["question_id"] for f in stats.forgetting] == [
        f["question_id"] for f in cohort.class_forgetting(studied, now=now)
    ]
    live = {q.pk: s for q, s in cohort.course_item_analysis(studied)}
    for question, item in cohort.item_rows(stats):
        expected = live[question.pk]
        assert (item.responses, item.facility, item.discrimination, item.point_biserial, item.flags) == (
            expected.responses,
            expected.facility,
            expected.discrimination,
            expected.point_biserial,
            expected.flags,
        )
    progress = {p["user_id"]: p for p in cohort.student_progress(studied, now=now)}
    rows = StudentStats.objects.filter(course=studied)
    assert rows.count() == len(progress) == stats.students == 2
    for row in rows:
        p = progress[row.user_id]
        assert (row.username, row.cards, row.studied, row.reviews_7d, row.lapses) == (
            p["user__username"],
            p["cards"],
            p["studied"],
            p["reviews_7d"],
            p["lapses"] or 0,
        )
        assert row.mastery == pytest.approx(p["mastery"])


def test_a_get_never_makes_the_snapshot_a_post_does(instructor_client, course, student):
    html = analytics(instructor_client, course)
    assert "No class statistics yet" in html and "Calculate now" in html
    assert not ClassStats.objects.filter(course=course).exists()
    instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]))
    html = analytics(instructor_client, course)
    assert "Statistics as of" in html and "1 student," in html


def test_a_fresh_snapshot_is_shown_until_recalculated(instructor_client, course, student):
    class_stats.refresh(course)
    assert "1 student," in analytics(instructor_client, course)
    make_students(course, 2, start=50)
    assert "1 student," in analytics(instructor_client, course)  # fresh: not redone
    response = instructor_client.post(reverse("cards:refresh_analytics", args=[course.pk]), follow=True)
    html = response.content.decode()
    assert "Statistics recalculated in" in html and "3 students," in html and "s50" in html


def test_an_old_snapshot_is_flagged_and_not_redone_by_a_get(instructor_client, course, student):
    class_stats.refresh(course)
    make_students(course, 1, start=70)
    old = timezone.now() - cohort.max_age() - timedelta(minutes=1)
    ClassStats.objects.filter(course=course).update(computed_at=old, seconds=0.01)  # quick to redo: still kept
    html = analytics(instructor_client, course)
    assert "1 student," in html and "msg-warning" in html and "refresh_class_stats" in html
    assert ClassStats.objects.get(course=course).computed_at == old


def test_students_and_attempts_come_a_page_at_a_time_keeping_the_sort(instructor_client, course):
    make_students(course, 55, start=100)
    class_stats.refresh(course)
    first = analytics(instructor_client, course, sort="facility")
    assert first.count('<th scope="row">s1') == 50
    assert "Page 1 of 2 (55 in all)" in first
    assert "?sort=facility&amp;students=2#students" in first
    second = analytics(instructor_client, course, sort="facility", students=2)
    assert second.count('<th scope="row">s1') == 5 and 'rel="prev"' in second
    assert analytics(instructor_client, course, students="junk").count('<th scope="row">s1') == 50


def test_refresh_command_redoes_old_snapshots_only_unless_told(course, student):
    out = StringIO()
    call_command("refresh_class_stats", stdout=out)
    assert "recalculated 1 course(s)" in out.getvalue()
    out = StringIO()
    call_command("refresh_class_stats", stdout=out)
    assert "recalculated 0 course(s)" in out.getvalue()
    out = StringIO()
    call_command("refresh_class_stats", "--course", str(course.pk), stdout=out)
    assert "1 students" in out.getvalue() and "recalculated 1 course(s)" in out.getvalue()
    with pytest.raises(CommandError, match="no course with id 999999"):
        call_command("refresh_class_stats", "--course", "999999")


def test_refresh_replaces_the_student_rows(course, student, other_student):
    class_stats.refresh(course)
    other_student.enrollments.all().delete()
    class_stats.refresh(course)
    assert list(StudentStats.objects.filter(course=course).values_list("username", flat=True)) == ["alice"]


def test_quiz_results_are_live_and_formatted_as_before(instructor_client, course, instructor, deck, student):
    from datetime import UTC, datetime

    from cards.services import quizzes as quiz_services

    single = deck.questions.get(kind="single")
    quiz = quiz_services.quiz_create(
        course=course, created_by=instructor, title="Midterm", num_questions=1, questions=[single]
    )
    attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
    row = '<tr><th scope="row">Midterm</th><td>alice</td><td class="num">1</td>'
    assert row + '<td>in progress</td><td class="num">—</td></tr>' in analytics(instructor_client, course)
    right = single.choices.get(correct=True)
    answered_at = datetime.now(UTC)
    quiz_services.attempt_answer(
        user=student, attempt_id=attempt.pk, question_id=single.pk, answer={"choice": right.pk}, now=answered_at
    )
    done = quiz_services.attempt_submit(user=student, attempt_id=attempt.pk, now=answered_at)
    # the same snapshot, but the table's rows changed: shown at once, not the remembered ones
    html = analytics(instructor_client, course)
    assert f'<td>{done.submitted_at:%Y-%m-%d %H:%M}</td><td class="num">1/1</td></tr>' in html
    assert "in progress" not in html
