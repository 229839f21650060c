"""Uploads on their way to becoming documents."""

from __future__ import annotations

import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from corpus.models.documents import Document
from corpus.models.projects import Project


class PendingStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be read"
    PARSING = "parsing", "Being read"
    READY = "ready", "Ready for review"
    REFUSED = "refused", "Cannot be read"
    IMPORT_QUEUED = "import_queued", "Waiting to be imported"
    IMPORTING = "importing", "Being imported"
    FAILED = "failed", "Not imported"
    IMPORTED = "imported", "Imported"


# How long background work may wait in the queue, and then run, before the
# review page says it seems stuck and offers to start it again.
PENDING_QUEUE_PATIENCE = datetime.timedelta(minutes=5)
PENDING_WORK_PATIENCE = datetime.timedelta(minutes=10)


class PendingImport(models.Model):
    """An upload on its way to becoming a Document, and what became of it.

    The file is parsed once, at upload (by the background worker when it is
    large); the result waits here with the importer's review choices until the
    file is imported, all at once, or discarded. `revision` numbers each piece of
    background work asked for: a task that finds another revision has been
    overtaken (the format was changed, the work was retried) and does nothing.
    """

    Status = PendingStatus

    # The background worker has these in hand; the page follows their progress.
    BUSY = frozenset(
        {Status.QUEUED, Status.PARSING, Status.IMPORT_QUEUED, Status.IMPORTING}
    )

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255)
    # The upload as it came; emptied once it is imported (the document keeps it).
    data = models.BinaryField()
    size = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    revision = models.PositiveIntegerField(default=0)
    # Why it cannot be read, or why it was not imported.
    message = models.TextField(blank=True)
    # The parse result: ImportedText.as_dict() (text, blocks, links, metadata).
    parsed = models.JSONField(null=True, blank=True)
    # What the review shows, small enough to load for every pending upload:
    # metadata, first paragraphs, boilerplate offered, warnings, counts.
    summary = models.JSONField(default=dict, blank=True)
    # The review's choices: {"format": "" or a format, "drop": [block indices],
    # and "title", "authors", "published_date" where they differ from the
    # detected ones}. Import all uses them as saved.
    choices = models.JSONField(default=dict, blank=True)
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["created_at", "pk"]
        indexes = [models.Index(fields=["project", "uploaded_by", "status"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=PendingStatus.values),
                name="pending_import_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY

    @property
    def is_stale(self) -> bool:
        """Busy for so long that the worker has probably stopped: offer a retry."""
        if not self.is_busy:
            return False
        waited = timezone.now() - self.status_changed_at
        limit = (
            PENDING_QUEUE_PATIENCE
            if self.status in {self.Status.QUEUED, self.Status.IMPORT_QUEUED}
            else PENDING_WORK_PATIENCE
        )
        return waited > limit

    def chosen(self, name: str):
        """Title, authors or published date: as the importer saved it, else as
        detected (an ISO date string for the date)."""
        if name in self.choices:
            return self.choices[name]
        return self.summary.get(name)
