"""The annotations a member sees as tidy CSV tables in one zip, for analysis in
pandas, R or a spreadsheet: one row per annotation, reply, link, tag, document
and annotation–tag pair, with ids that join. Streamed, a batch at a time.

Text cells that begin with a character a spreadsheet reads as a formula (=, +,
-, @, a tab or a carriage return) get an apostrophe in front, so opening the
file runs nothing (README.txt in the zip says so).
"""

from __future__ import annotations

import csv
import datetime
import io
from collections.abc import Callable, Iterable, Iterator

from django.db.models import Count, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from annotations import links as links_reads
from annotations.export import Progress, Scope
from annotations.models import Annotation, Reply, Tag
from annotations.zipstream import ZipStream
from corpus.models import Document

BATCH = 1000
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

README = """\
Annotations exported from Apparatus as CSV tables (UTF-8, comma-separated, a
header row, dates in ISO 8601 with their UTC offset).

  annotations.csv      one row per annotation: its passage (start and end
                       count Unicode code points into the document's text),
                       note (Markdown), tags, author, visibility and status
  annotation_tags.csv  one row per tag on an annotation (annotation_id, tag_id)
  tags.csv             the project's tags, with their parents and uses here
  replies.csv          one row per reply (annotation_id joins)
  links.csv            one row per link from an annotation to another
                       annotation, a document or an outside source
  documents.csv        the documents (document_id joins)

{scope}

A text cell that begins with =, +, -, @, a tab or a carriage return starts
with an apostrophe ('), so that a spreadsheet shows it rather than runs it as
a formula. Remove it before comparing such a cell with the text, e.g. in pandas:
    df[col] = df[col].str.replace(r"^'(?=[=+\\-@\\t\\r])", "", regex=True)

In a spreadsheet, open the files as UTF-8 (LibreOffice asks; in Excel use
Data > From Text/CSV).
"""


def cell(value) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    text = str(value)
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def tables(
    scope: Scope,
    *,
    described: str,
    address: Callable[[str], str],
    progress: Progress | None = None,
) -> Iterator[bytes]:
    """The zip, in pieces. `described` says in words what was exported;
    `address` makes a path absolute (the reading page's links); `progress`
    hears of the annotations, replies and links written, of all of them."""
    total = scope.count() if progress is not None else 0
    counted = {"annotations.csv", "replies.csv", "links.csv"}
    done = 0
    stream = ZipStream()
    project = scope.membership.project
    parts = (
        ("annotations.csv", ANNOTATION_HEADER, _annotations(scope, project, address)),
        ("annotation_tags.csv", ("annotation_id", "tag_id"), _annotation_tags(scope)),
        ("tags.csv", TAG_HEADER, _tags(scope)),
        ("replies.csv", REPLY_HEADER, _replies(scope)),
        ("links.csv", LINK_HEADER, _links(scope)),
        ("documents.csv", DOCUMENT_HEADER, _documents(scope, address)),
    )
    for name, header, rows in parts:
        with stream.open(name) as entry:
            for text, count in _csv(header, rows):
                entry.write(text.encode())
                if progress is not None and name in counted:
                    done += count
                    progress(done, total)
                if stream.full:
                    yield stream.take()
    stream.write("README.txt", README.format(scope=described))
    yield stream.close()


def describe(subject, filters: dict) -> str:
    """What an export holds, in words, for its README."""
    chosen = [
        f"{label} {filters[name]}"
        for name, label in (("tag", "tagged"), ("author", "by"), ("status", "status"))
        if filters.get(name)
    ]
    if filters.get("mine"):
        chosen.append("the exporter's own")
    if filters.get("approved"):
        chosen.append("approved only")
    narrowed = f", {', '.join(chosen)}" if chosen else ""
    return (
        f"Exported {timezone.now():%Y-%m-%d %H:%M} UTC from “{subject}”: the "
        f"annotations its exporter could see{narrowed}."
    )


def _csv(header: tuple[str, ...], rows: Iterable[tuple]) -> Iterator[tuple[str, int]]:
    """The table as CSV text, a batch of rows at a time, each with the number
    of rows it holds."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    count = 0
    for count, row in enumerate(rows, 1):
        writer.writerow([cell(value) for value in row])
        if count % BATCH == 0:
            yield buffer.getvalue(), BATCH
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue(), count % BATCH


def _by_id(rows: QuerySet, *, size: int = BATCH) -> Iterator:
    """The rows a batch at a time by id: a write meanwhile moves none."""
    last = 0
    while True:
        batch = list(rows.filter(pk__gt=last).order_by("pk")[:size])
        if not batch:
            return
        yield from batch
        last = batch[-1].pk


ANNOTATION_HEADER = (
    "annotation_id",
    "document_id",
    "start",
    "end",
    "exact",
    "prefix",
    "suffix",
    "note",
    "tags",
    "author",
    "author_name",
    "visibility",
    "status",
    "reply_count",
    "created",
    "modified",
    "url",
)


def _annotations(scope: Scope, project, address) -> Iterator[tuple]:
    notes = scope.notes.select_related("author").with_reply_count()
    through = Annotation.tags.through
    for chunk in _batches(_by_id(notes)):
        names: dict[int, list[str]] = {}
        for note_id, name in (
            through.objects.filter(annotation_id__in=[n.pk for n in chunk])
            .order_by("annotation_id", "tag__name")
            .values_list("annotation_id", "tag__name")
        ):
            names.setdefault(note_id, []).append(name)
        for note in chunk:
            url = address(
                reverse(
                    "annotations:annotation_detail",
                    kwargs={"slug": project.slug, "pk": note.pk},
                )
            )
            yield (
                note.pk,
                note.document_id,
                note.start,
                note.end,
                note.exact,
                note.prefix,
                note.suffix,
                note.body,
                "; ".join(names.get(note.pk, [])),
                note.author.username,
                note.author.get_full_name(),
                note.visibility,
                note.status,
                note.reply_count,
                note.created_at,
                note.updated_at,
                url,
            )


def _batches(rows: Iterator, size: int = BATCH) -> Iterator[list]:
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _annotation_tags(scope: Scope) -> Iterator[tuple]:
    pairs = Annotation.tags.through.objects.filter(scope.where("annotation__"))
    for pair in _by_id(pairs.only("annotation_id", "tag_id")):
        yield pair.annotation_id, pair.tag_id


TAG_HEADER = (
    "tag_id",
    "name",
    "parent_id",
    "parent",
    "colour",
    "description",
    "retired",
    "uses",
)


def _tags(scope: Scope) -> Iterator[tuple]:
    """The tags the member may see, each with its uses among the notes here."""
    uses = (
        Annotation.tags.through.objects.filter(
            scope.where("annotation__"), tag_id=OuterRef("pk")
        )
        .order_by()
        .values("tag_id")
        .annotate(n=Count("pk"))
        .values("n")
    )
    tags = (
        Tag.objects.offered_to(scope.membership)
        .select_related("parent")
        .annotate(uses=Coalesce(Subquery(uses), 0))
        .order_by("name")
    )
    for tag in tags:
        yield (
            tag.pk,
            tag.name,
            tag.parent_id,
            tag.parent.name if tag.parent else None,
            tag.colour,
            tag.description,
            tag.retired,
            tag.uses,
        )


REPLY_HEADER = (
    "reply_id",
    "annotation_id",
    "body",
    "author",
    "author_name",
    "created",
    "modified",
)


def _replies(scope: Scope) -> Iterator[tuple]:
    replies = Reply.objects.filter(
        scope.where("annotation__"), deleted_at__isnull=True
    ).select_related("author")
    for reply in _by_id(replies):
        yield (
            reply.pk,
            reply.annotation_id,
            reply.body,
            reply.author.username,
            reply.author.get_full_name(),
            reply.created_at,
            reply.updated_at,
        )


LINK_HEADER = (
    "link_id",
    "source_annotation_id",
    "relation",
    "target_kind",
    "target_annotation_id",
    "target_document_id",
    "target_url",
    "target_title",
    "citation",
    "accessed",
    "note",
    "author",
    "created",
)


def _links(scope: Scope) -> Iterator[tuple]:
    links = (
        links_reads.live_links_for(scope.membership)
        .filter(scope.where("source__"))
        .select_related("relation", "author")
    )
    for link in _by_id(links):
        if link.target_annotation_id is not None:
            kind = "annotation"
        elif link.target_document_id is not None:
            kind = "document"
        else:
            kind = "source"
        yield (
            link.pk,
            link.source_id,
            link.relation.name,
            kind,
            link.target_annotation_id,
            link.target_document_id,
            link.target_url,
            link.target_title,
            link.citation,
            link.accessed,
            link.note,
            link.author.username,
            link.created_at,
        )


DOCUMENT_HEADER = (
    "document_id",
    "title",
    "authors",
    "publisher",
    "source_url",
    "published_date",
    "language",
    "keywords",
    "word_count",
    "format",
    "original_filename",
    "imported",
    "url",
)


def _documents(scope: Scope, address) -> Iterator[tuple]:
    documents = Document.objects.filter(project_id=scope.membership.project_id)
    if scope.document is not None:
        documents = documents.filter(pk=scope.document.pk)
    project = scope.membership.project
    for document in _by_id(documents.listing(), size=200):
        yield (
            document.pk,
            document.title,
            "; ".join(document.authors),
            document.publisher,
            document.source_url,
            document.published_date,
            document.language,
            "; ".join(document.keywords),
            document.word_count,
            document.format,
            document.original_filename,
            document.imported_at,
            address(
                reverse(
                    "annotations:document_detail",
                    kwargs={"slug": project.slug, "pk": document.pk},
                )
            ),
        )
