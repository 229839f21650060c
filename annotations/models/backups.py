"""Backups on their way back in: a restore through the web, run by the worker."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from corpus.models import Project


class RestoreStatus(models.TextChoices):
    QUEUED = "queued", "Waiting to be restored"
    RESTORING = "restoring", "Being restored"
    RESTORED = "restored", "Restored"
    FAILED = "failed", "Not restored"


class Restore(models.Model):
    """A backup a user uploaded to be restored as a new project, and how far
    that has come. The archive waits in a file (`path`) until the work ends."""

    Status = RestoreStatus
    BUSY = frozenset({Status.QUEUED, Status.RESTORING})

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    filename = models.CharField(max_length=255)
    path = models.CharField(max_length=500, blank=True)
    size = models.PositiveBigIntegerField(default=0)
    # The name the archive gives the project, shown while it is restored.
    name = models.CharField(max_length=200)
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    status_changed_at = models.DateTimeField(default=timezone.now)
    created_at = models.DateTimeField(auto_now_add=True)
    # Rows restored of all the archive holds.
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    # Why it failed.
    message = models.TextField(blank=True)
    project = models.ForeignKey(
        Project, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=RestoreStatus.values),
                name="restore_status_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.filename

    @property
    def is_busy(self) -> bool:
        return self.status in self.BUSY

    @property
    def percent(self) -> int:
        return 100 * self.done // self.total if self.total else 0
