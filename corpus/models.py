from __future__ import annotations

import datetime
import hashlib

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property

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


class DocumentFormat(models.TextChoices):
    MARKDOWN = "markdown", "Markdown"
    PDF_TEXT = "pdf_text", "Text extracted from a PDF"
    ARTICLE = "article", "Article with a metadata header"
    PLAIN = "plain", "Plain text"
    HTML = "html", "HTML page"


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user) -> DocumentQuerySet:
        """Documents of the projects `user` is a member of."""
        if not user.is_authenticated:
            return self.none()
        return self.filter(project__memberships__user=user)

    def in_trash(self) -> DocumentQuerySet:
        return self.filter(trashed_at__isnull=False)

    def listing(self) -> DocumentQuerySet:
        """Leave out the heavy columns a list of documents does not show."""
        return self.defer(*Document.HEAVY_FIELDS)


class LiveDocumentManager(models.Manager.from_queryset(DocumentQuerySet)):
    """Documents that are not in the trash: what every reader and list sees."""

    def get_queryset(self) -> DocumentQuerySet:
        return super().get_queryset().filter(trashed_at__isnull=True)


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class Document(Versioned):
    # The columns of megabytes: the text and its structure (BODY_FIELDS, which
    # corpus.bodycache keeps per worker) and the original upload. Lists and
    # related rows leave them in the database (defer them).
    BODY_FIELDS = ("text", "blocks", "links")
    HEAVY_FIELDS = (*BODY_FIELDS, "original")
    # The descriptive fields members may correct; the text is never among them.
    METADATA_FIELDS = (
        "title",
        "authors",
        "publisher",
        "source_url",
        "published_date",
        "keywords",
        "language",
    )

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="documents"
    )
    title = models.CharField(max_length=500)
    authors = models.JSONField(default=list, blank=True)
    publisher = models.CharField("publisher or source", max_length=300, blank=True)
    source_url = models.URLField("source URL", max_length=2000, blank=True)
    published_date = models.DateField(null=True, blank=True)
    keywords = models.JSONField(default=list, blank=True)
    # The keywords as one line, for case-insensitive filtering on every database
    # (JSON text on SQLite escapes non-ASCII letters); kept in step by save().
    keywords_text = models.TextField(blank=True, editable=False)
    language = models.CharField(max_length=16, blank=True)
    word_count = models.PositiveIntegerField(default=0)

    # The normalised text (NFC, "\n" newlines) that annotations point into,
    # with code-point offsets. Never changed except by a recorded text fix.
    text = models.TextField()
    # [{"kind", "start", "end", "level"}, ...] in text order.
    blocks = models.JSONField(default=list)
    # Hyperlinks kept from the source: [{"start", "end", "url"}, ...].
    links = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    # Counters of changes to the document's annotations and replies, moved by
    # annotations.services.revisions: annotation_revision counts every change,
    # shared_revision only changes to annotations shared with the project
    # (what curators and owners see), public_revision only those every member
    # sees (approved ones, under pre-moderation). Readers poll with the counter
    # of their class, in one cheap query: a private annotation's change moves
    # annotation_revision alone, so it shows nowhere else.
    annotation_revision = models.PositiveBigIntegerField(default=0, editable=False)
    shared_revision = models.PositiveBigIntegerField(default=0, editable=False)
    public_revision = models.PositiveBigIntegerField(default=0, editable=False)

    # Provenance: the upload exactly as it came.
    original = models.BinaryField()
    original_filename = models.CharField(max_length=255, blank=True)
    original_encoding = models.CharField(max_length=40, blank=True)
    format = models.CharField(max_length=16, choices=DocumentFormat.choices)
    imported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="imported_documents",
    )
    imported_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # In the trash: hidden from reading, search and counts with its annotations
    # (Annotation.in_trash), restorable as it was until an owner purges it.
    trashed_at = models.DateTimeField(null=True, blank=True, editable=False)
    trashed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
    )

    # The default manager leaves the trash out; all_objects is for the trash
    # page, restoring and purging.
    objects = LiveDocumentManager()
    all_objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["title", "pk"]
        base_manager_name = "all_objects"
        constraints = [
            models.UniqueConstraint(
                fields=["project", "content_hash"],
                name="document_unique_text_per_project",
            ),
        ]
        indexes = [
            models.Index(fields=["project", "published_date"]),
            models.Index(fields=["project", "title"]),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        self.keywords_text = ", ".join(self.keywords)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "keywords" in update_fields:
            kwargs["update_fields"] = {*update_fields, "keywords_text"}
        super().save(*args, **kwargs)

    def get_absolute_url(self) -> str:
        return reverse(
            "annotations:document_detail",
            kwargs={"slug": self.project.slug, "pk": self.pk},
        )

    @property
    def in_trash(self) -> bool:
        return self.trashed_at is not None

    @cached_property
    def headings(self) -> list[dict]:
        """Heading blocks with their text, for a table of contents."""
        return [
            {**block, "title": self.text[block["start"] : block["end"]]}
            for block in self.blocks
            if block["kind"] == "heading"
        ]


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


# How long an invitation's link works.
INVITATION_LIFETIME = datetime.timedelta(days=7)


class InvitationStatus(models.TextChoices):
    PENDING = "pending", "Waiting"
    EXPIRED = "expired", "Expired"
    ACCEPTED = "accepted", "Accepted"
    REVOKED = "revoked", "Revoked or replaced"


class InvitationQuerySet(models.QuerySet):
    def open(self) -> InvitationQuerySet:
        """Neither accepted nor revoked: waiting, or expired (which an owner may
        send again)."""
        return self.filter(accepted_at__isnull=True, revoked_at__isnull=True)


class Invitation(models.Model):
    """An owner's invitation of an email address into a project, with a role.

    The emailed link carries a random token; only its SHA-256 is kept
    (`token_hash`), so the table cannot be used to join anyone. The link works
    once, for INVITATION_LIFETIME. Sending again revokes the row and makes a
    new one, so each row is one link sent: the record of who invited whom,
    when, and who accepted or revoked it.
    """

    Status = InvitationStatus

    project = models.ForeignKey(
        Project, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(max_length=254)
    role = models.CharField(max_length=16, choices=Role.choices)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["project", "created_at"])]
        constraints = [
            # One open invitation per address and project: a new one revokes
            # the last (corpus.services.invitations), and two at once cannot
            # both stay open.
            models.UniqueConstraint(
                fields=["project", "email"],
                condition=Q(accepted_at__isnull=True, revoked_at__isnull=True),
                name="invitation_one_open_per_email",
            ),
            models.CheckConstraint(
                condition=Q(role__in=Role.values), name="invitation_role_valid"
            ),
            models.CheckConstraint(
                condition=Q(accepted_at__isnull=True) | Q(revoked_at__isnull=True),
                name="invitation_accepted_or_revoked",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.email} to {self.project} ({self.get_role_display()})"

    @property
    def status(self) -> InvitationStatus:
        if self.accepted_at is not None:
            return InvitationStatus.ACCEPTED
        if self.revoked_at is not None:
            return InvitationStatus.REVOKED
        if self.expires_at <= timezone.now():
            return InvitationStatus.EXPIRED
        return InvitationStatus.PENDING

    @property
    def is_usable(self) -> bool:
        return self.status == InvitationStatus.PENDING
