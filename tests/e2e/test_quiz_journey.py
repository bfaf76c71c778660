"""Placeholder: the timed quiz journey (start a quiz, answer against the clock, see the
score and the review of each question) is added here together with the quiz feature.
Until then this module deliberately holds no tests."""
