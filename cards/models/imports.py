"""An uploaded bank file waiting for its confirmation: the API's import preview.

The web keeps the file of a previewed import in the browser session; an API client (a token,
no session) gets this row's id instead and confirms with it. The bytes are kept, not the
parsed bank, so the confirmation reads the file against the deck as it is then, exactly as
the web's confirmation does."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models


class PendingImport(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, related_name="+", on_delete=models.CASCADE)
    deck = models.ForeignKey("cards.Deck", related_name="+", on_delete=models.CASCADE)
    name = models.CharField(max_length=255)
    content = models.BinaryField()
    format = models.CharField(max_length=8)
    strict = models.BooleanField(default=False)
    digest = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} -> {self.deck_id}"
