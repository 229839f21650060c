"""What the reading page shows around the text: the document as a member
reads it, an open thread (note, replies, history, links), a gone annotation's
record, the blocks a change redraws, and what a write brings the page.

Every function here runs a fixed number of queries, whatever the number of
annotations on the document (DESIGN invariant 5). The text with its highlights
is annotations.highlights'; the margin's list, annotations.margin's; what
changed since a reader's page, polling's.
"""

from __future__ import annotations

from django.db import connection
from django.db.models import Q
from django.http import Http404

from annotations import highlights, permissions, polling
from annotations import links as links_reads
from annotations.forms import MarginFilterForm, ReplyForm, StatusForm
from annotations.margin import margin_news
from annotations.models import (
    Anchoring,
    Annotation,
    AnnotationEvent,
    EventKind,
    Link,
    Reply,
    Tag,
)
from corpus import bodycache
from corpus.models import Document, Membership
from corpus.prepared import Prepared
from corpus.roles import Action


def _documents(with_importer: bool, project: int, pk: int):
    documents = (
        Document.objects.filter(project_id=project, pk=pk)
        .defer(*Document.HEAVY_FIELDS)
        .select_related("counters")
        .order_by()
    )
    return documents.select_related("imported_by") if with_importer else documents


# Every page of a document reads it: prepared (corpus.prepared).
_member_document = Prepared(_documents, int, int)


def member_document(
    membership: Membership,
    pk: int,
    *,
    with_importer: bool = False,
    with_body: bool = True,
) -> Document:
    """A document of the member's project, or 404; with its text, blocks and
    links (from the worker's cache when they have not changed) unless
    `with_body` is False (changed_regions reads them when it needs them)."""
    document = _member_document.one(membership.project_id, pk, shape=with_importer)
    if document is None:
        raise Http404("No such document.")
    document.project = membership.project
    if with_body:
        bodycache.fill_body(document)
    return document


# Every thread and write on one reads it: prepared (corpus.prepared), one
# query per way a member may see (shown_to_member_filter's rule).
_member_annotation = Prepared(
    lambda sees_unapproved, user, project, pk: (
        Annotation.objects.filter(
            permissions.annotation_rule(
                reader_id=user, sees_unapproved=sees_unapproved, include_orphans=True
            ),
            project_id=project,
            pk=pk,
        )
        .select_related("author", "document__counters")
        .defer(*(f"document__{name}" for name in Document.HEAVY_FIELDS))
        .order_by()
    ),
    int,
    int,
    int,
)


def member_annotation(membership: Membership, pk: int) -> Annotation:
    """An annotation of the member's project that they see, with its author and
    its document (without the document's text), or 404."""
    annotation = _member_annotation.one(
        membership.user_id,
        membership.project_id,
        pk,
        shape=permissions.sees_unapproved(membership),
    )
    if annotation is None:
        raise Http404("No such annotation.")
    annotation.project = annotation.document.project = membership.project
    # The transaction it was read in: a write in the same one need not read it
    # again where the database has no row locks (services.annotations._locked).
    annotation.read_in = (
        connection.atomic_blocks[0] if connection.in_atomic_block else None
    )
    return annotation


def changed_regions(
    membership: Membership,
    document: Document,
    ranges: list[tuple[int, int]],
    *,
    approved_only: bool,
) -> dict:
    """Out-of-band fragments for the blocks a change to annotations touched
    (the document's text is read for them only when there are some)."""
    context = {
        "oob_blocks": [],
        "document": document,
        "project": membership.project,
        "membership": membership,
    }
    if not ranges:
        return context
    if "text" in document.get_deferred_fields():
        bodycache.fill_body(document)
    indices = highlights.blocks_touching(document, ranges)
    drawn = highlights.of_blocks(
        membership, document, indices, ranges, approved_only=approved_only
    )
    context["oob_blocks"] = highlights.render_some_blocks(
        document, drawn, indices, oob=True
    )
    context["drawn_tags"] = drawn.tags
    return context


def gone_annotation(membership: Membership, pk: int) -> Annotation | None:
    """The annotation, deleted or on a document in the trash, if the member could
    see it before it went (by the one visibility rule, applied to the row as it
    was); None otherwise, so that a URL tells nobody else it ever existed."""
    return (
        Annotation.objects.filter(
            permissions.shown_to_member_filter(
                membership, include_deleted=True, include_trash=True
            ),
            Q(deleted_at__isnull=False) | Q(in_trash=True),
            pk=pk,
        )
        .select_related("deleted_by", "document__trashed_by")
        .defer(*(f"document__{name}" for name in Document.HEAVY_FIELDS))
        .first()
    )


def reader_update(
    membership: Membership,
    document: Document,
    view: polling.ReaderView | None,
    touched: list[polling.Touched],
    *,
    counted: list | None = None,
    redraw: bool = True,
) -> dict:
    """What a reader's page needs after their write, for _reader_update.html:
    the blocks to redraw, the margin's news (entries in the filters, and ids to
    take out), the counts, and the token the page then reflects.

    `touched` are the annotations the write changed (`redraw`: in the text; a
    reply changes only the margin's entry), `counted` the changes it counted
    (services.revisions.counting). When the page's token (`view.since`) was up
    to date before the write, the write's changes are all it misses: the new
    token and count follow from them, without asking (polling.token_after).
    Otherwise, with a token, every change the page has not seen comes along
    and the page takes the current token; without one (no script, a stale
    state) only the write's, and the page's token stays, for its poll to catch
    up. The current token is read before what changed since it: a change made
    in between comes twice, never not at all.
    """
    filters = view.filters if view is not None else MarginFilterForm({})
    since = view.since if view is not None else None
    changed = [(one.pk, one.start, one.end) for one in touched]
    token = count = None
    if since is not None and counted:
        token = polling.token_after(membership, since, counted, document.pk)
        if token is not None and view.count is not None:
            approved_only = filters.approved_only
            count = view.count + sum(one.counted(approved_only) for one in touched)
    if since is not None and token is None:
        token = polling.current_token(
            membership.user_id, membership.project.slug, document.pk
        )
        if token != since:
            changed += polling.changed_since(membership, document, since)
    kept = set() if redraw else {one.pk for one in touched}
    ranges = [(start, end) for pk, start, end in changed if pk not in kept]
    regions = changed_regions(
        membership, document, ranges, approved_only=filters.approved_only
    )
    news = margin_news(
        membership,
        document,
        filters,
        {pk for pk, _s, _e in changed},
        count,
        tags=regions.get("drawn_tags"),
    )
    return {**regions, **news, "revision": token}


# Every thread reads them: prepared (corpus.prepared).
_replies = Prepared(
    lambda _shape, pk: (
        Reply.objects.filter(annotation_id=pk, deleted_at__isnull=True)
        .select_related("author")
        .order_by("created_at", "pk")
    ),
    int,
)
_history = Prepared(
    lambda _shape, pk: (
        AnnotationEvent.objects.filter(annotation_id=pk)
        .select_related("actor")
        .order_by("at", "pk")
    ),
    int,
)


def thread_context(
    membership: Membership,
    annotation: Annotation,
    tags: list[Tag] | None = None,
    *,
    with_links: bool = True,
) -> dict:
    """An annotation's thread: note, tags, replies, links (unless `with_links`
    is False: a poll does not redraw them) and what this member may do.

    `tags`, when the caller has them (a new annotation), spare a query; so does
    knowing that a new annotation has no replies or links yet.
    """
    new = annotation.version == 1 and tags is not None
    replies = [] if new else _replies(annotation.pk)
    for reply in replies:
        reply.may_change = permissions.may_change(membership, reply)
    links = (
        thread_links(membership, annotation)
        if with_links and not new
        else {"outgoing": [], "incoming": []}
    )
    return {
        **links,
        **decision_context(membership, annotation, new=new),
        "new_annotation": new,
        "tags": tags if tags is not None else list(annotation.tags.all()),
        "replies": replies,
        "may_change": permissions.may_change(membership, annotation),
        "may_reply": membership.can(Action.ANNOTATE),
        "may_link": membership.can(Action.ANNOTATE),
        "reply_form": ReplyForm(),
    }


def decision_context(
    membership: Membership, annotation: Annotation, *, new: bool = False
) -> dict:
    """The parts of a thread a decision changes: the status, the last decision,
    the history, the form to decide (for those who may)."""
    history = [] if new else _history(annotation.pk)
    decisions = [event for event in history if event.kind == EventKind.STATUS]
    may_decide = permissions.may_decide(membership)
    return {
        "project": membership.project,
        "membership": membership,
        "annotation": annotation,
        "history": history,
        "decision": decisions[-1] if decisions else None,
        "may_decide": may_decide,
        "status_form": StatusForm(initial={"status": annotation.status})
        if may_decide
        else None,
        "awaiting_approval": permissions.awaiting_approval(membership, annotation),
        # The author's next edit revises the note (services.update_annotation).
        "revisable": annotation.revised_by(membership.user_id),
    }


def thread_links(membership: Membership, annotation: Annotation) -> dict:
    """An annotation's links out and back, with what the member may do to each
    (`may_delete`).

    Most annotations have no link: two small index lookups say so. Only the
    links found are then read with their ends, in one query (its eight joins
    cost more to put together than to run, and an OR of the two ends would
    read every link of the project).
    """
    ends = {"outgoing": [], "incoming": []}
    touching = Link.objects.filter(
        project_id=membership.project_id, deleted_at__isnull=True
    ).order_by()
    found = (
        touching.filter(source_id=annotation.pk)
        .values_list("pk")
        .union(touching.filter(target_annotation_id=annotation.pk).values_list("pk"))
    )
    pks = [pk for (pk,) in found]
    if not pks:
        return ends
    shown = links_reads.with_ends(
        links_reads.live_links_for(membership, with_trashed_ends=True)
    ).filter(pk__in=pks)
    for link in shown:
        # Never both: an annotation is not linked to itself (services.links).
        end = "outgoing" if link.source_id == annotation.pk else "incoming"
        link.may_delete = permissions.may_change(membership, link)
        ends[end].append(link)
    for links in ends.values():
        links.sort(key=lambda link: (link.created_at, link.pk))
    return ends


def orphans(membership: Membership, document: Document, limit: int = 50) -> list:
    """The document's annotations the member sees that lost their passage in a
    revision of the text, newest first (`limit` of them; one more tells that
    there are others): the reading page lists them with their last quote."""
    return list(
        Annotation.objects.filter(
            permissions.shown_to_member_filter(membership, include_orphans=True),
            document=document,
            anchoring=Anchoring.ORPHAN,
        )
        .select_related("author")
        .order_by("-updated_at", "-pk")[: limit + 1]
    )
