"""Revising a document's text: the new text stored with what it replaced (a
TextRevision, from which every earlier text can be rebuilt), and every
annotation on it carried across in the same transaction (annotations.reanchor):
moved exactly, its quote edited, found again near by likeness, or kept as an
orphan. Also the orphans' own writes: reattached to a passage, or resolved.
"""

from __future__ import annotations

from collections import Counter

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models import Case, F, PositiveBigIntegerField, Value, When
from django.utils import timezone

from annotations import permissions, reanchor
from annotations.models import (
    Anchoring,
    Annotation,
    AnnotationEvent,
    EventKind,
    Visibility,
)
from annotations.permissions import Audience, audience_of
from annotations.services import search
from annotations.services.annotations import anchored, check_anchor
from annotations.services.revisions import bump_revision, record_change, stamps
from corpus.importers.assemble import count_words
from corpus.models import (
    Document,
    RevisionKind,
    TextRevision,
    content_hash,
)

REASON_MAX = 500


class StaleText(Exception):
    """The text was revised since the editor loaded it (`current`: the document
    as it is now)."""

    def __init__(self, current: Document):
        self.current = current
        super().__init__(
            "The text was revised by someone else since you opened it. "
            "Their text is shown; make your change to it again."
        )


def _reason(reason: str, missing: str = "Say why the text changes.") -> str:
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationError(missing, code="reason_required")
    if len(reason) > REASON_MAX:
        raise ValidationError(
            f"Keep the reason under {REASON_MAX} characters.", code="reason_long"
        )
    return reason


def _carried_links(
    old: str, new: str, links: list[dict], changes: list[reanchor.Change]
) -> list[dict]:
    """The source's hyperlinks on the new text: those whose text stands there
    still (moved or edited); a link whose text went goes with it."""
    outcomes = reanchor.carry(
        old,
        new,
        [reanchor.Passage(link["start"], link["end"]) for link in links],
        changes,
    )
    return [
        {**link, "start": outcome.start, "end": outcome.end}
        for link, outcome in zip(links, outcomes, strict=True)
        if outcome.fate in (reanchor.Fate.MOVED, reanchor.Fate.EDITED)
    ]


def _refuse_duplicate(current: Document, digest: str) -> None:
    """Refuse a text another document of the project has (the trash too: the
    database's uniqueness covers it), naming that document."""
    found = (
        Document.all_objects.filter(project_id=current.project_id, content_hash=digest)
        .exclude(pk=current.pk)
        .only("title", "trashed_at")
        .first()
    )
    if found is not None:
        where = " (in the trash)" if found.in_trash else ""
        raise ValidationError(
            f"“{found.title}”{where} already has exactly this text: a project "
            "holds a text once.",
            code="duplicate",
        )


def _check_blocks(text: str, blocks: list[dict]) -> None:
    """Blocks in order, each within the text (the importers' and text_edits'
    promise; anything else is a mistake in the caller)."""
    at = 0
    for block in blocks:
        if not at <= block["start"] < block["end"] <= len(text):
            raise ValueError(f"A block out of place: {block}")
        at = block["end"]


def _undo(old: str, changes: list[reanchor.Change]) -> list[list]:
    return [[c.new_start, c.new_end, old[c.start : c.end]] for c in changes]


def text_at(document: Document, number: int) -> tuple[str, list[dict], list[dict]]:
    """The document's text, blocks and links as they were at revision `number`
    (its current ones undone, newest revision first)."""
    if not 0 <= number <= document.text_revision:
        raise ValueError(f"No revision {number}")
    text, blocks, links = document.text, document.blocks, document.links
    if number == document.text_revision:
        return text, blocks, links
    revisions = TextRevision.objects.filter(
        document=document, number__gt=number, number__lte=document.text_revision
    )
    for (undo,) in revisions.order_by("-number").values_list("undo"):
        pieces, at = [], 0
        for start, end, before in undo:
            pieces += [text[at:start], before]
            at = end
        pieces.append(text[at:])
        text = "".join(pieces)
    # The structure of the oldest one undone only: each revision's is as
    # large as the document's, and decoding them all would cost a
    # millisecond a revision on a 1 MB text (bench/bench_revision_view.py).
    blocks, links = (
        revisions.filter(number=number + 1)
        .values_list("blocks_before", "links_before")
        .get()
    )
    return text, blocks, links


@transaction.atomic
def revise_text(
    *,
    document: Document,
    text: str,
    blocks: list[dict],
    editor: AbstractBaseUser,
    reason: str,
    base_revision: int | None,
    links: list[dict] | None = None,
    kind: str = RevisionKind.EDIT,
    restored_from: int | None = None,
    filename: str = "",
) -> TextRevision:
    """Store `text` (with its `blocks`; `links`: the new text's hyperlinks, or
    None to carry the old ones across) as the document's next revision, and
    carry every annotation on it across.

    `base_revision`: the revision the editor saw; StaleText when the text moved
    on since (None: no check, for scripts).
    """
    reason = _reason(reason)
    _check_blocks(text, blocks)
    # Not the file as uploaded (megabytes, and no revision reads it).
    current = (
        Document.objects.select_for_update()
        .defer("original")
        .filter(pk=document.pk)
        .first()
    )
    if current is None:
        raise ValidationError(
            "This document was moved to the trash: its text cannot change.",
            code="in_trash",
        )
    if base_revision is not None and current.text_revision != base_revision:
        raise StaleText(current)
    old = current.text
    if text == old and blocks == current.blocks:
        raise ValidationError("Nothing changed.", code="unchanged")
    digest = content_hash(text)
    if digest != current.content_hash:
        _refuse_duplicate(current, digest)
    changes = reanchor.diff(old, text)
    number = current.text_revision + 1
    carried = _carry_annotations(current, old, text, changes, editor, reason, number)
    revision = TextRevision.objects.create(
        document=current,
        number=number,
        author=editor,
        kind=kind,
        reason=reason,
        undo=_undo(old, changes),
        blocks_before=current.blocks,
        links_before=current.links,
        inserted=sum(c.new_end - c.new_start for c in changes),
        deleted=sum(c.end - c.start for c in changes),
        carried=carried,
        restored_from=restored_from,
        filename=filename[:255],
    )
    current.links = (
        _carried_links(old, text, current.links, changes) if links is None else links
    )
    current.text, current.blocks = text, blocks
    current.content_hash = digest
    current.word_count = count_words(text)
    current.text_revision = number
    current.updated_by = editor
    try:
        with transaction.atomic():
            current.save(
                update_fields=[
                    "text",
                    "blocks",
                    "links",
                    "content_hash",
                    "word_count",
                    "text_revision",
                    "updated_by",
                    "updated_at",
                ]
            )
    except IntegrityError:  # another document took the same text meanwhile
        _refuse_duplicate(current, digest)
        raise
    # The search follows: only the text that changed is indexed again (its
    # title and metadata did not change: corpus.signals.document_saved is
    # for those).
    search.reindex_text(current)
    document.__dict__.update(current.__dict__)
    return revision


def _carry_annotations(
    document: Document,
    old: str,
    new: str,
    changes: list[reanchor.Change],
    editor: AbstractBaseUser,
    reason: str,
    number: int,
) -> dict[str, int]:
    """Every annotation on the text (deleted ones too: they keep a true
    anchor) carried to `new`; what became of them, by fate.

    Every row whose anchor changed is stamped with the document's counters
    after this change, for those who see it (services.revisions): the
    margin's and the queue's kept entries, keyed by them, are drawn again."""
    rows = list(
        Annotation.objects.filter(document=document, anchoring=Anchoring.ANCHORED)
        .order_by()
        .values_list(
            "pk",
            "start",
            "end",
            "prefix",
            "suffix",
            "exact",
            "visibility",
            "status",
            "deleted_at",
        )
    )
    outcomes = reanchor.carry(
        old,
        new,
        [reanchor.Passage(row[1], row[2], row[3], row[4]) for row in rows],
        changes,
    )
    # What became of the live shared ones: what the revision's record says
    # (others' private notes, and deleted ones, are no one else's to count).
    fates: Counter[str] = Counter(
        outcome.fate.value
        for row, outcome in zip(rows, outcomes, strict=True)
        if row[6] == Visibility.PROJECT and row[8] is None
    )
    changed: list[tuple[tuple, dict | None]] = []  # (row, new anchor or None)
    events = []
    for row, outcome in zip(rows, outcomes, strict=True):
        pk, start, end, prefix, suffix, exact = row[:6]
        before = {"start": start, "end": end, "quote": exact, "revision": number - 1}
        if outcome.fate is reanchor.Fate.ORPHAN:
            changed.append((row, None))
            events.append(
                AnnotationEvent(
                    annotation_id=pk,
                    actor=editor,
                    kind=EventKind.ORPHANED,
                    before=before,
                    reason=reason,
                )
            )
            continue
        anchor = anchored(new, outcome.start, outcome.end)
        if (start, end, prefix, suffix, exact) != tuple(
            anchor[name] for name in ("start", "end", "prefix", "suffix", "exact")
        ):
            changed.append((row, anchor))
        if outcome.fate is not reanchor.Fate.MOVED:
            events.append(
                AnnotationEvent(
                    annotation_id=pk,
                    actor=editor,
                    kind=EventKind.REANCHORED,
                    before=before,
                    after={
                        "start": anchor["start"],
                        "end": anchor["end"],
                        "quote": anchor["exact"],
                        "revision": number,
                        "how": outcome.fate.value,
                    },
                    reason=reason,
                )
            )
    # Every reader's page learns that the text changed (its poll's token
    # moves); the longest passage is kept for the queries by position.
    counts = bump_revision(
        document.pk,
        Audience.EVERYONE,
        span=max(
            (anchor["end"] - anchor["start"] for _row, anchor in changed if anchor),
            default=0,
        ),
    )
    _write_changes(changed, counts, document.project.premoderation)
    AnnotationEvent.objects.bulk_create(events, batch_size=500)
    # A quote that changed is searched as it now reads.
    edited = [e.annotation_id for e in events if e.kind == EventKind.REANCHORED]
    for at in range(0, len(edited), 500):
        search.reindex_notes(
            list(Annotation.objects.filter(pk__in=edited[at : at + 500]))
        )
    return {fate.value: fates[fate.value] for fate in reanchor.Fate}


def _write_changes(changed: list[tuple[tuple, dict | None]], counts, premoderation):
    """The new anchors (None: an orphan), each row stamped for those who see
    it. Rows only moved along (the same quote and context, both edges by the
    same amount: most of a text after an edit) are moved a few hundred at a
    time by one statement; the others a statement each (executemany)."""
    shifted: dict[int, list[int]] = {}
    others = []
    for row, anchor in changed:
        pk, start, end, prefix, suffix, exact = row[:6]
        delta = anchor["start"] - start if anchor else None
        if (
            anchor
            and anchor["end"] - end == delta
            and (anchor["exact"], anchor["prefix"], anchor["suffix"])
            == (exact, prefix, suffix)
        ):
            shifted.setdefault(delta, []).append(pk)
        else:
            others.append((row, anchor))
    now = timezone.now()
    # Who sees each row (audience_of), as the one rule says it in SQL: the
    # curators (every shared note), and every member.
    shown, everyone = (
        permissions.annotation_rule(
            reader_id=None,
            sees_unapproved=sees,
            include_trash=True,
            include_deleted=True,
            include_orphans=True,
        )
        for sees in (True, not premoderation)
    )
    for delta, pks in shifted.items():
        for at in range(0, len(pks), 500):
            Annotation.objects.filter(pk__in=pks[at : at + 500]).update(
                start=F("start") + delta,
                end=F("end") + delta,
                revision=counts.every,
                shared_revision=Case(
                    When(shown, then=Value(counts.shared)),
                    default=F("shared_revision"),
                    output_field=PositiveBigIntegerField(),
                ),
                public_revision=Case(
                    When(everyone, then=Value(counts.public)),
                    default=F("public_revision"),
                    output_field=PositiveBigIntegerField(),
                ),
                updated_at=now,
            )
    _write_each(others, counts, premoderation, now)


def _write_each(changed, counts, premoderation, now) -> None:
    if not changed:
        return
    quote = connection.ops.quote_name
    table = quote(Annotation._meta.db_table)
    columns = ("start", "end", "exact", "prefix", "suffix")
    stamped = ("revision", "shared_revision", "public_revision")
    assignments = ", ".join(
        f"{quote(column)} = COALESCE(%s, {quote(column)})"
        for column in (*columns, *stamped, "anchoring")
    )
    values = []
    for row, anchor in changed:
        pk, visibility, status = row[0], row[6], row[7]
        # A counter its audience does not see stays as it is (None: COALESCE).
        stamp = stamps(
            counts,
            audience_of(
                visibility=visibility, status=status, premoderation=premoderation
            ),
        )
        values.append(
            [
                *(anchor[column] if anchor else None for column in columns),
                *(stamp.get(column) for column in stamped),
                None if anchor else Anchoring.ORPHAN.value,
                now,
                pk,
            ]
        )
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {table} SET {assignments}, "  # noqa: S608
            f"{quote('updated_at')} = %s WHERE id = %s",
            values,
        )


def _orphan_locked(annotation: Annotation) -> Annotation:
    current = (
        Annotation.objects.select_for_update()
        .filter(pk=annotation.pk, anchoring=Anchoring.ORPHAN)
        .first()
    )
    if current is None:
        raise ValidationError(
            "This annotation is no longer an orphan.", code="not_orphan"
        )
    return current


@transaction.atomic
def resolve_orphan(*, annotation: Annotation, actor: AbstractBaseUser, reason: str):
    """An orphan settled without a passage (`reason` required): off the
    Orphans panel, kept with its thread, on the record."""
    reason = _reason(reason, "Say why it is resolved.")
    current = _orphan_locked(annotation)
    Annotation.objects.filter(pk=current.pk).update(
        anchoring=Anchoring.RESOLVED, updated_at=timezone.now()
    )
    AnnotationEvent.objects.create(
        annotation_id=current.pk,
        actor=actor,
        kind=EventKind.RESOLVED,
        before={"quote": current.exact},
        reason=reason,
    )


@transaction.atomic
def reattach(
    *,
    annotation: Annotation,
    actor: AbstractBaseUser,
    start: int,
    end: int,
    exact: str,
    revision: int,
) -> Annotation:
    """An orphan put on text[start:end] of the current text (`revision`: the one
    the reader selected in; StaleText when the text moved on since)."""
    document = (
        Document.objects.select_for_update()
        .filter(pk=annotation.document_id)
        .only("pk", "text", "text_revision", "project_id")
        .first()
    )
    if document is None:
        raise ValidationError(
            "This document was moved to the trash: nothing on it can change.",
            code="in_trash",
        )
    if document.text_revision != revision:
        raise StaleText(document)
    check_anchor(text=document.text, start=start, end=end, exact=exact)
    current = _orphan_locked(annotation)
    anchor = anchored(document.text, start, end)
    columns = record_change(
        document.pk,
        audience_of(
            visibility=current.visibility,
            status=current.status,
            premoderation=annotation.project.premoderation,
        ),
        current.author_id,
        span=end - start,
    )
    Annotation.objects.filter(pk=current.pk).update(
        anchoring=Anchoring.ANCHORED, updated_at=timezone.now(), **anchor, **columns
    )
    AnnotationEvent.objects.create(
        annotation_id=current.pk,
        actor=actor,
        kind=EventKind.REATTACHED,
        before={"quote": current.exact},
        after={"start": start, "end": end, "quote": exact, "revision": revision},
    )
    current.__dict__.update(anchor)
    current.anchoring = Anchoring.ANCHORED
    search.index_note(current)
    return current
