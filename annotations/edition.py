"""An annotated edition: one standalone HTML file of a document with its
annotations as numbered notes, beside their paragraph on screen and as
endnotes in print, with a citation block; it needs nothing but itself (its
style sheet is inside, it loads nothing), so it reads offline and can be
published as it is.

A plain function of what export.document_work read: no query here.
"""

from __future__ import annotations

import bisect
from collections.abc import Callable
from dataclasses import dataclass, field

from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from annotations.export import DocumentWork
from annotations.markdown import render_markdown
from annotations.segments import segment_blocks

TEMPLATE = "annotations/export/edition.html"


@dataclass
class Block:
    kind: str
    level: int
    html: SafeString
    notes: list = field(default_factory=list)


def page(
    work: DocumentWork,
    *,
    project_name: str,
    approved_only: bool,
    address: Callable[[str], str],
) -> str:
    """The edition's HTML. `address` makes a path absolute (the document's
    address in the project, for the citation)."""
    doc = work.document
    numbers = {note.pk: number for number, note in enumerate(work.notes, 1)}
    for note in work.notes:
        note.number = numbers[note.pk]
        note.body_html = mark_safe(render_markdown(note.body))  # noqa: S308 (sanitised)
        for reply in note.reply_list:
            reply.body_html = mark_safe(render_markdown(reply.body))  # noqa: S308
        note.link_texts = [_link_text(link, numbers) for link in note.link_list]
    blocks = _blocks(work, numbers)
    return render_to_string(
        TEMPLATE,
        {
            "document": doc,
            "blocks": blocks,
            "notes": work.notes,
            "project_name": project_name,
            "approved_only": approved_only,
            "exported": timezone.now(),
            "address": address(doc.get_absolute_url()),
        },
    )


def _blocks(work: DocumentWork, numbers: dict[int, int]) -> list[Block]:
    """Each block's text, its passages marked and each passage's number after
    its end; the notes whose passage starts in it."""
    doc = work.document
    ranges = [(b["start"], b["end"]) for b in doc.blocks] or [(0, len(doc.text))]
    kinds = doc.blocks or [{"kind": "paragraph", "level": 0}]
    spans = [(note.start, note.end, note.pk) for note in work.notes]
    # A note's number goes after its passage's end, in the block holding that
    # end (or, if the end falls between blocks, at the end of the one before).
    block_ends = [end for _start, end in ranges]
    ends: dict[int, list[int]] = {}
    for note in work.notes:
        index = min(bisect.bisect_left(block_ends, note.end), len(ranges) - 1)
        if note.end <= ranges[index][0] and index > 0:
            index -= 1
        where = min(note.end, ranges[index][1])
        ends.setdefault(where, []).append(note.pk)
    tiled = segment_blocks(ranges, spans, cuts=ends)
    blocks = []
    starts = sorted(work.notes, key=lambda note: (note.start, note.pk))
    at = 0
    for (_start, end), kind, segments in zip(ranges, kinds, tiled, strict=True):
        parts = []
        for seg_start, seg_end, keys in segments:
            text = escape(doc.text[seg_start:seg_end]).replace("\n", "<br>")
            if keys:
                named = " ".join(f"n{numbers[key]}" for key in keys)
                parts.append(f'<mark data-notes="{named}">{text}</mark>')
            else:
                parts.append(text)
            parts.extend(
                f'<sup class="ref"><a href="#note-{numbers[pk]}" '
                f'id="ref-{numbers[pk]}">{numbers[pk]}</a></sup>'
                for pk in ends.pop(seg_end, [])
            )
        html = mark_safe("".join(parts))  # noqa: S308 (escaped above)
        block = Block(kind["kind"], kind.get("level", 0), html)
        while at < len(starts) and starts[at].start < end:
            block.notes.append(starts[at])
            at += 1
        blocks.append(block)
    if blocks:
        blocks[-1].notes.extend(starts[at:])
    return blocks


def _link_text(link, numbers: dict[int, int]) -> str:
    relation = link.relation.name
    if link.target_annotation_id is not None:
        number = numbers.get(link.target_annotation_id)
        other = f"note {number}" if number else "a passage of another document"
    elif link.target_document_id is not None:
        other = f"“{link.target_document.title}”"
    else:
        other = link.target_title or link.target_url
        if link.target_title:
            other = f"{link.target_title} ({link.target_url})"
    return f"{relation}: {other}"
