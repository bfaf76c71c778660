"""Instructor authoring: roles, courses, sources and versions, the editor, history, reports."""

import uuid

import pytest
from django.test import Client
from django.urls import reverse

from cards.models import Card, Course, Question, QuestionReport, QuestionRevision, ReviewLog, Source
from cards.services import authoring
from tests.factories import DeckFactory, UserFactory

ARTICLE = """Intro line about baclofen.

Mechanism
Baclofen activates GABA-B receptors.

Potassium channels open and calcium influx falls.
"""


def single_post(**overrides):
    data = {
        "kind": "single",
        "topic": "mechanism",
        "prompt": "Which receptor does baclofen activate?",
        "choice_1_text": "GABA-B",
        "choice_1_correct": "on",
        "choice_1_feedback": "Right.",
        "choice_2_text": "GABA-A",
        "choice_2_feedback": "Benzodiazepines act there.",
        "choice_3_text": "NMDA",
        "choice_3_feedback": "A glutamate receptor.",
        "explanation": "Baclofen is a GABA-B agonist.",
        "status": "draft",
        "tags": "receptor, gaba-b",
    }
    data.update(overrides)
    return data


@pytest.fixture
def my_deck(instructor, course):
    deck = course.decks.first()
    deck.owner = instructor
    deck.save()
    return deck


@pytest.fixture
def source(instructor, my_deck):
    return authoring.source_create(owner=instructor, title="Baclofen notes", text=ARTICLE, deck=my_deck)


def test_source_is_split_into_keyed_passages(source):
    keys = list(source.passages.order_by("order").values_list("key", flat=True))
    assert keys == ["introduction-1", "mechanism-1", "mechanism-2"]
    assert source.version == 1 and source.revisions.count() == 1


def test_create_question_in_the_editor(instructor_client, my_deck, source):
    passage = source.passages.get(key="mechanism-1")
    response = instructor_client.post(
        reverse("cards:question_new", args=[my_deck.pk]),
        single_post(passage=passage.pk, quote="activates GABA-B receptors"),
    )
    assert response.status_code == 302
    question = Question.objects.get(prompt="Which receptor does baclofen activate?")
    assert question.deck == my_deck and question.status == "draft" and question.revision == 1
    assert question.passage == passage and question.tags == ["receptor", "gaba-b"]
    assert [c.text for c in question.choices.all()] == ["GABA-B", "GABA-A", "NMDA"]
    assert QuestionRevision.objects.filter(question=question).count() == 1


def test_invalid_question_is_not_saved_and_errors_sit_by_their_fields(instructor_client, my_deck, source):
    before = Question.objects.count()
    response = instructor_client.post(
        reverse("cards:question_new", args=[my_deck.pk]),
        single_post(choice_1_correct="", passage=source.passages.first().pk, quote="not in the passage"),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "needs exactly one correct choice, has 0" in html
    assert "quote is not verbatim" in html
    assert Question.objects.count() == before


def test_preview_shows_what_students_see_including_feedback(instructor_client, my_deck):
    response = instructor_client.post(
        reverse("cards:question_preview", args=[my_deck.pk]), single_post(prompt="Pick *one*")
    )
    html = response.content.decode()
    assert "Pick <em>one</em>" in html
    assert "Benzodiazepines act there." in html  # feedback shown in the after-answer half
    assert "Baclofen is a GABA-B agonist." in html


def test_publish_gives_students_cards(instructor_client, my_deck, student):
    instructor_client.post(reverse("cards:question_new", args=[my_deck.pk]), single_post())
    question = Question.objects.get(prompt="Which receptor does baclofen activate?")
    assert not Card.objects.filter(question=question).exists()  # drafts are invisible to students
    instructor_client.post(reverse("cards:question_status", args=[question.pk]), {"status": "published"})
    assert Card.objects.filter(question=question, user=student).count() == 1


def test_minor_edit_keeps_progress_and_makes_a_revision(instructor_client, my_deck, student):
    question = my_deck.questions.get(kind="single")
    from cards.services.banks import snapshot_revision

    snapshot_revision(question, list(question.choices.all()))
    Card.objects.filter(question=question).update(reps=5, last_review="2026-01-01T00:00Z")
    data = single_post(
        prompt="Which receptor does baclofen activate? (fixed typo)",
        status="published",
        topic=question.topic.slug,
        change="minor",
    )
    response = instructor_client.post(reverse("cards:question_edit", args=[question.pk]), data)
    assert response.status_code == 302
    question.refresh_from_db()
    assert question.revision == 2
    assert Card.objects.get(question=question, user=student).reps == 5
    history = instructor_client.get(reverse("cards:question_history", args=[question.pk])).content.decode()
    assert "<ins>" in history and "Revision 2" in history


def test_substantive_edit_resets_students_cards_but_keeps_the_log(instructor_client, my_deck, student):
    question = my_deck.questions.get(kind="single")
    card = Card.objects.get(question=question, user=student)
    from datetime import UTC, datetime

    from cards.services.study import answer_card

    right = question.choices.get(correct=True)
    answer_card(
        user=student,
        card_id=card.pk,
        answer={"choice": right.pk},
        review_id=uuid.uuid4(),
        now=datetime.now(UTC),
    )
    data = single_post(
        prompt="Which receptor is the target of baclofen?",
        status="published",
        topic=question.topic.slug,
        change="substantive",
    )
    instructor_client.post(reverse("cards:question_edit", args=[question.pk]), data)
    card.refresh_from_db()
    assert card.reps == 0 and card.last_review is None
    log = ReviewLog.objects.get(card=card)
    assert log.question_revision == 1  # the old review still points at what was answered


def test_unchanged_save_makes_no_revision(instructor_client, my_deck):
    instructor_client.post(reverse("cards:question_new", args=[my_deck.pk]), single_post())
    question = Question.objects.get(prompt="Which receptor does baclofen activate?")
    instructor_client.post(reverse("cards:question_edit", args=[question.pk]), single_post())
    question.refresh_from_db()
    assert question.revision == 1


def test_editing_a_source_flags_questions_citing_changed_passages(instructor, my_deck, source):
    passage = source.passages.get(key="mechanism-1")
    question = authoring.question_save(
        deck=my_deck,
        author=instructor,
        data={
            "kind": "flashcard",
            "topic": "mechanism",
            "prompt": "Target?",
            "back": "GABA-B",
            "source": {"source": source.slug, "passage": passage.key, "quote": "GABA-B receptors"},
            "status": "published",
        },
    )
    untouched = authoring.question_save(
        deck=my_deck,
        author=instructor,
        data={
            "kind": "flashcard",
            "topic": "mechanism",
            "prompt": "Ions?",
            "back": "K+",
            "source": {"source": source.slug, "passage": "mechanism-2", "quote": "Potassium channels open"},
            "status": "published",
        },
    )
    result = authoring.source_update(
        source=source,
        title=source.title,
        author=instructor,
        text=ARTICLE.replace("activates GABA-B receptors", "binds and activates GABA-B receptors"),
    )
    assert result.source.version == 2 and result.changed_passages == ["mechanism-1"]
    question.refresh_from_db()
    untouched.refresh_from_db()
    assert question.needs_review and not untouched.needs_review
    assert question.cited_text == "Baclofen activates GABA-B receptors."
    assert question.passage.text == "Baclofen binds and activates GABA-B receptors."


def test_source_page_shows_old_and_new_text_side_by_side(instructor, instructor_client, my_deck, source):
    authoring.question_save(
        deck=my_deck,
        author=instructor,
        data={
            "kind": "flashcard",
            "topic": "mechanism",
            "prompt": "Target?",
            "back": "GABA-B",
            "source": {"source": source.slug, "passage": "mechanism-1", "quote": "GABA-B receptors"},
        },
    )
    instructor_client.post(
        reverse("cards:source_detail", args=[source.pk]),
        {"title": source.title, "text": ARTICLE.replace("activates", "stimulates")},
    )
    html = instructor_client.get(reverse("cards:source_detail", args=[source.pk])).content.decode()
    assert "Baclofen activates GABA-B receptors." in html and "Baclofen stimulates GABA-B receptors." in html
    question = Question.objects.get(prompt="Target?")
    instructor_client.post(reverse("cards:question_reviewed", args=[question.pk]))
    question.refresh_from_db()
    assert not question.needs_review


def test_upload_a_text_file_as_source(instructor_client, my_deck):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("notes.md", ARTICLE.encode(), content_type="text/markdown")
    response = instructor_client.post(
        reverse("cards:source_new", args=[my_deck.pk]), {"title": "Notes", "upload": upload}
    )
    assert response.status_code == 302
    assert Source.objects.get(title="Notes").passages.count() == 3


def test_upload_of_a_binary_file_is_refused(instructor_client, my_deck):
    from django.core.files.uploadedfile import SimpleUploadedFile

    upload = SimpleUploadedFile("notes.txt", b"\xff\xfe\x00bad", content_type="text/plain")
    response = instructor_client.post(
        reverse("cards:source_new", args=[my_deck.pk]), {"title": "Bad", "upload": upload}
    )
    assert "not UTF-8 text" in response.content.decode()
    assert not Source.objects.filter(title="Bad").exists()


def test_course_creation_join_code_and_co_instructor(instructor_client, other_instructor):
    response = instructor_client.post(
        reverse("cards:course_new"),
        {
            "title": "Pharm 2",
            "desired_retention": "90",
            "new_per_day": "15",
            "reviews_per_day": "150",
            "learning_steps": "1 10",
            "relearning_steps": "10",
            "maximum_interval": "365",
            "enable_fuzz": "on",
        },
    )
    course = Course.objects.get(title="Pharm 2")
    assert response.status_code == 302 and course.learning_steps == [1, 10] and course.new_per_day == 15
    assert course.desired_retention == 0.9
    old_code = course.join_code
    instructor_client.post(reverse("cards:course_code", args=[course.pk]), {"confirmed": "yes"})
    course.refresh_from_db()
    assert course.join_code != old_code
    instructor_client.post(reverse("cards:course_instructors", args=[course.pk]), {"username": "other-teacher"})
    other = Client()
    other.force_login(other_instructor)
    assert other.get(reverse("cards:course_detail", args=[course.pk])).status_code == 200


def test_bad_learning_steps_are_explained(instructor_client):
    response = instructor_client.post(
        reverse("cards:course_new"),
        {
            "title": "Pharm 3",
            "desired_retention": "90",
            "new_per_day": "15",
            "reviews_per_day": "150",
            "learning_steps": "one ten",
            "relearning_steps": "10",
            "maximum_interval": "365",
        },
    )
    assert "whole minutes separated by spaces" in response.content.decode()


def test_attaching_a_deck_gives_enrolled_students_cards(instructor, instructor_client, course, student):
    deck = DeckFactory(owner=instructor)
    from tests.factories import make_question

    make_question(deck, "single")
    instructor_client.post(reverse("cards:course_decks", args=[course.pk]), {"deck": deck.pk})
    assert Card.objects.filter(user=student, deck=deck).count() == 1


def test_student_reports_a_problem_and_instructor_triages_it(student_client, instructor_client, course, deck):
    question = deck.questions.get(kind="single")
    response = student_client.post(
        reverse("cards:report_problem", args=[question.pk]),
        {"comment": "Two answers look right.", "next": "https://evil.example/"},
    )
    assert response.status_code == 302 and "evil" not in response["Location"]
    report = QuestionReport.objects.get()
    assert report.revision == question.revision
    queue = instructor_client.get(reverse("cards:reports")).content.decode()
    assert "Two answers look right." in queue
    instructor_client.post(reverse("cards:report_resolve", args=[report.pk]), {"status": "fixed"})
    report.refresh_from_db()
    assert report.status == "fixed" and report.resolved_by.username == "teacher"


def test_reporting_a_question_you_cannot_study_is_404(db, deck):
    outsider = UserFactory(username="outsider")
    client = Client()
    client.force_login(outsider)
    question = deck.questions.first()
    assert client.post(reverse("cards:report_problem", args=[question.pk]), {"comment": "x"}).status_code == 404


def test_coverage_lists_passages_and_flags_uncovered_ones(instructor, instructor_client, my_deck, source):
    authoring.question_save(
        deck=my_deck,
        author=instructor,
        data={
            "kind": "flashcard",
            "topic": "mechanism",
            "prompt": "Target?",
            "back": "GABA-B",
            "source": {"source": source.slug, "passage": "mechanism-1", "quote": "GABA-B receptors"},
        },
    )
    html = instructor_client.get(reverse("cards:deck_coverage", args=[my_deck.pk])).content.decode()
    assert "2 with no question" in html
    assert 'id="passage-mechanism-1"' in html and "Flashcard: 1" in html


# --- permissions -------------------------------------------------------------------------

AUTHORING_URLS = [
    ("cards:teach_home", lambda o: []),
    ("cards:course_new", lambda o: []),
    ("cards:course_detail", lambda o: [o["course"].pk]),
    ("cards:course_code", lambda o: [o["course"].pk]),
    ("cards:course_decks", lambda o: [o["course"].pk]),
    ("cards:course_instructors", lambda o: [o["course"].pk]),
    ("cards:deck_new", lambda o: []),
    ("cards:deck_detail", lambda o: [o["deck"].pk]),
    ("cards:deck_coverage", lambda o: [o["deck"].pk]),
    ("cards:source_new", lambda o: [o["deck"].pk]),
    ("cards:question_new", lambda o: [o["deck"].pk]),
    ("cards:question_preview", lambda o: [o["deck"].pk]),
    ("cards:source_detail", lambda o: [o["source"].pk]),
    ("cards:question_edit", lambda o: [o["question"].pk]),
    ("cards:question_status", lambda o: [o["question"].pk]),
    ("cards:question_reviewed", lambda o: [o["question"].pk]),
    ("cards:question_history", lambda o: [o["question"].pk]),
    ("cards:reports", lambda o: []),
    ("cards:report_resolve", lambda o: [o["report"].pk]),
]
NO_OBJECT = {"cards:teach_home", "cards:course_new", "cards:deck_new", "cards:reports"}


@pytest.fixture
def owned(instructor, my_deck, course, student, source):
    question = my_deck.questions.first()
    report = QuestionReport.objects.create(question=question, revision=1, reporter=student, comment="x")
    return {"course": course, "deck": my_deck, "source": source, "question": question, "report": report}


@pytest.mark.parametrize(("name", "args"), AUTHORING_URLS)
def test_students_get_403_on_every_authoring_url(name, args, owned, student_client):
    url = reverse(name, args=args(owned))
    assert student_client.get(url).status_code == 403
    assert student_client.post(url, {"status": "published", "title": "x"}).status_code == 403


@pytest.mark.parametrize(("name", "args"), [u for u in AUTHORING_URLS if u[0] not in NO_OBJECT])
def test_another_instructor_gets_404_on_this_courses_objects(name, args, owned, other_instructor):
    client = Client()
    client.force_login(other_instructor)
    url = reverse(name, args=args(owned))
    assert client.get(url).status_code in (404, 405)  # 405: a POST-only URL
    assert client.post(url, {"status": "retired", "title": "x", "deck": owned["deck"].pk}).status_code in (404, 405)
    owned["question"].refresh_from_db()
    assert owned["question"].status == "published"


@pytest.mark.parametrize(("name", "args"), AUTHORING_URLS)
def test_anonymous_is_sent_to_login(name, args, owned, client):
    response = client.get(reverse(name, args=args(owned)))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_is_staff_alone_is_not_an_instructor(db):
    admin_only = UserFactory(username="staffer", is_staff=True)
    client = Client()
    client.force_login(admin_only)
    assert client.get(reverse("cards:teach_home")).status_code == 403
