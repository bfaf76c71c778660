"""The factories build rows the product's own reads accept: a card is studyable, a review
counts, an attempt is counted for its course."""

from datetime import timedelta

from django.utils import timezone

from cards.selectors.cohort import quiz_attempt_count
from cards.selectors.progress import suspended, true_retention
from cards.selectors.study import studyable_cards
from tests.factories import AttemptFactory, CardFactory, ReviewLogFactory


def test_a_card_and_its_reviews_are_read_as_the_product_reads_them(db):
    card = CardFactory(lapses=9, leech=True, suspended=True)
    assert not studyable_cards(card.user_id).exists()  # suspended as a leech
    assert [(c.card_id, c.leech) for c in suspended(user_id=card.user_id)] == [(card.pk, True)]
    fresh = CardFactory(user=card.user)
    assert list(studyable_cards(card.user_id)) == [fresh]
    ReviewLogFactory(card=fresh)
    ReviewLogFactory(card=fresh, rating=1, correct=False, score=0.0)
    assert true_retention(user_id=card.user_id, since=timezone.now() - timedelta(days=1)) == (1, 2)


def test_an_attempt_counts_for_its_course_unless_practice(db):
    attempt = AttemptFactory()
    AttemptFactory(quiz__course=attempt.quiz.course, quiz__is_practice=True)
    assert quiz_attempt_count(course_id=attempt.quiz.course_id) == 1
