from __future__ import annotations

from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, Lower
from django.urls import reverse

from corpus.models import Document, Project, Versioned
from corpus.roles import Action, Role, can


class TagQuerySet(models.QuerySet):
    def offered_to(self, membership) -> TagQuerySet:
        """The tags a member may be shown: all but those used only on annotations
        hidden from them (a tag made on someone's private note is theirs alone
        until it is used where the member can see it). Annotations deleted or in
        the trash count as they were: a private one keeps its tags hidden."""
        through = Annotation.tags.through.objects.filter(tag_id=OuterRef("pk"))
        seen = shown_to_member_filter(
            membership, "annotation__", include_trash=True, include_deleted=True
        )
        return self.filter(project_id=membership.project_id).filter(
            Exists(through.filter(seen)) | ~Exists(through.filter(~seen))
        )

    def offered_to_user(self, user) -> TagQuerySet:
        """offered_to() across all the user's projects (for the admin)."""
        through = Annotation.tags.through.objects.filter(tag_id=OuterRef("pk"))
        seen = visible_filter(
            user, "annotation__", include_deleted=True, include_trash=True
        )
        return self.filter(
            Exists(through.filter(seen)) | ~Exists(through.filter(~seen))
        )

    def with_usage(self, membership) -> TagQuerySet:
        """Annotate `usage`: the live annotations with the tag that the member may
        see (a correlated count: only the rows of the page are counted)."""
        counted = (
            Annotation.tags.through.objects.filter(
                shown_to_member_filter(membership, "annotation__"),
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


class Visibility(models.TextChoices):
    PROJECT = "project", "Shared with the project"
    PRIVATE = "private", "Private (only me)"


class Status(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    NEEDS_REVISION = "needs_revision", "Needs revision"


MODERATING_ROLES = [role.value for role in Role if can(role, Action.MODERATE)]


def visible_filter(
    user, prefix: str = "", *, include_deleted: bool = False, include_trash=False
) -> Q:
    """The one rule of who sees an annotation (through `prefix`, for a related one),
    for a user across all their projects.

    Not on a document or in a project in the trash, not deleted (unless
    `include_deleted`, for curators' screens), and one's own or shared; under
    pre-moderation, shared means approved, except for those who moderate. A
    member sees only their projects' annotations (this joins the user's
    membership: use it in one filter() call); a superuser sees every project's,
    but others' private annotations stay their author's alone here too.
    shown_to_member_filter() is the same rule for one membership already checked.
    """
    live = Q(**{f"{prefix}project__trashed_at__isnull": True})
    if not include_trash:
        live &= Q(**{f"{prefix}in_trash": False})
    if not include_deleted:
        live &= Q(**{f"{prefix}deleted_at__isnull": True})
    own = Q(**{f"{prefix}author_id": user.pk})
    if user.is_superuser:
        return live & (own | Q(**{f"{prefix}visibility": Visibility.PROJECT}))
    membership = f"{prefix}project__memberships__"
    shared = Q(**{f"{prefix}visibility": Visibility.PROJECT}) & (
        Q(**{f"{prefix}project__premoderation": False})
        | Q(**{f"{prefix}status": Status.APPROVED})
        | Q(**{f"{membership}role__in": MODERATING_ROLES})
    )
    return live & (own | shared) & Q(**{f"{membership}user": user})


def shown_to_member_filter(
    membership,
    prefix: str = "",
    *,
    include_trash: bool = False,
    include_deleted: bool = False,
) -> Q:
    """The annotations (through `prefix`, for a related one) a member sees: live
    (not deleted, not on a document in the trash unless `include_trash`, for
    showing a link's other end as "in the trash"), of the member's project, and
    their own or shared (approved, under pre-moderation, for those who do not
    moderate)."""
    shared = Q(**{f"{prefix}visibility": Visibility.PROJECT})
    if membership.project.premoderation and not membership.moderates:
        shared &= Q(**{f"{prefix}status": Status.APPROVED})
    live = Q()
    if not include_deleted:
        live &= Q(**{f"{prefix}deleted_at__isnull": True})
    if not include_trash:
        live &= Q(**{f"{prefix}in_trash": False})
    return (
        (Q(**{f"{prefix}author_id": membership.user_id}) | shared)
        & live
        & Q(**{f"{prefix}project_id": membership.project_id})
    )


class AnnotationQuerySet(models.QuerySet):
    def visible_to(self, user) -> AnnotationQuerySet:
        """What `user` may see: live annotations of their projects, shared or theirs."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(visible_filter(user))

    def shown_to_member(self, membership) -> AnnotationQuerySet:
        """visible_to() for a caller that has already checked this membership.

        The same rows for the membership's project, without joining the
        memberships table again (it costs the reading view on PostgreSQL).
        """
        return self.filter(shown_to_member_filter(membership))

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
        ]
        indexes = [
            models.Index(fields=["document", "start", "end"]),
            # Polling: what changed for a class of readers since a count, and
            # a reader's own latest change.
            models.Index(fields=["document", "shared_revision"]),
            models.Index(fields=["document", "public_revision"]),
            models.Index(fields=["document", "author", "own_revision"]),
            models.Index(fields=["project", "author"]),
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


class ReplyQuerySet(models.QuerySet):
    def visible_to(self, user) -> ReplyQuerySet:
        """Live replies on annotations `user` may see."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(
            visible_filter(user, "annotation__"), deleted_at__isnull=True
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


class EventKind(models.TextChoices):
    CREATED = "created", "Created"
    STATUS = "status", "Status changed"
    NOTE = "note", "Note edited"
    TAGS = "tags", "Tags changed"
    VISIBILITY = "visibility", "Visibility changed"
    DELETED = "deleted", "Deleted"
    LINK = "link", "Linked"
    UNLINK = "unlink", "Link deleted"


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


DEFAULT_RELATIONS = ["supports", "contradicts", "same event", "elaborates", "cites"]


class RelationType(Versioned):
    """A kind of link in a project's vocabulary ("supports", "contradicts"...)."""

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="relation_types"
    )
    name = models.CharField(max_length=64)
    description = models.TextField(blank=True)
    retired = models.BooleanField(default=False)

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
        indexes = [models.Index(fields=["project", "created_at"])]

    def __str__(self) -> str:
        return f"{self.source} {self.relation} …"
