"""What the Links screen and the link picker read: the links a member sees,
filtered and paged, the picture of which documents link to which, and the
annotations the picker finds. (A thread's own links: annotations.reading.)

A link is shown only while both of its ends are (permissions.link_filter):
deleting either annotation hides it everywhere, without touching the link row.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    Exists,
    F,
    Func,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Value,
)
from django.db.models.expressions import RawSQL
from django.db.models.lookups import In
from django.urls import reverse

from annotations import link_graph, search, search_text
from annotations.models import (
    Annotation,
    Link,
    RelationType,
    SearchEntry,
    SearchKind,
    Tag,
)
from annotations.permissions import link_filter
from corpus.models import Document, Membership, Project

SEARCH_LIMIT = 20
LINK_PAGE_SIZE = 50


def live_links_for(
    membership: Membership, *, with_trashed_ends: bool = False
) -> QuerySet[Link]:
    """The project's links this member may see: live, with both ends shown to them.

    shown_to_member() keeps only live annotations, so a link whose source or
    target annotation was deleted drops out here too. A link with an end on a
    document in the trash drops out as well, unless `with_trashed_ends` (a
    thread shows such a link, its other end marked "in the trash").
    """
    # Conditions on the joined ends, not "IN (every annotation shown)": a
    # thread's few links are found by their own index, however large the project.
    links = Link.objects.filter(
        link_filter(membership, include_trash=with_trashed_ends),
        project_id=membership.project_id,
        deleted_at__isnull=True,
    )
    if not with_trashed_ends:
        links = links.exclude(target_document__trashed_at__isnull=False)
    return links


def with_ends(links: QuerySet[Link]) -> QuerySet[Link]:
    documents = ("source__document", "target_annotation__document", "target_document")
    return links.select_related(
        "relation",
        "author",
        "source__author",
        "target_annotation__author",
        *documents,
    ).defer(
        *(
            f"{document}__{name}"
            for document in documents
            for name in Document.HEAVY_FIELDS
        )
    )


def search_annotations(
    membership: Membership,
    query: str,
    *,
    exclude: Annotation | None = None,
    page: int = 1,
) -> tuple[list[Annotation], bool]:
    """One page (SEARCH_LIMIT) of visible annotations whose quote or note holds
    words starting with each word typed (as the search index finds them:
    "guzm" finds "Guzmán"), or whose tag, author or document title holds what
    was typed; newest first (the newest of all for an empty query), and
    whether another page follows."""
    found = Annotation.objects.shown_to_member(membership)
    query = query.strip()
    if query:
        found = found.filter(_picked(membership.project_id, query))
    if exclude is not None:
        found = found.exclude(pk=exclude.pk)
    first = (max(page, 1) - 1) * SEARCH_LIMIT
    rows = list(
        found.select_related("author", "document")
        .only(
            "pk",
            "exact",
            "body",
            "created_at",
            "author__username",
            "document__title",
        )
        .order_by("-created_at", "-pk")[first : first + SEARCH_LIMIT + 1]
    )
    return rows[:SEARCH_LIMIT], len(rows) > SEARCH_LIMIT


def _picked(project: int, query: str) -> Q:
    """The annotations the picker finds for `query`: by their own words in the
    search index, or by the name of their author, document or a tag of theirs."""
    # Authors, documents and tags by name first, in one small query, so the
    # annotations are filtered on their own columns: no joins for each row
    # looked at. Tags and documents are the project's own, as the services
    # keep them.
    names = (
        get_user_model()
        .objects.filter(username__icontains=query)
        .order_by()
        .values_list(Value("author"), "pk")
        .union(
            Document.objects.filter(project_id=project, title__icontains=query)
            .order_by()
            .values_list(Value("document"), "pk"),
            Tag.objects.filter(project_id=project, name__icontains=query)
            .order_by()
            .values_list(Value("tag"), "pk"),
            all=True,
        )
    )
    named = {"author": [], "document": [], "tag": []}
    for kind, pk in names:
        named[kind].append(pk)
    matches = Q(pk__in=[])
    # A word of one character is looked for whole: as the start of words it
    # would find nearly every note.
    words = [token.word for token in search_text.tokens(query)]
    words = words[: search_text.MAX_WORDS]
    if words:
        typed = search_text.Query(
            tuple((search_text.Term((word,), prefix=len(word) > 1),) for word in words)
        )
        matches |= _noted(project, typed)
    if named["author"]:
        matches |= Q(author_id__in=named["author"])
    if named["document"]:
        matches |= Q(document_id__in=named["document"])
    if named["tag"]:
        tagged = Annotation.tags.through.objects.filter(tag_id__in=named["tag"])
        matches |= Q(pk__in=tagged.values("annotation_id"))
    return matches


# Index entries found, from which a query counts as common in the picker.
COMMON = 2_000


def _noted(project: int, query: search_text.Query) -> Q:
    """The annotations whose quote or note the index finds `query` in.

    A query found in few notes lists them (the newest of the list are taken);
    one found in many asks of each annotation, newest first, whether its note
    is found, and stops at a page. On SQLite, the unary + keeps the entry's
    key from being searched by each of the matched rowids in turn (then every
    annotation looked at would cost one lookup per match)."""
    notes = search.matching(project, query).filter(kind=SearchKind.NOTE)
    if not _common(query, project):
        # Their ids, so that a word found nowhere asks nothing more, and the
        # annotations are looked up by key rather than all read in date order.
        return Q(pk__in=list(notes.values_list("annotation_id", flat=True)))
    if connection.vendor == "postgresql":
        # OFFSET 0 keeps the planner from turning the question into a join
        # with every matching note (it would read them all first). The
        # question names the outer query's own table: search_annotations'
        # queryset, never a subquery.
        return Q(
            RawSQL(
                "EXISTS (SELECT 1 FROM annotations_searchentry found "
                "WHERE found.annotation_id = annotations_annotation.id "
                "AND found.kind = %s AND found.vector @@ %s::tsquery OFFSET 0)",
                [SearchKind.NOTE, search_text.tsquery(query)],
                output_field=BooleanField(),
            )
        )
    own_note = SearchEntry.objects.filter(
        annotation_id=OuterRef("pk"), kind=SearchKind.NOTE
    ).filter(In(Func(F("pk"), template="+%(expressions)s"), search.fts5_rowids(query)))
    return Q(Exists(own_note))


def _common(query: search_text.Query, project: int) -> bool:
    """Whether the index finds `query` in at least COMMON entries (counting
    stops there: a common word costs no more to ask about than a rare one)."""
    if connection.vendor == "postgresql":
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM annotations_searchentry "
            "WHERE project_id = %s AND vector @@ %s::tsquery LIMIT %s) AS found"
        )
        params = [project, search_text.tsquery(query), COMMON]
    else:
        # The whole index's entries (FTS5 knows no project): an estimate.
        sql = (
            "SELECT count(*) FROM (SELECT 1 FROM annotations_search_fts "
            "WHERE annotations_search_fts MATCH %s LIMIT %s)"
        )
        params = [search_text.fts5(query), COMMON]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0] >= COMMON


def filter_links(
    links: QuerySet[Link],
    *,
    relation: RelationType | None = None,
    document: Document | None = None,
    author: str = "",
) -> QuerySet[Link]:
    """Links of a relation, touching a document (at either end), by an author."""
    if relation is not None:
        links = links.filter(relation=relation)
    if document is not None:
        links = links.filter(
            Q(source__document_id=document.pk)
            | Q(target_annotation__document_id=document.pk)
            | Q(target_document_id=document.pk)
        )
    if author:
        links = links.filter(author__username=author)
    return links


def links_table(links: QuerySet[Link]) -> QuerySet[Link]:
    """The links page's rows, with both ends, newest first."""
    return with_ends(links).order_by("-created_at", "-pk")


# The picture of documents linked to documents and to outside sources ----------

GRAPH_SOURCE_LIMIT = 12  # outside sources drawn one by one; the rest as one


@dataclass(frozen=True)
class LinkCount:
    """Links of one relation from one document to another document (`target`)
    or to an outside source (`url`, with the `title` given to it)."""

    source: Document
    relation_id: int
    count: int
    target: Document | None = None
    url: str = ""
    title: str = ""


def link_counts(links: QuerySet[Link]) -> list[LinkCount]:
    """The links counted by relation, from document to document (a link to a
    passage counts for the passage's document) and to each outside source."""
    rows = (
        links.order_by()
        .values(
            "source__document_id",
            "target_annotation__document_id",
            "target_document_id",
            "target_url",
            "relation_id",
        )
        .annotate(n=Count("pk"), title=Max("target_title"))
    )
    counts: dict[tuple, list] = {}
    for row in rows:
        target = row["target_annotation__document_id"] or row["target_document_id"]
        key = (
            row["source__document_id"],
            target,
            row["target_url"],
            row["relation_id"],
        )
        counts.setdefault(key, [0, row["title"] or ""])[0] += row["n"]
    ids = {pk for source, target, _url, _r in counts for pk in (source, target) if pk}
    documents = {
        document.pk: document
        for document in Document.objects.filter(pk__in=ids).only("pk", "title")
    }
    return [
        LinkCount(
            source=documents[source],
            relation_id=relation,
            count=n,
            target=documents.get(target),
            url=url,
            title=title,
        )
        for (source, target, url, relation), (n, title) in counts.items()
        if source in documents and (url or target in documents)
    ]


def _bare_url(url: str) -> str:
    """An address as a label: without its scheme, or a slash at its end."""
    return url.split("://", 1)[-1].rstrip("/") or url


def graph_layout(project: Project, counts: list[LinkCount]) -> link_graph.Graph:
    """The picture of `counts`: a node for each document, linked to its page,
    one for each of the most linked outside sources (the others together), an
    edge for each relation between two ends, coloured as the legend says."""
    if not counts:
        return link_graph.Graph()
    relations = link_graph.relation_styles(
        list(
            RelationType.objects.filter(project=project)
            .order_by("name", "pk")
            .values_list("pk", "name")
        )
    )
    nodes: dict[str, link_graph.Node] = {}

    def document_node(document: Document) -> str:
        key = f"d{document.pk}"
        if key not in nodes:
            url = reverse(
                "annotations:document_detail",
                kwargs={"slug": project.slug, "pk": document.pk},
            )
            nodes[key] = link_graph.Node(key=key, title=document.title, href=url)
        return key

    per_url: dict[str, int] = {}
    titles: dict[str, str] = {}  # a title given to the source, if any
    for count in counts:
        if count.url:
            per_url[count.url] = per_url.get(count.url, 0) + count.count
            titles[count.url] = titles.get(count.url) or count.title
    drawn = sorted(per_url, key=lambda url: (-per_url[url], url))
    shown, others = drawn[:GRAPH_SOURCE_LIMIT], drawn[GRAPH_SOURCE_LIMIT:]
    sources = [
        link_graph.Node(
            key=f"s{i}",
            title=titles[url] or _bare_url(url),
            href=url,
            external=True,
            count=per_url[url],
        )
        for i, url in enumerate(shown)
    ]
    source_key = {url: f"s{i}" for i, url in enumerate(shown)}
    if others:
        sources.append(
            link_graph.Node(
                key="s-other",
                title=f"{len(others)} other outside sources",
                href="",
                external=True,
                count=sum(per_url[url] for url in others),
            )
        )
    edges: dict[tuple[str, str, int], int] = {}
    for count in counts:
        from_key = document_node(count.source)
        if count.url:
            to_key = source_key.get(count.url, "s-other")
        else:
            to_key = document_node(count.target)
        key = (from_key, to_key, count.relation_id)
        edges[key] = edges.get(key, 0) + count.count
    return link_graph.layout(
        list(nodes.values()),
        sources,
        [
            (a, b, relations.get(relation) or link_graph.UNKNOWN_RELATION, n)
            for (a, b, relation), n in edges.items()
        ],
    )
