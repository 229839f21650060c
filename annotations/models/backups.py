"""Work the background worker does for a member: a backup restored through
the web, a large export written to a file."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from corpus.models import Project


class Work(models.Model):
    """Work the worker does for one person: who asked, when, how far it came
    (`done` of `total`) and, if it failed, why. A subclass names its statuses
    and those that mean it is under way (BUSY)."""

    BUSY: frozenset = frozenset()

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    message = models.TextField(blank=True)

    class Meta:
        abstract = True
        ordering = ["-created_at", "-pk"]

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY

    @property
    def percent(self) -> int:
        return min(100, 100 * self.done // self.total) if self.total else 0


class RestoreStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be restored"
    RESTORING = "restoring", "Being restored"
    RESTORED = "restored", "Restored"
    FAILED = "failed", "Not restored"


class Restore(Work):
    """A backup a user uploaded to be restored as a new project, and how far
    that has come. The archive waits in a file (`path`) until the work ends."""

    Status = RestoreStatus
    BUSY = frozenset({Status.QUEUED, Status.RESTORING})

    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # The name the archive gives the project, shown while it is restored.
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta(Work.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RestoreStatus.values),
                name="restore_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.filename


class ExportKind(models.TextChoices):
    W3C = "w3c", "W3C Web Annotations (JSON-LD)"
    CSV = "csv", "CSV tables (zip)"
    BACKUP = "backup", "Backup of the project (zip)"


class ExportStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be written"
    WRITING = "writing", "Being written"
    READY = "ready", "Ready to download"
    FAILED = "failed", "Not written"


class Export(Work):
    """A large export written by the worker into a file its member downloads
    when it is ready (a small one streams at once instead)."""

    Kind = ExportKind
    Status = ExportStatus
    BUSY = frozenset({Status.QUEUED, Status.WRITING})

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    # The scope: a document (or the whole project), approved notes only, and
    # the margin's filters (export.Scope.filtered).
    document = models.ForeignKey(
        "corpus.Document",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    approved_only = models.BooleanField(default=False)
    filters = models.JSONField(default=dict, blank=True)
    # The origin the member asked from: the IRIs and links the file holds.
    origin = models.CharField(max_length=300)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    # The file, once written: where it is, its size, the name it downloads as.
    path = models.CharField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    filename = models.CharField(max_length=200, blank=True)

    class Meta(Work.Meta):
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=ExportStatus.values),
                name="export_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ExportKind.values), name="export_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} of {self.project}"
