"""Search across a project: what a member's query finds in the texts (as
keyword-in-context lines), the documents' titles and metadata, the notes with
their quotes, the replies and the tags, each as the member may see it.

The engine (SQLite's FTS5, PostgreSQL's tsvector) finds the index's entries
that hold the query's words (services.search keeps them); search_text finds
where in each entry they are, so that each line is cut from the text by
code-point offsets and opens exactly where it is.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import BooleanField, Count, Q, QuerySet
from django.db.models.expressions import RawSQL

from annotations import permissions
from annotations.models import SearchEntry, SearchKind, Tag
from annotations.search_text import Query, fts5, hits, parse, tsquery
from corpus.models import Membership

# Characters shown on each side of a hit.
CONTEXT = 60
LINES_PER_PAGE = 50
# Annotation, reply, tag and title hits shown at most (the first by place).
OTHERS_SHOWN = 50


@dataclass
class Line:
    """A keyword-in-context line: the hit with the text on each side, and
    where it is in its document (code points)."""

    document_id: int
    start: int
    end: int
    left: str
    hit: str
    right: str


@dataclass
class Marked:
    """An annotation, reply, tag or title hit: its text cut around the first
    hit, with the hits marked (pieces: (text, is a hit))."""

    entry: SearchEntry
    pieces: list[tuple[str, bool]]


@dataclass
class Results:
    query: Query
    lines: list[Line]
    # Documents with lines, each with its number of matching passages.
    documents: list[dict]
    passages: int
    page: int
    has_next: bool
    notes: list[Marked] = field(default_factory=list)
    replies: list[Marked] = field(default_factory=list)
    tags: list[Marked] = field(default_factory=list)
    titles: list[Marked] = field(default_factory=list)


def matching(project_id: int, query: Query) -> QuerySet[SearchEntry]:
    """The project's index entries that hold the query's words, by the engine."""
    entries = SearchEntry.objects.filter(project_id=project_id)
    if connection.vendor == "postgresql":
        return entries.filter(
            RawSQL(
                "vector @@ %s::tsquery",
                [tsquery(query)],
                output_field=BooleanField(),
            )
        )
    return entries.filter(
        pk__in=RawSQL(
            "SELECT rowid FROM annotations_search_fts "
            "WHERE annotations_search_fts MATCH %s",
            [fts5(query)],
        )
    )


def _seen(membership: Membership) -> Q:
    """The entries the member may see: live documents' texts and titles,
    notes and replies as the reading page shows them, the tags offered."""
    live = Q(document__trashed_at__isnull=True)
    notes = permissions.shown_to_member_filter(membership, "annotation__")
    return (
        (Q(kind__in=[SearchKind.TEXT, SearchKind.DOCUMENT]) & live)
        | (Q(kind=SearchKind.NOTE) & notes)
        | (Q(kind=SearchKind.REPLY, reply__deleted_at__isnull=True) & notes)
        | Q(kind=SearchKind.TAG, tag__in=Tag.objects.offered_to(membership))
    )


def search(membership: Membership, text: str, *, page: int = 1) -> Results:
    """The query's results for the member: a page of keyword-in-context lines,
    and the other kinds of hit. Raises search_text.QueryError for a query that
    cannot be read."""
    query = parse(text)
    found = matching(membership.project_id, query).filter(_seen(membership))
    passages = found.filter(kind=SearchKind.TEXT)
    documents = list(
        passages.values("document_id", "document__title")
        .annotate(passages=Count("pk"))
        .order_by("document__title", "document_id")
    )
    lines, has_next = _lines(passages, query, page)
    results = Results(
        query=query,
        lines=lines,
        documents=documents,
        passages=sum(row["passages"] for row in documents),
        page=page,
        has_next=has_next,
    )
    others = (
        found.exclude(kind=SearchKind.TEXT)
        .select_related("annotation__author", "document")
        .order_by("kind", "document__title", "annotation__start", "pk")
    )
    by_kind = {
        SearchKind.NOTE: results.notes,
        SearchKind.REPLY: results.replies,
        SearchKind.TAG: results.tags,
        SearchKind.DOCUMENT: results.titles,
    }
    for entry in others[: OTHERS_SHOWN * 4]:
        shown = by_kind[entry.kind]
        if len(shown) < OTHERS_SHOWN:
            shown.append(Marked(entry, _marked(entry.text, query)))
    return results


def _lines(passages: QuerySet, query: Query, page: int) -> tuple[list[Line], bool]:
    """The page's lines, from the passages in document and text order (read a
    batch at a time until the page is full), and whether more follow."""
    skip = (page - 1) * LINES_PER_PAGE
    lines: list[Line] = []
    ordered = passages.select_related(None).order_by(
        "document__title", "document_id", "start"
    )
    batch_size, offset = 200, 0
    while len(lines) <= skip + LINES_PER_PAGE:
        batch = list(ordered[offset : offset + batch_size])
        if not batch:
            break
        offset += batch_size
        for entry in batch:
            for start, end in hits(entry.text, query):
                lines.append(
                    Line(
                        document_id=entry.document_id,
                        start=entry.start + start,
                        end=entry.start + end,
                        left=entry.text[max(0, start - CONTEXT) : start],
                        hit=entry.text[start:end],
                        right=entry.text[end : end + CONTEXT],
                    )
                )
    shown = lines[skip : skip + LINES_PER_PAGE]
    return shown, len(lines) > skip + LINES_PER_PAGE


def _marked(text: str, query: Query) -> list[tuple[str, bool]]:
    """The text cut to about 2 × CONTEXT around its first hit, its hits marked."""
    found = hits(text, query)
    if not found:
        return [(text[: 2 * CONTEXT], False)]
    first = found[0][0]
    begin = max(0, first - CONTEXT)
    end = min(len(text), found[-1][1] + CONTEXT, begin + 4 * CONTEXT)
    pieces, at = [], begin
    if begin:
        pieces.append(("…", False))
    for start, stop in found:
        if start < at or stop > end:
            continue
        pieces += [(text[at:start], False), (text[start:stop], True)]
        at = stop
    pieces.append((text[at:end] + ("…" if end < len(text) else ""), False))
    return [piece for piece in pieces if piece[0]]
