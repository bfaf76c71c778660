"""An instructor on a fresh install brings Moodle's own examples.txt (tests/fixtures_data/moodle/,
GPL test data from moodle/moodle) over with Teaching -> Import a file: a new deck is made, the
preview lists what to review and what is skipped, with their lines, at laptop and phone width."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from cards.models import Deck
from cards.services.accounts import make_instructor
from tests.e2e.support import _WIDER_THAN, log_in
from tests.factories import UserFactory

EXAMPLES = Path(__file__).resolve().parents[1] / "fixtures_data" / "moodle" / "examples.txt"


@pytest.mark.django_db(transaction=True)
def test_moodles_examples_come_in_as_a_new_deck(page, base_url, axe):
    teacher = UserFactory(username="fresh-teacher")
    teacher.set_password("fresh-teacher-pass")
    teacher.save()
    make_instructor(teacher)
    log_in(page, base_url, "fresh-teacher", "fresh-teacher-pass", axe=axe)
    page.goto(f"{base_url}/teach/")
    page.get_by_role("link", name="Import a file").click()
    expect(page.get_by_role("heading", name="Import a bank file into a new deck")).to_be_visible()
    axe.check(page, "import into a new deck")
    page.get_by_label("Bank file").set_input_files(str(EXAMPLES))
    page.get_by_role("button", name="Preview the import").click()
    plan = page.locator("section[aria-labelledby=plan-heading]")
    expect(plan).to_contain_text("A new deck, Examples (examples), will be made")
    counts = [int(x) for x in plan.locator("ul.plan li strong").all_inner_texts()]
    assert counts == [32, 0, 0, 27, 11], counts
    expect(plan.locator(".review-list")).to_contain_text("gift-e81c1a7f9b (examples.txt:56)")
    expect(plan).to_contain_text("examples.txt:207: skipped numerical question 'Numerical example'")
    axe.check(page, "import preview with review and skips")
    page.set_viewport_size({"width": 375, "height": 812})
    assert page.evaluate(_WIDER_THAN, 375) == []  # nothing wider than a small phone
    plan.get_by_role("button", name="Import 32 questions").click()
    expect(page.locator(".messages")).to_contain_text("made the deck “Examples”")
    deck = Deck.objects.get(slug="examples")
    assert deck.owner == teacher and deck.questions.count() == 32
