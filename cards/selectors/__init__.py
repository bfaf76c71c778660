"""Reads, a module per domain: study, feedback, terms, progress, content, quizzes, cohort.

QuerySets or dataclasses; the ORM unless cards.db holds the statement."""
