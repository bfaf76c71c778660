"""Cloze alternatives end to end: the editor saves them, the shipped bank lists them, and a
student's "CNS" or "sedation" is graded right through the study service and view."""

import html
import json
import uuid
from pathlib import Path

from django.urls import reverse
from django.utils import timezone

from cards.models import Card, Question, ReviewLog
from cards.services.banks import load_bank
from cards.services.courses import enroll_student
from cards.services.study import answer_card
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

ROOT = Path(__file__).resolve().parents[2]
BANK = json.loads((ROOT / "fixtures" / "baclofen" / "bank.json").read_text(encoding="utf-8"))
PROMPT = "Baclofen acts in the {{c1::central nervous system}} on {{c2::GABA-B}} receptors."


def cloze_post(**overrides):
    data = {
        "kind": "cloze",
        "topic": "mechanism",
        "prompt": PROMPT,
        "alternatives": "c1: CNS; brain and spinal cord\nC2 : GABA type B",
        "explanation": "Baclofen is a GABA-B agonist.",
        "status": "draft",
    }
    data.update(overrides)
    return data


def test_the_editor_saves_alternatives_per_blank_and_shows_them_again(instructor_client, course, instructor):
    deck = course.decks.first()
    deck.owner = instructor
    deck.save()
    response = instructor_client.post(reverse("cards:question_new", args=[deck.pk]), cloze_post())
    assert response.status_code == 302
    question = Question.objects.get(prompt=PROMPT)
    assert question.answers == {"c1": ["CNS", "brain and spinal cord"], "c2": ["GABA type B"]}
    page = instructor_client.get(reverse("cards:question_edit", args=[question.pk])).content.decode()
    assert "Also accepted (cloze)" in page
    assert "c1: CNS; brain and spinal cord\nc2: GABA type B" in page


def test_the_editor_refuses_alternatives_for_a_blank_the_prompt_lacks(instructor_client, course, instructor):
    deck = course.decks.first()
    deck.owner = instructor
    deck.save()
    before = Question.objects.count()
    response = instructor_client.post(reverse("cards:question_new", args=[deck.pk]), cloze_post(alternatives="c3: CNS"))
    assert response.status_code == 200
    assert "answers name blank 'c3', which the prompt does not have (c1, c2)" in html.unescape(
        response.content.decode()
    )
    response = instructor_client.post(reverse("cards:question_new", args=[deck.pk]), cloze_post(alternatives="CNS"))
    assert "Start each line with its blank and a colon" in response.content.decode()
    assert Question.objects.count() == before


def test_answer_card_grades_an_alternative_right_and_a_neighbour_wrong(db):
    deck = DeckFactory()
    question = make_question(deck, "cloze", prompt=PROMPT, answers={"c1": ["CNS"], "c2": ["GABA type B"]})
    make_question(deck, "short", prompt="Which receptor do benzodiazepines act on?", answers=["GABA-A"])
    course = CourseFactory()
    course.decks.add(deck)
    student = UserFactory()
    enroll_student(user=student, course=course)
    cards = {c.cloze: c for c in Card.objects.filter(user=student, question=question)}

    def answer(card, text):
        return answer_card(
            user=student, card_id=card.pk, answer={"text": text}, review_id=uuid.uuid4(), now=timezone.now()
        )

    assert answer(cards[1], "CNS").correct
    assert not answer(cards[2], "GABA-A").correct


def test_a_study_answer_of_an_alternative_on_a_shipped_bank_item_is_right(student_client, student, course):
    item = next(q for q in BANK["questions"] if q["uid"] == "bac-safety-026")
    assert "sedation" in item["answers"]["c1"]
    load_bank(data=BANK)
    question = Question.objects.get(uid="bac-safety-026")
    course.decks.set([question.deck])
    from cards.services.courses import ensure_cards_for_course

    ensure_cards_for_course(course=course)
    card = Card.objects.get(user=student, question=question, cloze=1)
    response = student_client.post(
        reverse("cards:study_answer", args=[course.pk, question.deck.pk]),
        {"card": card.pk, "kind": "cloze", "review_id": str(uuid.uuid4()), "reps": card.reps, "text": "Sedation"},
        follow=True,
    )
    assert response.status_code == 200
    log = ReviewLog.objects.get(user=student, card=card)
    assert log.correct and log.answer == {"text": "Sedation"}
    assert "drowsiness" in response.content.decode()  # the blank's own text is the answer shown


def test_the_shipped_bank_lists_the_alternatives_students_type():
    answers = {q["uid"]: q["answers"] for q in BANK["questions"] if q["kind"] == "cloze"}
    assert answers["bac-mechanism-027"] == {"c1": ["muscle relaxant"], "c2": ["spasmolytic"]}
    assert answers["bac-mechanism-031"] == {"c1": ["neuronal excitability"]}
    assert answers["bac-indications-028"] == {"c1": ["ITB", "intrathecally"]}
    assert "GABA-mimetic" in answers["bac-off-label-028"]["c1"]
    assert answers["bac-withdrawal-026"]["c1"] == ["convulsions", "fits"]
    assert answers["bac-safety-026"]["c1"] == ["sleepiness", "somnolence", "sedation"]
    assert answers["bac-safety-027"] == {"c1": ["builds up"]}
