"""The block scenario of `make bench` as its in-process count walks it (tests/bench/study.lua
walks the same pages): a tutor block started, each question answered with its feedback
read, finished, its result read; all rolled back."""

import pytest

from cards.models import Block, ReviewLog
from tests.bench.inprocess import block_cycle

pytestmark = pytest.mark.django_db


def test_the_block_cycle_walks_a_whole_tutor_block_and_leaves_nothing(student_client, course):
    block_cycle(student_client, course, size=3)  # the first warms what each process remembers
    steps = block_cycle(student_client, course, size=3)
    assert [len(steps[s]) for s in ("start", "page", "answer", "feedback", "submit", "result")] == [1, 4, 3, 3, 1, 1]
    assert all(n > 0 for counts in steps.values() for n in counts)
    # every page of a step costs the same, whichever question it shows
    assert len(set(steps["page"][:3])) == 1 and len(set(steps["feedback"])) == 1, steps
    assert not Block.objects.exists() and not ReviewLog.objects.exists()
