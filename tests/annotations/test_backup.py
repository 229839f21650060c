"""The backup archive: `export_project` writes a project whole, `import_project`
restores it as a new project equal to the first field by field, on this test
run's database (SQLite, and PostgreSQL in the PostgreSQL run)."""

from __future__ import annotations

import dataclasses
import io
import json
import secrets
import zipfile
from datetime import date, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db.models import Model

from annotations import services, zipstream
from annotations.backup import ArchiveRefused, archive, restore
from annotations.models import (
    Annotation,
    AnnotationEvent,
    DocumentCounters,
    Link,
    RelationType,
    Reply,
    Tag,
    Visibility,
)
from corpus.models import Document, Membership, Project, ProjectEvent, TextRevision
from corpus.roles import Role
from tests.factories import (
    make_annotation,
    make_document,
    make_project,
    make_user,
    revise_block,
)

ASTRAL = "Chapo 𝔊uzmán 🚇 escaped"

# Every model a project holds, and the way from its rows to the project: the
# comparison below is written apart from the archive's own list of tables.
HELD: dict[type[Model], str] = {
    Project: "pk",
    Membership: "project",
    RelationType: "project",
    Tag: "project",
    Document: "project",
    DocumentCounters: "document__project",
    Annotation: "project",
    Reply: "annotation__project",
    Link: "project",
    AnnotationEvent: "annotation__project",
    ProjectEvent: "project",
    TextRevision: "document__project",
}


def snapshot(project: Project) -> dict[str, list[dict]]:
    """Every row of the project, every field, with ids replaced by the row's
    place among its kind (by id) and people by their username: what must be
    the same after a restore."""
    rows = {
        model: list(model._base_manager.filter(**{path: project.pk}).order_by("pk"))
        for model, path in HELD.items()
    }
    place = {
        model: {row.pk: index for index, row in enumerate(found)}
        for model, found in rows.items()
    }
    User = get_user_model()
    usernames = dict(User.objects.values_list("pk", "username"))

    def value(field, row):
        raw = getattr(row, field.attname)
        if raw is None or not field.is_relation:
            if field.primary_key:
                return place[type(row)][raw]
            return bytes(raw) if isinstance(raw, memoryview) else raw
        related = field.related_model
        if related is User:
            return usernames[raw]
        if related is Project:
            return "the project"
        return (related.__name__, place[related][raw])

    shot = {}
    for model, found in rows.items():
        listed = []
        for row in found:
            fields = {f.name: value(f, row) for f in model._meta.concrete_fields}
            if model is Annotation:
                fields["tags"] = sorted(place[Tag][t.pk] for t in row.tags.all())
            listed.append(fields)
        shot[model.__name__] = listed
    return shot


@pytest.fixture
def work(project, members):
    """A project with one of everything, in the states a backup must keep."""
    owner, curator = members["owner"], members["curator"]
    annotator = members["annotator"]
    Project.objects.filter(pk=project.pk).update(
        description="Sources on the 𝔊uzmán case 🚇.", premoderation=True
    )
    project.refresh_from_db()
    document = make_document(
        project=project,
        paragraphs=[f"The tunnel was a mile long. {ASTRAL}.", "Second, ½ way."],
        authors=["A. Writer"],
        keywords=["tunnels", "prisón"],
        published_date=date(2015, 7, 11),
        original="Der Tunnel 🚇 \u00e9".encode("utf-16"),
        original_filename="tunnel.txt",
        original_encoding="utf-16",
        links=[{"start": 0, "end": 3, "url": "https://example.org/"}],
    )
    other = make_document(project=project, paragraphs=["Another source entirely."])
    trashed = make_document(project=project, paragraphs=["A trashed text, noted."])
    # A child tag made before its parent: the parent's id is the later one.
    child = services.get_or_create_tag(project=project, name="child")
    parent = services.get_or_create_tag(project=project, name="Parént 🚇")
    services.set_tag_parent(tag=child, parent=parent)
    retired = services.get_or_create_tag(project=project, name="old")
    services.retire_tag(tag=retired)
    note = make_annotation(
        document, annotator, "𝔊uzmán 🚇", body="**Astral** note.", tags=[child, "old"]
    )
    services.set_status(annotation=note, by=curator, status="approved", reason="")
    rejected = make_annotation(document, annotator, "tunnel", body="Wrong.")
    services.set_status(
        annotation=rejected, by=curator, status="rejected", reason="Not so."
    )
    private = make_annotation(
        document, curator, "mile", visibility=Visibility.PRIVATE, tags=["mine"]
    )
    deleted = make_annotation(other, owner, "Another")
    services.delete_annotation(annotation=deleted, by=owner)
    target = make_annotation(other, owner, "source", tags=[parent])
    reply = services.create_reply(annotation=note, author=owner, body="Agreed 🚇.")
    gone = services.create_reply(annotation=note, author=annotator, body="Oops.")
    services.delete_reply(reply=gone, by=annotator)
    relation = services.create_relation_type(project=project, name="quotes")
    supports = RelationType.objects.get(project=project, name="supports")
    services.create_link(
        source=note, author=owner, relation=supports, target_annotation=target
    )
    services.create_link(
        source=note, author=owner, relation=relation, target_document=other
    )
    dropped = services.create_link(
        source=target,
        author=curator,
        relation=supports,
        target_url="https://example.org/report",
        target_title="A report",
        citation="p. 4",
        accessed=date(2020, 2, 29),
    )
    services.delete_link(link=dropped, by=curator)
    services.update_relation_type(
        relation=relation, name="quotes", description="Old.", retired=True
    )
    # A revision of the text that left an orphan.
    lost = make_annotation(document, annotator, "½ way", body="Half?")
    revise_block(document, curator, 1, "Second, at last.", reason="OCR")
    assert Annotation.objects.get(pk=lost.pk).anchoring == "orphan"
    make_annotation(trashed, annotator, "noted")
    services.trash_document(document=trashed, by=owner)
    # A note made long ago: its timestamps must come back as they were.
    Annotation.objects.filter(pk=note.pk).update(
        created_at=note.created_at - timedelta(days=400, microseconds=17)
    )
    return {"note": note, "private": private, "reply": reply, "document": document}


def _write(project, **kwargs) -> bytes:
    return b"".join(archive.write(project, **kwargs))


def test_restore_under_a_new_slug_reproduces_the_project_field_by_field(
    work, project, tmp_path
):
    before = snapshot(project)
    path = tmp_path / "backup.zip"
    call_command("export_project", project.slug, str(path))
    out = io.StringIO()
    call_command("import_project", str(path), "--slug", "copy", stdout=out)
    assert "Restored" in out.getvalue()
    copy = Project.objects.get(slug="copy")
    after = snapshot(copy)
    before["Project"][0]["slug"] = "copy"
    assert after == before
    # Nothing was left out of the comparison: every kind of row is there.
    assert all(before[name] for name in before), [k for k, v in before.items() if not v]


def test_restore_into_an_empty_database_makes_missing_people_inactive(work, project):
    before = snapshot(project)
    data = _write(project)
    names = {m.user.username for m in project.memberships.select_related("user")}
    for model in (Link, Project, ProjectEvent, get_user_model()):
        model._base_manager.all().delete()
    assert not Annotation.objects.exists()

    restored = restore.restore(io.BytesIO(data))

    assert snapshot(restored) == before
    people = get_user_model().objects.filter(username__in=names)
    assert people.count() == len(names)
    assert not any(
        person.is_active or person.has_usable_password() for person in people
    )


def test_restored_project_reads_and_polls_like_the_original(work, project, client):
    restored = restore.restore(io.BytesIO(_write(project)), slug="again")
    client.force_login(work["note"].author)
    copy = Document.objects.get(project=restored, title=work["document"].title)
    response = client.get(copy.get_absolute_url())
    assert response.status_code == 200
    assert "𝔊uzmán 🚇" in response.text
    assert "**Astral** note." not in response.text  # rendered as Markdown
    assert "<strong>Astral</strong> note." in response.text


def test_a_members_backup_leaves_out_others_private_notes(work, project, members):
    own = make_annotation(
        work["document"], members["owner"], "Second", visibility=Visibility.PRIVATE
    )
    owner = Membership.objects.get(project=project, user=members["owner"])
    data = _write(project, membership=owner)
    with zipfile.ZipFile(io.BytesIO(data)) as zipped:
        notes = [
            json.loads(line)
            for line in zipped.read("annotations.jsonl").split(b"\n")
            if line
        ]
        tags = [
            json.loads(line)["name"]
            for line in zipped.read("tags.jsonl").split(b"\n")
            if line
        ]
        manifest = json.loads(zipped.read("manifest.json"))
    bodies = {note["exact"] for note in notes}
    assert "Second" in bodies  # the owner's own private note
    assert "mile" not in bodies  # the curator's
    assert "mine" not in tags  # a tag used only on the curator's private note
    assert manifest["seen_by"] == members["owner"].username
    restored = restore.restore(io.BytesIO(data), slug="mine", trusted=False)
    assert not Annotation.objects.filter(project=restored, exact="mile").exists()
    assert Annotation.objects.filter(project=restored, pk__gt=own.pk).exists()


def test_an_archive_from_a_newer_version_is_refused(project, work):
    data = _rewrite(_write(project), "manifest.json", lambda m: {**m, "version": 99})
    with pytest.raises(ArchiveRefused, match="newer Apparatus"):
        restore.restore(io.BytesIO(data), slug="new")
    assert not Project.objects.filter(slug="new").exists()


def test_an_untrusted_archive_needs_this_servers_signature(project, work):
    data = _write(project)
    changed = _rewrite(
        data, "manifest.json", lambda m: {**m, "project": {**m["project"], "name": "X"}}
    )
    with pytest.raises(ArchiveRefused, match="not written by this server"):
        restore.restore(io.BytesIO(changed), slug="new", trusted=False)
    # The same archive from an administrator's hand restores.
    restore.restore(io.BytesIO(changed), slug="new", trusted=True)


@pytest.mark.parametrize("atomic", [True, False])
def test_a_changed_table_is_refused_and_nothing_is_stored(project, work, atomic):
    data = _rewrite(
        _write(project),
        "replies.jsonl",
        lambda text: text.replace("Agreed", "Denied"),
        raw=True,
    )
    # A person the server lacks is created, then removed again with the rest.
    get_user_model().objects.filter(username="viewer-user").update(username="renamed")
    projects, people = Project.objects.count(), get_user_model().objects.count()
    with pytest.raises(ArchiveRefused, match="replies.jsonl is not what"):
        restore.restore(io.BytesIO(data), slug="new", atomic=atomic)
    assert not Annotation.objects.exclude(project=project).exists()
    assert Project.objects.count() == projects
    assert get_user_model().objects.count() == people
    assert not Reply.objects.filter(body__startswith="Denied").exists()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"not a zip", "not a zip archive"),
        (None, "no manifest"),
    ],
)
def test_what_is_not_a_backup_is_refused_clearly(db, data, message):
    if data is None:
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as zipped:
            zipped.writestr("hello.txt", "hello")
        data = buffer.getvalue()
    with pytest.raises(ArchiveRefused, match=message):
        restore.restore(io.BytesIO(data))


def test_a_taken_slug_is_refused_by_the_command(project, work, tmp_path):
    path = tmp_path / "backup.zip"
    call_command("export_project", project.slug, str(path))
    with pytest.raises(CommandError, match="exists already"):
        call_command("import_project", str(path))
    with pytest.raises(CommandError, match="No project"):
        call_command("export_project", "nowhere", str(tmp_path / "x.zip"))
    assert not (tmp_path / "x.zip.partial").exists()


def test_the_archive_is_written_in_pieces_without_holding_the_project(
    project, members, monkeypatch
):
    monkeypatch.setattr(zipstream, "CHUNK", 16 * 1024)
    smaller = tuple(dataclasses.replace(table, batch=100) for table in archive.TABLES)
    monkeypatch.setattr(archive, "TABLES", smaller)
    document = make_document(project=project, paragraphs=["word " * 2000])
    for start in range(0, 2000, 2):
        services.create_annotation(
            document=document,
            author=members["annotator"],
            start=start * 5,
            end=start * 5 + 4,
            exact="word",
            body=f"Note {start} {secrets.token_hex(40)}",
        )
    pieces = list(archive.write(project))
    assert len(pieces) > 4
    # A piece is handed on as soon as a batch has filled one.
    assert max(len(piece) for piece in pieces[:-1]) < 8 * zipstream.CHUNK
    restored = restore.restore(io.BytesIO(b"".join(pieces)), slug="pieces")
    assert Annotation.objects.filter(project=restored).count() == 1000


def _rewrite(data: bytes, name: str, change, *, raw: bool = False) -> bytes:
    """The archive with one entry changed (JSON, or text when `raw`)."""
    source = zipfile.ZipFile(io.BytesIO(data))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as target:
        for info in source.infolist():
            content = source.read(info.filename)
            if info.filename == name:
                if raw:
                    content = change(content.decode()).encode()
                else:
                    content = json.dumps(change(json.loads(content))).encode()
            target.writestr(info.filename, content)
    return buffer.getvalue()


def test_restore_of_an_unused_project(db):
    empty = make_project(name="Empty")
    make_user("solo", project=empty, role=Role.OWNER)
    restored = restore.restore(io.BytesIO(_write(empty)), slug="empty-copy")
    assert snapshot(restored)["Membership"] == snapshot(empty)["Membership"]


def test_an_entry_larger_than_the_manifest_says_is_refused_unread(project, work):
    """A signed manifest names each entry's size: an entry that would unpack
    into more (a zip bomb in a real backup's clothes) is not read at all."""
    data = _rewrite(
        _write(project),
        "replies.jsonl",
        # Read, its first line would be refused for another reason.
        lambda text: "not JSON\n" * 10_000 + text,
        raw=True,
    )
    with pytest.raises(ArchiveRefused, match="replies.jsonl is not what"):
        restore.restore(io.BytesIO(data), slug="new", trusted=False)
    assert not Project.objects.filter(slug="new").exists()
