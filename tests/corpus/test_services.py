"""Corpus services: the writes, with their checks."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from corpus import services
from corpus.importers import import_bytes
from corpus.models import Document, Membership
from corpus.roles import Role
from tests.factories import make_user


@pytest.mark.django_db
def test_project_slugs_are_unique():
    owner = make_user("o")
    first = services.create_project(name="Mexico", owner=owner)
    second = services.create_project(name="Mexico", owner=owner)
    assert (first.slug, second.slug) == ("mexico", "mexico-2")


def test_save_document_keeps_text_blocks_and_original(project, owner, seeds_dir):
    path = next(seeds_dir.glob("003_*.txt"))
    data = path.read_bytes()
    imported = import_bytes(data, filename=path.name)
    document = services.save_document(
        project=project,
        imported=imported,
        original=data,
        filename=path.name,
        imported_by=owner,
    )
    document.refresh_from_db()
    assert bytes(document.original) == data
    assert document.text == imported.text
    assert [b["start"] for b in document.blocks] == [b.start for b in imported.blocks]
    assert document.keywords_text.startswith("Mexico, Guzman Loera")
    for block in document.blocks:
        assert document.text[block["start"] : block["end"]].strip()


def test_same_text_twice_is_refused_and_not_stored(project, owner):
    imported = import_bytes(b"One paragraph of text.\n", filename="a.txt")
    kwargs = {
        "project": project,
        "original": b"x",
        "filename": "a.txt",
        "imported_by": owner,
    }
    first = services.save_document(imported=imported, **kwargs)
    with pytest.raises(services.DuplicateDocument) as refused:
        services.save_document(imported=imported, **kwargs)
    assert refused.value.existing == first
    assert Document.objects.count() == 1


def test_last_owner_is_kept(project, members):
    owner = Membership.objects.get(user=members["owner"])
    with pytest.raises(ValidationError, match="at least one owner"):
        services.change_role(membership=owner, role=Role.VIEWER)
    with pytest.raises(ValidationError, match="at least one owner"):
        services.remove_member(membership=owner)
    services.change_role(
        membership=Membership.objects.get(user=members["curator"]), role=Role.OWNER
    )
    services.change_role(membership=owner, role=Role.VIEWER)
    owner.refresh_from_db()
    assert owner.role == Role.VIEWER


def test_metadata_update_never_touches_the_text(document):
    with pytest.raises(ValueError, match="Not metadata: text"):
        services.update_document_metadata(document=document, text="changed")
    services.update_document_metadata(document=document, keywords=["a", "b"])
    document.refresh_from_db()
    assert document.keywords_text == "a, b"
