"""Every URL (pages and API) for five kinds of visitor. The matrix is checked against the URL
resolver: a new URL without an entry here fails the test.

Outcomes: L = sent to log in (302 to the login page, or 401 in the API), F = 403,
N = 404 (never someone else's data), A = allowed (any other status below 500).
Columns: anonymous, student (owns the objects), another student of the same course,
the course's instructor, another course's instructor."""

import uuid
from datetime import UTC, datetime

import pytest
from django.test import Client
from django.urls import get_resolver, reverse

from cards.models import Card, QuestionReport
from cards.services import bank_files, imports
from cards.services import quizzes as quiz_services
from cards.services.authoring import source_create
from cards.services.blocks import block_create
from cards.services.notes import note_save
from cards.services.study import answer_card

ROLES = ("anonymous", "student", "other_student", "instructor", "other_instructor")
PUBLIC = "AAAAA"
ANY_USER = "LAAAA"
OWN = "LANNN"  # the student's own card, review or attempt
COURSE = "LAANN"  # anything a student of the course may use
TEACH = "LFFAA"  # instructor pages without an object
TEACH_OBJ = "LFFAN"  # an object of the course's instructor

# name: (method, args from the objects, expected outcomes, optional query string)
MATRIX = {
    "home": ("GET", lambda o: [], "LAAAA"),
    "healthz": ("GET", lambda o: [], PUBLIC),
    "signup": ("GET", lambda o: [], PUBLIC),
    "login": ("GET", lambda o: [], PUBLIC),
    "logout": ("POST", lambda o: [], "LLLLL"),  # everyone ends on the login page
    "password_change": ("GET", lambda o: [], ANY_USER),
    "password_change_done": ("GET", lambda o: [], ANY_USER),
    "password_reset": ("GET", lambda o: [], PUBLIC),
    "password_reset_done": ("GET", lambda o: [], PUBLIC),
    "password_reset_confirm": ("GET", lambda o: ["MQ", "bad-token"], PUBLIC),
    "password_reset_complete": ("GET", lambda o: [], PUBLIC),
    "api_docs": ("GET", lambda o: [], PUBLIC),
    # student pages
    "cards:study_home": ("GET", lambda o: [], ANY_USER),
    "cards:join_course": ("POST", lambda o: [], ANY_USER),
    "cards:study_session": ("GET", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:study_answer": ("POST", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:study_feedback": ("GET", lambda o: [o["course"].pk, o["deck"].pk, o["review_id"]], OWN),
    "cards:study_reveal": ("GET", lambda o: [o["course"].pk, o["deck"].pk, o["flashcard"].pk], OWN),
    "cards:study_rerate": ("POST", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:study_undo": ("POST", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:study_override": ("POST", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:study_suspend": ("POST", lambda o: [o["course"].pk, o["deck"].pk, o["card"].pk], OWN),
    "cards:suspended_list": ("GET", lambda o: [o["course"].pk, o["deck"].pk], COURSE),
    "cards:report_problem": ("POST", lambda o: [o["question"].pk], COURSE),
    "cards:dashboard": ("GET", lambda o: [], ANY_USER),
    "cards:preferences": ("GET", lambda o: [], ANY_USER),
    "cards:scheduler_parameters": ("POST", lambda o: [o["course"].pk], COURSE),  # a course of one's own
    "cards:exam_date": ("POST", lambda o: [o["course"].pk], COURSE),
    "api:course_exam": ("GET", lambda o: [o["course"].pk], COURSE),
    "cards:retention_forecast": ("GET", lambda o: [o["course"].pk], COURSE),
    "api:course_forecast": ("GET", lambda o: [o["course"].pk], COURSE),
    "cards:unsuspend": ("POST", lambda o: [o["card"].pk], OWN),
    "cards:quiz_list": ("GET", lambda o: [], ANY_USER),
    "cards:practice_start": ("POST", lambda o: [], COURSE),
    "cards:quiz_start": ("POST", lambda o: [o["quiz"].pk], COURSE),
    "cards:attempt": ("GET", lambda o: [o["attempt"].pk], OWN),
    "cards:attempt_answer": ("POST", lambda o: [o["attempt"].pk], OWN),
    "cards:attempt_submit": ("POST", lambda o: [o["attempt"].pk], OWN),
    "cards:attempt_result": ("GET", lambda o: [o["attempt"].pk], OWN),
    "cards:block_list": ("GET", lambda o: [], ANY_USER),
    "cards:block_new": ("GET", lambda o: [], ANY_USER),
    "cards:block": ("GET", lambda o: [o["block"].pk], OWN),
    "cards:block_answer": ("POST", lambda o: [o["block"].pk], OWN),
    "cards:block_submit": ("POST", lambda o: [o["block"].pk], OWN),
    "cards:block_result": ("GET", lambda o: [o["block"].pk], OWN),
    "cards:question_class": ("GET", lambda o: [o["question"].pk], COURSE, lambda o: f"?course={o['course'].pk}"),
    "cards:notes": ("GET", lambda o: [], ANY_USER),
    "cards:question_note": ("GET", lambda o: [o["question"].pk], COURSE),
    # instructor pages
    "cards:teach_home": ("GET", lambda o: [], TEACH),
    "cards:course_new": ("GET", lambda o: [], TEACH),
    "cards:course_detail": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:course_code": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:course_refit": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:course_decks": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:course_instructors": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:quiz_new": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:course_quizzes": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:quiz_edit": ("GET", lambda o: [o["quiz"].pk], TEACH_OBJ),
    "cards:quiz_close": ("POST", lambda o: [o["quiz"].pk], TEACH_OBJ),
    "cards:quiz_archive": ("POST", lambda o: [o["quiz"].pk], TEACH_OBJ),
    "cards:quiz_delete": ("POST", lambda o: [o["quiz"].pk], TEACH_OBJ),
    "cards:course_analytics": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:refresh_analytics": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:item_detail": ("GET", lambda o: [o["course"].pk, o["question"].pk], TEACH_OBJ),
    "cards:export_items": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:export_students": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:export_attempts": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "cards:deck_new": ("GET", lambda o: [], TEACH),
    "cards:bank_import": ("GET", lambda o: [], TEACH),
    "cards:bank_import_confirm": ("POST", lambda o: [], TEACH),
    "cards:deck_detail": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:deck_coverage": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:deck_safety_tag": ("POST", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:source_new": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:question_new": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:question_preview": ("POST", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:deck_import": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:deck_import_confirm": ("POST", lambda o: [o["deck"].pk], TEACH_OBJ),
    "cards:deck_export": ("GET", lambda o: [o["deck"].pk, "json"], TEACH_OBJ),
    "cards:source_detail": ("GET", lambda o: [o["source"].pk], TEACH_OBJ),
    "cards:question_edit": ("GET", lambda o: [o["question"].pk], TEACH_OBJ),
    "cards:question_status": ("POST", lambda o: [o["question"].pk], TEACH_OBJ),
    "cards:question_reviewed": ("POST", lambda o: [o["question"].pk], TEACH_OBJ),
    "cards:question_history": ("GET", lambda o: [o["question"].pk], TEACH_OBJ),
    "cards:reports": ("GET", lambda o: [], TEACH),
    "cards:report_resolve": ("POST", lambda o: [o["report"].pk], TEACH_OBJ),
    # API
    "api:auth_token": ("POST", lambda o: [], PUBLIC),
    "api:auth_register": ("POST", lambda o: [], PUBLIC),
    "api:auth_logout": ("POST", lambda o: [], ANY_USER),
    "api:schema": ("GET", lambda o: [], PUBLIC),
    "api:courses": ("GET", lambda o: [], ANY_USER),
    "api:courses_join": ("POST", lambda o: [], ANY_USER),
    "api:decks": ("GET", lambda o: [], ANY_USER),
    "api:study_next": ("GET", lambda o: [], COURSE, lambda o: f"?deck={o['deck'].pk}"),
    "api:study_answer": ("POST", lambda o: [], ANY_USER),
    "api:study_undo": ("POST", lambda o: [], ANY_USER),
    "api:study_override": ("POST", lambda o: [], ANY_USER),
    "api:study_suspended": ("GET", lambda o: [], COURSE, lambda o: f"?deck={o['deck'].pk}"),
    "api:study_suspend": ("POST", lambda o: [], ANY_USER),  # the card is in the body: 404 unless one's own
    "api:study_unsuspend": ("POST", lambda o: [], ANY_USER),
    "api:stats": ("GET", lambda o: [], ANY_USER),
    "api:questions": ("GET", lambda o: [], TEACH),
    "api:question_detail": ("GET", lambda o: [o["question"].pk], TEACH_OBJ),
    "api:question_publish": ("POST", lambda o: [o["question"].pk], TEACH_OBJ),
    "api:quizzes": ("GET", lambda o: [], ANY_USER),
    "api:quiz_attempts": ("POST", lambda o: [o["quiz"].pk], COURSE),
    "api:attempt_detail": ("GET", lambda o: [o["attempt"].pk], OWN),
    "api:attempt_answer": ("POST", lambda o: [o["attempt"].pk], OWN),
    "api:attempt_submit": ("POST", lambda o: [o["attempt"].pk], OWN),
    "api:blocks": ("GET", lambda o: [], ANY_USER),
    "api:block_pools": ("GET", lambda o: [], COURSE, lambda o: f"?course={o['course'].pk}"),
    "api:block_detail": ("GET", lambda o: [o["block"].pk], OWN),
    "api:block_answer": ("POST", lambda o: [o["block"].pk], OWN),
    "api:block_submit": ("POST", lambda o: [o["block"].pk], OWN),
    "api:notes": ("GET", lambda o: [], ANY_USER),
    "api:note_detail": ("GET", lambda o: [o["note"].pk], OWN),
    "api:item_analysis": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    # API authoring (each write of these URLs for each role: tests/integration/test_api_authoring.py)
    "api:question_reviewed": ("POST", lambda o: [o["question"].pk], TEACH_OBJ),
    "api:teach_courses": ("GET", lambda o: [], TEACH),
    "api:teach_course_detail": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_course_code": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_course_scheduling": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_course_forecast": ("GET", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_course_decks": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_course_instructors": ("POST", lambda o: [o["course"].pk], TEACH_OBJ),
    "api:teach_decks": ("GET", lambda o: [], TEACH),
    "api:teach_deck_detail": ("GET", lambda o: [o["deck"].pk], TEACH_OBJ),
    "api:teach_deck_safety": ("POST", lambda o: [o["deck"].pk], TEACH_OBJ),
    "api:teach_deck_import": ("POST", lambda o: [o["deck"].pk], TEACH_OBJ),
    "api:teach_deck_export": ("GET", lambda o: [o["deck"].pk, "json"], TEACH_OBJ),
    "api:teach_import_confirm": ("POST", lambda o: [o["pending_import"].pk], TEACH_OBJ),
    "api:teach_images": ("POST", lambda o: [], TEACH),
    "api:teach_topics": ("GET", lambda o: [], TEACH),
    "api:teach_sources": ("GET", lambda o: [], TEACH),
    "api:teach_source_detail": ("GET", lambda o: [o["source"].pk], TEACH_OBJ),
    "api:teach_source_passages": ("GET", lambda o: [o["source"].pk], TEACH_OBJ),
}
# Bodies that make a POST reach its permission check rather than stop at validation.
BODIES = {
    "cards:practice_start": lambda o: {"course": o["course"].pk},
    "cards:course_decks": lambda o: {"deck": o["deck"].pk},
    "cards:report_problem": lambda o: {"comment": "typo"},
    "api:block_answer": lambda o: {"card": o["block"].card_ids[0], "text": "x"},
    "cards:block_answer": lambda o: {"card": o["block"].card_ids[0], "kind": "short", "text": "x"},
    "cards:attempt_answer": lambda o: {"question": o["attempt"].question_ids[0], "kind": "short", "text": "x"},
}


def _url_names() -> set[str]:
    def walk(patterns, ns=""):
        for p in patterns:
            if hasattr(p, "url_patterns"):
                if p.namespace == "admin":
                    continue
                yield from walk(p.url_patterns, f"{ns}{p.namespace}:" if p.namespace else ns)
            elif p.name:
                yield f"{ns}{p.name}"

    return set(walk(get_resolver().url_patterns))


def test_every_url_has_a_matrix_entry():
    names = _url_names()
    assert names - set(MATRIX) == set(), "new URL(s) without a permission matrix entry"
    assert set(MATRIX) - names == set(), "matrix entries for URLs that no longer exist"


@pytest.fixture
def objects(student, other_student, instructor, course, deck):
    deck.owner = instructor
    deck.save()
    source = source_create(
        owner=instructor, title="Notes", text="Heading\nBaclofen activates GABA-B receptors.", deck=deck
    )
    question = deck.questions.get(kind="single")
    card = Card.objects.get(user=student, question=question)
    review = answer_card(
        user=student,
        card_id=card.pk,
        answer={"choice": question.choices.get(correct=True).pk},
        review_id=uuid.uuid4(),
        now=datetime.now(UTC),
    ).log
    flashcard = Card.objects.get(user=student, question__kind="flashcard")
    report = QuestionReport.objects.create(question=question, revision=1, reporter=student, comment="typo")
    quiz = quiz_services.quiz_create(course=course, created_by=instructor, title="Q", num_questions=2)
    attempt = quiz_services.attempt_start(user=student, quiz=quiz, now=datetime.now(UTC))
    pending_import = bank_files.import_preview_create(
        user=instructor,
        deck=deck,
        name="deck.json",
        content=str(imports.export_deck(deck=deck, fmt="json")).encode(),
        fmt="auto",
        strict=False,
    ).pending
    note = note_save(user=student, question_id=question.pk, flagged=True, text="mine", now=datetime.now(UTC))
    block = block_create(user=student, course_id=course.pk, size=2, now=datetime.now(UTC))
    return {
        "block": block,
        "note": note,
        "course": course,
        "deck": deck,
        "question": question,
        "card": card,
        "flashcard": flashcard,
        "review_id": review.review_id,
        "source": source,
        "report": report,
        "quiz": quiz,
        "attempt": attempt,
        "pending_import": pending_import,
    }


def _outcome(response) -> str:
    status = response.status_code
    assert status < 500, f"server error {status}"
    if status == 401 or (status == 302 and "/accounts/login/" in response.get("Location", "")):
        return "L"
    return {403: "F", 404: "N"}.get(status, "A")


@pytest.mark.parametrize("name", sorted(MATRIX))
def test_permission_matrix(name, objects, student, other_student, instructor, other_instructor):
    method, args, expected, *query = MATRIX[name]
    url = reverse(name, args=args(objects)) + (query[0](objects) if query else "")
    users = {
        "anonymous": None,
        "student": student,
        "other_student": other_student,
        "instructor": instructor,
        "other_instructor": other_instructor,
    }
    got = []
    for role in ROLES:
        client = Client()
        if users[role] is not None:
            client.force_login(users[role])
        body = BODIES.get(name, lambda o: {})(objects)
        response = client.get(url) if method == "GET" else client.post(url, body)
        got.append(_outcome(response))
    assert "".join(got) == expected, dict(zip(ROLES, got, strict=True))
