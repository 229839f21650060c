"""Small helpers that make real rows for tests."""

from __future__ import annotations

import itertools

from django.contrib.auth import get_user_model

from corpus.importers import Block
from corpus.models import Document, Membership, Project, content_hash
from corpus.roles import Role
from corpus.signals import document_saved, project_created

_counter = itertools.count(1)
PASSWORD = "correct-horse-battery-staple"


def make_user(
    username: str | None = None,
    *,
    project: Project | None = None,
    role: str = Role.VIEWER,
    **overrides,
):
    username = username or f"user{next(_counter)}"
    user = get_user_model().objects.create_user(
        username=username,
        password=PASSWORD,
        email=f"{username}@example.org",
        **overrides,
    )
    if project is not None:
        Membership.objects.create(project=project, user=user, role=role)
    return user


def make_project(**overrides) -> Project:
    """A project, with what the apps add to a new one (create_project's signal:
    its relation types), without an owner."""
    n = next(_counter)
    fields = {"name": f"Project {n}", "slug": f"project-{n}"} | overrides
    project = Project.objects.create(**fields)
    project_created.send(sender=Project, project=project)
    return project


def paragraphs_document_fields(paragraphs: list[str]) -> dict:
    """text and blocks for a document made of the given paragraphs."""
    blocks, pos = [], 0
    for paragraph in paragraphs:
        blocks.append(Block("paragraph", pos, pos + len(paragraph)).as_dict())
        pos += len(paragraph) + 2
    return {"text": "\n\n".join(paragraphs), "blocks": blocks}


def make_document(
    *, project: Project, paragraphs: list[str] | None = None, **overrides
) -> Document:
    n = next(_counter)
    paragraphs = paragraphs or [
        f"First paragraph of document {n}.",
        "A second paragraph.",
    ]
    fields = {
        "title": f"Document {n}",
        **paragraphs_document_fields(paragraphs),
        "format": "plain",
        "original": "\n".join(paragraphs).encode(),
        "word_count": sum(len(p.split()) for p in paragraphs),
    } | overrides
    fields.setdefault("content_hash", content_hash(fields["text"]))
    document = Document.objects.create(project=project, **fields)
    # As an import does (corpus.signals.document_saved): the search finds it.
    document_saved.send(sender=Document, document=document, text_changed=True)
    return document


def make_annotation(document: Document, author, exact: str, **overrides):
    """An annotation on the first occurrence of `exact`, through the service."""
    from annotations.services import create_annotation

    start = document.text.index(exact)
    return create_annotation(
        document=document,
        author=author,
        start=start,
        end=start + len(exact),
        exact=exact,
        **overrides,
    )


def reader_since(client, document: Document) -> str:
    """The token the reading view gives the signed-in reader to poll with."""
    import re

    html = client.get(document.get_absolute_url()).content.decode()
    return re.search(r'id="reader-token" name="since" value="([0-9.]+)"', html).group(1)


def revise_block(
    document: Document,
    editor,
    index: int,
    content: str,
    *,
    block_kind: str | None = None,
    level: int | None = None,
    **options,
):
    """Block `index` of the document's text (as stored) replaced by `content`
    (perhaps of another `block_kind` or `level`: text_edits.edit_block's kind
    and level), as the Edit text page does it (services.text.revise_text,
    given `options`); the revision made. `document` is read again after it."""
    from annotations.services import text as text_service
    from corpus import text_edits

    current = Document.objects.get(pk=document.pk)
    edited = text_edits.edit_block(
        current.text, current.blocks, index, content, kind=block_kind, level=level
    )
    try:
        return text_service.revise_text(
            document=current,
            text=edited.text,
            blocks=edited.blocks,
            editor=editor,
            reason=options.pop("reason", "A correction"),
            base_revision=options.pop("base_revision", None),
            **options,
        )
    finally:
        document.refresh_from_db()
