"""The order new cards are introduced in (cards.core.queue.mixed_new_order)."""

from collections import Counter

from cards.core.queue import NewCard, mixed_new_order

KINDS = ["flashcard", "single", "multiple", "truefalse", "short", "cloze"]


def bank_order(n_topics=4, per_topic=20):
    """As a bank is written: topic by topic, each topic's questions kind by kind, a passage
    cited by a few neighbouring questions (and a cloze question's deletions one fact)."""
    cards = []
    for t in range(n_topics):
        for i in range(per_topic):
            kind = KINDS[i * len(KINDS) // per_topic]
            cards.append(NewCard(key=(t, i), topic=t, kind=kind, fact=(t, i // 3)))
    return cards


def test_it_is_a_permutation_and_stable_per_seed():
    cards = bank_order()
    order = mixed_new_order(cards, seed=7)
    assert sorted(c.key for c in order) == sorted(c.key for c in cards)
    assert order == mixed_new_order(cards, seed=7)
    assert order != mixed_new_order(cards, seed=8)


def test_no_two_cards_of_one_fact_in_a_row():
    for seed in range(50):
        order = mixed_new_order(bank_order(), seed=seed)
        assert all(a.fact != b.fact for a, b in zip(order, order[1:], strict=False)), seed


def test_a_first_day_sees_every_topic_and_several_kinds():
    # The first 20 new cards (a day's limit) of a bank written topic by topic, kind by kind.
    for seed in range(20):
        first_day = mixed_new_order(bank_order(), seed=seed)[:20]
        topics = Counter(c.topic for c in first_day)
        assert set(topics) == {0, 1, 2, 3} and max(topics.values()) <= 6, topics
        assert len({c.kind for c in first_day}) >= 4


def test_only_one_fact_left_still_gives_every_card():
    cards = [NewCard(key=i, topic=0, kind="cloze", fact="same") for i in range(5)]
    assert sorted(c.key for c in mixed_new_order(cards, seed=1)) == list(range(5))
    assert mixed_new_order([], seed=1) == []
