"""A kept rendering brought up to date block by block is the rendering drawn
anew: after every kind of change, for every class of reader and both modes."""

from __future__ import annotations

import json
import random
import re

import pytest

from annotations import rendering, services
from annotations.models import Annotation, Status, Tag, Visibility
from corpus.importers import Block
from corpus.models import Document, content_hash
from corpus.roles import Role
from corpus.signals import premoderation_changed
from tests.factories import make_user

WORDS = [
    "tunnel",
    "mile",
    "escape",
    "prison",
    "night",
    "guard",
    "river",
    "bridge",
    "border",
    "cartel",
]


def _document(project, rng: random.Random) -> Document:
    """Headings, paragraphs and runs of list items, with hyperlinks in the text."""
    parts, blocks, links, pos = [], [], [], 0
    kinds = ["heading"] + ["paragraph"] * 3 + ["list_item"] * 3 + ["paragraph"] * 3
    for index, kind in enumerate(kinds * 2):
        text = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 14)))
        blocks.append(Block(kind, pos, pos + len(text), 2 if kind == "heading" else 0))
        if index % 4 == 1:
            word = text.index(" ") + 1
            links.append(
                {"start": pos + word, "end": pos + word + 4, "url": "https://ex.org/"}
            )
        parts.append(text)
        pos += len(text) + 2
    text = "\n\n".join(parts)
    return Document.objects.create(
        project=project,
        title="Rendered",
        text=text,
        blocks=[block.as_dict() for block in blocks],
        links=links,
        format="plain",
        original=text.encode(),
        content_hash=content_hash(text),
    )


def _selection(document: Document, rng: random.Random) -> dict:
    """A passage within one block, or across two."""
    first = rng.randrange(len(document.blocks) - 1)
    last = first + rng.choice([0, 1])
    start_block, end_block = document.blocks[first], document.blocks[last]
    start = rng.randrange(start_block["start"], start_block["end"] - 1)
    end = rng.randrange(max(start + 1, end_block["start"] + 1), end_block["end"] + 1)
    return {"start": start, "end": end, "exact": document.text[start:end]}


def _change(rng, document, members, project) -> str:
    """One change, of a kind picked at random: what it was."""
    live = list(Annotation.objects.filter(document=document, deleted_at__isnull=True))
    kind = rng.choice(
        ["create"] * 4 + ["edit", "delete", "status", "rename", "premoderation"]
    )
    if kind != "create" and not live:
        kind = "create"
    author = rng.choice([members[role] for role in ("annotator", "curator", "owner")])
    if kind == "create":
        services.create_annotation(
            document=document,
            author=author,
            tags=rng.sample(["place", "person", "event"], rng.randint(0, 2)),
            visibility=rng.choice([Visibility.PROJECT] * 3 + [Visibility.PRIVATE]),
            **_selection(document, rng),
        )
    elif kind == "edit":
        note = rng.choice(live)
        services.update_annotation(
            annotation=note,
            editor=note.author,
            version=note.version,
            body="Edited.",
            tags=rng.sample(["place", "person", "event", "date"], rng.randint(0, 3)),
            visibility=rng.choice([Visibility.PROJECT, Visibility.PRIVATE]),
        )
    elif kind == "delete":
        note = rng.choice(live)
        services.delete_annotation(annotation=note, by=note.author)
    elif kind == "status":
        services.set_status(
            annotation=rng.choice(live),
            by=members["curator"],
            status=rng.choice([Status.APPROVED, Status.REJECTED]),
            reason="Checked.",
        )
    elif kind == "rename":
        tag = Tag.objects.filter(project=project).order_by("?").first()
        if tag is None:
            return _change(rng, document, members, project)
        services.rename_tag(tag=tag, name=f"{tag.name[:20]}-{rng.randrange(99)}")
    else:
        project.premoderation = not project.premoderation
        project.save()
        premoderation_changed.send(sender=type(project), project=project)
    return kind


def _seen(text: rendering.RenderedText) -> tuple:
    labels = re.search(r">(.*)</script>", text.labels_script, re.S).group(1)
    return (
        text.body.decode(),
        json.loads(labels),
        text.annotation_count,
        text.tag_choices,
    )


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_kept_rendering_brought_up_to_date_is_the_one_drawn_anew(
    project, members, seed, monkeypatch
):
    rng = random.Random(seed)
    document = _document(project, rng)
    readers = [members[role.value] for role in Role]
    readers.append(make_user("second-annotator", project=project, role=Role.ANNOTATOR))
    memberships = [
        project.memberships.select_related("project").get(user=reader)
        for reader in readers
    ]
    updated = []
    brought = rendering._brought_up_to_date
    monkeypatch.setattr(
        rendering,
        "_brought_up_to_date",
        lambda *args: updated.append(brought(*args)) or updated[-1],
    )
    for step in range(40):
        kind = _change(rng, document, members, project)
        # As a request reads it: with its counters as they are now.
        document = Document.objects.get(pk=document.pk)
        for membership in memberships:
            membership.project.refresh_from_db()
            for approved_only in (False, True):
                kept = rendering.rendered_text(membership, document, approved_only)
                fresh = rendering.rendered_text(
                    membership, document, approved_only, kept=False
                )
                assert _seen(kept) == _seen(fresh), (step, kind, membership.role)
    # Most changes were carried into the kept renderings, not drawn anew.
    assert sum(made is not None for made in updated) > len(updated) / 2


def test_a_text_quoting_the_markup_is_spliced_in_the_right_place(project, members):
    """A block's text may read like the element of another block: the splice
    finds elements by their opening "<", which no text holds unescaped."""
    # The first block quotes the second's id and start (60).
    first = "Look at the markup of blocks here" + ' id="b60" data-start="60"'
    second = "The tunnel was a mile long."
    text = f"{first}\n\n{second}"
    assert text.index(second) == 60 and 'id="b60" data-start="60"' in first
    document = Document.objects.create(
        project=project,
        title="Quoting",
        text=text,
        blocks=[
            Block("paragraph", 0, len(first)).as_dict(),
            Block("paragraph", 60, 60 + len(second)).as_dict(),
        ],
        links=[],
        format="plain",
        original=text.encode(),
        content_hash=content_hash(text),
    )
    membership = project.memberships.select_related("project").get(
        user=members["viewer"]
    )
    rendering.rendered_text(membership, document, False)
    services.create_annotation(
        document=document,
        author=members["annotator"],
        start=64,
        end=70,
        exact="tunnel",
    )
    document = Document.objects.get(pk=document.pk)
    kept = rendering.rendered_text(membership, document, False)
    fresh = rendering.rendered_text(membership, document, False, kept=False)
    assert _seen(kept) == _seen(fresh)
    assert kept.body.count(b"<mark") == 1
