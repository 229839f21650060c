"""A document's counters of changes to its annotations (services.revisions), in
a row of their own."""

from __future__ import annotations

from django.db import models

from corpus.models import Document


class DocumentCounters(models.Model):
    """How many changes to the document's annotations and replies each class of
    readers may have seen: `every` counts every change, `shared` only changes
    to annotations shared with the project (what curators and owners see),
    `public` only those every member sees (approved ones, under
    pre-moderation). Readers poll with the counter of their class, in one cheap
    query: a private annotation's change moves `every` alone, so it shows
    nowhere else.

    Every write moves them, so they are not columns of the document: on SQLite
    an update rewrites the whole row, which holds megabytes of text.
    """

    document = models.OneToOneField(
        Document, primary_key=True, on_delete=models.CASCADE, related_name="counters"
    )
    every = models.PositiveBigIntegerField(default=0)
    shared = models.PositiveBigIntegerField(default=0)
    public = models.PositiveBigIntegerField(default=0)
    # The longest passage (end - start) any annotation was made on, deleted
    # ones too: the annotations touching a range start at most this far
    # before it, which bounds the search when a few blocks are redrawn.
    longest = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name_plural = "document counters"

    def __str__(self) -> str:
        return f"{self.every}/{self.shared}/{self.public}"

    @classmethod
    def of(cls, document: Document) -> DocumentCounters:
        """The document's counters: read with it (select_related("counters")) or
        now; zeros before the first change on it."""
        try:
            return document.counters
        except cls.DoesNotExist:
            return cls(document=document)
