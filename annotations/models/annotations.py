"""Annotations, their replies and their history."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Count, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse

from annotations import permissions
from annotations.models.choices import (
    REASON_REQUIRED,
    Anchoring,
    EventKind,
    Status,
    Visibility,
)
from annotations.models.tags import Tag
from corpus.models import Document, Project, Versioned


class SoftDeleted(models.Model):
    """Deleted rows stay, hidden, with who deleted them and when (for curators)."""

    deleted_at = models.DateTimeField(null=True, blank=True)
    deleted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    class Meta:
        abstract = True


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user) -> AnnotationQuerySet:
        """What `user` may see: live annotations of their projects, shared or theirs."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(permissions.visible_filter(user))

    def shown_to_member(self, membership, *, orphans=False) -> AnnotationQuerySet:
        """visible_to() for a caller that has already checked this membership
        (with `orphans`, those a text revision lost too: see annotation_rule).

        The same rows for the membership's project, without joining the
        memberships table again (it costs the reading view on PostgreSQL).
        """
        return self.filter(
            permissions.shown_to_member_filter(membership, include_orphans=orphans)
        )

    def filtered(self, data: dict, lookups: dict[str, str]) -> AnnotationQuerySet:
        """Narrowed by each filter of `data` that has a value, through its lookup
        in `lookups` (a list's filter form: {"tag": "tags__name__iexact", ...})."""
        annotations = self
        for name, lookup in lookups.items():
            if data.get(name):
                annotations = annotations.filter(**{lookup: data[name]})
        return annotations

    def tagged_at(self, passages, tag_name: str) -> set[tuple[int, int, int]]:
        """Of the passages (document id, start, end), those a live annotation
        with the tag (any case) already stands on."""
        passages = set(passages)
        if not passages:
            return set()
        found = self.filter(
            document_id__in={document for document, _start, _end in passages},
            start__in={start for _document, start, _end in passages},
            deleted_at__isnull=True,
            anchoring=Anchoring.ANCHORED,
            tags__name__iexact=tag_name.strip(),
        ).values_list("document_id", "start", "end")
        return passages & set(found)

    def for_document(self, document: Document) -> AnnotationQuerySet:
        return self.filter(document=document)

    def in_text_order(self) -> AnnotationQuerySet:
        return self.order_by("start", "end", "pk")

    def with_reply_count(self) -> AnnotationQuerySet:
        """Annotate `reply_count` (live replies) with a correlated subquery.

        A subquery, not a join: a page of 50 is taken from an index without
        grouping every annotation of the document or project first.
        """
        live_replies = (
            Reply.objects.filter(annotation=OuterRef("pk"), deleted_at__isnull=True)
            .order_by()
            .values("annotation")
            .annotate(count=Count("pk"))
            .values("count")
        )
        return self.annotate(reply_count=Coalesce(Subquery(live_replies), 0))


class Annotation(SoftDeleted, Versioned):
    # The project is the document's, kept here so permission filters need no join.
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="annotations"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="annotations"
    )
    # Code points into document.text; document.text[start:end] == exact.
    start = models.PositiveIntegerField()
    end = models.PositiveIntegerField()
    exact = models.TextField()
    prefix = models.CharField(max_length=32, blank=True)
    suffix = models.CharField(max_length=32, blank=True)
    body = models.TextField("note", blank=True)
    tags = models.ManyToManyField(Tag, blank=True, related_name="annotations")
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PROJECT
    )
    status = models.CharField(
        max_length=16, choices=Status.choices, default=Status.SUBMITTED
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Made through the W3C protocol: the IRI the client gave it (`via`) and
    # the one it names as canonical, kept as the protocol asks.
    via = models.CharField(max_length=2000, blank=True)
    canonical = models.CharField(max_length=2000, blank=True)
    # The document's counters at this row's last change (services.revisions):
    # annotation_revision at any change, shared_revision and public_revision
    # at the last change curators, or every member, could see.
    revision = models.PositiveBigIntegerField(default=0)
    shared_revision = models.PositiveBigIntegerField(default=0)
    public_revision = models.PositiveBigIntegerField(default=0)
    # Its author's count of changes to their annotations on the document, at
    # this row's last change (polling: a reader hears of their own changes).
    own_revision = models.PositiveBigIntegerField(default=0)
    # The document is in the trash: hidden with it, restored with it (a copy of
    # document.trashed_at, so that project-wide lists need no join).
    in_trash = models.BooleanField(default=False, editable=False)
    # A revision of the text lost its passage (Anchoring.ORPHAN): start, end
    # and exact are then where it last stood, in the text before the revision
    # its ORPHANED event names, and no reader draws it
    # (permissions.annotation_rule).
    anchoring = models.CharField(
        max_length=8,
        choices=Anchoring.choices,
        default=Anchoring.ANCHORED,
        editable=False,
    )

    objects = AnnotationQuerySet.as_manager()

    class Meta:
        ordering = ["document", "start", "end", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(start__gte=0) & Q(start__lt=F("end")),
                name="annotation_range_valid",
            ),
            models.CheckConstraint(
                condition=Q(visibility__in=Visibility.values),
                name="annotation_visibility_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=Status.values), name="annotation_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(anchoring__in=Anchoring.values),
                name="annotation_anchoring_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["document", "start", "end"]),
            # Polling: what changed for a class of readers since a count, and
            # a reader's own latest change.
            models.Index(fields=["document", "shared_revision"]),
            models.Index(fields=["document", "public_revision"]),
            models.Index(fields=["document", "author", "own_revision"]),
            models.Index(fields=["project", "author"]),
            # What a member sees on a document, counted from the index alone
            # (the margin's count after every write).
            models.Index(
                fields=[
                    "project",
                    "document",
                    "in_trash",
                    "anchoring",
                    "deleted_at",
                    "visibility",
                    "status",
                    "author",
                ],
                name="annotation_shown_count_idx",
            ),
            # Newest first, a page at a time, without sorting the project: the
            # curation queue filtered by status, and the link picker's search
            # and the queue's "any status". (On PostgreSQL, migration 0005 also
            # adds trigram indexes on quote and note for the picker's search.)
            models.Index(fields=["project", "status", "created_at"]),
            models.Index(fields=["project", "created_at"]),
        ]

    def __str__(self) -> str:
        quote = self.exact if len(self.exact) <= 40 else self.exact[:39] + "…"
        return f"“{quote}”"

    def get_absolute_url(self) -> str:
        return reverse(
            "annotations:annotation_detail",
            kwargs={"slug": self.project.slug, "pk": self.pk},
        )

    @property
    def is_private(self) -> bool:
        return self.visibility == Visibility.PRIVATE

    def revised_by(self, user_id: int | None) -> bool:
        """Whether an edit by `user_id` revises the note: its author editing it
        after a curator rejected it or sent it back (it returns to "submitted")."""
        return self.author_id == user_id and self.status in REASON_REQUIRED


class ReplyQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReplyQuerySet:
        """Live replies on annotations `user` may see."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            permissions.visible_filter(user, "annotation__"), deleted_at__isnull=True
        )


class Reply(SoftDeleted, Versioned):
    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="replies"
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="replies"
    )
    body = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ReplyQuerySet.as_manager()

    class Meta:
        ordering = ["annotation", "created_at", "pk"]
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        return f"Reply by {self.author} on {self.annotation}"


class AnnotationEvent(models.Model):
    """One entry of an annotation's history: who, when, before and after.

    Written by the services only, never edited or deleted afterwards.
    """

    annotation = models.ForeignKey(
        Annotation, on_delete=models.CASCADE, related_name="events"
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=16, choices=EventKind.choices)
    before = models.JSONField(null=True, blank=True)
    after = models.JSONField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        ordering = ["annotation", "at", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=EventKind.values), name="event_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} by {self.actor} at {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise ValueError("History is never edited.")
        super().save(*args, **kwargs)
