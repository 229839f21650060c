"""Search across a project: what a member's query finds in the texts (as
keyword-in-context lines), the documents' titles and metadata, the notes with
their quotes, the replies and the tags, each as the member may see it.

The engine (SQLite's FTS5, PostgreSQL's tsvector) finds the index's entries
that hold the query's words (services.search keeps them); search_text finds
where in each entry they are, so that each line is cut from the text by
code-point offsets and opens exactly where it is.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Count,
    F,
    FloatField,
    Func,
    IntegerField,
    Max,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.functions import Coalesce, Length, Substr

from annotations import export, permissions
from annotations.models import (
    Annotation,
    SearchEntry,
    SearchKind,
    SearchTally,
    SearchWord,
    Status,
    Tag,
)
from annotations.search_text import (
    Exact,
    Query,
    exact,
    fts5,
    hits,
    parse,
    tokens,
    tsquery,
)
from annotations.services import search as search_index
from annotations.services.annotations import tagged_for
from annotations.services.search import CHUNK
from corpus import bodycache
from corpus.models import Document, Membership

# The characters re also takes as one another ignoring case (by lower case),
# for the exact mode's classes (_cases).
try:
    from re._casefix import _EXTRA_CASES as _RE_CASES
except ImportError:  # another Python: the cases str gives alone
    _RE_CASES = {}

# Characters shown on each side of a hit.
CONTEXT = 60
LINES_PER_PAGE = 50
# Annotation, reply, tag and title hits shown of each kind beside the lines
# (each kind's link then pages through them all: OTHERS_PER_PAGE a page).
OTHERS_SHOWN = 10
OTHERS_PER_PAGE = 50


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
    # The revision of the document's text the offsets count in (a hit chosen
    # for annotating names it: services.annotate_passages).
    text_revision: int = 0
    # Its document's row in Results.documents ({document_id, title, lines}).
    document: dict = field(default_factory=dict)


@dataclass
class Marked:
    """An annotation, reply, tag or title hit: its text cut around the first
    hit, with the hits marked (pieces: (text, is a hit))."""

    entry: SearchEntry
    pieces: list[tuple[str, bool]]
    # A note or reply hit: the note's quote (its hits marked too) and tags;
    # a note's `pieces` are then its text alone (_with_their_notes).
    quote: list[tuple[str, bool]] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    # A tag hit: the documents where the member sees notes it tags, most
    # first ({document_id, title, notes}, TAG_DOCUMENTS at most), and how
    # many more there are; each opens the reading view's margin filtered by it.
    documents: list[dict] = field(default_factory=list)
    more_documents: int = 0


@dataclass
class Results:
    query: Query
    lines: list[Line]
    # How many lines (or, in the texts' order, passages: `unit`) there are,
    # and the documents they are in, each with its number of them.
    line_count: int
    unit: str
    documents: list[dict]
    page: int
    pages: int
    notes: list[Marked] = field(default_factory=list)
    # In the texts' order, where only the lines up to the page's are read:
    # the pages there are at least (a page a LINES_PER_PAGE passages, each
    # with a hit or more), if more than `pages` (which are known to be).
    pages_at_least: int = 0
    replies: list[Marked] = field(default_factory=list)
    tags: list[Marked] = field(default_factory=list)
    titles: list[Marked] = field(default_factory=list)
    # Facets: each a list of {value, label, count}, counted with the other
    # facets chosen.
    facets: dict[str, list[dict]] = field(default_factory=dict)
    # The kinds (notes, replies) shown most relevant first (few enough hits
    # to rank them all); the others are the first found, shown by place.
    ranked: set[str] = field(default_factory=set)
    # The lines that may be paged through (MAX_LINES) when more follow, else 0.
    cut: int = 0
    # The hits of each kind (the kind facet's counts), and the kind whose
    # hits are paged through (a kind chosen but the texts), if any.
    of_kind: dict[str, int] = field(default_factory=dict)
    paged_kind: str = ""

    @property
    def paged_found(self) -> str:
        """How many hits of the kind paged through there are, in words."""
        n = self.of_kind.get(self.paged_kind, 0)
        one, many = KIND_NAMES.get(self.paged_kind, ("hit", "hits"))
        return f"{n} {one if n == 1 else many}"


# What a hit of each kind but the texts is called, one and many.
KIND_NAMES = {
    "document": ("title", "titles"),
    "note": ("note", "notes"),
    "reply": ("reply", "replies"),
    "tag": ("tag", "tags"),
}


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
    return entries.filter(pk__in=fts5_rowids(query))


def fts5_rowids(query: Query) -> RawSQL:
    """SQLite: the rowids (entries' keys) of every project's index entries
    FTS5 finds the query in."""
    return RawSQL(
        "SELECT rowid FROM annotations_search_fts "
        "WHERE annotations_search_fts MATCH %s",
        [fts5(query)],
    )


def _seen(membership: Membership, kinds=None) -> Q:
    """The entries (of `kinds`, or all) the member may see: live documents'
    texts and titles, notes and replies as the reading page shows them, the
    tags offered. Each entry carries its own copy of what the rule reads
    (SearchEntry.author ... in_trash), so that counting joins no other row;
    only the tags' rule (30 rows, not 100,000) joins their annotations."""
    notes = permissions.shown_to_member_filter(membership)
    rules = {
        SearchKind.TEXT: Q(kind=SearchKind.TEXT, in_trash=False),
        SearchKind.DOCUMENT: Q(kind=SearchKind.DOCUMENT, in_trash=False),
        SearchKind.NOTE: Q(kind=SearchKind.NOTE) & notes,
        SearchKind.REPLY: Q(kind=SearchKind.REPLY) & notes,
        SearchKind.TAG: Q(
            kind=SearchKind.TAG, tag__in=Tag.objects.offered_to(membership)
        ),
    }
    chosen = [rules[kind] for kind in (kinds or rules)]
    seen = chosen[0]
    for rule in chosen[1:]:
        seen |= rule
    return seen


# The kinds that are an annotation's (tag, author and status narrow to them).
ANNOTATION_KINDS = (SearchKind.NOTE, SearchKind.REPLY)
# The kinds shown as hits apart from the texts' lines, in the page's order.
OTHER_KINDS = (SearchKind.DOCUMENT, SearchKind.NOTE, SearchKind.REPLY, SearchKind.TAG)
# The writes to a project after which the number of its entries of each kind,
# which chooses how to read them, is counted again (Found.entries_of_kind).
ESTIMATE_WRITES = 1024
# Lines read at most for one search (a word on every page of a corpus).
MAX_LINES = 20_000
FACET_SIZE = 20


def _filters(data: dict, project_id: int) -> dict[str, Q]:
    """The facets chosen, each as conditions on the entries (a tag: the notes
    that have it, or a tag under it)."""
    chosen: dict[str, Q] = {}
    if data.get("kind"):
        chosen["kind"] = Q(kind=data["kind"])
    if data.get("document"):
        chosen["document"] = Q(document_id=data["document"])
    if data.get("since"):
        chosen["since"] = Q(document__published_date__gte=data["since"])
    if data.get("until"):
        chosen["until"] = Q(document__published_date__lte=data["until"])
    if data.get("tag"):
        tags = _tag_and_under(project_id, data["tag"])
        chosen["tag"] = Q(kind__in=ANNOTATION_KINDS) & (
            # A name no tag has finds nothing (an empty list would be no
            # statement at all).
            Q(annotation__tags__in=tags)
            if tags
            else Q(annotation__tags__name__iexact=data["tag"])
        )
    if data.get("author"):
        # A note's author, a reply's own (as the facet counts them).
        chosen["author"] = Q(kind=SearchKind.NOTE, author__username=data["author"]) | Q(
            kind=SearchKind.REPLY, writer__username=data["author"]
        )
    if data.get("status"):
        chosen["status"] = Q(kind__in=ANNOTATION_KINDS, status=data["status"])
    return chosen


def _project_tags(project_id: int) -> dict[int, tuple[str, int | None]]:
    """The project's tags: {id: (name, parent's id)}."""
    return {
        pk: (name, parent)
        for pk, name, parent in Tag.objects.filter(project_id=project_id)
        .order_by()
        .values_list("pk", "name", "parent_id")
    }


def _tag_and_under(project_id: int, name: str) -> list[int]:
    """The tag named `name` (in any case) and every tag under it."""
    tags = _project_tags(project_id)
    children: dict[int | None, list[int]] = {}
    for pk, (_name, parent) in tags.items():
        children.setdefault(parent, []).append(pk)
    wanted = [pk for pk, (tag, _parent) in tags.items() if tag.lower() == name.lower()]
    found: set[int] = set()
    while wanted:
        pk = wanted.pop()
        if pk not in found:
            found.add(pk)
            wanted += children.get(pk, [])
    return sorted(found)


def _tag_paths(project_id: int) -> dict[str, list[str]]:
    """Each tag's path from the top of the hierarchy ({lower-case name:
    [its parent's parent, its parent, its name]})."""
    tags = _project_tags(project_id)
    paths = {}
    for pk, (name, parent) in tags.items():
        path, seen = [name], {pk}
        while parent is not None and parent in tags and parent not in seen:
            seen.add(parent)
            path.insert(0, tags[parent][0])
            parent = tags[parent][1]
        paths[name.lower()] = path
    return paths


def _narrowed(found: QuerySet, chosen: dict[str, Q], but: str = "") -> QuerySet:
    for name, condition in chosen.items():
        if name != but:
            found = found.filter(condition)
    return found


def search(membership: Membership, data: dict) -> Results:
    """The results of a search (SearchForm's cleaned data) for the member: a
    page of keyword-in-context lines, the other kinds of hit, the facets.
    Raises search_text.QueryError for a query that cannot be read."""
    found = _found(membership, data)
    query, texts = found.query, found.texts
    sort = data.get("sort") or ""
    # The lines are paged through to MAX_LINES, in any order: a page further
    # on would read every line before it (page 1,000,000 of "the": every
    # line of the corpus, for a page with none).
    asked = max(1, int(data.get("page") or 1))
    last = MAX_LINES // LINES_PER_PAGE
    page = min(asked, last)
    if sort in {"before", "after"}:
        # A concordance's sorts need every line: read them all (to MAX_LINES).
        lines = _lines(texts, query, limit=MAX_LINES)
        _sort(lines, sort)
        pages = max(1, -(-len(lines) // LINES_PER_PAGE))
        page = min(page, pages)
        cut = MAX_LINES if len(lines) >= MAX_LINES else 0
        shown, unit = lines[(page - 1) * LINES_PER_PAGE : page * LINES_PER_PAGE], "line"
        counted: dict[int, int] = {}
        for line in lines:
            counted[line.document_id] = counted.get(line.document_id, 0) + 1
        titles = found.titles()
        facets = found.kept("facets", lambda: _by_the_index(_facets, found))
    else:
        # In the texts' order: only as many passages as the page needs, read
        # from the documents that the counts say hold them.
        per_document, facets = found.kept(
            "counts", lambda: _by_the_index(_counts, found)
        )
        shown, more = _page_lines(
            found, page, by_position=sort == "position", counted=per_document
        )
        cut = MAX_LINES if more and page == last else 0
        pages, unit = (page + 1 if more and not cut else page), "passage"
        counted = {pk: n for pk, (_title, n) in per_document.items()}
        titles = {pk: title for pk, (title, _n) in per_document.items()}
    revisions = dict(
        Document.objects.filter(pk__in={line.document_id for line in shown})
        .order_by()
        .values_list("pk", "text_revision")
    )
    for line in shown:
        line.text_revision = revisions.get(line.document_id, 0)
    results = Results(
        query=query,
        lines=shown,
        line_count=sum(counted.values()),
        unit=unit,
        documents=[
            {"document_id": pk, "title": titles.get(pk, ""), "lines": n}
            for pk, n in sorted(
                counted.items(), key=lambda row: (titles.get(row[0], ""), row[0])
            )
        ],
        page=page,
        pages=pages,
        facets=facets,
        cut=cut,
    )
    # (Not in the exact mode: PostgreSQL may count a passage its UPPER()
    # holds the string in but Python's case-insensitivity does not.)
    if unit == "passage" and pages > page and not isinstance(query, Exact):
        results.pages_at_least = max(
            pages, -(-min(results.line_count, MAX_LINES) // LINES_PER_PAGE)
        )
    rows = {row["document_id"]: row for row in results.documents}
    for line in shown:
        line.document = rows.get(line.document_id, {})
    by_kind = {
        SearchKind.NOTE: results.notes,
        SearchKind.REPLY: results.replies,
        SearchKind.TAG: results.tags,
        SearchKind.DOCUMENT: results.titles,
    }
    # The kind facet counts every kind (the others chosen); a kind chosen
    # leaves no hit of the rest to ask for, and its hits are paged through.
    chosen_kind = data.get("kind")
    results.of_kind = {row["value"]: row["count"] for row in facets["kind"]}
    found_of_kind = {
        kind: n
        for kind, n in results.of_kind.items()
        if not chosen_kind or kind == chosen_kind
    }
    shown = slice(0, OTHERS_SHOWN)
    if chosen_kind in OTHER_KINDS:
        hits = found_of_kind.get(chosen_kind, 0)
        results.paged_kind = chosen_kind
        # Paged apart from the lines (none: another kind is chosen), from
        # the page asked, whatever the lines' sort made of it.
        results.pages = max(1, -(-min(hits, MAX_LINES) // OTHERS_PER_PAGE))
        results.page = min(asked, results.pages)
        results.cut = MAX_LINES if hits > MAX_LINES else 0
        start = (results.page - 1) * OTHERS_PER_PAGE
        shown = slice(start, start + OTHERS_PER_PAGE)
    listed = sum(results.of_kind.values())
    for entry in _others(
        found,
        found_of_kind,
        results.ranked,
        shown,
        listed,
        paged=bool(results.paged_kind),
    ):
        # A note's text is marked apart from its quote (_with_their_notes).
        pieces = [] if entry.kind == SearchKind.NOTE else _marked(entry.text, query)
        by_kind[entry.kind].append(Marked(entry, pieces))
    _with_their_notes([*results.notes, *results.replies], query)
    tagged = _tagged_documents(found, [marked.entry.tag_id for marked in results.tags])
    for marked in results.tags:
        documents = tagged.get(marked.entry.tag_id, [])
        marked.documents = documents[:TAG_DOCUMENTS]
        marked.more_documents = max(0, len(documents) - TAG_DOCUMENTS)
    return results


# The documents named under a tag hit, at most.
TAG_DOCUMENTS = 5


def _tagged_documents(found: Found, tags: list[int]) -> dict[int, list[dict]]:
    """For each of the tags shown, the documents where the member sees live
    notes it tags, with how many, most first: one query, none without a tag."""
    if not tags:
        return {}
    links = Annotation.tags.through.objects.filter(
        permissions.shown_to_member_filter(found.membership, "annotation__"),
        tag_id__in=tags,
    )
    tagged: dict[int, list[dict]] = {}
    for tag, document, title, notes in (
        links.order_by()
        .values_list("tag_id", "annotation__document_id", "annotation__document__title")
        .annotate(notes=Count("pk"))
    ):
        tagged.setdefault(tag, []).append(
            {"document_id": document, "title": title, "notes": notes}
        )
    for documents in tagged.values():
        documents.sort(
            key=lambda row: (-row["notes"], row["title"], row["document_id"])
        )
    return tagged


@dataclass
class Found:
    """What a search finds: its query, the entries of every kind that hold its
    words (not yet narrowed to what the member sees), the facets chosen."""

    membership: Membership
    query: Query
    matched: QuerySet
    chosen: dict[str, Q]
    data: dict
    state: tuple | None = None
    # The same entries, as the counts read them best (_counted), if otherwise.
    counted: QuerySet | None = None
    # The same entries, as the engine asked of each entry reads them best
    # (_walked: a kind's first few, one document's, a page's passages), if
    # otherwise.
    walked: QuerySet | None = None

    def of(
        self,
        kinds=None,
        *,
        but: str = "",
        counting: bool = False,
        walking: bool = False,
        ranking: bool = False,
    ) -> QuerySet:
        """The entries of `kinds` (or all) the member sees, narrowed by the
        facets chosen (all but `but`); `counting` them all, not a few;
        `walking` through the kind's entries in order, for its first few when
        most of them hold the words; `ranking` them (SQLite: the FTS5 table
        joined, whose rank is read)."""
        matched = self.matched
        if (counting or ranking) and self.counted is not None:
            # One document's entries (a hundred or two) are each asked of the
            # engine sooner than the whole match is read (SQLite: the counts
            # of "the" in one document, 13 ms -> 0).
            in_one_document = "document" in self.chosen and but != "document"
            asked = in_one_document and not ranking and self.walked is not None
            matched = self.walked if asked else self.counted
        elif walking and self.walked is not None:
            matched = self.walked
        entries = _narrowed(
            matched.filter(_seen(self.membership, kinds)),
            self.chosen,
            but,
        )
        # A tag joins an annotation's tags: an entry would come once per tag.
        return entries.distinct() if "tag" in self.chosen and but != "tag" else entries

    def kept(self, name: str, make):
        """What `make` counts for this search, kept per worker while the
        project stays as it is (its pages and its facets' links ask again)."""
        membership = self.membership
        key = (
            self._state(),
            membership.project_id,
            membership.user_id,
            membership.role,
            membership.project.premoderation,
            self.query,
            tuple(sorted((k, str(v)) for k, v in self.data.items() if k != "page")),
            name,
        )
        return _kept.get_or_make(key, make)

    def entries_of_kind(self) -> dict[str, int]:
        """How many entries of each kind but the texts the project's index
        holds, whoever may see them (to choose how to read a kind's first
        hits: the texts are read otherwise), kept per worker until the
        project has changed ESTIMATE_WRITES times more or gained a document:
        it only chooses how to read, and a count a few hundred entries off
        chooses as well; counting it again after each write cost the next
        search 7-9 ms. (Each
        kind's entries are counted through the index on (project, kind); the
        texts would be half of them: 13 -> 7 ms on SQLite for the bench's
        corpus.)"""
        project_id = self.membership.project_id
        changes, documents = self._state()[0][:2]
        return _estimates.get_or_make(
            (
                project_id,
                documents,
                (changes or 0) // ESTIMATE_WRITES,
                "entries of each kind",
            ),
            lambda: dict(
                SearchEntry.objects.filter(project_id=project_id, kind__in=OTHER_KINDS)
                .order_by()
                .values_list("kind")
                .annotate(n=Count("pk"))
            ),
        )

    def kept_words(self) -> set[str]:
        """The words the project keeps the facets' counts of (SearchWord),
        as a set kept per worker while the project stays as it is (a word
        this worker keeps is added to it)."""
        project_id = self.membership.project_id
        return _kept.get_or_make(
            (self._state(), project_id, "kept words"),
            lambda: set(
                SearchWord.objects.filter(project_id=project_id).values_list(
                    "word", flat=True
                )
            ),
        )

    def titles(self) -> dict[int, str]:
        """The titles of the project's documents (in the trash too)."""
        return self._documents()[0]

    def years(self) -> dict[int, int]:
        """The year each of the project's dated documents was published in."""
        return self._documents()[1]

    def _documents(self) -> tuple[dict[int, str], dict[int, int]]:
        """The project's documents' titles and years, read in one query and
        kept per worker until a title or date changes (a metadata edit makes
        its document's title entry anew: the newest entry and their number,
        in _state) or a document is added or deleted, whatever else is
        written: each search reads them (the documents' order, the years
        facet), 1-3 ms for a thousand."""
        project_id = self.membership.project_id
        state = self._state()

        def read() -> tuple[dict[int, str], dict[int, int]]:
            rows = Document.all_objects.filter(project_id=project_id).values_list(
                "pk", "title", "published_date"
            )
            return (
                {pk: title for pk, title, _published in rows},
                {pk: published.year for pk, _title, published in rows if published},
            )

        return _estimates.get_or_make(
            (project_id, state[2], state[0][1], "documents"), read
        )

    def _state(self) -> tuple:
        membership = self.membership
        if self.state is None:
            # Titles and tags are found too: a metadata edit or a tag renamed
            # moves no document counter, but their rows' versions.
            tags = Tag.objects.filter(project_id=membership.project_id).aggregate(
                n=Count("pk"), versions=Sum("version")
            )
            # Every metadata edit makes its document's title entry anew
            # (services.search.index_document): the newest entry says it, from
            # the index alone (the documents' rows are long: their texts).
            titles = SearchEntry.objects.filter(
                project_id=membership.project_id, kind=SearchKind.DOCUMENT
            ).aggregate(newest=Max("pk"), n=Count("pk"))
            self.state = (
                export.project_state(membership.project_id),
                tuple(tags.values()),
                tuple(titles.values()),
            )
        return self.state

    @property
    def texts(self) -> QuerySet:
        another_kind = self.data.get("kind") not in (None, "", SearchKind.TEXT)
        if another_kind or self.chosen.keys() & {"tag", "author", "status"}:
            # Another kind chosen, or an annotation's facets, leave out texts.
            return self.matched.none()
        return self.of([SearchKind.TEXT])

    def texts_in(self, documents: list[int], *, of: int) -> QuerySet:
        """The texts found in `documents`, which the counts say hold some of
        the `of` found (so they are the project's, seen, and of the facets
        chosen). On SQLite, asked by document: with the project named, the
        planner would go through the project's passages found, all of them,
        for the few in these documents ("sinaloa": 21 -> 2 ms); and when the
        words are in many passages, the engine is asked of each passage of
        these documents rather than listing every one found ("the": 13.5 ->
        2 ms), unless a prefix term would make each question long
        (_walked)."""
        if self.counted is None:
            return self.texts.filter(document_id__in=documents)
        entries = SearchEntry.objects.filter(
            _seen(self.membership, [SearchKind.TEXT]), document_id__in=documents
        )
        if of > LISTED_AT_MOST and self.walked is not None:
            return entries.filter(_asked_of_each(self.query))
        return entries.filter(pk__in=fts5_rowids(self.query))


def _found(membership: Membership, data: dict) -> Found:
    if data.get("exact"):
        query = exact(data.get("q") or "")
        matched = _holding(membership.project_id, query)
        counted = walked = None
    else:
        query = parse(data.get("q") or "")
        matched = matching(membership.project_id, query)
        counted = _counted(membership.project_id, query)
        walked = _walked(membership.project_id, query)
    return Found(
        membership,
        query,
        matched,
        _filters(data, membership.project_id),
        data,
        counted=counted,
        walked=walked,
    )


# The shortest string the trigram index finds entries for (a trigram).
TRIGRAM = 3
# SQLite: entries the trigram table may name for the exact mode to go through
# it; a string in more is found sooner by reading every entry's text (on the
# bench's project, a string in 1,181 passages: 399 -> 115 ms through the
# trigrams; in 15,628: 347 ms read, 429 ms through them).
TRIGRAM_ENTRIES_AT_MOST = 5000


def _holding(project_id: int, query: Exact) -> QuerySet[SearchEntry]:
    """The project's index entries whose text holds the exact query's
    characters, in any case, through the trigram index (migration 0021) when
    the string has a trigram: on PostgreSQL the planner takes the index on
    UPPER(text) for icontains itself; on SQLite the FTS5 trigram table names
    the entries holding the string's trigrams, of which LIKE keeps those
    that hold the string, unless it names so many that reading every entry
    is sooner (one query counts them, to a limit). SQLite's LIKE ignores the
    case of ASCII letters alone: a string with others is asked for in each
    way of writing them (_written), or by GLOB, and the trigram table names
    its entries by MATCH, which ignores the case of every letter."""
    entries = SearchEntry.objects.filter(project_id=project_id)
    if connection.vendor != "sqlite":
        return entries.filter(text__icontains=query.text)
    if query.text.isascii():
        entries = entries.filter(text__icontains=query.text)
        # The table's LIKE reads `%` and `_` as wildcards: it names more.
        trigrams = (
            "SELECT rowid FROM annotations_search_trigrams "
            "WHERE annotations_search_trigrams.text LIKE %s"
        )
        asked = [f"%{query.text}%"]
    else:
        ways = _written(query.text)
        if ways is None:
            # GLOB, each letter as the class of its cases, reads a text at 30
            # MB/s (every text: 1.4 s for "guzmán" on the bench's corpus).
            globbed = "".join(
                f"[{''.join(sorted(_cases(c)))}]"
                if len(_cases(c)) > 1
                else _GLOBBED.get(c, c)
                for c in query.text
            )
            entries = entries.filter(_glob(f"*{globbed}*"))
        else:
            # icontains is LIKE on SQLite, which ignores the case of ASCII.
            entries = entries.filter(
                functools.reduce(operator.or_, (Q(text__icontains=w) for w in ways))
            )
        trigrams = (
            "SELECT rowid FROM annotations_search_trigrams "
            "WHERE annotations_search_trigrams MATCH %s"
        )
        # Each of its trigrams (a phrase needs positions, which the table
        # does not keep): every entry holding the string is named.
        asked = [
            " AND ".join(
                '"' + trigram.replace('"', '""') + '"'
                for trigram in sorted(
                    {query.text[at : at + 3] for at in range(len(query.text) - 2)}
                )
            )
        ]
    if len(query.text) < TRIGRAM:
        return entries
    if _kept.get_or_make(
        (project_id, query.text, TRIGRAM_ENTRIES_AT_MOST, "named by many trigrams"),
        lambda: _trigrams_name_many(trigrams, asked),
    ):
        return entries
    # The string is a parameter; the statement names our table alone.
    return entries.filter(pk__in=RawSQL(trigrams, asked))  # noqa: S611


# An exact string whose letters that are not ASCII can be written in more
# ways than this (each in each of its cases) is matched by GLOB instead.
CASES_AT_MOST = 16
# The characters GLOB would read as its own.
_GLOBBED = {c: f"[{c}]" for c in "*?["}


def _glob(pattern: str) -> Func:
    """SQLite's GLOB: whether an entry's text matches `pattern` (case counts)."""
    return Func(
        F("text"),
        Value(pattern),
        arg_joiner=" GLOB ",
        template="(%(expressions)s)",
        output_field=BooleanField(),
    )


@functools.lru_cache(maxsize=1024)
def _cases(character: str) -> frozenset[str]:
    """The characters Python's regular expressions take for `character` when
    they ignore case (Exact.hits): its cases, one character each, and the
    few that re adds ("σ" and "ς", "s" and "ſ", "k" and the kelvin sign)."""
    candidates = {
        character,
        character.lower(),
        character.upper(),
        character.title(),
        character.casefold(),
    }
    for case in list(candidates):
        if len(case) == 1:
            candidates.update(chr(more) for more in _RE_CASES.get(ord(case), ()))
    candidates.update([case.upper() for case in candidates])
    same = re.compile(re.escape(character), re.IGNORECASE)
    return frozenset(
        case for case in candidates if len(case) == 1 and same.fullmatch(case)
    )


def _written(text: str) -> list[str] | None:
    """Each way of writing `text`'s characters that are not ASCII in their
    cases ("peña": peña, peÑa), for SQLite's LIKE, which ignores the case of
    ASCII letters alone; None if there are more than CASES_AT_MOST."""
    cases = [sorted(_cases(c)) if not c.isascii() else [c] for c in text]
    if math.prod(map(len, cases)) > CASES_AT_MOST:
        return None
    return ["".join(way) for way in itertools.product(*cases)]


def _trigrams_name_many(trigrams: str, pattern: list[str]) -> bool:
    """Whether the trigram table names TRIGRAM_ENTRIES_AT_MOST entries or
    more: a choice of plan alone (either finds the same entries), so kept per
    worker (a search's pages and facets ask again) whatever the project does."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(*) FROM ({trigrams} LIMIT %s)",  # noqa: S608
            [*pattern, TRIGRAM_ENTRIES_AT_MOST],
        )
        return cursor.fetchone()[0] >= TRIGRAM_ENTRIES_AT_MOST


def _counted(project_id: int, query: Query) -> QuerySet | None:
    """matching(), as the counts read it on SQLite: the FTS5 table joined
    rather than asked for a list (`id IN (SELECT rowid ...)`), so that the
    database reads the match as it goes, in its order, instead of first
    building the list of every id (20-40 ms a query for a common word), and
    read first, each entry it names then looked up. The rowid it is joined
    on is an expression (`+rowid`), which SQLite cannot ask the FTS5 table
    for: it would otherwise choose, for a count grouped in the order of an
    index of the entries (the kinds'), to walk the project's entries in that
    order and ask the table of each (the search for "sinaloa" once a kind is
    chosen: 5.4 s, 0.15 s this way). Entries narrowed to one document are
    counted by asking of each (Found.of)."""
    if connection.vendor != "sqlite":
        return None
    return SearchEntry.objects.filter(project_id=project_id).extra(  # noqa: S610
        tables=["annotations_search_fts"],
        where=[
            "annotations_searchentry.id = +annotations_search_fts.rowid",
            "annotations_search_fts MATCH %s",
        ],
        params=[fts5(query)],
    )


def _walked(project_id: int, query: Query) -> QuerySet | None:
    """matching(), as SQLite reads a kind's first few entries best when most
    of the kind holds the words: the kind's entries in order, the FTS5 table
    asked of each whether it holds them, until there are enough (for "the",
    the first 50 replies: 46 ms -> 3 ms). Asked of a kind the words are rare
    in, it would ask of nearly every entry (1.4 s for no reply of
    "sinaloa"): _others chooses. Not for a query with a prefix term: each
    question would expand it into every word it starts (the first 50 notes
    of "th*": 2 s instead of 0.03)."""
    prefixed = any(term.prefix for term in [*query.terms, *query.excluded])
    if connection.vendor != "sqlite" or prefixed:
        return None
    return SearchEntry.objects.filter(project_id=project_id).filter(
        _asked_of_each(query)
    )


def _asked_of_each(query: Query) -> Func:
    """SQLite: whether FTS5 finds the query in the entry, asked of each. The
    entry's key is an expression, so that Django names its table as the
    query does (U0 in a subquery), not the outermost table's."""
    return Func(
        Value(fts5(query)),
        F("pk"),
        template=(
            "EXISTS (SELECT 1 FROM annotations_search_fts "
            "WHERE annotations_search_fts MATCH %(expressions)s)"
        ),
        arg_joiner=" AND annotations_search_fts.rowid = ",
        output_field=BooleanField(),
    )


# SQLite: the passages found beyond which a page's lines ask the engine of
# each passage of its documents rather than list every one found ("el
# chapo", 10,762: listed 2.1 ms, asked 3.3; "sinaloa", 15,428: 1.9 and 1.8).
LISTED_AT_MOST = 15_000


# What a line about a title, note, reply or tag does not show: a document's
# text and its original are long, and a sort would carry them.
UNSHOWN = ["words", *(f"document__{name}" for name in Document.HEAVY_FIELDS)]


# Notes (or replies) ranked by relevance when a search finds at most this many.
RANK_AT_MOST = 1000


def _most_relevant(found: Found, kind: str, shown: slice) -> list[SearchEntry]:
    """The kind's hits most relevant to the query (`shown` of them), best first:
    by FTS5's bm25 on SQLite, by ts_rank on PostgreSQL (both: the more often
    the words, the better; bm25 also prefers the shorter text), then the
    first made."""
    if connection.vendor == "postgresql":

        def ranked(entries: QuerySet) -> QuerySet:
            return entries.annotate(
                relevance=RawSQL(
                    "ts_rank(vector, %s::tsquery)",
                    [tsquery(found.query)],
                    output_field=FloatField(),
                )
            )

        # The few chosen first, then their notes, authors and documents
        # (as in _others): PostgreSQL cannot tell how many entries hold a
        # word, and joined before, it read every reply and document for a
        # word in one note (11 -> 3 ms).
        chosen = ranked(found.of([kind])).order_by("-relevance", "pk").values("pk")
        entries = ranked(SearchEntry.objects.filter(pk__in=Subquery(chosen[shown])))
        shown = slice(None)
        order = ["-relevance", "pk"]
    else:
        # FTS5's rank is bm25(), lower for the more relevant.
        entries = found.of([kind], ranking=True).extra(  # noqa: S610
            select={"relevance": "annotations_search_fts.rank"}
        )
        order = ["relevance", "pk"]
    return list(
        entries.select_related("annotation__author", "reply__author", "document")
        .defer(*UNSHOWN)
        .order_by(*order)[shown]
    )


# SQLite: the entries found that listing them all reads in the time of one
# question to the engine about one entry (a walk through a kind's entries asks
# one question an entry: 40-120 µs, a phrase's the most; listing reads every
# entry found: 0.2-0.9 µs each, 33 ms for the 152,713 entries of "the").
LISTED_PER_QUESTION = 200


def _others(
    found: Found,
    found_of_kind: dict[str, int],
    ranked: set[str],
    shown: slice,
    listed: int,
    *,
    paged: bool = False,
) -> list[SearchEntry]:
    """The first entries of each kind but the texts' (`shown` of them: the
    first few beside the lines, by place; or a page of the kind chosen,
    `paged`, as the pages follow), of the `listed` entries found in all. The
    first found, in the index's order: the database stops at them, where
    choosing them by place would sort every one (for a common word, 0.2 s).
    Notes and replies with at most RANK_AT_MOST hits are the most relevant
    instead, in that order (the kind added to `ranked`): ranking costs each
    hit its score (for the 80,000 notes of "the", 0.4 s on SQLite).
    A kind the counts (`found_of_kind`, the kind facet) say has no hit is not
    asked for: for a common word, SQLite would list every entry found first
    only to find none of the kind (40 ms for the tags of "the")."""
    entries: list[SearchEntry] = []
    for kind in OTHER_KINDS:
        hits = found_of_kind.get(kind, 0)
        if not hits:
            continue
        if (
            kind in ANNOTATION_KINDS
            and hits <= RANK_AT_MOST
            and not isinstance(found.query, Exact)
        ):
            ranked.add(kind)
            entries += _most_relevant(found, kind, shown)
            continue
        # Asking the engine of each entry of the kind in order finds the
        # first n after about n × entries ÷ hits questions, sooner than
        # listing every entry found when each question costs less than
        # LISTED_PER_QUESTION of them (on the bench's corpus, the first 10
        # notes of "the": walked 8 ms, listed 33; of "el chapo": 27 and 14).
        # (A kind with fewer hits than are shown is listed, never walked: a
        # rare word's list is short, and its search counts no entries.)
        wanted = shown.stop
        questions = wanted * found.entries_of_kind().get(kind, 0)
        walking = (
            found.walked is not None
            and hits >= wanted
            and questions * LISTED_PER_QUESTION <= hits * listed
        )
        # From the kind's first entry on: PostgreSQL's planner walks the
        # entries in key order (the rows lie in that order, and it cannot
        # know that those of a kind are bunched), from the first entry of
        # all (every text first: 108 ms for the first notes of "the"). The
        # first entry itself is asked in the order of the index on (project,
        # kind, id), the kind as a range: named by equality, the planner
        # drops it from the order and walks the keys again (44 ms -> 0.1).
        start = (
            SearchEntry.objects.filter(
                project_id=found.membership.project_id,
                kind__gte=kind,
                kind__lte=kind,
            )
            .order_by("kind", "pk")
            .values("pk")[:1]
        )
        # The first few found, then their notes, authors and documents: joined
        # before the few are chosen, each hit would be (PostgreSQL cannot tell
        # how many entries hold a phrase: the 4,484 notes of "el chapo", 33 ->
        # 17 ms).
        chosen = (
            found.of([kind], walking=walking)
            .filter(pk__gte=Subquery(start))
            .order_by("pk")
            .values("pk")[shown]
        )
        first = (
            SearchEntry.objects.filter(pk__in=Subquery(chosen))
            .select_related("annotation__author", "reply__author", "document")
            .defer(*UNSHOWN)
            .order_by("pk")
        )
        if paged:
            # In the order the pages follow one another (each sorted by
            # place, page 2 could begin before page 1 ended).
            entries += first
            continue
        entries += sorted(
            first,
            key=lambda entry: (
                entry.document.title if entry.document_id else "",
                entry.annotation.start if entry.annotation_id else 0,
                entry.pk,
            ),
        )
    return entries


def _hits(text: str, query) -> list[tuple[int, int]]:
    """Where a query (words, or exact characters) falls in `text`."""
    if isinstance(query, Exact):
        return query.hits(text)
    return hits(text, query)


# Counts of searches (passages per document, facets), per worker, under the
# project's state (export.project_state: any change to what a search may find
# moves it): paging through a search, or picking a facet and back, counts once.
_kept = bodycache.LRU(size=512)
# What every search of a project reads whatever it finds, kept longer than
# the counts: the number of entries of each kind (entries_of_kind), the
# documents' titles and years (Found._documents).
_estimates = bodycache.LRU(size=128)


def clear(*, estimates: bool = True) -> None:
    """Forget the counts kept (and what every search reads, unless told
    not to: a search typed anew in a worker finds it kept)."""
    _kept.clear()
    if estimates:
        _estimates.clear()


def _all_lines(
    membership: Membership, data: dict, *, at_most: int = MAX_LINES
) -> tuple[Found, list]:
    """Every line of a search (to `at_most`), in the order asked."""
    found = _found(membership, data)
    lines = _lines(found.texts, found.query, limit=at_most)
    _sort(lines, data.get("sort") or "")
    return found, lines


def passages(
    membership: Membership, data: dict, *, at_most: int = MAX_LINES
) -> list[tuple[int, int, int]]:
    """Every text hit of a search as (document id, start, end), to `at_most`
    (one more than a caller takes tells it there are too many, read no
    further: "sinaloa"'s 19,733 lines, to refuse them, 1.1 s -> 0.2)."""
    lines = _all_lines(membership, data, at_most=at_most)[1]
    return [(line.document_id, line.start, line.end) for line in lines]


def not_hits(
    membership: Membership,
    data: dict,
    chosen: list[tuple[int, int, int]],
) -> int:
    """How many of the `chosen` passages are not hits of the search: none
    may be annotated as one (in texts as they are now: the caller refuses a
    text revised since the search, services.revised_since). Only the
    passages found that may hold one chosen are read (a text entry is at
    most CHUNK characters long), however many lines the search has."""
    documents = {document_id for document_id, _start, _end in chosen}
    current = set(
        Document.objects.filter(
            pk__in=documents, project_id=membership.project_id
        ).values_list("pk", flat=True)
    )
    checked = [passage for passage in chosen if passage[0] in current]
    spans: dict[int, tuple[int, int]] = {}
    for document_id, start, _end in checked:
        low, high = spans.get(document_id, (start, start))
        spans[document_id] = (min(low, start), max(high, start))
    hits: set[tuple[int, int, int]] = set()
    if spans:
        found = _found(membership, data)
        near = functools.reduce(
            operator.or_,
            (
                Q(document_id=pk, start__gt=low - CHUNK, start__lte=high)
                for pk, (low, high) in spans.items()
            ),
        )
        for entry in (
            found.texts.filter(near)
            .only("document_id", "start", "text")
            .iterator(chunk_size=200)
        ):
            hits.update(
                (line.document_id, line.start, line.end)
                for line in _entry_lines(entry, found.query)
            )
    elsewhere = sum(1 for passage in chosen if passage[0] not in current)
    return elsewhere + sum(1 for passage in checked if passage not in hits)


# The passages an annotate preview shows (the first, in the order of the
# search's lines), with this many characters on each side.
PREVIEW_SHOWN = 10
PREVIEW_CONTEXT = 40


def annotate_preview(
    membership: Membership, chosen: list[tuple[int, int, int]], tag: str
) -> tuple[int, int, list[dict]]:
    """How many annotations tagging the `chosen` passages would make, how
    many passages already carry that tag (skipped: as the member sees
    them), and the first PREVIEW_SHOWN to be annotated, in the order of the
    search's lines (its documents by title, each in the text's order), each
    with its document's title and its context: three queries."""
    wanted = set(chosen)
    tagged = tagged_for(membership, wanted, tag)
    made = wanted - tagged
    titles = dict(
        Document.objects.filter(
            project_id=membership.project_id,
            pk__in={document_id for document_id, _start, _end in made},
        ).values_list("pk", "title")
    )
    first = sorted(
        (passage for passage in made if passage[0] in titles),
        key=lambda passage: (titles[passage[0]], passage),
    )[:PREVIEW_SHOWN]
    return len(made), len(tagged), _in_context(first, titles)


def _in_context(
    passages: list[tuple[int, int, int]], titles: dict[int, str]
) -> list[dict]:
    """Each passage (document id, start, end) as its document's title and
    the text before, of and after it, cut by the database (code points, as
    the offsets; whether the text goes on beyond each side): one query,
    whatever the documents' length."""
    if not passages:
        return []
    pieces = [
        Document.objects.filter(pk=document_id)
        .order_by()
        .annotate(
            at=Value(at, output_field=IntegerField()),
            left=Substr(
                "text",
                max(1, start - PREVIEW_CONTEXT + 1),
                min(start, PREVIEW_CONTEXT),
            ),
            hit=Substr("text", start + 1, end - start),
            right=Substr("text", end + 1, PREVIEW_CONTEXT),
            length=Length("text"),
        )
        .values_list("at", "left", "hit", "right", "length")
        for at, (document_id, start, end) in enumerate(passages)
    ]
    rows = sorted(pieces[0].union(*pieces[1:], all=True))
    return [
        {
            "title": titles[passages[at][0]],
            "left": left,
            "hit": hit,
            "right": right,
            "before": passages[at][1] > PREVIEW_CONTEXT,
            "after": passages[at][2] + PREVIEW_CONTEXT < length,
        }
        for at, left, hit, right, length in rows
    ]


HIT_COLUMNS = (
    "found_in",
    "document_id",
    "document",
    "start",
    "end",
    "left",
    "hit",
    "right",
    "annotation_id",
    "note",
    "tags",
    "author",
    "status",
)


def hit_rows(membership: Membership, data: dict) -> Iterator[tuple]:
    """Every hit of a search as a row of HIT_COLUMNS: each line of the texts
    (document, code-point offsets, the context on each side), then each note
    and reply found (with the note, its tags, author and status), then each
    title (or description) and tag found."""
    found, lines = _all_lines(membership, data)
    query = found.query
    titles = found.titles()
    for line in lines:
        yield (
            "text",
            line.document_id,
            titles.get(line.document_id, ""),
            line.start,
            line.end,
            line.left,
            line.hit,
            line.right,
            None,
            None,
            None,
            None,
            None,
        )
    notes = (
        found.of(ANNOTATION_KINDS)
        .select_related("annotation__author", "reply__author", "document")
        .defer(*UNSHOWN)
        .prefetch_related("annotation__tags")
        .order_by("document__title", "annotation__start", "pk")
    )
    for entry in notes[:MAX_LINES]:
        note = entry.annotation
        author = entry.reply.author if entry.reply_id else note.author
        yield (
            entry.kind,
            entry.document_id,
            entry.document.title if entry.document else "",
            note.start,
            note.end,
            *_around_first_hit(entry.text, query),
            note.pk,
            entry.reply.body if entry.reply_id else note.body,
            "; ".join(sorted(tag.name for tag in note.tags.all())),
            author.get_username(),
            note.status,
        )
    # Then the titles and descriptions found, and the tags (their names).
    others = (
        found.of([SearchKind.DOCUMENT, SearchKind.TAG])
        .select_related("document", "tag")
        .defer(*UNSHOWN)
        .order_by("kind", "document__title", "tag__name", "pk")
    )
    for entry in others[:MAX_LINES]:
        yield (
            entry.kind,
            entry.document_id,
            entry.document.title if entry.document else "",
            None,
            None,
            *_around_first_hit(entry.text, query),
            None,
            None,
            entry.tag.name if entry.tag else None,
            None,
            None,
        )


def _around_first_hit(text: str, query) -> tuple[str, str, str]:
    """The text's first hit, with CONTEXT characters on each side."""
    found = _hits(text, query)
    start, end = found[0] if found else (0, 0)
    return (
        text[max(0, start - CONTEXT) : start],
        text[start:end],
        text[end : end + CONTEXT],
    )


def _by_the_index(count, found: Found):
    """count(found), on PostgreSQL with the planner told to read the entries
    found through the full-text index: for a common word (most entries) it
    reads the whole table instead, testing each entry's vector, which for
    the long entries of the texts must first be fetched whole ("the", the
    authors' and tags' counts: 110 -> 64 and 75 ms). A table it then has no
    index for is still read whole. (SET LOCAL: only until the transaction
    ends, so the connection's next request plans as before.)"""
    if connection.vendor != "postgresql":
        return count(found)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        return count(found)


def _counts(found: Found) -> tuple[dict[int, tuple[str, int]], dict]:
    """The passages of text found in each document ({id: (title, passages)})
    and the facets: the grouping that counts the kinds and documents counts
    the passages too."""
    passages: dict[int, tuple[str, int]] = {}
    return passages, _facets(found, passages)


# The facets, in the page's order, and the grouping of the entries found that
# counts each (_grouped).
FACETS = ("kind", "document", "year", "tag", "author", "status")
GROUPING = {
    "kind": "kinds",
    "document": "kinds",
    "year": "kinds",
    "tag": "tags",
    "author": "people",
    "status": "people",
}


def _facets(found: Found, passages: dict | None = None) -> dict[str, list[dict]]:
    """Each facet's values with the entries found for each (passages for the
    text), with the other facets chosen; `passages`, if given, filled with
    each document's passages of text found. The facets not chosen all count
    the same entries (those of every facet chosen), at once; each one chosen
    counts without itself, apart, by the one grouping it needs (the search
    for "the" with a kind chosen: SQLite 5.3 s -> 0.31 s, PostgreSQL 672 ->
    309 ms)."""
    word = _one_term(found)
    kept = found.kept_words() if word else set()
    facets = _tallied(found, word, passages) if word in kept else None
    if facets is None:
        facets = _grouped(found, passages=passages)
        entries = sum(row["count"] for row in facets["kind"])
        if word and entries >= TALLY_FROM:
            project_id = found.membership.project_id
            if search_index.keep_word(
                project_id, word, matching(project_id, found.query), entries
            ):
                kept.add(word)
    for name in FACETS:
        if name in found.chosen:
            facets.update(_grouped(found, but=name, wanted=[name]))
    kinds = dict(SearchKind.choices)
    for row in facets["kind"]:
        row["label"] = kinds[row["value"]]
    statuses = dict(Status.choices)
    for row in facets["status"]:
        row["label"] = statuses.get(row["value"], row["value"])
    # A tag under another is shown with its path from the top, each tag above
    # it a value of the facet too (choosing one chooses every tag under it).
    paths = (
        _tag_paths(found.membership.project_id)
        if any(row["label"] for row in facets["tag"])
        else {}
    )
    for row in facets["tag"]:
        path = paths.get(row["value"].lower(), [row["value"]])
        row["label"] = " › ".join(path)
        row["above"] = path[:-1]
    return facets


TALLY_FROM = search_index.TALLY_FROM


def _one_term(found: Found) -> str:
    """The word or phrase searched for (its words, a space between each),
    when the search is for it alone (no prefix, choice or exclusion, no
    facet chosen): the search whose counts a kept word's tally may give.
    Else ""."""
    query = found.query
    if not isinstance(query, Query) or query.excluded or found.chosen:
        return ""
    if len(query.wanted) != 1 or len(query.wanted[0]) != 1:
        return ""
    term = query.wanted[0][0]
    words = " ".join(term.words)
    fits = len(words) <= SearchWord._meta.get_field("word").max_length
    return words if fits and not term.prefix else ""


def _tallied(
    found: Found, word: str, passages: dict | None
) -> dict[str, list[dict]] | None:
    """The facets of a search for one word the project keeps (SearchWord),
    from its tally rather than from every entry holding it: the rows the
    member may see (SearchTally.access), the kinds' and documents' of live
    documents only (a text's rows stay while its document is in the trash).
    The tags' entries, few, are counted as they are. None if the word is not
    kept. ("the" on the bench's corpus: counted from its 152,713 entries,
    290-410 ms; from its tally, 15-37 ms.)"""
    membership = found.membership
    tally = SearchTally._meta.db_table
    tags = Tag._meta.db_table
    tags_found = found.of([SearchKind.TAG], walking=True)
    if connection.vendor == "postgresql":
        # The project's few tags, each asked whether it holds the words:
        # the planner would list every entry holding them from the GIN
        # index first ("el chapo": 2.2 ms), which it cannot do for a test
        # of IS TRUE.
        tags_found = SearchEntry.objects.filter(
            _seen(membership, [SearchKind.TAG]),
            RawSQL(
                "(vector @@ %s::tsquery) IS TRUE",
                [tsquery(found.query)],
                output_field=BooleanField(),
            ),
            project_id=membership.project_id,
        )
    tag_entries, tag_params = tags_found.order_by().values("pk").query.sql_with_params()
    shared_owner = 0 if permissions.sees_unapproved(membership) else membership.user_id
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH kept AS (SELECT id FROM "  # noqa: S608
            f"{SearchWord._meta.db_table} WHERE project_id = %s AND word = %s), "
            "counted AS (SELECT part, kind, document_id, author_id, status, "
            f"tag_id, SUM(n) AS n FROM {tally} WHERE word_id IN (SELECT id FROM kept) "
            "AND ((access = 0 AND owner_id = 0) OR (access = 1 AND owner_id = %s) "
            "OR (access = 2 AND owner_id = %s)) "
            "AND (part <> 0 OR document_id IN (SELECT id FROM corpus_document "
            "WHERE project_id = %s AND trashed_at IS NULL)) "
            "GROUP BY part, kind, document_id, author_id, status, tag_id "
            "HAVING SUM(n) > 0) "
            "SELECT part, CASE part WHEN 0 THEN kind WHEN 1 THEN status "
            "ELSE tag.name END, CASE part WHEN 0 THEN document_id "
            "WHEN 1 THEN author_id END, parent.name, n FROM counted "
            f"LEFT JOIN {tags} tag ON part = 2 AND tag.id = counted.tag_id "
            f"LEFT JOIN {tags} parent ON parent.id = tag.parent_id "
            f"UNION ALL SELECT 0, %s, NULL, NULL, COUNT(*) FROM ({tag_entries}) t "
            "HAVING COUNT(*) > 0 "
            "UNION ALL SELECT -1, NULL, NULL, NULL, 0 FROM kept",
            [
                membership.project_id,
                word,
                shared_owner,
                membership.user_id,
                membership.project_id,
                SearchKind.TAG,
                *tag_params,
            ],
        )
        rows = cursor.fetchall()
    if all(row[0] != -1 for row in rows):
        return None
    return _facets_of(
        [row for row in rows if row[0] != -1],
        found.titles,
        passages=passages,
        years_of=found.years,
    )


def _grouped(
    found: Found,
    *,
    but: str = "",
    wanted=FACETS,
    passages: dict | None = None,
) -> dict[str, list[dict]]:
    """The facets `wanted` (names of documents and tags as labels), counted
    over the entries of every facet chosen but `but`, in one statement that
    reads them once (materialised for more than one grouping) and groups
    them as those facets need (GROUPING): "kinds", each document's entries
    of each kind (and `passages`, if given, filled with each document's
    texts); "people", the notes' and replies' authors (a reply's own) and
    statuses; "tags", the tags' notes and replies. Reading the entries found
    is most of a common word's counting (a row each): once, not three times
    ("the", none chosen: SQLite 269 -> 223 ms, PostgreSQL 248 -> 199 ms).
    The names of the few documents and authors counted are read after, a
    query each, when wanted."""
    entries = (
        found.of(but=but, counting=True)
        .order_by()
        .values_list(
            "pk",
            "kind",
            "document_id",
            Coalesce("writer_id", "author_id"),
            "status",
            "annotation_id",
        )
    )
    sql, params = entries.query.sql_with_params()
    links = Annotation.tags.through._meta.db_table
    tags = Tag._meta.db_table
    # The groupings: each document's entries of each kind; the notes' and
    # replies' authors and statuses (grouped apart: sorting every entry by
    # four columns cost SQLite 30 ms more for "the"); the tags' notes and
    # replies, by their links (the texts, titles and tags have no annotation to join:
    # named, PostgreSQL would think few entries are left and look each one's
    # links up, 65 ms, instead of hashing them, 32 ms). The entries found
    # come first (CROSS JOIN: SQLite keeps that order, PostgreSQL plans it as
    # any join), each one's links looked up: SQLite would otherwise read
    # every link of the project, even for one entry found (the tags of a
    # word in one passage: 9.6 -> 0.1 ms; of "sinaloa" 54 -> 38 ms).
    statements = {
        "kinds": (
            "SELECT 0, kind, document_id, CAST(NULL AS VARCHAR), COUNT(*) "
            "FROM found GROUP BY 2, 3",
            [],
        ),
        "people": (
            "SELECT 1, status, author_id, CAST(NULL AS VARCHAR), COUNT(*) "
            "FROM found "
            "WHERE kind IN (%s, %s) GROUP BY 2, 3",
            list(ANNOTATION_KINDS),
        ),
        "tags": (
            "SELECT 2, tag.name, CAST(NULL AS INTEGER), parent.name, counted.n "  # noqa: S608
            "FROM ("
            "SELECT link.tag_id, COUNT(*) AS n FROM found "
            f"CROSS JOIN {links} link WHERE link.annotation_id = found.annotation_id "
            "GROUP BY link.tag_id) counted "
            f"JOIN {tags} tag ON tag.id = counted.tag_id "
            f"LEFT JOIN {tags} parent ON parent.id = tag.parent_id",
            [],
        ),
    }
    groupings = {GROUPING[name] for name in wanted}
    asked = [
        statements[name] for name in ("kinds", "people", "tags") if name in groupings
    ]
    with connection.cursor() as cursor:
        cursor.execute(
            "WITH found (id, kind, document_id, author_id, status, annotation_id) "  # noqa: S608
            f"AS {'MATERIALIZED ' if len(asked) > 1 else ''}({sql}) "
            + " UNION ALL ".join(statement for statement, _values in asked),
            [*params, *(value for _statement, values in asked for value in values)],
        )
        rows = cursor.fetchall()
    return _facets_of(rows, found.titles, wanted, passages, years_of=found.years)


def _facets_of(
    rows: list[tuple],
    titles_of: Callable[[], dict[int, str]],
    wanted=FACETS,
    passages: dict | None = None,
    *,
    years_of: Callable[[], dict[int, int]] = dict,
) -> dict[str, list[dict]]:
    """The facets `wanted` from the rows that count them (part, value, key,
    parent, count): part 0 each document's entries of each kind (value the
    kind, key the document); part 1 the notes and replies of each status
    (value) and author (key, a reply's own); part 2 the notes and replies of
    each tag (value its name, parent its parent's). `passages`, if given, is
    filled with each document's texts. The years are those the documents were
    published in (`years_of`), the most found in order of time."""
    by_kind: dict[str, int] = {}
    by_document: dict[int, int] = {}
    texts: dict[int, int] = {}
    by_author: dict[int, int] = {}
    statuses: dict[str, int] = {}
    tag_rows: list[dict] = []
    for part, name, pk, parent, count in rows:
        if part == 0:
            by_kind[name] = by_kind.get(name, 0) + count
            if name == SearchKind.TEXT:
                texts[pk] = count
            if pk is not None:
                by_document[pk] = by_document.get(pk, 0) + count
        elif part == 1:
            by_author[pk] = by_author.get(pk, 0) + count
            statuses[name] = statuses.get(name, 0) + count
        else:
            tag_rows.append({"value": name, "label": parent, "count": count})
    titles = titles_of() if "document" in wanted or passages is not None else {}
    if passages is not None:
        passages.update({pk: (titles[pk], n) for pk, n in texts.items()})
    authors: dict[str, int] = {}
    if "author" in wanted:
        users = get_user_model()
        names = dict(
            users.objects.filter(pk__in=by_author).values_list(
                "pk", users.USERNAME_FIELD
            )
        )
        for author, count in by_author.items():
            authors[names[author]] = authors.get(names[author], 0) + count

    def top(counts: dict, label=lambda value: value) -> list[dict]:
        ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
        return [
            {"value": value, "label": label(value), "count": count}
            for value, count in ranked[:FACET_SIZE]
        ]

    counted = {
        "kind": lambda: top(by_kind),
        "document": lambda: top(by_document, titles.__getitem__),
        "tag": lambda: sorted(tag_rows, key=lambda row: (-row["count"], row["value"]))[
            :FACET_SIZE
        ],
        "author": lambda: top(authors),
        "status": lambda: top(statuses),
        "year": lambda: sorted(
            top(_by_year(by_document, years_of())), key=operator.itemgetter("value")
        ),
    }
    return {name: counted[name]() for name in wanted}


def _by_year(by_document: dict[int, int], years: dict[int, int]) -> dict[int, int]:
    counts: dict[int, int] = {}
    for document_id, count in by_document.items():
        if document_id in years:
            counts[years[document_id]] = counts.get(years[document_id], 0) + count
    return counts


def _lines(
    passages: QuerySet, query: Query, *, limit: int = MAX_LINES, by_position=False
) -> list[Line]:
    """The passages' lines (`limit` at most) in the texts' order (by document,
    or by the hit's position in its text), reading passages a batch at a
    time. By position, the passages are read in the order they start: one
    that starts after the last of `limit` lines kept holds none before it."""
    order = (
        ("start", "document_id")
        if by_position
        else ("document__title", "document_id", "start")
    )
    ordered = passages.order_by(*order).only("document_id", "start", "text")
    lines: list[Line] = []
    last = None  # by position: the last of the first `limit` lines, once known
    for entry in ordered.iterator(chunk_size=200):
        if last is not None and entry.start > last:
            break
        lines += _entry_lines(entry, query)
        if len(lines) < limit:
            continue
        if not by_position:
            break
        if last is None or len(lines) >= 2 * limit:
            # Sorted and cut once twice as many are held, not at each passage
            # (a later passage's lines only lower the last: read on to it).
            _sort(lines, "position")
            del lines[limit:]
            last = lines[-1].start
    if by_position:
        _sort(lines, "position")
    return lines[:limit]


def _page_lines(
    found: Found,
    page: int,
    *,
    by_position: bool,
    counted: dict[int, tuple[str, int]],
) -> tuple[list[Line], bool]:
    """The page's lines, reading only the passages it needs; and whether more
    follow. In the documents' order (by title), `counted` (each document's
    title and passages) says which documents hold them: the first documents
    with enough passages, read until the page is full or none is left."""
    skip = (page - 1) * LINES_PER_PAGE
    needed = skip + LINES_PER_PAGE + 1
    query = found.query
    if by_position:
        lines = _lines(found.texts, query, limit=needed, by_position=True)
        return lines[skip : needed - 1], len(lines) > skip + LINES_PER_PAGE
    ordered = [
        pk for pk, _row in sorted(counted.items(), key=lambda row: (row[1][0], row[0]))
    ]
    lines: list[Line] = []
    read = 0
    texts_found = sum(n for _title, n in counted.values())
    # The first documents whose passages (counted) fill the page, then the
    # next ones if the page is not full: the engine may count a passage in
    # which no line is found (exact mode on PostgreSQL, whose UPPER() is not
    # Python's case-insensitivity). Once, unless that happens.
    while len(lines) < needed and read < len(ordered):
        documents, enough = [], 0
        while read < len(ordered) and enough < needed - len(lines):
            documents.append(ordered[read])
            enough += counted[ordered[read]][1]
            read += 1
        # In the order above (a database may sort titles otherwise).
        entries = (
            found.texts_in(documents, of=texts_found)
            .order_by("document_id", "start")
            .only("document_id", "start", "text")
        )
        by_document: dict[int, list[Line]] = {pk: [] for pk in documents}
        for entry in entries.iterator(chunk_size=200):
            by_document[entry.document_id] += _entry_lines(entry, query)
        lines += [line for pk in documents for line in by_document[pk]]
    return lines[skip : skip + LINES_PER_PAGE], len(lines) > skip + LINES_PER_PAGE


def _entry_lines(entry: SearchEntry, query: Query) -> list[Line]:
    return [
        Line(
            document_id=entry.document_id,
            start=entry.start + start,
            end=entry.start + end,
            left=entry.text[max(0, start - CONTEXT) : start],
            hit=entry.text[start:end],
            right=entry.text[end : end + CONTEXT],
        )
        for start, end in _hits(entry.text, query)
    ]


def _sort(lines: list[Line], how: str) -> None:
    """Lines in the order asked: as found (by document), by position in the
    text, or by the words before or after the hit (a concordance's sorts)."""
    if how == "position":
        lines.sort(key=lambda line: (line.start, line.document_id))
    elif how == "before":
        lines.sort(key=lambda line: [t.word for t in reversed(tokens(line.left))])
    elif how == "after":
        lines.sort(key=lambda line: [t.word for t in tokens(line.right)])


def _with_their_notes(found: list[Marked], query) -> None:
    """Each note or reply found with its note's quote, marked, and the
    note's tags (in one query); a note's text marked apart from its quote."""
    if not found:
        return
    tags: dict[int, list[str]] = {}
    for annotation_id, name in (
        Annotation.tags.through.objects.filter(
            annotation_id__in={marked.entry.annotation_id for marked in found}
        )
        .order_by("tag__name")
        .values_list("annotation_id", "tag__name")
    ):
        tags.setdefault(annotation_id, []).append(name)
    for marked in found:
        note = marked.entry.annotation
        marked.quote = _marked(note.exact, query)
        marked.tags = tags.get(note.pk, [])
        if marked.entry.kind == SearchKind.NOTE:
            marked.pieces = _marked(note.body, query) if note.body.strip() else []


def _marked(text: str, query: Query) -> list[tuple[str, bool]]:
    """The text cut to about 2 × CONTEXT around its first hit, its hits marked."""
    found = _hits(text, query)
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
