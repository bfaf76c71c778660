from cards.core.blocks import class_percentile, spread_siblings


def _adjacent_siblings(items):
    return sum(1 for a, b in zip(items, items[1:], strict=False) if a[1] is not None and a[1] == b[1])


def test_siblings_are_spread_apart_when_they_can_be():
    items = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("b1", "B"), ("b2", "B"), ("x", None), ("y", None)]
    spread = spread_siblings(items, key=lambda i: i[1])
    assert sorted(spread) == sorted(items)
    assert _adjacent_siblings(spread) == 0


def test_siblings_that_cannot_be_separated_are_kept_all_the_same():
    items = [("a1", "A"), ("a2", "A"), ("a3", "A"), ("x", None)]
    spread = spread_siblings(items, key=lambda i: i[1])
    assert sorted(spread) == sorted(items) and _adjacent_siblings(spread) == 1


def test_questions_without_siblings_keep_their_drawn_order():
    items = [("x", None), ("y", None), ("z", None)]
    assert spread_siblings(items, key=lambda i: i[1]) == items


def test_class_percentile_on_the_questions_facilities():
    assert class_percentile(1, []) is None
    assert class_percentile(1, [0.5]) == 75  # half the class below (0 right), half tied
    assert class_percentile(2, [0.5, 0.5]) == 88  # 75% below, 25% tied
    assert class_percentile(0, [0.9, 0.9, 0.9]) == 0
    assert class_percentile(3, [0.1, 0.1, 0.1]) == 100
