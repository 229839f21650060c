"""Writes to the corpus: projects, members, documents. No request, no messages."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.text import slugify

from corpus.importers import ImportedText
from corpus.models import Document, Membership, PendingImport, Project, content_hash
from corpus.roles import Role


class DuplicateDocument(ValidationError):
    """The project already holds a document with exactly this text."""

    def __init__(self, existing: Document):
        self.existing = existing
        super().__init__(
            f"This text is already in the project as “{existing.title}”; "
            "it was not imported again.",
            code="duplicate",
        )


def unique_project_slug(name: str) -> str:
    base = slugify(name)[:70] or "project"
    slug, n = base, 2
    while Project.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def create_project(
    *,
    name: str,
    owner: AbstractBaseUser,
    description: str = "",
    premoderation: bool = False,
) -> Project:
    """Create a project with `owner` as its first owner."""
    project = Project(
        name=name,
        slug=unique_project_slug(name),
        description=description,
        premoderation=premoderation,
        created_by=owner,
    )
    project.full_clean()
    project.save()
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    return project


def _check_owner_remains(project: Project, leaving: Membership) -> None:
    if leaving.role != Role.OWNER:
        return
    others = project.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk)
    if not others.select_for_update().exists():
        raise ValidationError("A project needs at least one owner.", code="last_owner")


@transaction.atomic
def add_member(*, project: Project, user: AbstractBaseUser, role: str) -> Membership:
    """Make `user` a member of `project` with `role`."""
    if project.memberships.filter(user=user).exists():
        raise ValidationError(f"{user} is already a member.", code="already_member")
    membership = Membership(project=project, user=user, role=role)
    membership.full_clean()
    membership.save()
    return membership


@transaction.atomic
def change_role(*, membership: Membership, role: str) -> Membership:
    """Give a member another role; the last owner cannot step down."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role != Role.OWNER:
        _check_owner_remains(membership.project, membership)
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def remove_member(*, membership: Membership) -> None:
    """Remove a member; the last owner cannot be removed."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _check_owner_remains(membership.project, membership)
    membership.delete()


@transaction.atomic
def save_document(
    *,
    project: Project,
    imported: ImportedText,
    original: bytes,
    filename: str,
    imported_by: AbstractBaseUser | None,
) -> Document:
    """Store an imported text as a document; refuse a text the project already has."""
    digest = content_hash(imported.text)
    existing = Document.objects.filter(project=project, content_hash=digest).first()
    if existing is not None:
        raise DuplicateDocument(existing)
    document = Document(
        project=project,
        title=(imported.title or filename or "Untitled")[:500],
        authors=imported.authors,
        publisher=imported.publisher[:300],
        source_url=imported.source_url[:2000],
        published_date=imported.published_date,
        keywords=imported.keywords,
        language=imported.language[:16],
        word_count=imported.word_count,
        text=imported.text,
        blocks=[block.as_dict() for block in imported.blocks],
        links=[link.as_dict() for link in imported.links],
        content_hash=digest,
        original=original,
        original_filename=filename[:255],
        original_encoding=imported.encoding[:40],
        format=imported.format,
        imported_by=imported_by,
    )
    try:
        document.full_clean(exclude=["source_url"] if not imported.source_url else None)
    except ValidationError as error:
        if "source_url" in error.message_dict:
            # A header URL the validator rejects is dropped, not fatal.
            document.source_url = ""
            document.full_clean()
        else:
            raise
    try:
        with transaction.atomic():
            document.save()
    except IntegrityError:
        # Another import of the same text won the race.
        raise DuplicateDocument(
            Document.objects.get(project=project, content_hash=digest)
        ) from None
    return document


@transaction.atomic
def update_document_metadata(*, document: Document, **fields) -> Document:
    """Change a document's descriptive fields (never its text)."""
    unknown = set(fields) - set(Document.METADATA_FIELDS)
    if unknown:
        raise ValueError(f"Not metadata: {', '.join(sorted(unknown))}")
    for name, value in fields.items():
        setattr(document, name, value)
    document.full_clean()
    document.save(update_fields=[*fields, "updated_at"])
    return document


@transaction.atomic
def stage_upload(
    *, project: Project, user: AbstractBaseUser, filename: str, data: bytes
) -> PendingImport:
    """Keep an upload until its importer has reviewed it."""
    pending = PendingImport(
        project=project, uploaded_by=user, filename=filename[:255], data=data
    )
    pending.full_clean()
    pending.save()
    return pending
