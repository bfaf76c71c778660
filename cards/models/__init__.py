from cards.models.blocks import Block, BlockAnswer, QuestionNote
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
from cards.models.imports import PendingImport
from cards.models.media import QuestionImage
from cards.models.quizzes import Attempt, Quiz, Response
from cards.models.scheduler import ParameterSet, SchedulerParameters
from cards.models.sessions import UserSession
from cards.models.stats import ClassShare, ClassStats, StudentStats
from cards.models.study import Card, ReviewLog, ReviewLogIsAppendOnly

__all__ = [
    "Block",
    "BlockAnswer",
    "Attempt",
    "Quiz",
    "Response",
    "Card",
    "Choice",
    "ClassShare",
    "ClassStats",
    "Course",
    "Deck",
    "Enrollment",
    "Passage",
    "ParameterSet",
    "PendingImport",
    "Profile",
    "Question",
    "QuestionNote",
    "QuestionImage",
    "QuestionReport",
    "QuestionRevision",
    "ReviewLog",
    "ReviewLogIsAppendOnly",
    "SchedulerParameters",
    "Source",
    "StudentStats",
    "SourceRevision",
    "Topic",
    "UserSession",
]
