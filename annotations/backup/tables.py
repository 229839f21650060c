"""What a backup holds: one table per model, each row a JSON object whose keys are
the model's field names, in the order a restore must insert them.

A row's own id and its references to other rows are the ids it had where it
was written (numbers local to the archive: the restore gives new ones); a
reference to a person is their username. Dates are ISO 8601 with the offset.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

from django.db import models
from django.db.models import Q

from annotations import permissions
from annotations.models import (
    Annotation,
    AnnotationEvent,
    DocumentCounters,
    Link,
    RelationType,
    Reply,
    Tag,
)
from corpus.models import Document, Membership, Project, ProjectEvent, TextRevision

FORMAT = "apparatus-backup"
# The archive's version: a restore refuses a newer one, and reads older ones
# (a field an older archive lacks takes the model's default).
VERSION = 1

MANIFEST = "manifest.json"
PROJECT = "project.json"
USERS = "users.json"
# The uploads byte for byte: ORIGINALS + the document's archive id.
ORIGINALS = "originals/"
# The reference of a row to a person (by username, in USERS).
USER = "users"
# What a person's entry in USERS holds: enough to know them again, not to
# reach them (members do not see each other's email addresses).
USER_FIELDS = ("username", "first_name", "last_name")


class ArchiveRefused(Exception):
    """The archive cannot be restored; the message says why, for its reader."""


def _shown(prefix: str = "") -> Callable[[Membership], Q]:
    """What a member sees of a note (deleted and trashed ones too: an owner's
    backup keeps the record), as conditions through `prefix`."""

    def rule(membership: Membership) -> Q:
        return permissions.shown_to_member_filter(
            membership,
            prefix,
            include_trash=True,
            include_deleted=True,
            include_orphans=True,
        )

    return rule


def _links_shown(membership: Membership) -> Q:
    return _shown("source__")(membership) & (
        Q(target_annotation__isnull=True) | _shown("target_annotation__")(membership)
    )


@dataclass(frozen=True)
class Table:
    """A model's rows in the archive: `entry` holds them, one JSON object a line."""

    name: str
    model: type[models.Model]
    # The way from a row to its project; the project itself is not written.
    project_path: str
    # Reference fields and the table they point into (USER: a person).
    refs: dict[str, str]
    # Fields kept elsewhere (a document's original upload has entries of its own).
    leave_out: tuple[str, ...] = ()
    # Many-to-many fields written as lists of ids, and the table they point into.
    many: dict[str, str] = field(default_factory=dict)
    # For a backup a member downloads: the rows they may see (None: all).
    seen: Callable[[Membership], Q] | None = None
    # Rows read and inserted at a time (documents hold megabytes of text).
    batch: int = 2000

    @property
    def entry(self) -> str:
        return f"{self.name}.jsonl"

    @cached_property
    def fields(self) -> list[models.Field]:
        """The fields written: every concrete one but the project (implied) and
        those kept elsewhere. A reference must be named in `refs`, so that a new
        one is never written as a bare id of this database."""
        written = []
        for item in self.model._meta.concrete_fields:
            if item.name in self.leave_out or (
                self.project_path == "project" and item.name == "project"
            ):
                continue
            if item.is_relation and item.name not in self.refs:
                raise TypeError(f"{self.name}: say where {item.name} points")
            written.append(item)
        return written

    @cached_property
    def generated_id(self) -> bool:
        """Whether the database gives a restored row its id (else the id is a
        reference, as a document's counters have their document's)."""
        return not self.model._meta.pk.is_relation


PROJECT_TABLE = Table(
    "project",
    Project,
    "",
    {"created_by": USER, "trashed_by": USER, "updated_by": USER},
)

TABLES = (
    Table("relation_types", RelationType, "project", {"updated_by": USER}),
    Table(
        "tags",
        Tag,
        "project",
        {"parent": "tags", "updated_by": USER},
        # A tag used only on others' private notes is theirs (Tag.offered_to).
        seen=lambda membership: Q(pk__in=Tag.objects.offered_to(membership)),
    ),
    Table(
        "documents",
        Document,
        "project",
        {"imported_by": USER, "trashed_by": USER, "updated_by": USER},
        leave_out=("original",),
        batch=1,
    ),
    Table(
        "text_revisions",
        TextRevision,
        "document__project",
        {"document": "documents", "author": USER},
        batch=20,
    ),
    Table(
        "annotations",
        Annotation,
        "project",
        {
            "document": "documents",
            "author": USER,
            "deleted_by": USER,
            "updated_by": USER,
        },
        many={"tags": "tags"},
        seen=_shown(),
    ),
    Table(
        "replies",
        Reply,
        "annotation__project",
        {
            "annotation": "annotations",
            "author": USER,
            "deleted_by": USER,
            "updated_by": USER,
        },
        seen=_shown("annotation__"),
    ),
    Table(
        "links",
        Link,
        "project",
        {
            "source": "annotations",
            "relation": "relation_types",
            "target_annotation": "annotations",
            "target_document": "documents",
            "author": USER,
            "deleted_by": USER,
        },
        seen=_links_shown,
    ),
    Table(
        "history",
        AnnotationEvent,
        "annotation__project",
        {"annotation": "annotations", "actor": USER},
        seen=_shown("annotation__"),
    ),
    # After every write they count: read last, they are at least what the
    # notes' revisions say (polling compares the two).
    Table(
        "counters",
        DocumentCounters,
        "document__project",
        {"document": "documents"},
    ),
    Table("events", ProjectEvent, "project", {"actor": USER}),
    # Last: a project being restored a batch at a time shows in no one's list
    # until it is whole.
    Table("memberships", Membership, "project", {"user": USER}),
)

# The tables other rows name: the writer keeps the ids it wrote of these.
NAMED = {
    target
    for table in (PROJECT_TABLE, *TABLES)
    for target in (*table.refs.values(), *table.many.values())
    if target != USER
}

# Checked as the module loads: a reference no table was told of stops the app.
for _table in (PROJECT_TABLE, *TABLES):
    _table.fields  # noqa: B018
