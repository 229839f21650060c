"""Writing a backup: the project's tables as a zip, streamed in pieces.

Memory stays flat: rows are read a batch at a time by id and written as they
come; only the ids written (to leave out references to rows that were not) and
the people named are kept.

The rows are those whose ids existed when the writing began: a note or reply
added meanwhile is in the next backup, and never half in this one. The
manifest, written last, lists each entry's SHA-256 and signs them with the
server's key, so a restore through the web can trust that this server wrote it
(`restore.restore(trusted=False)`).
"""

from __future__ import annotations

import array
import bisect
import datetime
import hashlib
import json
from collections.abc import Callable, Iterator

from django.contrib.auth import get_user_model
from django.core import signing
from django.utils import timezone

from annotations.backup.tables import (
    FORMAT,
    MANIFEST,
    NAMED,
    ORIGINALS,
    PROJECT,
    PROJECT_TABLE,
    TABLES,
    USER,
    USER_FIELDS,
    USERS,
    VERSION,
    Table,
)
from annotations.zipstream import ZipStream
from corpus.models import Document, Membership, Project

SIGNING_SALT = "apparatus.backup"


def write(
    project: Project,
    *,
    membership: Membership | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Iterator[bytes]:
    """The backup of `project` as pieces of a zip file: everything, or what
    `membership`'s member may see (their backup from the project's settings
    leaves out others' private notes, as every page does). `progress` hears of
    the rows written and of all there are, batch by batch."""
    writer = _Writer(project, membership, progress)
    yield from writer.pieces()


def signature(manifest: dict) -> str:
    """The server's signature of a manifest (without its own signature)."""
    body = {key: value for key, value in manifest.items() if key != "signature"}
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=True)
    return signing.Signer(salt=SIGNING_SALT).signature(canonical)


def _json_value(value):
    if isinstance(value, datetime.datetime | datetime.date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} has no place in a backup")


def _line(row: dict) -> bytes:
    return (json.dumps(row, ensure_ascii=False, default=_json_value) + "\n").encode()


class _Ids:
    """Ids written, in the ascending order they are written in: an array of
    8 bytes each (100,000 notes: 0.8 MB, where a set takes 7 MB)."""

    def __init__(self) -> None:
        self.ids = array.array("q")

    def add(self, pk: int) -> None:
        self.ids.append(pk)

    def __contains__(self, pk: int) -> bool:
        at = bisect.bisect_left(self.ids, pk)
        return at < len(self.ids) and self.ids[at] == pk

    def __iter__(self):
        return iter(self.ids)


class _Writer:
    def __init__(
        self,
        project: Project,
        membership: Membership | None,
        progress: Callable[[int, int], None] | None = None,
    ) -> None:
        self.project = project
        self.membership = membership
        self.progress = progress
        self.done = self.total = 0
        self.stream = ZipStream()
        # Each entry's SHA-256 and size, for the manifest.
        self.digests: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.counts: dict[str, int] = {}
        # Archive ids written of the tables others name: a reference to a row
        # left out (another's private note, a row newer than the backup) is
        # not kept.
        self.written: dict[str, _Ids] = {}
        self.usernames: dict[int, str] = {}
        self.people: list[dict] = []
        # The newest id of each table when the writing began.
        self.bounds = {
            table.name: table.model._base_manager.order_by("-pk")
            .values_list("pk", flat=True)
            .first()
            or 0
            for table in TABLES
        }

    def pieces(self) -> Iterator[bytes]:
        if self.progress is not None:
            self.total = sum(self._rows(table).count() for table in TABLES)
        for table in TABLES:
            yield from self._table(table)
        yield from self._originals()
        project_row = self._project_row()
        self._entry(PROJECT, json.dumps(project_row, default=_json_value))
        self._entry(USERS, json.dumps(self.people, ensure_ascii=False))
        manifest = {
            "format": FORMAT,
            "version": VERSION,
            "written_at": timezone.now().isoformat(),
            "project": {"name": self.project.name, "slug": self.project.slug},
            # A member's backup: what they see, not everything.
            "seen_by": (
                None if self.membership is None else self.membership.user.username
            ),
            "counts": self.counts,
            "entries": self.digests,
            "sizes": self.sizes,
        }
        manifest["signature"] = signature(manifest)
        self.stream.write(MANIFEST, json.dumps(manifest, indent=1))
        yield self.stream.close()

    def _entry(self, name: str, text: str) -> None:
        data = text.encode()
        self._listed(name, hashlib.sha256(data).hexdigest(), len(data))
        self.stream.write(name, data)

    def _listed(self, name: str, digest: str, size: int) -> None:
        self.digests[name], self.sizes[name] = digest, size

    def _rows(self, table: Table):
        rows = table.model._base_manager.filter(
            **{table.project_path: self.project}, pk__lte=self.bounds[table.name]
        )
        if self.membership is not None and table.seen is not None:
            rows = rows.filter(table.seen(self.membership))
        return rows.order_by("pk")

    def _table(self, table: Table) -> Iterator[bytes]:
        names = [item.name for item in table.fields]
        attnames = [item.attname for item in table.fields]
        nullable = {item.name for item in table.fields if item.null}
        rows, last, count = self._rows(table), 0, 0
        written = self.written.setdefault(table.name, _Ids())
        keep = table.name in NAMED
        if table.name in table.refs.values():
            # A row may name one written after it (a tag's parent made later):
            # all the table's ids first (in order, as the rows come).
            for pk in rows.values_list("pk", flat=True):
                written.add(pk)
            keep = False
        digest, size = hashlib.sha256(), 0
        with self.stream.open(table.entry) as out:
            while True:
                batch = list(
                    rows.filter(pk__gt=last).values_list("pk", *attnames)[: table.batch]
                )
                if not batch:
                    break
                last = batch[-1][0]
                many = self._many(table, [row[0] for row in batch])
                self._know_people(table, batch)
                for values in batch:
                    row = self._row(table, names, nullable, values[1:])
                    if row is None:
                        continue
                    for name, ids in many.items():
                        row[name] = ids.get(values[0], [])
                    data = _line(row)
                    digest.update(data)
                    size += len(data)
                    out.write(data)
                    if keep:
                        written.add(values[0])
                    count += 1
                if self.progress is not None:
                    self.done += len(batch)
                    self.progress(self.done, self.total)
                if self.stream.full:
                    yield self.stream.take()
        self._listed(table.entry, digest.hexdigest(), size)
        self.counts[table.name] = count
        if self.stream.full:
            yield self.stream.take()

    def _row(self, table: Table, names, nullable, values) -> dict | None:
        """The row as written, or None when it names a row left out and cannot
        do without it."""
        row = {}
        for name, value in zip(names, values, strict=True):
            target = table.refs.get(name)
            if value is not None and target == USER:
                value = self.usernames[value]
            elif (
                value is not None
                and target is not None
                and value not in self.written[target]
            ):
                if name not in nullable:
                    return None
                value = None
            row[name] = value
        return row

    def _many(self, table: Table, pks: list[int]) -> dict[str, dict[int, list[int]]]:
        """{field: {row id: [ids it points to, in order]}} for a batch."""
        found = {}
        for name, target in table.many.items():
            relation = table.model._meta.get_field(name)
            through = relation.remote_field.through
            source = f"{relation.m2m_field_name()}_id"
            target_column = f"{relation.m2m_reverse_field_name()}_id"
            ids: dict[int, list[int]] = {}
            pairs = (
                through.objects.filter(**{f"{source}__in": pks})
                .order_by(source, target_column)
                .values_list(source, target_column)
            )
            for row_id, other in pairs:
                if other in self.written[target]:
                    ids.setdefault(row_id, []).append(other)
            found[name] = ids
        return found

    def _know_people(self, table: Table, batch) -> None:
        """Read the usernames of the people a batch names, once each."""
        columns = [
            index + 1
            for index, item in enumerate(table.fields)
            if table.refs.get(item.name) == USER
        ]
        wanted = {row[column] for row in batch for column in columns} - {None}
        unknown = wanted - self.usernames.keys()
        if not unknown:
            return
        for row in (
            get_user_model()
            ._base_manager.filter(pk__in=unknown)
            .values("pk", *USER_FIELDS)
        ):
            self.usernames[row.pop("pk")] = row["username"]
            self.people.append(row)

    def _originals(self) -> Iterator[bytes]:
        """Each document's upload as it came, one entry each, a few at a time."""
        for pk in self.written["documents"]:
            original = (
                Document.all_objects.filter(pk=pk)
                .values_list("original", flat=True)
                .first()
            )
            data = b"" if original is None else bytes(original)
            name = f"{ORIGINALS}{pk}"
            self._listed(name, hashlib.sha256(data).hexdigest(), len(data))
            self.stream.write(name, data)
            if self.stream.full:
                yield self.stream.take()

    def _project_row(self) -> dict:
        table = PROJECT_TABLE
        attnames = [item.attname for item in table.fields]
        values = Project.objects.filter(pk=self.project.pk).values_list(
            "pk", *attnames
        )[0]
        self._know_people(table, [values])
        names = [item.name for item in table.fields]
        return self._row(table, names, set(), values[1:])
