from cards.models.content import (
    Choice,
    Deck,
    Passage,
    Question,
    QuestionReport,
    QuestionRevision,
    Source,
    SourceRevision,
    Topic,
)
from cards.models.courses import Course, Enrollment, Profile
from cards.models.study import Card, ReviewLog, ReviewLogIsAppendOnly

__all__ = [
    "Card",
    "Choice",
    "Course",
    "Deck",
    "Enrollment",
    "Passage",
    "Profile",
    "Question",
    "QuestionReport",
    "QuestionRevision",
    "ReviewLog",
    "ReviewLogIsAppendOnly",
    "Source",
    "SourceRevision",
    "Topic",
]
