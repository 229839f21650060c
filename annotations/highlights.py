"""The document's text with its highlights, as the reading view sends it.

highlights_for() reads the annotations a member sees on a document (a fixed
number of queries, whatever their number: DESIGN invariant 5); render_text()
and render_some_blocks() draw them into the text's blocks (annotations.rendering
keeps the whole rendering for the readers who see the same annotations).
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from html import escape

from django.contrib.auth import get_user_model
from django.db.models import Q

from annotations import permissions
from annotations.models import Annotation, DocumentCounters, Status, Tag
from annotations.segments import segment_blocks
from corpus import bodycache
from corpus.models import Document, Membership
from corpus.render import render_block, render_blocks

LABEL_NAMES = 3


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
    # annotation drawn -> its tags (id, name) by name; for a few blocks only
    tags: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    # annotation drawn and tagged -> its tags' ids
    tags_of: dict[int, tuple[int, ...]] = field(default_factory=dict)

    def marker(self, *, titles: bool) -> Callable[[tuple[int, ...], int], str]:
        """The attributes of a highlighted segment's <mark>, from the keys of
        the annotations covering it (in the order they were made) and where it
        starts: its overlap depth, the colour of the first annotation's first
        tag (none: a neutral colour), the annotations' ids, and where an
        annotation begins a focusable, named target for keyboard users and for
        the annotation's own URL.

        `titles`: with hover titles, for blocks redrawn after a change. The
        whole text goes without them: the page carries the labels once, as
        JSON, and the browser sets a highlight's title when the pointer first
        rests on it (a tenth of the work, a third less HTML with thousands of
        highlights). Many segments share a covering set: its attributes are
        built once.
        """
        built: dict[tuple[int, ...], str] = {}
        labels, first_start, colour_tags = (
            self.labels,
            self.first_start,
            self.colour_tags,
        )

        def mark(keys: tuple[int, ...], start: int) -> str:
            attrs = built.get(keys)
            if attrs is None:
                tag = colour_tags.get(keys[0])
                colour = f" tc-{tag}" if tag else ""
                attrs = (
                    f' class="hl d{min(len(keys), 4)}{colour}"'
                    f' data-ids="{" ".join(map(str, keys))}"'
                )
                if titles:
                    names = [labels[key] for key in keys[:LABEL_NAMES]]
                    if len(keys) > LABEL_NAMES:
                        names.append(f"and {len(keys) - LABEL_NAMES} more")
                    attrs += f' title="{"; ".join(names)}"'
                built[keys] = attrs
            pk = first_start.get(start)
            if pk is None:
                return attrs
            more = f", and {len(keys) - 1} more here" if len(keys) > 1 else ""
            return (
                f'{attrs} id="s{start}" tabindex="0" role="button"'
                f' aria-label="Open annotation: {labels[pk]}{more}"'
            )

        return mark


# Past this many ranges a query for "annotations touching these ranges" grows
# too deep for SQLite; the whole document is read instead.
MAX_RANGES = 100


def _few_rows(annotations) -> tuple[list, dict, list, dict]:
    """(pk, start, end, author_id) rows, author names, (annotation, tag) pairs
    and tag names, in one query: a row per tag, in text order."""
    rows: dict[int, tuple] = {}
    names, pairs, tag_name = {}, [], {}
    joined = annotations.values_list(
        "pk", "start", "end", "author_id", "author__username", "tags__id", "tags__name"
    )
    for pk, start, end, author_id, username, tag_id, name in joined:
        if pk not in rows:
            rows[pk] = (pk, start, end, author_id)
            names[author_id] = username
        if tag_id is not None:
            pairs.append((pk, tag_id))
            tag_name[tag_id] = name
    return list(rows.values()), names, pairs, tag_name


def _all_rows(document: Document, annotations) -> tuple[list, dict, list, dict]:
    """As _few_rows, for the whole document: the rows from one table, names
    and tags from small look-ups."""
    rows = list(annotations.values_list("pk", "start", "end", "author_id"))
    if not rows:
        return rows, {}, [], {}
    names = dict(
        get_user_model()
        .objects.filter(pk__in={row[3] for row in rows})
        .values_list("pk", "username")
    )
    through = Annotation.tags.through.objects.filter(annotation__document=document)
    pairs = list(through.order_by().values_list("annotation_id", "tag_id"))
    tag_name = {}
    if pairs:
        tag_name = dict(
            Tag.objects.filter(project_id=document.project_id).values_list("pk", "name")
        )
    return rows, names, pairs, tag_name


def highlights_for(
    membership: Membership,
    document: Document,
    within: list[tuple[int, int]] | None = None,
    approved_only: bool = False,
    *,
    shared_only: bool = False,
    longest: int | None = None,
) -> Highlights:
    """The visible annotations' ranges and labels (author and tags).

    The 10,000-row query reads one table; authors' and tags' names come from
    small look-ups, so that PostgreSQL joins nothing row by row.

    With `within`, only annotations touching those ranges (to redraw a few
    blocks), with their names, in one query; `longest`, the longest passage an
    annotation of the document may have (DocumentCounters.longest), bounds the
    search to those starting at most that far before each range.
    With `shared_only`, what every member of the reader's class sees, and no
    more: the reader's own private (or unapproved) annotations are left out, so
    the rendering can be shared with the class whatever the reader wrote.
    """
    annotations = Annotation.objects.filter(
        permissions.shown_to_member_filter(membership, own=not shared_only)
    ).for_document(document)
    if approved_only:
        annotations = annotations.filter(status=Status.APPROVED)
    few = within is not None and len(within) <= MAX_RANGES
    if few:
        touching = Q(pk__in=[])
        for start, end in within:
            near = Q(start__lt=end, end__gt=start)
            if longest is not None:
                near &= Q(start__gte=start - longest)
            touching |= near
        annotations = annotations.filter(touching)
    # The whole document: no joins (the names come from small look-ups), so
    # that PostgreSQL joins nothing row by row. A few blocks: one query, with
    # the names joined. The text order needs no document (the model's default
    # ordering would join and sort by its title).
    if few:
        rows, names, pairs, tag_name = _few_rows(annotations.in_text_order())
    else:
        rows, names, pairs, tag_name = _all_rows(document, annotations.in_text_order())
    tag_names: dict[int, list[str]] = defaultdict(list)
    tag_ids: set[int] = set()
    tags_of: dict[int, list[int]] = defaultdict(list)
    colour_tags: dict[int, int] = {}
    if rows and pairs:
        drawn = {row[0] for row in rows}
        for annotation_id, tag_id in pairs:
            if tag_id in tag_name:  # not merged away since the last query
                tag_names[annotation_id].append(tag_name[tag_id])
                if annotation_id in drawn:
                    tag_ids.add(tag_id)
                    tags_of[annotation_id].append(tag_id)
        for listed in tag_names.values():
            listed.sort()
        # A highlight takes the colour of its first tag by name (names are
        # unique in a project), the first its hover label lists.
        tag_of = {name: pk for pk, name in tag_name.items()}
        colour_tags = {
            pk: tag_of[listed[0]] for pk, listed in tag_names.items() if pk in drawn
        }
    tags_drawn = {}
    if few:
        # Every annotation drawn, with its tags or none (the margin's entries
        # of a change take them from here).
        tag_of = {name: pk for pk, name in tag_name.items()}
        tags_drawn = {
            row[0]: [(tag_of[name], name) for name in tag_names.get(row[0], [])]
            for row in rows
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
        tags=tags_drawn,
        tags_of={pk: tuple(ids) for pk, ids in tags_of.items()},
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
        document.text,
        document.blocks,
        document.links,
        segments,
        highlights.marker(titles=False),
    )


def blocks_touching(document: Document, ranges: list[tuple[int, int]]) -> list[int]:
    """Indices of the blocks that overlap any of the ranges, in order."""
    bounds = bodycache.block_bounds(document)
    starts, ends = bounds.starts, bounds.ends
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


def of_blocks(
    membership: Membership,
    document: Document,
    indices: list[int],
    ranges: list[tuple[int, int]],
    *,
    approved_only: bool,
    shared_only: bool = False,
) -> Highlights:
    """The highlights of the blocks `indices`, which the changed `ranges`
    touch, to redraw them. Annotations start at most `longest` before a block
    they touch; the changed ones may be newer than the counters read first."""
    longest = max(
        [DocumentCounters.of(document).longest, *(end - start for start, end in ranges)]
    )
    return highlights_for(
        membership,
        document,
        within=block_ranges(document, indices),
        approved_only=approved_only,
        shared_only=shared_only,
        longest=longest,
    )


def render_some_blocks(
    document: Document,
    highlights: Highlights,
    indices: list[int],
    oob: bool = False,
    *,
    titles: bool = True,
) -> list[str]:
    """Fresh HTML of a few blocks, to swap (out of band) for the ones on the
    page (with hover titles), or for the ones of a kept rendering (without:
    as render_text draws them)."""
    blocks = [document.blocks[index] for index in indices]
    segments = segment_blocks(
        [(block["start"], block["end"]) for block in blocks],
        highlights.spans,
        cuts=_link_cuts(document.links),
    )
    mark = highlights.marker(titles=titles)
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
            mark,
            ' hx-swap-oob="true"' if oob else "",
        )
        for block, block_segments in zip(blocks, segments, strict=True)
    ]


def tag_choices(tag_ids: set[int]) -> list[tuple[str, str]]:
    """(name, label) of the tags on the annotations drawn (`tag_ids`), for the
    margin's tag filter: the tags this reader can see used here, with their
    parents."""
    if not tag_ids:
        return []
    return [
        (name, f"{parent} › {name}" if parent else name)
        for name, parent in Tag.objects.filter(pk__in=tag_ids)
        .order_by("parent__name", "name")
        .values_list("name", "parent__name")
    ]
