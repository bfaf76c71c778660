"""Safety-critical questions (issue 20): scheduled at the course's safety retention (0.95 by
default; a student's own higher retention wins), in the answer and in the intervals the
rating buttons show before answering; flagged in the class analytics when the class's
predicted recall drops below the target; set in the editor, the authoring API and bank files."""

import json
import re
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import time_machine
from django.test import Client
from django.urls import reverse

from cards.core.scheduling import card_retention
from cards.interop import json_bank
from cards.models import Card, ClassStats, Course, Enrollment, Question
from cards.selectors.feedback import fresh_feedback
from cards.services import class_stats
from cards.services.accounts import make_instructor
from cards.services.banks import export_bank, load_bank, question_data
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.conftest import api_for
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

NOW = datetime(2026, 4, 6, 10, 0, tzinfo=UTC)
BANK_FILE = Path(__file__).resolve().parents[2] / "fixtures/baclofen/bank.json"


def _days(label: str) -> float:
    """An interval label (45s, 10m, 3h, 4d, 2.5mo, 1.2y) in days."""
    number, unit = re.fullmatch(r"([\d.]+)(s|m|h|d|mo|y)", label).groups()
    return float(number) * {"s": 1 / 86400, "m": 1 / 1440, "h": 1 / 24, "d": 1, "mo": 30, "y": 365}[unit]


def _intervals(html: str) -> list[str]:
    """The four rating buttons' interval labels of a study panel."""
    return re.findall(r'<span class="ivl">([^<]+)</span>', html)


def test_a_safety_critical_card_takes_the_higher_of_the_two_retentions():
    assert card_retention(0.9, 0.95, safety_critical=True) == 0.95
    assert card_retention(0.97, 0.95, safety_critical=True) == 0.97  # the student's own higher one wins
    assert card_retention(0.9, 0.95, safety_critical=False) == 0.9
    course = Course(desired_retention=0.85, safety_retention=0.96)
    assert course.scheduler_settings(safety_critical=True).desired_retention == 0.96
    assert course.scheduler_settings(0.8).desired_retention == 0.8


@pytest.fixture
def twin_course(db):
    """Two flashcards alike but for the flag, and a student who has both."""
    deck = DeckFactory(slug="twins", title="Twins")
    plain = make_question(deck, "flashcard", prompt="Usual dose?", back="5 mg three times a day")
    safety = make_question(deck, "flashcard", prompt="Stop abruptly?", back="Never: taper", safety_critical=True)
    course = CourseFactory(title="Twins course")
    course.decks.add(deck)
    user = UserFactory(username="twin-student")
    enroll_student(user=user, course=course)
    return course, user, plain, safety


def _same_history(user, *questions):
    """Both cards in the Review state with the same memory, due now."""
    Card.objects.filter(user=user, question__in=questions).update(
        state=2, step=None, stability=20.0, difficulty=5.0, last_review=NOW - timedelta(days=20), due=NOW, reps=3
    )


def test_a_safety_critical_card_gets_a_shorter_interval_than_the_same_history(twin_course):
    course, user, plain, safety = twin_course
    _same_history(user, plain, safety)
    due = {}
    with time_machine.travel(NOW, tick=False):
        for question in (plain, safety):
            card = Card.objects.get(user=user, question=question)
            out = answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=NOW)
            due[question.pk] = out.card.due
    assert due[safety.pk] < due[plain.pk]
    # 0.95 against 0.90: FSRS's interval at 95% is well under that at 90% for the same stability
    assert (due[safety.pk] - NOW) < 0.7 * (due[plain.pk] - NOW)
    # a student whose own retention is above the safety target is scheduled at theirs on both
    Enrollment.objects.filter(user=user).update(desired_retention=0.97)
    _same_history(user, plain, safety)
    later = NOW + timedelta(minutes=1)
    with time_machine.travel(later, tick=False):
        for question in (plain, safety):
            card = Card.objects.get(user=user, question=question)
            out = answer_card(user=user, card_id=card.pk, answer={"rating": 3}, review_id=uuid.uuid4(), now=later)
            due[question.pk] = out.card.due
    assert abs((due[safety.pk] - due[plain.pk]).total_seconds()) < 60


def test_the_rating_buttons_before_answering_honour_the_safety_retention(client, twin_course):
    course, user, plain, safety = twin_course
    _same_history(user, plain, safety)
    client.force_login(user)

    def buttons(question):
        card = Card.objects.get(user=user, question=question)
        with time_machine.travel(NOW, tick=False):
            url = reverse("cards:study_reveal", args=[course.pk, card.deck_id, card.pk])
            return _intervals(client.get(url).content.decode())

    plain_labels, safety_labels = buttons(plain), buttons(safety)
    assert len(plain_labels) == 4 and plain_labels != safety_labels
    assert _days(safety_labels[2]) < _days(plain_labels[2])  # Good: fewer days
    course.safety_retention = course.desired_retention  # the same target as the course's: the same buttons
    course.save()
    assert buttons(safety) == plain_labels


def test_the_api_intervals_of_the_next_card_honour_it(twin_course):
    course, user, plain, safety = twin_course
    _same_history(user, plain, safety)
    Card.objects.filter(user=user, question=plain).update(due=NOW + timedelta(days=5))  # only the safety card due
    api = api_for(user)
    with time_machine.travel(NOW, tick=False):
        flagged = api.get(f"/api/v1/study/next/?deck={plain.deck_id}").json()["card"]
        assert flagged["id"] == Card.objects.get(user=user, question=safety).pk
        Question.objects.filter(pk=safety.pk).update(safety_critical=False)
        unflagged = api.get(f"/api/v1/study/next/?deck={plain.deck_id}").json()["card"]
    assert _days(flagged["intervals"]["3"]) < _days(unflagged["intervals"]["3"])


# -- class analytics ---------------------------------------------------------------------------


def test_the_analytics_page_flags_a_safety_question_below_the_target_and_not_above(twin_course):
    course, user, plain, safety = twin_course
    instructor = UserFactory(username="safety-teacher")
    make_instructor(instructor)
    course.instructors.add(instructor)
    _same_history(user, plain, safety)
    card = Card.objects.get(user=user, question=safety)
    # reviewed 20 days ago with a stability of 20 days: recall 0.9 now, under the 0.95 target
    class_stats.refresh(course, now=NOW)
    stats = ClassStats.objects.get(course=course)
    assert [e["uid"] for e in stats.safety] == [safety.uid]
    assert 0.85 < stats.safety[0]["recall"] < 0.93
    client = Client()
    client.force_login(instructor)
    url = reverse("cards:course_analytics", args=[course.pk])
    with time_machine.travel(NOW, tick=False):
        html = client.get(url).content.decode()
    assert "Below target" in html and "1 below target" in html
    # the target lowered under the class's recall: no flag, the same snapshot (a GET writes nothing)
    course.safety_retention = 0.85
    course.save()
    with time_machine.travel(NOW, tick=False):
        html = client.get(url).content.decode()
    assert "Below target" not in html and "at or above target" in html
    assert ClassStats.objects.get(course=course).computed_at == stats.computed_at
    # the card reviewed just now: recall back near 1, above the 0.95 target
    course.safety_retention = 0.95
    course.save()
    Card.objects.filter(pk=card.pk).update(last_review=NOW, due=NOW + timedelta(days=5))
    class_stats.refresh(course, now=NOW + timedelta(seconds=1))
    with time_machine.travel(NOW + timedelta(seconds=2), tick=False):
        html = client.get(url).content.decode()
    assert "Below target" not in html and "at or above target" in html


# -- authoring: editor, API, bank files ------------------------------------------------------------


def test_the_flag_makes_no_revision_and_round_trips_through_the_bank_json(db):
    deck = DeckFactory(slug="flag-deck", title="Flag deck")
    question = make_question(deck, "flashcard")
    data = question_data(question, [])
    assert "safety_critical" not in data  # banks without the flag export as before
    bank = export_bank(deck)
    bank["questions"][0]["safety_critical"] = True
    report = load_bank(data=bank)
    question.refresh_from_db()
    assert question.safety_critical and report.updated == [question.uid]
    assert question.revision == 1  # scheduling, not content: no new revision
    assert export_bank(deck)["questions"][0]["safety_critical"] is True
    bank["questions"][0]["safety_critical"] = "yes"
    problems = json_bank.validate(bank)
    assert any(p.field == "safety_critical" and "true or false" in p.message for p in problems)


def test_the_shipped_bank_marks_withdrawal_and_interaction_items():
    bank = json.loads(BANK_FILE.read_text())
    flagged = [q for q in bank["questions"] if q.get("safety_critical")]
    assert flagged and all(q["topic"] == "withdrawal" or "interactions" in q["tags"] for q in flagged)
    assert not [
        q
        for q in bank["questions"]
        if (q["topic"] == "withdrawal" or "interactions" in q["tags"]) and not q.get("safety_critical")
    ]
    assert not json_bank.validate(bank)


def test_the_editor_checkbox_and_the_authoring_api_set_the_flag(instructor_client, instructor_api, deck):
    question = make_question(deck, "single", uid="bac-flag-001", passage=None)
    url = reverse("cards:question_edit", args=[question.pk])
    checkbox = re.compile(r'<input type="checkbox" name="safety_critical"[^>]*>')
    html = instructor_client.get(url).content.decode()
    assert "Safety-critical" in html and "checked" not in checkbox.search(html).group(0)
    response = instructor_api.patch(f"/api/v1/questions/{question.pk}/", {"safety_critical": True}, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["safety_critical"] is True
    question.refresh_from_db()
    assert question.safety_critical and question.revision == 1
    assert instructor_api.get(f"/api/v1/questions/{question.pk}/").json()["safety_critical"] is True
    bad = instructor_api.patch(f"/api/v1/questions/{question.pk}/", {"safety_critical": "often"}, format="json")
    assert bad.status_code == 400
    assert "checked" in checkbox.search(instructor_client.get(url).content.decode()).group(0)


def test_the_course_setting_through_the_form_and_the_api(instructor_client, instructor_api, course):
    response = instructor_api.patch(f"/api/v1/teach/courses/{course.pk}/", {"safety_retention": 0.97}, format="json")
    assert response.status_code == 200 and response.json()["safety_retention"] == 0.97
    assert (
        instructor_api.patch(
            f"/api/v1/teach/courses/{course.pk}/", {"safety_retention": 1.5}, format="json"
        ).status_code
        == 400
    )
    html = instructor_client.get(reverse("cards:course_detail", args=[course.pk])).content.decode()
    assert 'name="safety_retention"' in html and 'value="97"' in html


def test_the_rerate_buttons_after_a_correct_answer_take_the_safety_floor(db):
    deck = DeckFactory(slug="rerate-twins", title="Rerate twins")
    plain = make_question(deck, "single", uid="bac-plain-001", passage=None)
    safety = make_question(deck, "single", uid="bac-safe-001", passage=None, safety_critical=True)
    course = CourseFactory(title="Rerate course")
    course.decks.add(deck)
    user = UserFactory(username="rerater")
    enroll_student(user=user, course=course)
    _same_history(user, plain, safety)
    hard = {}
    with time_machine.travel(NOW, tick=False):
        for question in (plain, safety):
            card = Card.objects.get(user=user, question=question)
            choice = question.choices.get(correct=True)
            out = answer_card(user=user, card_id=card.pk, answer={"choice": choice.pk}, review_id=uuid.uuid4(), now=NOW)
            feedback = fresh_feedback(out.card, list(out.choices), out.log, with_rerate=True)
            hard[question.pk] = [o.interval for o in feedback.rerate_options]
    assert len(hard[safety.pk]) == 3
    assert all(s < p for s, p in zip(hard[safety.pk], hard[plain.pk], strict=True))


def test_an_instructor_marks_every_question_of_a_tag_safety_critical(course, deck, instructor_client):
    withdrawal = [make_question(deck, "single", tags=["withdrawal", "vignette"]) for _ in range(2)]
    untagged = make_question(deck, "single", tags=["gaba-b"])
    other_deck = DeckFactory()
    elsewhere = make_question(other_deck, "single", tags=["withdrawal"])
    revisions = {q.pk: q.revision for q in withdrawal}
    page = instructor_client.get(reverse("cards:deck_detail", args=[deck.pk])).content.decode()
    assert "withdrawal (2 questions)" in page  # the form offers the deck's tags with their counts

    url = reverse("cards:deck_safety_tag", args=[deck.pk])
    done = instructor_client.post(url, {"tag": "withdrawal", "critical": "1"}, follow=True).content.decode()
    assert "2 questions tagged “withdrawal” made safety-critical." in done
    assert all(Question.objects.get(pk=q.pk).safety_critical for q in withdrawal)
    assert not Question.objects.get(pk=untagged.pk).safety_critical
    assert not Question.objects.get(pk=elsewhere.pk).safety_critical  # another deck's question
    # the flag is not content: no new revision, so students' cards keep their history
    assert {q.pk: Question.objects.get(pk=q.pk).revision for q in withdrawal} == revisions
    assert "withdrawal (2 questions, 2 safety-critical)" in done

    instructor_client.post(url, {"tag": "withdrawal", "critical": "0"})
    assert not Question.objects.filter(pk__in=[q.pk for q in withdrawal], safety_critical=True).exists()


def test_a_tag_no_question_has_is_refused_with_a_message(course, deck, instructor_client):
    url = reverse("cards:deck_safety_tag", args=[deck.pk])
    page = instructor_client.post(url, {"tag": "nope", "critical": "1"}, follow=True).content.decode()
    assert "No question of this deck is tagged “nope”." in page
    assert not Question.objects.filter(deck=deck, safety_critical=True).exists()


def test_the_api_marks_a_tag_and_says_how_many_changed(course, deck, instructor):
    tagged = make_question(deck, "single", tags=["interactions"])
    api = api_for(instructor)
    url = f"/api/v1/teach/decks/{deck.pk}/safety/"
    reply = api.post(url, {"tag": "interactions", "critical": True}, format="json")
    assert reply.status_code == 200, reply.content
    assert reply.json() == {"tag": "interactions", "critical": True, "changed": 1}
    assert Question.objects.get(pk=tagged.pk).safety_critical
    again = api.post(url, {"tag": "interactions", "critical": True}, format="json")
    assert again.json()["changed"] == 0  # already marked: nothing changes
    missing = api.post(url, {"tag": "nope", "critical": True}, format="json")
    assert missing.status_code == 400 and missing.json()["code"] == "invalid_tag"
