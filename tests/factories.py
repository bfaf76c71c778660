import uuid

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone

from cards.core import grading
from cards.models import Attempt, Card, Choice, Course, Deck, Passage, Profile, Question, Quiz, ReviewLog, Source, Topic


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct-horse-battery")

    @factory.post_generation
    def profile(obj, create, extracted, **kwargs):
        if create:
            Profile.objects.get_or_create(user=obj, defaults={"timezone": extracted or "UTC"})


class TopicFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Topic
        django_get_or_create = ("slug",)

    slug = "mechanism"
    name = factory.LazyAttribute(lambda t: t.slug.title())


class SourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Source

    slug = factory.Sequence(lambda n: f"source-{n}")
    title = "Baclofen article"
    text = "Baclofen achieves its effects by binding to and activating GABA-B receptors."


class PassageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Passage

    source = factory.SubFactory(SourceFactory)
    key = factory.Sequence(lambda n: f"passage-{n}")
    text = "Baclofen achieves its effects by binding to and activating GABA-B receptors."
    order = factory.Sequence(lambda n: n)


class DeckFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Deck

    slug = factory.Sequence(lambda n: f"deck-{n}")
    title = factory.Sequence(lambda n: f"Deck {n}")


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    deck = factory.SubFactory(DeckFactory)
    uid = factory.Sequence(lambda n: f"q-{n}")
    kind = "single"
    prompt = factory.Sequence(lambda n: f"Which receptor does baclofen activate? ({n})")
    explanation = "Baclofen is a GABA-B agonist."
    topic = factory.SubFactory(TopicFactory)
    status = Question.Status.PUBLISHED
    passage = factory.SubFactory(PassageFactory)
    quote = "activating GABA-B receptors"
    card_count = factory.LazyAttribute(lambda q: len(grading.cloze_deletions(q.prompt)) if q.kind == "cloze" else 1)


class ChoiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Choice

    question = factory.SubFactory(QuestionFactory)
    text = factory.Sequence(lambda n: f"choice {n}")
    correct = False
    feedback = "Not this one."
    order = factory.Sequence(lambda n: n)


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course {n}")
    enable_fuzz = False  # tests compare due dates with a direct fsrs computation


def make_question(deck, kind="single", **kwargs):
    """A published question of any kind with a sensible answer key."""
    defaults = {
        "single": {"prompt": "Baclofen activates which receptor?"},
        "multiple": {"prompt": "Select all withdrawal signs."},
        "truefalse": {"prompt": "Baclofen is FDA-approved for anxiety."},
        "short": {"prompt": "Name the receptor baclofen activates.", "answers": ["GABA-B", "GABA-B receptor"]},
        "cloze": {"prompt": "Baclofen activates {{c1::GABA-B}} receptors and opens {{c2::potassium}} channels."},
        "flashcard": {"prompt": "Where does baclofen act?", "back": "In the central nervous system."},
    }[kind]
    question = QuestionFactory(deck=deck, kind=kind, **{**defaults, **kwargs})
    if kind == "single":
        ChoiceFactory(question=question, text="GABA-B", correct=True, feedback="Yes.", order=0)
        ChoiceFactory(question=question, text="GABA-A", feedback="That is benzodiazepines.", order=1)
        ChoiceFactory(question=question, text="NMDA", feedback="Glutamate receptor.", order=2)
    elif kind == "multiple":
        ChoiceFactory(question=question, text="Seizures", correct=True, order=0)
        ChoiceFactory(question=question, text="Hallucinations", correct=True, order=1)
        ChoiceFactory(question=question, text="High fever", correct=True, order=2)
        ChoiceFactory(question=question, text="Bradycardia", feedback="Not listed.", order=3)
    elif kind == "truefalse":
        ChoiceFactory(question=question, text="True", feedback="It is off-label.", order=0)
        ChoiceFactory(question=question, text="False", correct=True, order=1)
    return question


class CardFactory(factory.django.DjangoModelFactory):
    """A student's card of a question, new (never reviewed) unless told otherwise."""

    class Meta:
        model = Card

    user = factory.SubFactory(UserFactory)
    question = factory.SubFactory(QuestionFactory)
    deck = factory.LazyAttribute(lambda c: c.question.deck)
    course = factory.SubFactory(CourseFactory)
    due = factory.LazyFunction(timezone.now)


class ReviewLogFactory(factory.django.DjangoModelFactory):
    """A review of a card (an answer unless `kind` says otherwise), Good and correct by default."""

    class Meta:
        model = ReviewLog

    card = factory.SubFactory(CardFactory)
    user_id = factory.LazyAttribute(lambda log: log.card.user_id)
    review_id = factory.LazyFunction(uuid.uuid4)
    question_revision = 1
    rating = 3
    correct = True
    score = 1.0
    reviewed_at = factory.LazyFunction(timezone.now)
    state_before = factory.LazyFunction(lambda: {"state": 2, "reps": 1})
    state_after = factory.LazyFunction(lambda: {"state": 2, "reps": 2})


class QuizFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Quiz

    course = factory.SubFactory(CourseFactory)
    title = factory.Sequence(lambda n: f"Quiz {n}")
    num_questions = 2


class AttemptFactory(factory.django.DjangoModelFactory):
    """An attempt in progress, started now, with no questions drawn (quiz services draw them)."""

    class Meta:
        model = Attempt

    quiz = factory.SubFactory(QuizFactory)
    user = factory.SubFactory(UserFactory)
    started_at = factory.LazyFunction(timezone.now)
