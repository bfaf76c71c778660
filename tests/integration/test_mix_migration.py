"""Migration 0014 reorders the new cards students already had (made in the bank's order)
as new cards are now made; reviewed cards keep their due dates."""

from datetime import UTC, datetime, timedelta
from importlib import import_module

import pytest
from django.apps import apps as global_apps

from cards.models import Card, Enrollment
from tests.factories import CourseFactory, DeckFactory, UserFactory, make_question

mix = import_module("cards.migrations.0014_mix_new_cards").mix


@pytest.mark.django_db
def test_existing_new_cards_are_mixed_and_reviewed_cards_left_alone():
    deck = DeckFactory()
    for kind in ["flashcard"] * 6 + ["single"] * 6 + ["truefalse"] * 6:
        make_question(deck, kind)
    course = CourseFactory()
    course.decks.add(deck)
    student = UserFactory()
    Enrollment.objects.create(user=student, course=course)
    start = datetime(2026, 1, 5, 9, tzinfo=UTC)
    cards = list(Card.objects.filter(user=student).select_related("question").order_by("question_id"))
    # As before the mixed order: every card due at once, in the bank's order.
    for card in cards:
        Card.objects.filter(pk=card.pk).update(due=start)
    reviewed = cards[0]
    Card.objects.filter(pk=reviewed.pk).update(last_review=start, due=start + timedelta(days=3), reps=1, state=2)

    mix(global_apps, None)

    after = list(Card.objects.filter(user=student, last_review__isnull=True).select_related("question").order_by("due"))
    kinds = [c.question.kind for c in after]
    assert kinds[:6] != ["flashcard"] * 5 + ["single"] and len(set(kinds[:6])) >= 2
    assert [c.due for c in after] == [start + timedelta(seconds=i) for i in range(len(after))]
    assert Card.objects.get(pk=reviewed.pk).due == start + timedelta(days=3)
