"""What a first-time instructor (and their students) met on the teaching pages (issue 17, items
14, 16, 17, 19, 20, 21, 23, 24 and 26): each test failed before its fix."""

from datetime import UTC, datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from cards.models import Attempt, Card, Profile, Quiz
from cards.services import class_stats
from cards.services import quizzes as quiz_services
from tests.answers import right_answer
from tests.factories import PassageFactory, SourceFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSAGE = (
    "Oral formulations are common, while intrathecal baclofen is reserved for patients who do not "
    "respond to oral therapy. Pumps need refilling."
)


def quiz_for(course, instructor, **settings) -> Quiz:
    return quiz_services.quiz_create(
        course=course, created_by=instructor, title=settings.pop("title", "Week 1 quiz"), num_questions=2, **settings
    )


def in_zone(user, name: str):
    Profile.objects.update_or_create(user=user, defaults={"timezone": name})


# --- 14: a quiz list per course ------------------------------------------------------------


def test_create_quiz_lands_on_the_course_quiz_list_with_its_actions(instructor_client, course):
    response = instructor_client.post(
        reverse("cards:quiz_new", args=[course.pk]),
        {"title": "Week 1 quiz", "num_questions": "2", "attempts_allowed": "1", **REVEAL},
    )
    quiz = Quiz.objects.get(title="Week 1 quiz")
    assert response["Location"] == reverse("cards:course_quizzes", args=[course.pk])
    html = instructor_client.get(response["Location"]).content.decode()
    assert "Week 1 quiz" in html
    assert reverse("cards:quiz_edit", args=[quiz.pk]) in html
    assert reverse("cards:quiz_close", args=[quiz.pk]) in html
    assert reverse("cards:quiz_delete", args=[quiz.pk]) in html
    # and the course page leads there
    detail = instructor_client.get(reverse("cards:course_detail", args=[course.pk])).content.decode()
    assert reverse("cards:course_quizzes", args=[course.pk]) in detail


REVEAL = {"show_score": "after_submission", "show_correct": "after_submission", "show_explanations": "never"}


def test_a_quiz_is_edited_in_its_form(instructor_client, course, instructor):
    quiz = quiz_for(course, instructor)
    page = instructor_client.get(reverse("cards:quiz_edit", args=[quiz.pk])).content.decode()
    assert 'value="Week 1 quiz"' in page and "Save quiz" in page
    response = instructor_client.post(
        reverse("cards:quiz_edit", args=[quiz.pk]),
        {
            "title": "Week 1 (revised)",
            "num_questions": "3",
            "attempts_allowed": "2",
            "time_limit_minutes": "15",
            **REVEAL,
        },
    )
    assert response.status_code == 302
    quiz.refresh_from_db()
    assert (quiz.title, quiz.num_questions, quiz.attempts_allowed, quiz.time_limit_minutes) == (
        "Week 1 (revised)",
        3,
        2,
        15,
    )
    assert quiz.show_explanations == "never"


def test_an_attempted_quiz_is_not_deleted_but_archived_out_of_the_students_list(
    instructor_client, student, student_client, course, instructor
):
    quiz = quiz_for(course, instructor)
    quiz_services.attempt_start(user=student, quiz=quiz, now=timezone.now())
    response = instructor_client.post(reverse("cards:quiz_delete", args=[quiz.pk]), follow=True)
    assert Quiz.objects.filter(pk=quiz.pk).exists()
    assert "cannot be deleted: archive it instead" in response.content.decode()
    assert (
        reverse("cards:quiz_start", args=[quiz.pk]) in student_client.get(reverse("cards:quiz_list")).content.decode()
    )

    instructor_client.post(reverse("cards:quiz_archive", args=[quiz.pk]), {"archived": "1"})
    quiz.refresh_from_db()
    assert quiz.archived and Attempt.objects.filter(quiz=quiz).count() == 1
    assert (
        reverse("cards:quiz_start", args=[quiz.pk])
        not in student_client.get(reverse("cards:quiz_list")).content.decode()
    )
    assert student_client.post(reverse("cards:quiz_start", args=[quiz.pk])).status_code == 404
    listing = instructor_client.get(reverse("cards:course_quizzes", args=[course.pk])).content.decode()
    assert "Archived" in listing and "Unarchive" in listing


def test_a_quiz_nobody_took_is_deleted(instructor_client, course, instructor):
    quiz = quiz_for(course, instructor)
    instructor_client.post(reverse("cards:quiz_delete", args=[quiz.pk]))
    assert not Quiz.objects.filter(pk=quiz.pk).exists()


def test_closing_a_quiz_stops_new_attempts_and_ends_those_in_progress(
    instructor_client, student, student_client, course, instructor
):
    quiz = quiz_for(course, instructor)
    attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=timezone.now())
    instructor_client.post(reverse("cards:quiz_close", args=[quiz.pk]))
    quiz.refresh_from_db()
    attempt.refresh_from_db()
    assert quiz.closes_at is not None and quiz.closes_at <= timezone.now()
    assert attempt.deadline == quiz.closes_at
    response = student_client.get(reverse("cards:attempt", args=[attempt.pk]))
    assert response["Location"] == reverse("cards:attempt_result", args=[attempt.pk])


def test_another_instructor_cannot_reach_the_quiz(other_instructor, course, instructor, client):
    quiz = quiz_for(course, instructor)
    client.force_login(other_instructor)
    assert client.get(reverse("cards:quiz_edit", args=[quiz.pk])).status_code == 404
    assert client.post(reverse("cards:quiz_delete", args=[quiz.pk])).status_code == 404
    assert Quiz.objects.filter(pk=quiz.pk).exists()


# --- 16: question text, not only uids ------------------------------------------------------


def test_item_analysis_names_each_question_by_its_text_and_links_to_it(instructor_client, course, deck):
    class_stats.refresh(course)
    html = instructor_client.get(reverse("cards:course_analytics", args=[course.pk])).content.decode()
    question = deck.questions.get(kind="single")
    assert "Baclofen activates which receptor?" in html
    assert reverse("cards:question_edit", args=[question.pk]) in html
    cloze = deck.questions.get(kind="cloze")
    assert "Baclofen activates GABA-B receptors and opens potassium channels." in html  # filled in, no {{c1::
    assert reverse("cards:item_detail", args=[course.pk, cloze.pk]) in html


def test_the_hand_pick_list_shows_each_question_text_with_a_link(instructor_client, course, deck):
    html = instructor_client.get(reverse("cards:quiz_new", args=[course.pk])).content.decode()
    question = deck.questions.get(kind="multiple")
    assert "Select all withdrawal signs." in html
    assert reverse("cards:question_edit", args=[question.pk]) in html
    assert f'value="{question.pk}"' in html


# --- 17 and 24: the editor -----------------------------------------------------------------


def test_the_preview_shows_a_saved_question_when_it_is_opened(instructor_client, course, deck):
    question = deck.questions.get(kind="single")
    html = instructor_client.get(reverse("cards:question_edit", args=[question.pk])).content.decode()
    preview = html[html.index('id="preview"') :]
    assert "Fill in the question to see the preview" not in preview
    assert "Baclofen activates which receptor?" in preview and "That is benzodiazepines." in preview


def test_a_choice_question_without_choices_previews_no_answer_box(instructor_client, course, deck):
    topic = deck.questions.first().topic
    response = instructor_client.post(
        reverse("cards:question_preview", args=[deck.pk]),
        {"kind": "single", "topic": topic.slug, "prompt": "Which drug?", "status": "draft"},
    )
    html = response.content.decode()
    assert "Which drug?" in html
    assert "Your answer" not in html and 'name="text"' not in html
    assert "No choices yet" in html


def test_the_choice_rows_have_visible_labels(instructor_client, course, deck):
    html = instructor_client.get(reverse("cards:question_new", args=[deck.pk]) + "?kind=single").content.decode()
    assert '<label for="id_choice_1_text">Choice 1</label>' in html
    assert '<label for="id_choice_1_feedback">Feedback for choice 1</label>' in html
    assert '<label class="check" for="id_choice_1_correct">' in html
    assert 'class="sr-only">Choice 1</label>' not in html


# --- 19: desired retention, one unit -------------------------------------------------------


def test_course_settings_ask_for_retention_as_a_percentage_and_keep_a_refused_value(instructor_client, course):
    url = reverse("cards:course_detail", args=[course.pk])
    html = instructor_client.get(url).content.decode()
    assert 'name="desired_retention" value="90"' in html and "0.70-0.99" not in html
    settings = {
        "title": course.title,
        "desired_retention": "150",
        "new_per_day": "20",
        "reviews_per_day": "200",
        "learning_steps": "1 10",
        "relearning_steps": "10",
        "maximum_interval": "365",
    }
    html = instructor_client.post(url, settings).content.decode()
    assert "Desired retention is a whole percentage from 70 to 99" in html
    assert 'name="desired_retention" value="150"' in html
    instructor_client.post(url, {**settings, "desired_retention": "85"})
    course.refresh_from_db()
    assert course.desired_retention == 0.85


# --- 20: labels in words -------------------------------------------------------------------


def test_labels_read_as_words_not_field_names(instructor_client, client, course, deck):
    course_page = instructor_client.get(reverse("cards:course_detail", args=[course.pk])).content.decode()
    assert "Open to every student" in course_page and "Is open" not in course_page
    quiz_page = instructor_client.get(reverse("cards:quiz_new", args=[course.pk])).content.decode()
    for words in ("Questions per attempt", "Time limit (minutes)", "Attempts per student"):
        assert words in quiz_page
    assert "Num questions" not in quiz_page and "Time limit minutes" not in quiz_page
    editor = instructor_client.get(reverse("cards:question_new", args=[deck.pk])).content.decode()
    assert "No passage cited" in editor and "---------" not in editor
    deck.sources.add(deck.questions.get(kind="truefalse").passage.source)
    coverage = instructor_client.get(reverse("cards:deck_coverage", args=[deck.pk])).content.decode()
    assert "True / false: 1" in coverage and "truefalse 1" not in coverage
    signup = client.get(reverse("signup")).content.decode()
    assert '<label for="id_timezone">Time zone</label>' in signup and "Timezone" not in signup


def test_students_see_a_passage_by_its_heading_and_paragraph_not_its_key(student, student_client, course, deck):
    question = deck.questions.get(kind="truefalse")
    question.passage = PassageFactory(key="approved-medical-applications-1", heading="Approved medical applications")
    question.save()
    card = Card.objects.get(user=student, question=question)
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": "truefalse", "choice": right_answer(question)["choice"], "review_id": _uuid()},
        follow=True,
    )
    html = response.content.decode()
    assert "Approved medical applications, paragraph 1" in html
    assert "§approved-medical-applications-1" not in html


def _uuid() -> str:
    import uuid

    return str(uuid.uuid4())


# --- 21: times in the user's own zone ------------------------------------------------------


def test_a_new_york_student_sees_quiz_times_in_new_york_time(student, student_client, course, instructor):
    in_zone(student, "America/New_York")
    quiz_for(course, instructor, closes_at=datetime(2030, 1, 15, 17, 0, tzinfo=UTC))
    html = student_client.get(reverse("cards:quiz_list")).content.decode()
    assert "closes 2030-01-15 12:00 EST" in html
    assert "17:00" not in html and "UTC" not in html


def test_an_instructor_enters_a_quiz_window_in_their_own_zone(instructor, instructor_client, course):
    in_zone(instructor, "Asia/Tokyo")
    page = instructor_client.get(reverse("cards:quiz_new", args=[course.pk])).content.decode()
    assert "In your time zone (Asia/Tokyo)" in page
    instructor_client.post(
        reverse("cards:quiz_new", args=[course.pk]),
        {
            "title": "Timed",
            "num_questions": "2",
            "attempts_allowed": "1",
            "opens_at": "2030-01-15T09:00",
            "closes_at": "2030-01-15T10:30",
            **REVEAL,
        },
    )
    quiz = Quiz.objects.get(title="Timed")
    assert quiz.opens_at == datetime(2030, 1, 15, 0, 0, tzinfo=UTC)
    assert quiz.closes_at == datetime(2030, 1, 15, 1, 30, tzinfo=UTC)
    edit = instructor_client.get(reverse("cards:quiz_edit", args=[quiz.pk])).content.decode()
    assert 'value="2030-01-15T09:00"' in edit


def test_sign_up_offers_every_zone_and_marks_the_select_for_the_browser_zone(client):
    html = client.get(reverse("signup")).content.decode()
    assert html.count("<option value=") > 400
    for zone in ("Pacific/Auckland", "America/Argentina/Buenos_Aires", "Asia/Kathmandu"):
        assert f'<option value="{zone}"' in html
    assert "data-browser-zone" in html and "cards/timezone" in html
    # a form sent back with an error keeps the zone the student chose
    again = client.post(reverse("signup"), {"username": "", "timezone": "Asia/Kathmandu"}).content.decode()
    assert "data-browser-zone" not in again and '<option value="Asia/Kathmandu" selected>' in again


def test_a_sign_up_in_a_zone_outside_the_old_short_list_is_kept(client):
    client.post(
        reverse("signup"),
        {
            "username": "kiri",
            "email": "kiri@example.org",
            "password1": "a long pass phrase 42",
            "password2": "a long pass phrase 42",
            "timezone": "Pacific/Auckland",
        },
    )
    assert Profile.objects.get(user__username="kiri").timezone == "Pacific/Auckland"


# --- 23: confirm first ---------------------------------------------------------------------


def test_a_new_join_code_is_made_only_once_confirmed(instructor_client, course):
    url = reverse("cards:course_code", args=[course.pk])
    old = course.join_code
    html = instructor_client.post(url).content.decode()
    course.refresh_from_db()
    assert course.join_code == old
    assert "Make a new join code?" in html and 'name="confirmed" value="yes"' in html and old in html
    instructor_client.post(url, {"confirmed": "yes"})
    course.refresh_from_db()
    assert course.join_code != old


def test_detaching_a_deck_from_a_course_with_students_is_confirmed_first(instructor_client, course, deck, student):
    url = reverse("cards:course_decks", args=[course.pk])
    html = instructor_client.post(url, {"deck": deck.pk, "action": "detach"}).content.decode()
    assert course.decks.filter(pk=deck.pk).exists()
    assert "1 enrolled student will no longer study" in html
    assert f'name="deck" value="{deck.pk}"' in html and 'name="action" value="detach"' in html
    instructor_client.post(url, {"deck": deck.pk, "action": "detach", "confirmed": "yes"})
    assert not course.decks.filter(pk=deck.pk).exists()


def test_detaching_a_deck_from_a_course_without_students_needs_no_confirm(instructor_client, course, deck):
    instructor_client.post(reverse("cards:course_decks", args=[course.pk]), {"deck": deck.pk, "action": "detach"})
    assert not course.decks.filter(pk=deck.pk).exists()


# --- 26: whole sentences, and no empty "Versions:" -----------------------------------------


def test_a_true_false_feedback_quotes_whole_sentences(student, student_client, course, deck):
    question = deck.questions.get(kind="truefalse")
    question.passage = PassageFactory(text=PASSAGE, key="approved-medical-applications-2", heading="Uses")
    question.quote = "Oral formulations are common, while intrathecal baclofen is reserved"
    question.save()
    card = Card.objects.get(user=student, question=question)
    html = student_client.post(
        reverse("cards:study_answer", args=[course.pk, deck.pk]),
        {"card": card.pk, "kind": "truefalse", "choice": right_answer(question)["choice"], "review_id": _uuid()},
        follow=True,
    ).content.decode()
    quote = html[html.index("<blockquote>") : html.index("</blockquote>")]
    assert quote == (
        "<blockquote>Oral formulations are common, while intrathecal baclofen is reserved for patients who do "
        "not respond to oral therapy."
    )


def test_a_source_without_earlier_versions_does_not_print_an_empty_versions_label(instructor_client, course, deck):
    source = SourceFactory(owner=UserFactory())
    deck.sources.add(source)
    html = instructor_client.get(reverse("cards:source_detail", args=[source.pk])).content.decode()
    assert "Versions: </p>" not in html and "Versions:</p>" not in html
    assert "Version 1, added" in html
