"""Links from a passage to another passage, a document or an outside source,
and the relation types a project links with."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Lower

from annotations.models.annotations import Annotation, SoftDeleted
from corpus.models import Document, Project, Versioned

DEFAULT_RELATIONS = ["supports", "contradicts", "same event", "elaborates", "cites"]


class RelationTypeQuerySet(models.QuerySet):
    def offered_in(self, project) -> RelationTypeQuerySet:
        """The project's relation types a new link may take: not retired."""
        return self.filter(project=project, retired=False).order_by("name")


class RelationType(Versioned):
    """A kind of link in a project's vocabulary ("supports", "contradicts"...).
    A new project starts with DEFAULT_RELATIONS (services.relations)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="relation_types"
    )
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

    objects = RelationTypeQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                F("project"), Lower("name"), name="relation_unique_name_per_project"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Link(SoftDeleted):
    """From an annotation to another annotation, a whole document, or a source."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    source = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="links_out"
    )
    relation = models.ForeignKey(
        RelationType, on_delete=models.PROTECT, related_name="links"
    )
    target_annotation = models.ForeignKey(
        Annotation,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="links_in",
    )
    target_document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    target_url = models.URLField("source URL", max_length=2000, blank=True)
    target_title = models.CharField("source title", max_length=500, blank=True)
    citation = models.CharField("citation note", max_length=1000, blank=True)
    accessed = models.DateField("accessed on", null=True, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["source", "created_at", "pk"]
        constraints = [
            # Exactly one kind of target.
            models.CheckConstraint(
                condition=(
                    Q(
                        target_annotation__isnull=False,
                        target_document__isnull=True,
                        target_url="",
                    )
                    | Q(
                        target_annotation__isnull=True,
                        target_document__isnull=False,
                        target_url="",
                    )
                    | (
                        Q(target_annotation__isnull=True, target_document__isnull=True)
                        & ~Q(target_url="")
                    )
                ),
                name="link_has_one_target",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "created_at"]),
            # A thread's links out and back, by the project and the end (SQLite
            # has no statistics to prefer the ends' own indexes otherwise).
            models.Index(fields=["project", "source"]),
            models.Index(fields=["project", "target_annotation"]),
        ]

    def __str__(self) -> str:
        return f"{self.source} {self.relation} …"
