"""What the reading view shows of annotations: highlights, the margin, a thread.

Every function here runs a fixed number of queries, whatever the number of
annotations on the document (DESIGN invariant 5).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from dataclasses import dataclass, field
from html import escape

from django.contrib.auth import get_user_model
from django.core.paginator import Page, Paginator
from django.db.models import Q, QuerySet
from django.utils.safestring import SafeString, mark_safe

from annotations import permissions
from annotations.forms import MarginFilterForm, StatusForm
from annotations.markdown import render_markdown
from annotations.models import (
    Annotation,
    AnnotationEvent,
    EventKind,
    Reply,
    Status,
    Tag,
)
from annotations.segments import segment_blocks
from corpus.models import Document, Membership
from corpus.render import render_block, render_blocks
from corpus.roles import Action

MARGIN_PAGE_SIZE = 50
LABEL_NAMES = 3
# The margin shows the start of each note: its first paragraph, up to about
# this many characters (the stylesheet shows three lines of it).
EXCERPT_CHARS = 280


@dataclass
class Highlights:
    """The visible annotations of a document, as the renderer needs them."""

    spans: list[tuple[int, int, int]]
    labels: dict[int, str]  # already HTML-escaped
    first_start: dict[int, int]  # segment start -> annotation that begins there
    raw_labels: dict[int, str] = field(default_factory=dict)  # for the JSON map
    tag_ids: set[int] = field(default_factory=set)  # on the annotations drawn
    # annotation -> the tag that colours it: its first by name
    colour_tags: dict[int, int] = field(default_factory=dict)
    _built: dict[tuple[int, ...], tuple[str, str]] = field(
        default_factory=dict, repr=False
    )

    def classes(self, keys: tuple[int, ...]) -> str:
        """A segment's classes: its overlap depth, and the colour of the first
        annotation drawn there (the keys are in the order the annotations were
        made), none if it has no tag (a neutral colour)."""
        tag = self.colour_tags.get(keys[0])
        colour = f" tc-{tag}" if tag else ""
        return f"hl d{min(len(keys), 4)}{colour}"

    def mark_light(self, keys: tuple[int, ...], start: int) -> str:
        """Attributes without hover titles, for the whole text.

        The page carries the labels once, as JSON, and the browser sets a
        highlight's title when the pointer first rests on it: a tenth of the
        work and a third less HTML with thousands of highlights.
        """
        # self.classes(keys), inline: this runs for each of tens of thousands
        # of segments.
        tag = self.colour_tags.get(keys[0])
        colour = f" tc-{tag}" if tag else ""
        attrs = (
            f' class="hl d{min(len(keys), 4)}{colour}"'
            f' data-ids="{" ".join(map(str, keys))}"'
        )
        pk = self.first_start.get(start)
        if pk is not None:
            more = f", and {len(keys) - 1} more here" if len(keys) > 1 else ""
            attrs += (
                f' id="s{start}" tabindex="0" role="button"'
                f' aria-label="Open annotation: {self.labels[pk]}{more}"'
            )
        return attrs

    def _attrs_and_label(self, keys: tuple[int, ...]) -> tuple[str, str]:
        # Many segments share a covering set: build its attributes once.
        built = self._built.get(keys)
        if built is None:
            names = [self.labels[key] for key in keys[:LABEL_NAMES]]
            if len(keys) > LABEL_NAMES:
                names.append(f"and {len(keys) - LABEL_NAMES} more")
            label = "; ".join(names)
            attrs = (
                f' class="{self.classes(keys)}" '
                f'data-ids="{" ".join(map(str, keys))}" title="{label}"'
            )
            built = self._built[keys] = (attrs, label)
        return built

    def mark(self, keys: tuple[int, ...], start: int) -> str:
        attrs, label = self._attrs_and_label(keys)
        if start in self.first_start:
            # Where an annotation begins: a focusable, named target for keyboard
            # users and for the annotation's own URL.
            noun = "annotation" if len(keys) == 1 else f"{len(keys)} annotations"
            attrs += (
                f' id="s{start}" tabindex="0" role="button"'
                f' aria-label="Open {noun}: {label}"'
            )
        return attrs


# Past this many ranges a query for "annotations touching these ranges" grows
# too deep for SQLite; the whole document is read instead.
MAX_RANGES = 100


def highlights_for(
    membership: Membership,
    document: Document,
    within: list[tuple[int, int]] | None = None,
    approved_only: bool = False,
    *,
    shared_only: bool = False,
) -> Highlights:
    """The visible annotations' ranges and labels (author and tags).

    The 10,000-row query reads one table; authors' and tags' names come from
    small look-ups, so that PostgreSQL joins nothing row by row.

    With `within`, only annotations touching those ranges (to redraw a few blocks).
    With `shared_only`, what every member of the reader's class sees, and no
    more: the reader's own private (or unapproved) annotations are left out, so
    the rendering can be shared with the class whatever the reader wrote.
    """
    annotations = Annotation.objects.filter(
        permissions.shown_to_member_filter(membership, own=not shared_only)
    ).for_document(document)
    if approved_only:
        annotations = annotations.filter(status=Status.APPROVED)
    if within is not None and len(within) <= MAX_RANGES:
        touching = Q(pk__in=[])
        for start, end in within:
            touching |= Q(start__lt=end, end__gt=start)
        annotations = annotations.filter(touching)
    # No joins: the names come from two small look-ups, and the text order
    # needs no document (the model's default ordering would join and sort by
    # its title).
    rows = list(
        annotations.in_text_order().values_list("pk", "start", "end", "author_id")
    )
    tag_names: dict[int, list[str]] = defaultdict(list)
    tag_ids: set[int] = set()
    colour_tags: dict[int, int] = {}
    names: dict[int, str] = {}
    if rows:
        names = dict(
            get_user_model()
            .objects.filter(pk__in={row[3] for row in rows})
            .values_list("pk", "username")
        )
        through = Annotation.tags.through.objects.filter(annotation__document=document)
        if within is not None:
            through = through.filter(annotation_id__in=[row[0] for row in rows])
        pairs = list(through.order_by().values_list("annotation_id", "tag_id"))
        if pairs:
            tag_name = dict(
                Tag.objects.filter(project_id=document.project_id).values_list(
                    "pk", "name"
                )
            )
            drawn = {row[0] for row in rows}
            for annotation_id, tag_id in pairs:
                if tag_id in tag_name:  # not merged away since the last query
                    tag_names[annotation_id].append(tag_name[tag_id])
                    if annotation_id in drawn:
                        tag_ids.add(tag_id)
            for listed in tag_names.values():
                listed.sort()
            # A highlight takes the colour of its first tag by name (names are
            # unique in a project), the first its hover label lists.
            tag_of = {name: pk for pk, name in tag_name.items()}
            colour_tags = {
                pk: tag_of[listed[0]] for pk, listed in tag_names.items() if pk in drawn
            }
    raw_labels, first_start = {}, {}
    for pk, start, _end, author_id in rows:
        author = names.get(author_id, "")
        tags = tag_names.get(pk)
        raw_labels[pk] = f"{author} ({', '.join(tags)})" if tags else author
        first_start.setdefault(start, pk)
    return Highlights(
        spans=[(start, end, pk) for pk, start, end, _author in rows],
        labels={pk: escape(label) for pk, label in raw_labels.items()},
        first_start=first_start,
        raw_labels=raw_labels,
        tag_ids=tag_ids,
        colour_tags=colour_tags,
    )


def _link_cuts(links: list[dict]) -> list[int]:
    return [edge for link in links for edge in (link["start"], link["end"])]


def render_text(document: Document, highlights: Highlights) -> str:
    """The whole document's blocks with highlights drawn (escaped HTML)."""
    segments = segment_blocks(
        [(block["start"], block["end"]) for block in document.blocks],
        highlights.spans,
        cuts=_link_cuts(document.links),
    )
    return render_blocks(
        document.text, document.blocks, document.links, segments, highlights.mark_light
    )


def blocks_touching(document: Document, ranges: list[tuple[int, int]]) -> list[int]:
    """Indices of the blocks that overlap any of the ranges, in order."""
    starts = [block["start"] for block in document.blocks]
    ends = [block["end"] for block in document.blocks]
    touched: set[int] = set()
    for start, end in ranges:
        first = bisect_right(ends, start)
        last = bisect_left(starts, end)
        touched.update(range(first, last))
    return sorted(touched)


def block_ranges(document: Document, indices: list[int]) -> list[tuple[int, int]]:
    """The text ranges of the given blocks, neighbours merged."""
    ranges: list[tuple[int, int]] = []
    for index in indices:
        block = document.blocks[index]
        if ranges and index - 1 in indices and ranges[-1][1] <= block["start"]:
            ranges[-1] = (ranges[-1][0], block["end"])
        else:
            ranges.append((block["start"], block["end"]))
    return ranges


def render_some_blocks(
    document: Document, highlights: Highlights, indices: list[int], oob: bool = False
) -> list[str]:
    """Fresh HTML of a few blocks, to swap (out of band) for the ones on the page."""
    blocks = [document.blocks[index] for index in indices]
    segments = segment_blocks(
        [(block["start"], block["end"]) for block in blocks],
        highlights.spans,
        cuts=_link_cuts(document.links),
    )
    return [
        render_block(
            document.text,
            block,
            [
                link
                for link in document.links
                if block["start"] <= link["start"] and link["end"] <= block["end"]
            ],
            block_segments,
            highlights.mark,
            ' hx-swap-oob="true"' if oob else "",
        )
        for block, block_segments in zip(blocks, segments, strict=True)
    ]


def margin_queryset(
    membership: Membership, document: Document, form: MarginFilterForm
) -> QuerySet:
    annotations = (
        Annotation.objects.shown_to_member(membership)
        .for_document(document)
        .select_related("author")
        .prefetch_related("tags")
        .with_reply_count()
        .in_text_order()
    )
    if form.is_valid():
        data = form.cleaned_data
        if data["tag"]:
            annotations = annotations.filter(tags__name__iexact=data["tag"])
        if data["author"]:
            annotations = annotations.filter(author__username=data["author"])
        if data["status"]:
            annotations = annotations.filter(status=data["status"])
        if data["mine"]:
            annotations = annotations.filter(author_id=membership.user_id)
        if data["approved"]:
            annotations = annotations.filter(status=Status.APPROVED)
    return annotations


def visible_count(membership: Membership, document: Document) -> int:
    return Annotation.objects.shown_to_member(membership).for_document(document).count()


def margin_page(
    membership: Membership, document: Document, form: MarginFilterForm, page
) -> Page:
    """A page of the margin list; each annotation with the start of its note
    (`excerpt`) and whether colleagues cannot see it yet (`awaiting_approval`)."""
    paginator = Paginator(margin_queryset(membership, document, form), MARGIN_PAGE_SIZE)
    shown = paginator.get_page(page)
    shown.object_list = list(shown.object_list)
    for annotation in shown.object_list:
        annotation.excerpt = note_excerpt(annotation.body)
        annotation.awaiting_approval = permissions.awaiting_approval(
            membership, annotation
        )
    return shown


def note_excerpt(body: str) -> SafeString:
    """The first lines of a note as sanitised HTML: its first paragraph, cut at
    a word past EXCERPT_CHARS; an ellipsis says there is more. Empty for a
    highlight without a note."""
    text = body.replace("\r\n", "\n").strip()
    if not text:
        return mark_safe("")  # noqa: S308 (empty)
    first, _gap, rest = text.partition("\n\n")
    more = bool(rest.strip())
    if len(first) > EXCERPT_CHARS:
        words = first[:EXCERPT_CHARS].rsplit(None, 1)
        first = words[0] if len(words) > 1 else first[:EXCERPT_CHARS]
        more = True
    # render_markdown sanitises what it returns.
    return mark_safe(render_markdown(f"{first} …" if more else first))  # noqa: S308


def tag_choices(highlights: Highlights) -> list[tuple[str, str]]:
    """(name, label) of the tags on the annotations drawn, for the margin's tag
    filter: the tags this reader can see used here, with their parents."""
    if not highlights.tag_ids:
        return []
    return [
        (name, f"{parent} › {name}" if parent else name)
        for name, parent in Tag.objects.filter(pk__in=highlights.tag_ids)
        .order_by("parent__name", "name")
        .values_list("name", "parent__name")
    ]


def author_choices(document: Document) -> list[str]:
    """The members, for the margin's author filter."""
    return list(
        Membership.objects.filter(project_id=document.project_id)
        .order_by("user__username")
        .values_list("user__username", flat=True)
    )


def class_revision(membership: Membership, document: Document) -> int:
    """The document's counter of the changes the member's class may see
    (services.revisions)."""
    if permissions.sees_unapproved(membership):
        return document.shared_revision
    return document.public_revision


@dataclass(frozen=True)
class ReaderToken:
    """What a reader's page reflects: the count of changes their class may see,
    and their own count of changes to their annotations. Polling compares it:
    a change the reader may not see moves neither number."""

    seen: int
    own: int

    def __str__(self) -> str:
        return f"{self.seen}.{self.own}"

    @classmethod
    def parse(cls, value) -> ReaderToken | None:
        """The token a page sent back ("12.3"), or None if it is not one."""
        seen, dot, own = str(value or "").partition(".")
        parts = [seen, own]
        if not dot or not all(
            0 < len(part) <= 18 and part.isascii() and part.isdigit() for part in parts
        ):
            return None
        return cls(int(seen), int(own))


def own_latest(membership: Membership, document: Document) -> int:
    """The reader's own count of changes to their annotations on the document."""
    own = (
        Annotation.objects.filter(document=document, author_id=membership.user_id)
        .order_by("-own_revision")
        .values_list("own_revision", flat=True)
        .first()
    )
    return own or 0


def reader_token(membership: Membership, document: Document) -> ReaderToken:
    return ReaderToken(
        class_revision(membership, document), own_latest(membership, document)
    )


def changed_since(
    membership: Membership, document: Document, since: ReaderToken | None
) -> list:
    """(pk, start, end) of the annotations changed since `since` in a way the
    member may see: their class's changes, and their own annotations'. All of
    them when `since` is unknown."""
    annotations = Annotation.objects.filter(document=document)
    if since is not None:
        column = (
            "shared_revision"
            if permissions.sees_unapproved(membership)
            else "public_revision"
        )
        annotations = annotations.filter(
            Q(**{f"{column}__gt": since.seen})
            | Q(author_id=membership.user_id, own_revision__gt=since.own)
        )
    return list(annotations.values_list("pk", "start", "end"))


def thread_context(
    membership: Membership, annotation: Annotation, tags: list[Tag] | None = None
) -> dict:
    """An annotation's thread: note, tags, replies and what this member may do.

    `tags`, when the caller has them (a new annotation), spare a query; so does
    knowing that a new annotation has no replies yet.
    """
    new = annotation.version == 1 and tags is not None
    replies = (
        []
        if new
        else list(
            Reply.objects.filter(annotation=annotation, deleted_at__isnull=True)
            .select_related("author")
            .order_by("created_at", "pk")
        )
    )
    for reply in replies:
        reply.may_change = permissions.may_change(membership, reply)
    history = (
        []
        if new
        else list(
            AnnotationEvent.objects.filter(annotation=annotation)
            .select_related("actor")
            .order_by("at", "pk")
        )
    )
    decisions = [event for event in history if event.kind == EventKind.STATUS]
    may_decide = permissions.may_decide(membership)
    return {
        "history": history,
        "decision": decisions[-1] if decisions else None,
        "may_decide": may_decide,
        "new_annotation": new,
        "status_form": StatusForm(initial={"status": annotation.status})
        if may_decide
        else None,
        "annotation": annotation,
        "awaiting_approval": permissions.awaiting_approval(membership, annotation),
        # The author's next edit revises the note (services.update_annotation).
        "revisable": annotation.revised_by(membership.user_id),
        "tags": tags if tags is not None else list(annotation.tags.all()),
        "replies": replies,
        "may_change": permissions.may_change(membership, annotation),
        "may_reply": membership.can(Action.ANNOTATE),
    }
