"""Optimistic locking for the rows people edit (corpus.conflicts)."""

from django.conf import settings
from django.db import models


class Versioned(models.Model):
    """Optimistic locking: an edit names the version it was loaded at, and is
    refused if the row moved on (corpus.conflicts); who made the last edit is
    named to whoever is refused."""

    version = models.PositiveIntegerField(default=1, editable=False)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    class Meta:
        abstract = True
