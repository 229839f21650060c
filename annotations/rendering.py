"""The document's text with highlights as the reading page sends it, kept by
each worker for the readers who see the same annotations, and brought up to
date block by block after a change.

Rendering a 1 MB text with 10,000 highlights takes tens of milliseconds; an
annotation touches a block or two. So a kept rendering that a change has left
behind is not thrown away: the annotations changed since it was made are read
(one index range), the blocks they touch are drawn again (highlights), spliced
into the kept HTML, and its labels, count and tags are updated by the same
annotations. The result is the HTML a full rendering gives (the tests compare
them after every kind of change).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass, field

from django.http import HttpResponse
from django.utils.html import json_script

from annotations import highlights, permissions, polling
from annotations.models import Annotation, Status
from corpus import bodycache
from corpus.models import Document, Membership

# Past this many blocks touched since a kept rendering, drawing all is as quick.
MAX_PATCHED_BLOCKS = 64


@dataclass(frozen=True)
class RenderedText:
    """A document's text with highlights, ready to send, as of `revision`: the
    count of changes its readers' class saw, and for a reader's own rendering
    their own count (polling.ReaderToken: what a poll compares)."""

    body: bytes  # the blocks' HTML, UTF-8: spliced into the page by with_body()
    labels_script: str  # <script type="application/json"> of the hover labels
    tag_choices: list[tuple[str, str]]  # the margin filter's tags: those drawn
    revision: polling.ReaderToken
    # What an update needs: the hover label of each annotation drawn, and the
    # tags of each tagged one.
    labels: dict[int, str] = field(default_factory=dict)
    tags_of: dict[int, tuple[int, ...]] = field(default_factory=dict)

    @property
    def annotation_count(self) -> int:
        """The annotations drawn: each has its label."""
        return len(self.labels)

    @classmethod
    def of(
        cls,
        body: bytes,
        labels: dict[int, str],
        tags_of: dict[int, tuple[int, ...]],
        revision: polling.ReaderToken,
    ) -> RenderedText:
        return cls(
            body=body,
            labels_script=json_script(labels, "highlight-labels"),
            tag_choices=highlights.tag_choices(
                {tag for tags in tags_of.values() for tag in tags}
            ),
            revision=revision,
            labels=labels,
            tags_of=tags_of,
        )

    def weight(self) -> int:
        """About the memory it takes (the caches' budget), as Python counts it:
        a label is a dict entry, an int and a str; a tagged note's tags a dict
        entry, an int and a tuple."""
        return (
            sys.getsizeof(self.body)
            + sys.getsizeof(self.labels_script)
            + sum(map(sys.getsizeof, self.labels.values()))
            + 130 * len(self.labels)
            + 200 * len(self.tags_of)
        )


# Where a page template leaves room for the text. A comment: no user text can
# make one, since every "<" of it is escaped.
BODY_SLOT = "<!-- the document's text -->"


def with_body(response: HttpResponse, body: bytes) -> HttpResponse:
    """Put the rendered text into the page's BODY_SLOT.

    Megabytes of text through the template's nested nodes cost a copy at each
    level (about 40 ms for 4 MB); spliced here, it is copied once.
    """
    before, slot, after = response.content.partition(BODY_SLOT.encode())
    if not slot:
        raise ValueError("the template has no slot for the document's text")
    response.content = b"".join((before, body, after))
    return response


def rendered_text(
    membership: Membership,
    document: Document,
    approved_only: bool,
    *,
    kept: bool = True,
    token: polling.ReaderToken | None = None,
) -> RenderedText:
    """The text with highlights, from the worker's cache when nothing changed,
    brought up to date when its readers' class saw changes since (drawn anew
    and left out of the cache with `kept` False; `token`: the reader's, when
    the caller has read it already).

    Members who see the same annotations share a rendering: those who see every
    shared annotation (curators and owners, or everyone without pre-moderation),
    and the others, each in either reading mode. A member who has annotations
    of their own that the rest of their class cannot see (private ones, or
    unapproved ones under pre-moderation) gets a rendering of their own.
    """
    sees_unapproved = permissions.sees_unapproved(membership)
    own = Annotation.objects.filter(
        document=document, author_id=membership.user_id, deleted_at__isnull=True
    )
    if approved_only:
        own = own.filter(status=Status.APPROVED)
    has_own_hidden = (
        own.exclude(permissions.shown_to_member_filter(membership, own=False))
        .only("pk")
        .exists()
    )
    if has_own_hidden:
        # The changes the class sees matter, and the member's own.
        revision = token or polling.reader_token(membership, document)
        reader = membership.user_id
    else:
        # Only changes the member's class may see matter.
        revision = polling.ReaderToken(polling.class_revision(membership, document), 0)
        reader = None
    # One rendering per class (or reader) and reading mode: the latest.
    # The text revision too: a revision may change the blocks alone (the
    # same text), or bring back an earlier text whose rendering is kept.
    key = (
        document.pk,
        document.content_hash,
        document.text_revision,
        reader,
        sees_unapproved,
        approved_only,
    )
    last = bodycache.rendered.get(key) if kept else None
    if last is not None and last.revision == revision:
        return last
    made = None
    if last is not None and _before(last.revision, revision):
        made = _brought_up_to_date(
            last, membership, document, approved_only, reader, revision
        )
    if made is None:
        # A shared rendering is made from what the class sees, never from what
        # this reader sees: a private note saved between the check above and
        # this query cannot reach the class's cache.
        drawn = highlights.highlights_for(
            membership, document, approved_only=approved_only, shared_only=not reader
        )
        # render_text escapes every character of the text itself.
        made = RenderedText.of(
            highlights.render_text(document, drawn).encode(),
            drawn.raw_labels,
            drawn.tags_of,
            revision,
        )
    if kept and (last is None or _before(last.revision, revision)):
        bodycache.rendered.put(key, made)
    return made


def _before(kept: polling.ReaderToken, now: polling.ReaderToken) -> bool:
    """Whether a rendering as of `kept` is an earlier one than `now` (a request
    that read the counters before another's write committed may come later)."""
    return kept != now and kept.seen <= now.seen and kept.own <= now.own


def _brought_up_to_date(
    kept: RenderedText,
    membership: Membership,
    document: Document,
    approved_only: bool,
    reader: int | None,
    revision: polling.ReaderToken,
) -> RenderedText | None:
    """`kept` with the annotations changed since its revision that the class
    (and the `reader`, for their own rendering) may see redrawn, or None when
    they touch too many blocks."""
    if reader is None:
        column = (
            "shared_revision"
            if permissions.sees_unapproved(membership)
            else "public_revision"
        )
        changed = list(
            Annotation.objects.filter(
                document=document, **{f"{column}__gt": kept.revision.seen}
            )
            .order_by()
            .values_list("pk", "start", "end")
        )
    else:
        changed = polling.changed_since(membership, document, kept.revision)
    ranges = [(start, end) for _pk, start, end in changed]
    indices = highlights.blocks_touching(document, ranges)
    if len(indices) > MAX_PATCHED_BLOCKS:
        return None
    drawn = highlights.of_blocks(
        membership,
        document,
        indices,
        ranges,
        approved_only=approved_only,
        shared_only=reader is None,
    )
    blocks = highlights.render_some_blocks(document, drawn, indices, titles=False)
    body = _splice(kept.body, blocks)
    if body is None:
        return None
    labels, tags_of = dict(kept.labels), dict(kept.tags_of)
    for pk, _start, _end in changed:  # shown now or not, drawn again if so
        labels.pop(pk, None)
        tags_of.pop(pk, None)
    labels.update(drawn.raw_labels)
    tags_of.update(drawn.tags_of)
    return RenderedText.of(body, labels, tags_of, revision)


def _splice(body: bytes, blocks: list[str]) -> bytes | None:
    """`body` with the elements of the same blocks (in order) replaced by
    `blocks`, or None if one is not found (then all is drawn again). Each
    element opens with its kind, unique id and start, and closes with the
    first closing tag of its kind (its text is escaped: no "<" of it is
    markup)."""
    parts, at = [], 0
    for html in blocks:
        # The element's opening up to its data-end: it begins with "<", which
        # no text of the document holds unescaped, so only the element matches.
        opening = html[: html.index(' data-end="')].encode()
        opens = body.find(opening, at)
        closing = html[html.rindex("</") :].encode()
        ends = body.find(closing, opens) if opens >= 0 else -1
        if ends < 0:
            return None
        ends += len(closing)
        parts += [body[at:opens], html.encode()]
        at = ends
    parts.append(body[at:])
    return b"".join(parts)
