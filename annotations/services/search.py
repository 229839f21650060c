"""The search index kept current: each write that changes what a search may
find rewrites that piece's entries (models.SearchEntry), inside the write's own
transaction; `rebuild` makes them all again (manage.py rebuild_search_index).

What is indexed: each block of a document's text (a long one in pieces of
about CHUNK characters, cut between words), a document's title and metadata,
each note with its quote, each reply, each tag's name. Who may see what is the
search's to decide when it reads (annotations.search): the index holds
everything, private notes and the trash included, as the tables do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from annotations.models import Annotation, Reply, SearchEntry, SearchKind, Tag
from annotations.search_text import indexed
from corpus.models import Document, Project

# A block longer than this is indexed in pieces (an engine's positions and a
# keyword-in-context line both stay short).
CHUNK = 10_000
BATCH = 500


def _pieces(text: str, start: int, end: int) -> Iterator[tuple[int, int]]:
    """[start, end) in pieces of about CHUNK characters, cut at a space."""
    while end - start > CHUNK:
        cut = text.rfind(" ", start + CHUNK // 2, start + CHUNK)
        cut = start + CHUNK if cut == -1 else cut + 1
        yield start, cut
        start = cut
    if end > start:
        yield start, end


def _metadata(document: Document) -> str:
    parts = [
        document.title,
        ", ".join(document.authors),
        document.publisher,
        ", ".join(document.keywords),
    ]
    return "\n".join(part for part in parts if part)


def _entry(kind: str, project_id: int, text: str, **refs) -> SearchEntry:
    return SearchEntry(
        kind=kind, project_id=project_id, text=text, words=indexed(text), **refs
    )


def document_entries(document: Document, *, text: bool = True) -> list[SearchEntry]:
    in_trash = document.trashed_at is not None
    entries = [
        _entry(
            SearchKind.DOCUMENT,
            document.project_id,
            _metadata(document),
            document_id=document.pk,
            in_trash=in_trash,
        )
    ]
    if text:
        blocks = document.blocks or [{"start": 0, "end": len(document.text)}]
        for block in blocks:
            for start, end in _pieces(document.text, block["start"], block["end"]):
                entries.append(
                    _entry(
                        SearchKind.TEXT,
                        document.project_id,
                        document.text[start:end],
                        document_id=document.pk,
                        start=start,
                        in_trash=in_trash,
                    )
                )
    return entries


def index_document(*, document: Document, text_changed: bool = True, **_signal) -> None:
    """A document's entries made again (its text's too when it changed)."""
    kinds = [SearchKind.DOCUMENT] + ([SearchKind.TEXT] if text_changed else [])
    SearchEntry.objects.filter(document_id=document.pk, kind__in=kinds).delete()
    SearchEntry.objects.bulk_create(
        document_entries(document, text=text_changed), batch_size=BATCH
    )


def _note_text(annotation: Annotation) -> str:
    return f"{annotation.exact}\n\n{annotation.body}".rstrip()


SEEN_AS = (
    "project_id",
    "document_id",
    "author_id",
    "visibility",
    "status",
    "deleted_at",
    "in_trash",
)


def _seen_as(annotation: Annotation) -> dict:
    """What an entry of the note (or of a reply to it) copies of it for the
    visibility rule (SearchEntry.author ...; triggers keep it current)."""
    return {
        "author_id": annotation.author_id,
        "visibility": annotation.visibility,
        "status": annotation.status,
        "deleted_at": annotation.deleted_at,
        "in_trash": annotation.in_trash,
    }


def note_entry(annotation: Annotation) -> SearchEntry:
    return _entry(
        SearchKind.NOTE,
        annotation.project_id,
        _note_text(annotation),
        document_id=annotation.document_id,
        annotation_id=annotation.pk,
        **_seen_as(annotation),
    )


def index_note(annotation: Annotation, *, new: bool = False) -> None:
    """A note made (`new`) or its text edited: its entry (quote and note)."""
    if not new:
        text = _note_text(annotation)
        updated = SearchEntry.objects.filter(
            annotation_id=annotation.pk, kind=SearchKind.NOTE
        ).update(text=text, words=indexed(text))
        if updated:
            return
    note_entry(annotation).save()


def index_notes(annotations: list[Annotation]) -> None:
    """Notes made in bulk: their entries."""
    SearchEntry.objects.bulk_create(
        [note_entry(annotation) for annotation in annotations], batch_size=BATCH
    )


def reply_entry(reply: Reply, annotation: Annotation) -> SearchEntry:
    seen = _seen_as(annotation)
    seen["deleted_at"] = annotation.deleted_at or reply.deleted_at
    return _entry(
        SearchKind.REPLY,
        annotation.project_id,
        reply.body,
        document_id=annotation.document_id,
        annotation_id=reply.annotation_id,
        reply_id=reply.pk,
        **seen,
    )


def index_reply(reply: Reply, annotation: Annotation, *, new: bool = False) -> None:
    """A reply made (`new`) or edited: its entry."""
    if not new:
        updated = SearchEntry.objects.filter(
            reply_id=reply.pk, kind=SearchKind.REPLY
        ).update(text=reply.body, words=indexed(reply.body))
        if updated:
            return
    reply_entry(reply, annotation).save()


def index_tag(tag: Tag, *, new: bool = False) -> None:
    """A tag made (`new`) or renamed: its entry."""
    if not new:
        updated = SearchEntry.objects.filter(tag_id=tag.pk, kind=SearchKind.TAG).update(
            text=tag.name, words=indexed(tag.name)
        )
        if updated:
            return
    _entry(SearchKind.TAG, tag.project_id, tag.name, tag_id=tag.pk).save()


def rebuild(
    projects: Iterable[Project],
    progress: Callable[[str, int, int], None] | None = None,
) -> int:
    """Every entry of the projects made again; return how many. `progress`
    hears of each project's documents as they are done."""
    made = 0
    for project in projects:
        SearchEntry.objects.filter(project=project).delete()
        documents = Document.all_objects.filter(project=project).order_by("pk")
        total = documents.count()
        for done, document in enumerate(documents.iterator(chunk_size=20), 1):
            entries = document_entries(document)
            SearchEntry.objects.bulk_create(entries, batch_size=BATCH)
            made += len(entries)
            if progress is not None:
                progress(project.slug, done, total)
        made += _bulk(
            note_entry(note)
            for note in Annotation.objects.filter(project=project).iterator(2000)
        )
        made += _bulk(
            reply_entry(reply, reply.annotation)
            for reply in Reply.objects.filter(annotation__project=project)
            .select_related("annotation")
            .only(
                "pk",
                "body",
                "deleted_at",
                "annotation_id",
                *(f"annotation__{name}" for name in SEEN_AS),
            )
            .iterator(2000)
        )
        made += _bulk(
            _entry(SearchKind.TAG, project.pk, tag.name, tag_id=tag.pk)
            for tag in Tag.objects.filter(project=project)
        )
    return made


def _bulk(entries: Iterable[SearchEntry]) -> int:
    batch, made = [], 0
    for entry in entries:
        batch.append(entry)
        if len(batch) == BATCH:
            SearchEntry.objects.bulk_create(batch)
            made, batch = made + len(batch), []
    SearchEntry.objects.bulk_create(batch)
    return made + len(batch)
