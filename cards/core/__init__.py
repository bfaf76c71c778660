"""Pure Python: scheduling, grading, replay, item statistics, charts, passages, diffs and
Markdown rendering. Imports no Django and nothing of the project outside cards.core."""
