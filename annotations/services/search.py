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

import sqlite3
from collections import Counter
from collections.abc import Callable, Iterable, Iterator

from django.db import IntegrityError, connection, models, transaction
from django.db.models import F, Q, QuerySet, Sum

from annotations.models import (
    Annotation,
    Reply,
    SearchEntry,
    SearchKind,
    SearchTally,
    SearchWord,
    Tag,
)
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


# Rows a statement of write() inserts at most (14 values each), fewer if the
# database takes fewer parameters (_parameters_at_most).
ROWS_A_STATEMENT = 2000


def _parameters_at_most() -> int:
    """How many parameters a statement may take: SQLite says (32,766 since
    3.32, 999 before, as it was built); PostgreSQL takes 65,535."""
    if connection.vendor == "sqlite":
        connection.ensure_connection()
        return connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER)
    return 65_535


def write(entries: Iterable[SearchEntry | dict]) -> int:
    """Entries (or rows of their values by attribute name, the others left
    to their defaults) made in bulk; return how many. Each statement inserts
    up to ROWS_A_STATEMENT rows, with none of bulk_create's preparing of each
    value through its field. On SQLite the FTS5 table writes what a statement
    gave it at the statement's end, so their number counts: the 2,171 entries
    of a 1 MB text took 0.17 s in bulk_create's 31 statements (71 rows each:
    Django's limit of 999 parameters), 0.37 s one row a statement, 0.05 s
    here. On PostgreSQL the values go as one array a column (UNNEST)."""
    fields = [
        field for field in SearchEntry._meta.concrete_fields if field.column != "id"
    ]
    datetimes = [
        at for at, field in enumerate(fields) if isinstance(field, models.DateTimeField)
    ]
    quote = connection.ops.quote_name
    into = (
        f"INSERT INTO {quote(SearchEntry._meta.db_table)} "  # noqa: S608
        f"({', '.join(quote(field.column) for field in fields)}) VALUES "
    )
    row_marks = "(" + ", ".join(["%s"] * len(fields)) + ")"
    adapt = connection.ops.adapt_datetimefield_value
    defaults = [(field.attname, field.get_default()) for field in fields]
    at_most = min(ROWS_A_STATEMENT, _parameters_at_most() // len(fields))
    made = 0

    if connection.vendor == "postgresql":
        # One array a column, whatever the number of rows (as Django's own
        # bulk_create does there): a statement of 28,000 parameters costs
        # PostgreSQL more to read than the rows to write.
        arrays = ", ".join(f"%s::{field.db_type(connection)}[]" for field in fields)
        into = into.replace(" VALUES ", f" SELECT * FROM UNNEST({arrays})")  # noqa: S608

        def insert(cursor, rows: list[list]) -> None:
            cursor.execute(into, [list(column) for column in zip(*rows, strict=True)])

    else:

        def insert(cursor, rows: list[list]) -> None:
            values = [value for row in rows for value in row]
            cursor.execute(into + ", ".join([row_marks] * len(rows)), values)

    rows: list[list] = []
    with connection.cursor() as cursor:
        for entry in entries:
            if isinstance(entry, dict):
                row = [entry.get(name, default) for name, default in defaults]
            else:
                row = [getattr(entry, field.attname) for field in fields]
            for at in datetimes:
                if row[at] is not None:
                    row[at] = adapt(row[at])
            rows.append(row)
            if len(rows) == at_most:
                insert(cursor, rows)
                made, rows = made + len(rows), []
        if rows:
            insert(cursor, rows)
    return made + len(rows)


def _entry(kind: str, project_id: int, text: str, **refs) -> SearchEntry:
    return SearchEntry(
        kind=kind, project_id=project_id, text=text, words=indexed(text), **refs
    )


def document_entries(document: Document, *, text: bool = True) -> list[dict]:
    """The document's entries as write() takes them: its title and
    metadata's, and (`text`) each piece of its text's, as rows of values (the
    2,171 model instances of a 1 MB text cost 30 ms)."""
    metadata = _metadata(document)
    entries = [
        {
            "project_id": document.project_id,
            "document_id": document.pk,
            "in_trash": document.trashed_at is not None,
            "kind": SearchKind.DOCUMENT,
            "text": metadata,
            "words": indexed(metadata),
        }
    ]
    if text:
        entries += [
            _text_row(document, start, piece) for start, piece in _text_pieces(document)
        ]
    return entries


def _text_pieces(document: Document) -> list[tuple[int, str]]:
    """The pieces of the document's text its entries hold: (start, text)."""
    whole = document.text
    blocks = document.blocks or [{"start": 0, "end": len(whole)}]
    return [
        (start, whole[start:end])
        for block in blocks
        for start, end in _pieces(whole, block["start"], block["end"])
    ]


def _text_row(document: Document, start: int, piece: str) -> dict:
    """A text entry as write() takes it."""
    return {
        "project_id": document.project_id,
        "document_id": document.pk,
        "in_trash": document.trashed_at is not None,
        "kind": SearchKind.TEXT,
        "start": start,
        "text": piece,
        "words": indexed(piece),
    }


def reindex_text(document: Document) -> None:
    """After a revision of the document's text: its text's entries made again
    where the text changed only. A piece whose text stands unchanged keeps its
    entry (moved along by one statement for all those moved alike); the
    others are made anew, and the entries of text that went are deleted. The
    same entries as index_document's, without folding and indexing a whole
    text again for a paragraph corrected."""
    old: dict[str, list[tuple[int, int]]] = {}
    for pk, start, text in (
        SearchEntry.objects.filter(document_id=document.pk, kind=SearchKind.TEXT)
        .order_by("start", "pk")
        .values_list("pk", "start", "text")
    ):
        old.setdefault(text, []).append((pk, start))
    moved: dict[int, list[int]] = {}
    made = []
    for start, text in _text_pieces(document):
        same = old.get(text)
        if same:
            pk, was = same.pop(0)
            if was != start:
                moved.setdefault(start - was, []).append(pk)
            continue
        made.append(_text_row(document, start, text))
    gone = [pk for left in old.values() for pk, _start in left]
    # Folded only if the project keeps a word (tally_texts reads them then).
    gone_words = (indexed(text) for text, left in old.items() for _pk in left)
    for at in range(0, len(gone), BATCH):
        SearchEntry.objects.filter(pk__in=gone[at : at + BATCH]).delete()
    for delta, pks in moved.items():
        for at in range(0, len(pks), BATCH):
            SearchEntry.objects.filter(pk__in=pks[at : at + BATCH]).update(
                start=F("start") + delta
            )
    write(made)
    tally_texts(document, _texts_words(made), gone_words)


def index_document(*, document: Document, text_changed: bool = True, **_signal) -> None:
    """A document's entries made again (its text's too when it changed)."""
    kinds = [SearchKind.DOCUMENT] + ([SearchKind.TEXT] if text_changed else [])
    SearchEntry.objects.filter(document_id=document.pk, kind__in=kinds).delete()
    entries = document_entries(document, text=text_changed)
    write(entries)
    if text_changed:
        tally_texts(document, _texts_words(entries), anew=True)


def _texts_words(entries: list[dict]) -> list[str]:
    return [row["words"] for row in entries if row["kind"] == SearchKind.TEXT]


def _note_text(annotation: Annotation) -> str:
    return f"{annotation.exact}\n\n{annotation.body}".rstrip()


# What an entry of a note (or of a reply to it) copies of the note for the
# visibility rule (SearchEntry.author ...; triggers keep it current).
SEEN_AS = ("author_id", "visibility", "status", "deleted_at", "in_trash", "anchoring")


def _seen_as(annotation: Annotation) -> dict:
    return {name: getattr(annotation, name) for name in SEEN_AS}


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
    write(note_entry(annotation) for annotation in annotations)


def reindex_notes(annotations: list[Annotation]) -> None:
    """Notes whose quote or text changed, in bulk (a revision of the text
    edits hundreds): their entries made anew, in two statements rather than
    one UPDATE a note."""
    SearchEntry.objects.filter(
        kind=SearchKind.NOTE, annotation_id__in=[note.pk for note in annotations]
    ).delete()
    index_notes(annotations)


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
        writer_id=reply.author_id,
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
        # The words kept go with their counts; searches keep them again.
        SearchWord.objects.filter(project=project).delete()
        SearchEntry.objects.filter(project=project).delete()
        documents = Document.all_objects.filter(project=project).order_by("pk")
        total = documents.count()
        for done, document in enumerate(documents.iterator(chunk_size=20), 1):
            entries = document_entries(document)
            made += write(entries)
            if progress is not None:
                progress(project.slug, done, total)
        made += write(
            note_entry(note)
            for note in Annotation.objects.filter(project=project).iterator(2000)
        )
        made += write(
            reply_entry(reply, reply.annotation)
            for reply in Reply.objects.filter(annotation__project=project)
            .select_related("annotation")
            .only(
                "pk",
                "body",
                "author_id",
                "deleted_at",
                "annotation_id",
                "annotation__project_id",
                "annotation__document_id",
                *(f"annotation__{name}" for name in SEEN_AS),
            )
            .iterator(2000)
        )
        made += write(
            _entry(SearchKind.TAG, project.pk, tag.name, tag_id=tag.pk)
            for tag in Tag.objects.filter(project=project)
        )
    return made


# A word (or phrase) is kept (its facets' counts tallied, SearchTally) once a
# search counts this many entries holding it: its tally is read in 8-13 ms
# however common it is, where counting takes about 4 ms a thousand entries
# (on the bench's corpus, SQLite: "heroin", 4,744 entries, 19 ms counted, 8
# from its tally; "mexico", 89,278: 133 and 13 ms). At most
# WORDS_KEPT_AT_MOST a project, the commonest searched (keep_word): every
# write of a note adds to the rows of each kept word it holds.
TALLY_FROM = 5_000
WORDS_KEPT_AT_MOST = 64
# PostgreSQL: the advisory lock's class that keeps a project's entries still
# while a word is kept (as migration 0024's triggers take it).
TALLY_LOCK = 7_136_501


def _kept_words(project_id: int) -> dict[str, int]:
    return dict(
        SearchWord.objects.filter(project_id=project_id).values_list("word", "pk")
    )


def tally_texts(
    document: Document,
    added: Iterable[str],
    gone: Iterable[str] = (),
    *,
    anew: bool = False,
) -> None:
    """The kept words' counts of the document's texts: its text entries'
    words `added` and `gone` (`anew`: the counts made again from `added`).
    The texts are tallied here rather than by the triggers that tally the
    other entries (migration 0022): an import writes thousands of them at
    once. Called after the entries are written, so that on PostgreSQL a word
    kept at the same time (keep_word, which waits for the writes to the
    entries to end) is either read here or counts them itself."""
    kept = _kept_words(document.project_id)
    if not kept:
        return
    counts: Counter[str] = Counter()
    held = _holder(kept)
    for entry in added:
        counts.update(held(entry))
    for entry in gone:
        counts.subtract(held(entry))
    counted = SearchTally.objects.filter(
        word_id__in=kept.values(),
        access=SearchTally.EVERYONE,
        owner_id=0,
        part=SearchTally.KINDS,
        kind=SearchKind.TEXT,
        document_id=document.pk,
    )
    if anew:
        counted.delete()
    rows = [(kept[word], n) for word, n in counts.items() if n]
    if not rows:
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {SearchTally._meta.db_table} "  # noqa: S608
            f"({TALLY_KEY}, n) VALUES "
            + ", ".join(["(%s, 0, 0, 0, %s, %s, 0, '', 0, %s)"] * len(rows))
            + f" ON CONFLICT ({TALLY_KEY}) DO UPDATE SET "
            f"n = {SearchTally._meta.db_table}.n + excluded.n",
            [
                value
                for word_id, n in rows
                for value in (word_id, SearchKind.TEXT, document.pk, n)
            ],
        )


def _holder(kept: dict[str, int]) -> Callable[[str], set[str]]:
    """What finds the kept words (and phrases: words in a row) an entry's
    `words` hold, as the triggers find them (migration 0022)."""
    single = {word for word in kept if " " not in word}
    phrases = [f" {word} " for word in kept if " " in word]

    def held(words: str) -> set[str]:
        found = single & set(words.split())
        if phrases:
            padded = f" {words} "
            found.update(phrase[1:-1] for phrase in phrases if phrase in padded)
        return found

    return held


TALLY_KEY = (
    "word_id, access, owner_id, part, kind, document_id, author_id, status, tag_id"
)
# Who may see an entry (SearchTally.access), as migration 0022's triggers say.
_ACCESS = (
    "(CASE WHEN e.kind IN ('text', 'document') OR (e.visibility = 'project' "
    "AND e.status = 'approved') THEN 0 "
    "WHEN e.visibility = 'project' THEN 1 ELSE 2 END)"
)
_OWNER = (
    f"(CASE WHEN o.agg = 1 OR {_ACCESS} = 0 THEN 0 ELSE COALESCE(e.author_id, -1) END)"
)


def keep_word(project_id: int, word: str, holding: QuerySet, entries: int = 0) -> bool:
    """Keep the word's (or phrase's) facets' counts from now on: tally the live
    entries `holding` it (the project's, by the engine) and let the triggers
    keep the tally current. A project that keeps as many words as it may drops
    its least common one (its entries counted again from its tally) for a
    commoner (`entries`, as the search counted them). Return whether it is
    kept. On PostgreSQL the project is locked (TALLY_LOCK, EXCLUSIVE) against
    another keeper and against the writes to its entries and tag links, whose
    triggers lock it SHARED (migration 0024): its entries are read once no
    write is under way, and the writes after see the word. On SQLite the word
    written first takes the one writer's lock."""
    words = SearchWord.objects.filter(project_id=project_id)
    if words.filter(word=word).exists():
        return True
    least = _least_common(words)
    if least is not None and least.entries >= entries:
        return False  # Full of commoner words (asked again under the lock).
    entries_sql, params = holding.values("pk").query.sql_with_params()
    links = Annotation.tags.through._meta.db_table
    tally = SearchTally._meta.db_table
    kept = f"(SELECT 0 AS agg UNION ALL SELECT 1) o WHERE (o.agg = 0 OR {_ACCESS} = 1)"
    try:
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute(
                        "SELECT pg_advisory_xact_lock(%s, (%s %% 2147483647)::integer)",
                        [TALLY_LOCK, project_id],
                    )
            kept_word = SearchWord.objects.create(
                project_id=project_id, word=word, entries=entries
            )
            least = _least_common(words.exclude(pk=kept_word.pk))
            if least is not None:
                if least.entries >= entries:
                    raise _Full
                # Its tally goes with it (migration 0022's trigger).
                least.delete()
            with connection.cursor() as cursor:
                cursor.execute(
                    f"WITH e AS (SELECT id, kind, document_id, author_id, "  # noqa: S608
                    f"writer_id, visibility, status, annotation_id FROM "
                    f"{SearchEntry._meta.db_table} WHERE id IN ({entries_sql}) "
                    "AND kind IN ('text', 'document', 'note', 'reply') "
                    "AND (kind = 'text' OR (deleted_at IS NULL AND NOT in_trash "
                    "AND anchoring = 'anchored'))) "
                    f"INSERT INTO {tally} ({TALLY_KEY}, n) "
                    f"SELECT %s, access, owner_id, part, kind, document_id, "
                    "author_id, status, tag_id, COUNT(*) FROM ("
                    f"SELECT {_ACCESS} AS access, {_OWNER} AS owner_id, 0 AS part, "
                    "e.kind AS kind, COALESCE(e.document_id, 0) AS document_id, "
                    "0 AS author_id, '' AS status, 0 AS tag_id "
                    f"FROM e, {kept} "
                    f"UNION ALL SELECT {_ACCESS}, {_OWNER}, 1, 'note', 0, "
                    f"COALESCE(e.writer_id, e.author_id, 0), e.status, 0 "
                    f"FROM e, {kept} AND e.kind IN ('note', 'reply') "
                    f"UNION ALL SELECT {_ACCESS}, {_OWNER}, 2, '', 0, 0, '', "
                    f"l.tag_id FROM e JOIN {links} l "
                    f"ON l.annotation_id = e.annotation_id, {kept}"
                    ") counted GROUP BY 2, 3, 4, 5, 6, 7, 8, 9",
                    [*params, kept_word.pk],
                )
    except IntegrityError:
        # Kept meanwhile by another search.
        pass
    except _Full:
        return False
    return True


def _least_common(words: QuerySet) -> SearchWord | None:
    """The least common of `words` when there are as many as a project may
    keep (a word must be commoner to take its place); else None. The
    RECOUNTED least common by their `entries` are counted again from their
    tallies (the live entries holding them: the rows of everyone, the sum of
    every author's unapproved notes, each author's private ones), and their
    `entries` set to that: a word kept early in a growing corpus is as common
    as it is now, and the next least common are counted next time."""
    if words.count() < WORDS_KEPT_AT_MOST:
        return None
    candidates = list(words.order_by("entries", "pk")[:RECOUNTED])
    now = dict(
        SearchTally.objects.filter(word__in=candidates, part=SearchTally.KINDS)
        .filter(
            Q(access__lt=SearchTally.PRIVATE, owner_id=0)
            | Q(access=SearchTally.PRIVATE)
        )
        .order_by()
        .values("word")
        .annotate(n=Sum("n"))
        .values_list("word", "n")
    )
    changed = []
    for word in candidates:
        counted = max(now.get(word.pk, 0), 0)
        if word.entries != counted:
            word.entries = counted
            changed.append(word)
    SearchWord.objects.bulk_update(changed, ["entries"])
    return min(candidates, key=lambda word: (word.entries, word.pk))


# How many of the least common words kept are counted again when a word
# might take the place of one (_least_common): their tally's rows are read
# (a common word's: about a document each).
RECOUNTED = 8


class _Full(Exception):
    """The project keeps as many words as it may, each commoner."""
