"""Content: source material, its passages, decks, topics and questions."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cards.core.passages import passage_label


class Source(models.Model):
    """Material questions are derived from (an article, lecture notes)."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    text = models.TextField()
    version = models.PositiveIntegerField(default=1)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["title"]

    def __str__(self) -> str:
        return f"{self.title} (v{self.version})"


class SourceRevision(models.Model):
    """The text of a source as it was at one version."""

    source = models.ForeignKey(Source, related_name="revisions", on_delete=models.CASCADE)
    version = models.PositiveIntegerField()
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["source", "version"]
        constraints = [models.UniqueConstraint(fields=["source", "version"], name="source_version_unique")]

    def __str__(self) -> str:
        return f"{self.source.slug} v{self.version}"


class Passage(models.Model):
    """A citable piece of a Source; its key survives edits of its wording."""

    source = models.ForeignKey(Source, related_name="passages", on_delete=models.CASCADE)
    key = models.SlugField(max_length=120)
    text = models.TextField()
    order = models.PositiveIntegerField()
    heading = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["source", "order"]
        constraints = [
            models.UniqueConstraint(fields=["source", "key"], name="passage_key_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.source.slug}#{self.key}"

    @property
    def label(self) -> str:
        """How students and the editor name it: "Approved medical applications, paragraph 1"."""
        return passage_label(self.key, self.heading)


class Topic(models.Model):
    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=100)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Deck(models.Model):
    """A question bank."""

    slug = models.SlugField(max_length=80, unique=True)
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)
    sources = models.ManyToManyField(Source, related_name="decks", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["title"]
        permissions = [
            ("author_content", "Can author sources, decks and questions"),
            ("view_cohort_stats", "Can view class analytics of own courses"),
        ]

    def __str__(self) -> str:
        return self.title


class Question(models.Model):
    class Kind(models.TextChoices):
        FLASHCARD = "flashcard", "Flashcard"
        SINGLE = "single", "Single best answer"
        MULTIPLE = "multiple", "Multiple answers"
        TRUEFALSE = "truefalse", "True / false"
        SHORT = "short", "Short typed answer"
        CLOZE = "cloze", "Cloze deletion"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        RETIRED = "retired", "Retired"

    deck = models.ForeignKey(Deck, related_name="questions", on_delete=models.CASCADE)
    uid = models.SlugField(max_length=80, unique=True)
    kind = models.CharField(max_length=12, choices=Kind.choices)
    prompt = models.TextField()
    back = models.TextField(blank=True, help_text="Answer side of a flashcard.")
    answers = models.JSONField(default=list, blank=True, help_text="Accepted typed answers.")
    explanation = models.TextField(blank=True)
    topic = models.ForeignKey(Topic, related_name="questions", on_delete=models.PROTECT)
    tags = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    revision = models.PositiveIntegerField(default=1)
    # Cloze questions make one card per deletion; every other kind makes one card.
    card_count = models.PositiveSmallIntegerField(default=1)
    passage = models.ForeignKey(Passage, null=True, blank=True, related_name="questions", on_delete=models.PROTECT)
    quote = models.TextField(blank=True)
    # The cited passage's text when the question was last saved: when a new version of the
    # source changes that passage, the question is flagged and both texts are shown.
    cited_text = models.TextField(blank=True)
    needs_review = models.BooleanField(default=False)
    safety_critical = models.BooleanField(
        default=False,
        help_text="Scheduled at the course's safety retention (withdrawal, interactions: what must not be forgotten).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["deck", "uid"]
        indexes = [models.Index(fields=["deck", "status"])]

    def __str__(self) -> str:
        return self.uid


class Choice(models.Model):
    question = models.ForeignKey(Question, related_name="choices", on_delete=models.CASCADE)
    text = models.TextField()
    correct = models.BooleanField(default=False)
    feedback = models.TextField(blank=True)
    order = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["question", "order", "id"]

    def __str__(self) -> str:
        return self.text[:60]


class QuestionRevision(models.Model):
    """A frozen copy of a question as it was at one revision (reviews point here)."""

    question = models.ForeignKey(Question, related_name="revisions", on_delete=models.CASCADE)
    revision = models.PositiveIntegerField()
    data = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL)

    class Meta:
        ordering = ["question", "revision"]
        constraints = [
            models.UniqueConstraint(fields=["question", "revision"], name="question_revision_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.question.uid} r{self.revision}"


class QuestionReport(models.Model):
    """A student's "report a problem" on a question, tied to the revision they saw."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        FIXED = "fixed", "Fixed"
        DISMISSED = "dismissed", "Dismissed"

    question = models.ForeignKey(Question, related_name="reports", on_delete=models.CASCADE)
    revision = models.PositiveIntegerField()
    reporter = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="question_reports", on_delete=models.CASCADE)
    comment = models.TextField(max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["question", "status"])]

    def __str__(self) -> str:
        return f"report on {self.question.uid} r{self.revision}"
