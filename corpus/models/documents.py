"""Documents: the texts a project annotates, with their metadata and origin."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils.functional import cached_property

from corpus.models.projects import Project
from corpus.models.versioned import Versioned


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
    # with code-point offsets. Written at import; changed only by a text
    # revision (TextRevision, annotations.services.text), which carries the
    # annotations across in the same transaction.
    text = models.TextField()
    # [{"kind", "start", "end", "level"}, ...] in text order.
    blocks = models.JSONField(default=list)
    # Hyperlinks kept from the source: [{"start", "end", "url"}, ...].
    links = models.JSONField(default=list, blank=True)
    content_hash = models.CharField(max_length=64, editable=False)
    # How many times the text was revised: the number of its latest
    # TextRevision (0: as imported). An edit names the one it was made to.
    text_revision = models.PositiveIntegerField(default=0, editable=False)
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


class RevisionKind(models.TextChoices):
    EDIT = "edit", "Edited"
    UPLOAD = "upload", "New version uploaded"
    RESTORE = "restore", "Earlier revision restored"


class TextRevision(models.Model):
    """One change of a document's text: who, when, why, and what it undid.

    Revision n turned the text of revision n - 1 into that of revision n (0
    is the import). `undo` holds what the change replaced, as the spans of
    the text after it and the text that stood there before: from the
    document's current text, undoing its revisions newest first rebuilds
    every earlier one (annotations.revisions).
    """

    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="text_revisions"
    )
    number = models.PositiveIntegerField()
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    at = models.DateTimeField(auto_now_add=True)
    kind = models.CharField(max_length=8, choices=RevisionKind.choices)
    reason = models.TextField()
    # [[start, end, before], ...]: after[start:end] was `before`, in text order.
    undo = models.JSONField(default=list)
    # The structure the text had before (Document.blocks and .links).
    blocks_before = models.JSONField(default=list)
    links_before = models.JSONField(default=list)
    # Characters inserted and deleted, for the list of revisions.
    inserted = models.PositiveIntegerField(default=0)
    deleted = models.PositiveIntegerField(default=0)
    # What became of the live annotations shared with the project (others'
    # private ones are theirs alone): {"moved": n, "edited": n, "found": n,
    # "orphan": n}.
    carried = models.JSONField(default=dict)
    # A restore: the revision whose text it brought back. An upload: its file.
    restored_from = models.PositiveIntegerField(null=True, blank=True)
    filename = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["document", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["document", "number"], name="text_revision_unique_number"
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=RevisionKind.values),
                name="text_revision_kind_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"Revision {self.number} of {self.document_id}"
