"""Projects, their members and the record of what was done to them."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from corpus.models.versioned import Versioned
from corpus.roles import Action, Role, can


class ProjectQuerySet(models.QuerySet):
    def for_user(self, user) -> ProjectQuerySet:
        """Projects `user` is a member of (none for an anonymous user)."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)

    def live(self) -> ProjectQuerySet:
        """Leave out projects in the trash."""
        return self.filter(trashed_at__isnull=True)


class Project(Versioned):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=80, unique=True)
    description = models.TextField(blank=True)
    premoderation = models.BooleanField(
        "new annotations need approval",
        default=False,
        help_text="Members see each other's new annotations only once a curator "
        "or owner approves them; authors, curators and owners see them at once.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Archived: read-only for everyone and left out of the project list.
    archived_at = models.DateTimeField(null=True, blank=True, editable=False)
    # In the trash: hidden from everyone but its owners, who may restore it or
    # purge it for good (both recorded as ProjectEvents).
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    objects = ProjectQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("corpus:project_detail", kwargs={"slug": self.slug})

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @property
    def in_trash(self) -> bool:
        return self.trashed_at is not None

    def role_of(self, user) -> str | None:
        """The role `user` holds in this project, or None for a non-member."""
        if not user.is_authenticated:
            return None
        return self.memberships.filter(user=user).values_list("role", flat=True).first()


class Membership(models.Model):
    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.VIEWER)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "user__username"]
        constraints = [
            models.UniqueConstraint(
                fields=["project", "user"], name="membership_unique"
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="membership_role_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}) in {self.project}"

    def can(self, action: Action) -> bool:
        """What the role allows; in an archived project, reading only."""
        if action != Action.READ and self.project.is_archived:
            return False
        return can(self.role, action)

    @property
    def moderates(self) -> bool:
        """Whether the role moderates: it sees every shared annotation, approved
        or not (archived or not: archiving changes what one may do, not see)."""
        return can(self.role, Action.MODERATE)

    @property
    def allowed(self) -> dict[str, bool]:
        """{action: may} for templates: `membership.allowed.import`."""
        return {action.value: self.can(action) for action in Action}


class ProjectEventKind(models.TextChoices):
    DOCUMENT_TRASHED = "document_trashed", "Document moved to the trash"
    DOCUMENT_RESTORED = "document_restored", "Document restored from the trash"
    DOCUMENT_PURGED = "document_purged", "Document purged for good"
    PROJECT_ARCHIVED = "project_archived", "Project archived"
    PROJECT_UNARCHIVED = "project_unarchived", "Project taken out of the archive"
    PROJECT_TRASHED = "project_trashed", "Project moved to the trash"
    PROJECT_RESTORED = "project_restored", "Project restored from the trash"
    PROJECT_PURGED = "project_purged", "Project purged for good"


class ProjectEvent(models.Model):
    """A recorded act on a project or its documents: who, when, what.

    Kept when what it records is purged (the project's name and the
    document's title are copied into `detail`); never edited.
    """

    project = models.ForeignKey(
        Project, null=True, on_delete=models.SET_NULL, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=32, choices=ProjectEventKind.choices)
    # {"project": name, "document": title, "document_id": pk, "annotations": n, ...}
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=ProjectEventKind.values),
                name="project_event_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("The record is never edited.")
        super().save(*args, **kwargs)
