"""Images placed in authored text (prompts, choices, explanations).

The file is stored through Django's storage API (`default_storage`: the filesystem under
MEDIA_ROOT unless settings name another backend) at `question-images/<name>`; authored
Markdown refers to it as `![alt text](img:<name>)`. The name is the SHA-256 of the stored
bytes, which the upload re-encoded (cards.services.media), so the same picture uploaded twice
is one row and one file."""

from __future__ import annotations

from django.conf import settings
from django.db import models


class QuestionImage(models.Model):
    name = models.CharField(max_length=80, unique=True)  # "<sha256 hex>.png|jpg|webp"
    content_type = models.CharField(max_length=20)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    size = models.PositiveIntegerField()  # bytes, as stored
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, related_name="+", on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name
