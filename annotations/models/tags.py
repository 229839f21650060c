"""A project's tags: its vocabulary for annotations."""

from __future__ import annotations

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Subquery
from django.db.models.functions import Coalesce, Lower

from annotations import permissions
from corpus.models import Project, Versioned


class TagQuerySet(models.QuerySet):
    def _offered(self, seen) -> TagQuerySet:
        """Tags used on an annotation `seen` matches, or used nowhere else."""
        through = self.model.annotations.through.objects.filter(tag_id=OuterRef("pk"))
        return self.filter(
            Exists(through.filter(seen)) | ~Exists(through.filter(~seen))
        )

    def offered_to(self, membership) -> TagQuerySet:
        """The tags a member may be shown: all but those used only on annotations
        hidden from them (a tag made on someone's private note is theirs alone
        until it is used where the member can see it). Annotations deleted or in
        the trash count as they were: a private one keeps its tags hidden."""
        seen = permissions.shown_to_member_filter(
            membership, "annotation__", include_trash=True, include_deleted=True
        )
        return self.filter(project_id=membership.project_id)._offered(seen)

    def offered_to_user(self, user) -> TagQuerySet:
        """offered_to() across all the user's projects (for the admin)."""
        seen = permissions.visible_filter(
            user, "annotation__", include_deleted=True, include_trash=True
        )
        return self._offered(seen)

    def with_usage(self, membership) -> TagQuerySet:
        """Annotate `usage`: the live annotations with the tag that the member may
        see (a correlated count: only the rows of the page are counted)."""
        counted = (
            self.model.annotations.through.objects.filter(
                permissions.shown_to_member_filter(membership, "annotation__"),
                tag_id=OuterRef("pk"),
            )
            .order_by()
            .values("tag_id")
            .annotate(n=Count("pk"))
            .values("n")
        )
        return self.annotate(usage=Coalesce(Subquery(counted), 0))


class Tag(Versioned):
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="tags")
    name = models.CharField(max_length=64)
    colour = models.CharField(
        max_length=7,
        default="#f2c94c",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #f2c94c.")],
    )
    description = models.TextField(blank=True)
    parent = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="children",
    )
    # A retired tag stays on the annotations that have it but is no longer offered.
    retired = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = TagQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                F("project"), Lower("name"), name="tag_unique_name_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name
