"""Class analytics as of a moment: what the instructor's analytics page shows, computed by
aggregates in the database (cards.services.class_stats) and read back in a few queries.

Computed live, the page aggregated every card and first answer of the course on each
view: ~3 s for 1,000 students x 200 questions (tests/bench). A snapshot is what Moodle's
quiz statistics do too: shown with its age, recalculated on demand, by a scheduled
`manage.py refresh_class_stats`, and on view when it is old and quick to redo."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from cards.models.courses import Course


class ClassStats(models.Model):
    course = models.OneToOneField(Course, on_delete=models.CASCADE, related_name="class_stats")
    computed_at = models.DateTimeField()
    seconds = models.FloatField(help_text="How long computing it took.")
    students = models.PositiveIntegerField(default=0)
    topics = models.JSONField(default=list)  # class mastery per topic
    forgetting = models.JSONField(default=list)  # what the class forgets most
    items = models.JSONField(default=list)  # item analysis, one entry per published question
    safety = models.JSONField(default=list)  # class predicted recall of each safety-critical question

    def __str__(self):
        return f"Class statistics of {self.course} at {self.computed_at:%Y-%m-%d %H:%M}"


class ClassShare(models.Model):
    """How the class answered one question on its first try, of the course's last snapshot
    (a row per item of ClassStats.items): an answer reads its question's row by this key in
    the statement it already makes. Read from `items`, the whole snapshot was parsed per
    answer: 52 ms at 10,000 questions for ~1 ms at 200 (SQLite json_each, measured)."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="+")
    question = models.ForeignKey("cards.Question", on_delete=models.CASCADE, related_name="+")
    students = models.PositiveIntegerField(help_text="Students who answered it (first tries).")
    right = models.FloatField(null=True, help_text="Share right on the first try.")
    choices = models.JSONField(default=dict, help_text="{choice id: first tries that picked it}")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "question"], name="class_share_unique")]

    def __str__(self):
        return f"class shares of question {self.question_id} in course {self.course_id}"


class StudentStats(models.Model):
    """One student's row of the page's Students table, of the same snapshot."""

    course = models.ForeignKey(Course, on_delete=models.CASCADE, related_name="student_stats")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    username = models.CharField(max_length=150)
    cards = models.PositiveIntegerField()
    studied = models.PositiveIntegerField()
    reviews_7d = models.PositiveIntegerField()
    lapses = models.PositiveIntegerField()
    mastery = models.FloatField(null=True)
    last_review = models.DateTimeField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["course", "user"], name="student_stats_unique")]
        # The page reads a page of them by name.
        indexes = [models.Index(fields=["course", "username"], name="student_stats_by_name")]

    def __str__(self):
        return f"{self.username} in {self.course}"
