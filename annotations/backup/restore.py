"""Restoring a backup as a new project, all or nothing.

Rows go in as they were written, timestamps and versions included (an insert
in "raw" mode, as Django's loaddata makes: no auto_now, no signals), each with
a new id; references follow through the ids the archive gave. People are
matched by username; one this server does not know is created inactive, with
no password, for an administrator to wake.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import json
import zipfile
from collections.abc import Callable, Iterator
from typing import IO

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection, models, transaction

from annotations.backup.archive import signature
from annotations.backup.tables import (
    FORMAT,
    MANIFEST,
    ORIGINALS,
    PROJECT,
    PROJECT_TABLE,
    TABLES,
    USER,
    USER_FIELDS,
    USERS,
    VERSION,
    ArchiveRefused,
    Table,
)
from annotations.models import Link
from annotations.services import search
from corpus.models import Membership, Project, ProjectEvent
from corpus.roles import Role

# The longest line a table may hold: a document of megabytes, with its blocks.
MAX_LINE = 256 * 1024 * 1024
MAX_MANIFEST = 16 * 1024 * 1024

Progress = Callable[[int, int], None]


def restore(
    source: str | IO[bytes],
    *,
    slug: str | None = None,
    name: str | None = None,
    owner=None,
    trusted: bool = True,
    progress: Progress | None = None,
    atomic: bool = True,
) -> Project:
    """Make a new project of the backup in `source` (a path or a binary file).

    `slug` and `name` replace the archived ones; `owner` becomes an owner of
    it. An archive not `trusted` (uploaded through the web) must carry this
    server's signature. Raises ArchiveRefused, storing nothing, when the archive
    cannot be restored whole.

    With `atomic` False, each batch is a transaction of its own (others may
    write meanwhile, and see the progress), and what was restored is removed
    again if the restore fails; the project shows in no one's list until its
    members come, last.
    """
    try:
        archive = zipfile.ZipFile(source)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError):
        raise ArchiveRefused(
            "This file is not an Apparatus backup: it is not a zip archive."
        ) from None
    with archive:
        manifest = read_manifest(archive, trusted=trusted)
        work = _Restore(archive, manifest, progress)
        try:
            with transaction.atomic() if atomic else contextlib.nullcontext():
                return work.run(
                    slug=slug or manifest["project"]["slug"], name=name, owner=owner
                )
        except Exception as error:
            if not atomic:
                work.undo()
            if isinstance(error, zipfile.BadZipFile | EOFError | UnicodeDecodeError):
                raise ArchiveRefused(f"The archive is damaged: {error}") from None
            if isinstance(error, DatabaseError):
                raise ArchiveRefused(
                    f"The database refused a row of the archive: {error}"
                ) from None
            raise


def read_manifest(archive: zipfile.ZipFile, *, trusted: bool = True) -> dict:
    """The archive's manifest, checked: the format, a version this server
    reads, and (unless `trusted`) this server's signature."""
    try:
        info = archive.getinfo(MANIFEST)
    except KeyError:
        raise ArchiveRefused(
            "This file is not an Apparatus backup: it has no manifest."
        ) from None
    if info.file_size > MAX_MANIFEST:
        raise ArchiveRefused("The archive's manifest is too large to be one.")
    try:
        manifest = json.loads(archive.read(MANIFEST))
    except (ValueError, zipfile.BadZipFile, EOFError):
        raise ArchiveRefused("The archive's manifest cannot be read.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ArchiveRefused("This file is not an Apparatus backup.")
    version = manifest.get("version")
    if not isinstance(version, int) or version < 1:
        raise ArchiveRefused("The archive does not say which version wrote it.")
    if version > VERSION:
        raise ArchiveRefused(
            f"This backup was written by a newer Apparatus (archive version "
            f"{version}); this server reads versions up to {VERSION}. Update "
            f"Apparatus, then restore it."
        )
    if not trusted and not hmac.compare_digest(
        str(manifest.get("signature", "")), signature(manifest)
    ):
        raise ArchiveRefused(
            "This backup was not written by this server (or was changed since), "
            "so it cannot be restored here through the web. An administrator can "
            "restore it with `manage.py import_project`."
        )
    if not isinstance(manifest.get("entries"), dict) or not isinstance(
        manifest.get("counts"), dict
    ):
        raise ArchiveRefused("The archive's manifest lists no contents.")
    if not trusted and not isinstance(manifest.get("sizes"), dict):
        raise ArchiveRefused("The archive's manifest does not give its sizes.")
    return manifest


class _Restore:
    def __init__(
        self, archive: zipfile.ZipFile, manifest: dict, progress: Progress | None
    ) -> None:
        self.archive = archive
        self.manifest = manifest
        self.progress = progress
        self.total = sum(
            count for count in manifest["counts"].values() if isinstance(count, int)
        )
        self.done = 0
        # Archive id -> new id, per table; username -> user id.
        self.ids: dict[str, dict[int, int]] = {}
        self.users: dict[str, int] = {}
        # What undo() removes: the people this restore created, the project.
        self.created: list[int] = []
        self.project: Project | None = None

    def run(self, *, slug: str, name: str | None, owner) -> Project:
        self._people()
        project = self._project(slug, name)
        for table in TABLES:
            self._table(table, project)
        # The search index is made, not restored: it follows from the rest.
        search.rebuild([project])
        if owner is not None:
            Membership.objects.update_or_create(
                project=project, user=owner, defaults={"role": Role.OWNER}
            )
        return project

    def undo(self) -> None:
        """Remove what a restore that failed half-way had stored."""
        with transaction.atomic():
            if self.project is not None and self.project.pk is not None:
                Link.objects.filter(project=self.project).delete()
                ProjectEvent.objects.filter(project=self.project).delete()
                Project.objects.filter(pk=self.project.pk).delete()
            get_user_model()._base_manager.filter(pk__in=self.created).delete()

    # -- reading ---------------------------------------------------------

    def _read(self, entry: str) -> bytes:
        """A small entry, whole, checked against the manifest."""
        data = self._open(entry).read()
        self._check(entry, hashlib.sha256(data).hexdigest())
        return data

    def _open(self, entry: str):
        """An entry to read, no larger than the manifest says (a file changed
        to unpack into gigabytes is refused before it is read)."""
        if entry not in self.manifest["entries"]:
            raise ArchiveRefused(f"The manifest does not list {entry}.")
        try:
            info = self.archive.getinfo(entry)
        except KeyError:
            raise ArchiveRefused(f"The archive has no {entry}.") from None
        sizes = self.manifest.get("sizes")
        if isinstance(sizes, dict) and info.file_size != sizes.get(entry):
            raise self._changed(entry)
        return self.archive.open(info)

    def _check(self, entry: str, digest: str) -> None:
        if not hmac.compare_digest(str(self.manifest["entries"][entry]), digest):
            raise self._changed(entry)

    @staticmethod
    def _changed(entry: str) -> ArchiveRefused:
        return ArchiveRefused(
            f"{entry} is not what the archive's manifest says it is: the "
            "archive is damaged or was changed."
        )

    def _lines(self, entry: str) -> Iterator[tuple[int, dict]]:
        """The rows of a table, numbered from 1, each checked to be an object."""
        digest = hashlib.sha256()
        with self._open(entry) as stream:
            number = 0
            while line := stream.readline(MAX_LINE):
                number += 1
                digest.update(line)
                if not line.endswith(b"\n"):
                    raise ArchiveRefused(f"{entry}, line {number}: cut short.")
                try:
                    row = json.loads(line)
                except ValueError:
                    raise ArchiveRefused(f"{entry}, line {number}: not JSON.") from None
                if not isinstance(row, dict):
                    raise ArchiveRefused(f"{entry}, line {number}: not a row.")
                yield number, row
        self._check(entry, digest.hexdigest())

    # -- writing ---------------------------------------------------------

    def _people(self) -> None:
        """Everyone the archive names, matched by username or created inactive."""
        people = json.loads(self._read(USERS))
        if not isinstance(people, list) or not all(
            isinstance(person, dict) and isinstance(person.get("username"), str)
            for person in people
        ):
            raise ArchiveRefused(f"{USERS} is not a list of people.")
        User = get_user_model()
        wanted = {person["username"]: person for person in people}
        known = dict(
            User._base_manager.filter(username__in=wanted).values_list("username", "pk")
        )
        missing = []
        for username, person in wanted.items():
            if username in known:
                continue
            user = User(
                **{key: str(person.get(key, ""))[:150] for key in USER_FIELDS},
                is_active=False,
                password=make_password(None),
            )
            try:
                user.full_clean(exclude=["password"], validate_unique=False)
            except ValidationError as error:
                raise ArchiveRefused(
                    f"{USERS}: the person “{username}” cannot be created here: "
                    + "; ".join(error.messages)
                ) from None
            missing.append(user)
        with transaction.atomic():
            for user in User.objects.bulk_create(missing):
                known[user.username] = user.pk
                self.created.append(user.pk)
        self.users = known

    def _project(self, slug: str, name: str | None) -> Project:
        if Project.objects.filter(slug=slug).exists():
            raise ArchiveRefused(
                f"A project with the address “{slug}” exists already: restore the "
                "backup under another (import_project --slug NEW)."
            )
        row = json.loads(self._read(PROJECT))
        if not isinstance(row, dict):
            raise ArchiveRefused(f"{PROJECT} is not a project.")
        values = self._values(PROJECT_TABLE, row, PROJECT)
        values["slug"] = slug
        if name:
            values["name"] = name
        project = Project(**values)
        try:
            project.clean_fields(
                exclude=[f.name for f in PROJECT_TABLE.fields if f.is_relation]
            )
        except ValidationError as error:
            raise ArchiveRefused(f"{PROJECT}: " + "; ".join(error.messages)) from None
        with transaction.atomic():
            self._insert(PROJECT_TABLE, [project])
        self.project = project
        return project

    def _table(self, table: Table, project: Project) -> None:
        ids = self.ids.setdefault(table.name, {})
        late: list[tuple[models.Model, str, int]] = []
        batch: list[tuple[int | None, models.Model, dict]] = []
        rows = 0
        for number, row in self._lines(table.entry):
            where = f"{table.entry}, line {number}"
            many = {name: row.pop(name, []) for name in table.many}
            if table.generated_id and not _is_id(row.get("id")):
                raise ArchiveRefused(f"{where}: the row has no id.")
            later: list[tuple[str, int]] = []
            values = self._values(table, row, where, later)
            if table.project_path == "project":
                values["project_id"] = project.pk
            obj = table.model(**values)
            late += [(obj, attname, old) for attname, old in later]
            if table.name == "documents":
                obj.original = self._original(row.get("id"), where)
            batch.append((row.get("id"), obj, many))
            rows += 1
            if len(batch) >= table.batch:
                self._flush(table, batch, ids)
                batch = []
        self._flush(table, batch, ids)
        # References to rows of the same table that came later (a tag's
        # parent made after it).
        with transaction.atomic():
            for obj, attname, old in late:
                if old not in ids:
                    raise ArchiveRefused(
                        f"{table.entry}: row {old} is named but absent."
                    )
                table.model._base_manager.filter(pk=obj.pk).update(
                    **{attname: ids[old]}
                )
        counted = self.manifest["counts"].get(table.name)
        if counted != rows:
            raise ArchiveRefused(
                f"{table.entry} holds {rows} rows; the manifest says {counted}."
            )

    def _values(
        self, table: Table, row: dict, where: str, later: list | None = None
    ) -> dict:
        """A row's fields as the model's attributes, references made new; a
        reference to a row of its own table not yet restored goes to `later`
        as (attribute, archive id), and is None meanwhile."""
        names = {item.name for item in table.fields}
        unknown = row.keys() - names
        if unknown:
            raise ArchiveRefused(
                f"{where}: unknown fields {', '.join(sorted(unknown))}."
            )
        values = {}
        for item in table.fields:
            if item.primary_key and table.generated_id:
                continue
            if item.name not in row:
                values[item.attname] = item.get_default()
                continue
            value = row[item.name]
            target = table.refs.get(item.name)
            if target is not None and value is not None and not _is_id(value):
                raise ArchiveRefused(f"{where}: {item.name} {value!r} names nothing.")
            if value is None or target is None:
                values[item.attname] = self._plain(item, value, where)
            elif target == USER:
                if value not in self.users:
                    raise ArchiveRefused(f"{where}: {value!r} is not among the people.")
                values[item.attname] = self.users[value]
            else:
                known = self.ids.get(target, {})
                if value in known:
                    values[item.attname] = known[value]
                elif target == table.name and later is not None:
                    values[item.attname] = None
                    later.append((item.attname, value))
                else:
                    raise ArchiveRefused(
                        f"{where}: {item.name} {value!r} is not in the archive."
                    )
        return values

    @staticmethod
    def _plain(item: models.Field, value, where: str):
        if isinstance(item, models.JSONField):
            return value
        try:
            return item.to_python(value)
        except ValidationError as error:
            raise ArchiveRefused(
                f"{where}: {item.name}: " + "; ".join(error.messages)
            ) from None

    def _original(self, pk, where: str) -> bytes:
        entry = f"{ORIGINALS}{pk}"
        if entry not in self.manifest["entries"]:
            raise ArchiveRefused(f"{where}: the document's original is missing.")
        return self._read(entry)

    def _flush(self, table: Table, batch, ids: dict[int, int]) -> None:
        if not batch:
            return
        with transaction.atomic():
            self._insert_batch(table, batch, ids)
        self.done += len(batch)
        if self.progress is not None:
            self.progress(self.done, self.total)

    def _insert_batch(self, table: Table, batch, ids: dict[int, int]) -> None:
        objs = [obj for _old, obj, _many in batch]
        self._insert(table, objs)
        for old, obj, _many in batch:
            if table.generated_id:
                if old in ids:
                    raise ArchiveRefused(f"{table.entry}: the id {old} comes twice.")
                ids[old] = obj.pk
        for name, target in table.many.items():
            relation = table.model._meta.get_field(name)
            through = relation.remote_field.through
            known = self.ids[target]
            pairs = []
            for _old, obj, many in batch:
                values = many.get(name)
                if not isinstance(values, list) or not all(
                    _is_id(v) and v in known for v in values
                ):
                    raise ArchiveRefused(
                        f"{table.entry}: row {_old}: {name} not in the archive."
                    )
                pairs += [
                    through(
                        **{
                            f"{relation.m2m_field_name()}_id": obj.pk,
                            f"{relation.m2m_reverse_field_name()}_id": known[value],
                        }
                    )
                    for value in values
                ]
            through.objects.bulk_create(pairs)

    @staticmethod
    def _insert(table: Table, objs: list[models.Model]) -> None:
        """Insert rows as given ("raw": no auto_now, no signals), in batches the
        database takes, and give each its new id."""
        model = table.model
        fields = [
            item
            for item in model._meta.concrete_fields
            if not (item.primary_key and table.generated_id)
        ]
        size = connection.ops.bulk_batch_size(fields, objs) or len(objs)
        manager = model._base_manager
        for start in range(0, len(objs), size):
            chunk = objs[start : start + size]
            returned = manager._insert(
                chunk,
                fields=fields,
                returning_fields=model._meta.db_returning_fields
                if table.generated_id
                else None,
                raw=True,
            )
            if table.generated_id:
                for obj, row in zip(chunk, returned, strict=True):
                    obj.pk = row[0]
            for obj in chunk:
                obj._state.adding = False


def _is_id(value) -> bool:
    """An archive id (a number) or a username (text)."""
    return isinstance(value, int | str) and not isinstance(value, bool)
