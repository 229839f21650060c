"""The search index: a row for each piece of a project a search may find (a
block of a document's text, a document's title and metadata, a note with its
quote, a reply, a tag), kept current by the writes that change them
(annotations.search_index). The engine's own index sits beside it: an FTS5
table on SQLite, a tsvector column with a GIN index on PostgreSQL (migration
0017)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from corpus.models import Document, Project


class SearchKind(models.TextChoices):
    TEXT = "text", "Text"
    DOCUMENT = "document", "Title and description"
    NOTE = "note", "Note"
    REPLY = "reply", "Reply"
    TAG = "tag", "Tag"


def _a_user() -> models.ForeignKey:
    """A user an entry copies from its note or reply: no constraint, no
    index (the copy is kept by the writes to what it copies)."""
    return models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )


class SearchEntry(models.Model):
    Kind = SearchKind

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    document = models.ForeignKey(
        Document, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    kind = models.CharField(max_length=8, choices=Kind.choices)
    annotation = models.ForeignKey(
        "annotations.Annotation",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    reply = models.ForeignKey(
        "annotations.Reply",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    tag = models.ForeignKey(
        "annotations.Tag",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
    )
    # Where the piece starts in its document's text (a block of text).
    start = models.PositiveIntegerField(default=0)
    # The piece as it reads, and its folded words (search_text.indexed), which
    # the engine indexes.
    text = models.TextField()
    words = models.TextField()
    # Who may see the entry, copied from the note it is about (a note's and its
    # replies' entries: the note's author, visibility, status and anchoring), from the
    # reply (deleted_at: the note's, else the reply's) or from the document
    # (in_trash, for its text and title), under the names the one visibility
    # rule reads (permissions.annotation_rule), so that a search counts a
    # common word's entries without joining a row for each. Written as the
    # entry is made; kept current by triggers on the rows they copy (migration
    # 0020), whatever writes them: a service, the trash, a backup, the admin.
    author = _a_user()
    # A reply's own author, whom the author facet counts it for (`author` is
    # its note's, for the visibility rule); empty for the other kinds (a
    # note's writer is `author`). A reply's author never changes.
    writer = _a_user()
    visibility = models.CharField(max_length=8, blank=True, default="")
    status = models.CharField(max_length=16, blank=True, default="")
    deleted_at = models.DateTimeField(null=True, blank=True)
    in_trash = models.BooleanField(default=False)
    # The note's place on the text (Annotation.anchoring): an orphan's notes
    # and replies are found as the reading page shows them, not at all.
    anchoring = models.CharField(max_length=8, blank=True, default="anchored")

    class Meta:
        indexes = [
            models.Index(fields=["project", "kind"]),
            models.Index(fields=["document", "kind", "start"]),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=SearchKind.values), name="search_kind_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.text[:40]}"


class SearchWord(models.Model):
    """A word (or a phrase: its words, a space between each) so common in a
    project's index (a search counted TALLY_FROM of its entries or more)
    that its facets' counts are kept, by SearchTally, rather than counted
    again from every entry holding it at each search. `entries`: how many
    that search counted, or its tally when counted again (a project that
    keeps as many as it may keeps the commonest: services.search.
    _least_common)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="+")
    word = models.CharField(max_length=200)
    entries = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["project", "word"], name="search_word_once")
        ]

    def __str__(self) -> str:
        return self.word


class SearchTally(models.Model):
    """How many live entries holding a kept word (SearchWord) count towards one
    value of a facet, for one audience. `part` says which grouping: KINDS (an
    entry's kind and document), PEOPLE (the author of a note, or of a reply
    (SearchEntry.writer), and its status), TAGS (a tag of the entry's note).
    `access` says who may see the entries: EVERYONE (texts, titles, approved
    shared notes and their replies), SHARED (shared, not approved: members who
    see unapproved notes, and the author) or PRIVATE (the author alone);
    `owner_id` is the author for those, and 0 on a SHARED row that sums every
    author's. Absent values are 0 or "" (so that the key is unique on both
    databases).

    Written only by the database's triggers on the entries and on the notes'
    tag links (migration 0022; on PostgreSQL once a statement, 0024; the
    replies' people since 0027), and by services.search for the texts' entries
    (written in bulk, a row each would cost an import dearly) and when a word
    is first kept."""

    EVERYONE, SHARED, PRIVATE = 0, 1, 2
    KINDS, PEOPLE, TAGS = 0, 1, 2

    word = models.ForeignKey(
        SearchWord,
        on_delete=models.CASCADE,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    access = models.PositiveSmallIntegerField()
    owner_id = models.IntegerField(default=0)
    part = models.PositiveSmallIntegerField()
    kind = models.CharField(max_length=8, default="")
    document_id = models.IntegerField(default=0)
    author_id = models.IntegerField(default=0)
    status = models.CharField(max_length=16, default="")
    tag_id = models.IntegerField(default=0)
    n = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=[
                    "word",
                    "access",
                    "owner_id",
                    "part",
                    "kind",
                    "document_id",
                    "author_id",
                    "status",
                    "tag_id",
                ],
                name="search_tally_key",
            )
        ]

    def __str__(self) -> str:
        return f"{self.word_id}: {self.n}"
