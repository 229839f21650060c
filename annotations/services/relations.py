"""Writes to a project's relation types: the kinds of link it offers."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from annotations.models import DEFAULT_RELATIONS, RelationType
from corpus.conflicts import EditConflict
from corpus.models import Project


def seed_relation_types(*, project: Project, **_signal) -> None:
    """A new project's relation types: DEFAULT_RELATIONS (corpus sends
    project_created from the transaction that makes the project)."""
    RelationType.objects.bulk_create(
        RelationType(project=project, name=name) for name in DEFAULT_RELATIONS
    )


def _check_relation_name(project: Project, name: str, exclude_pk=None) -> str:
    name = " ".join(name.split())
    if not name:
        raise ValidationError({"name": "Give the relation a name."})
    clash = RelationType.objects.filter(project=project, name__iexact=name)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ValidationError({"name": f"There is already a relation “{name}”."})
    return name


@transaction.atomic
def create_relation_type(
    *, project: Project, name: str, description: str = ""
) -> RelationType:
    """Add a relation type to the project's vocabulary."""
    relation = RelationType(
        project=project,
        name=_check_relation_name(project, name),
        description=description,
    )
    relation.full_clean(exclude=["project"], validate_constraints=False)
    _save_named(relation)
    return relation


@transaction.atomic
def update_relation_type(
    *,
    relation: RelationType,
    name: str,
    description: str,
    retired: bool,
    version: int | None = None,
    editor: AbstractBaseUser | None = None,
) -> RelationType:
    """Rename, describe, retire or restore a relation type; its links keep it.

    The edit names the `version` it was made to and is refused (EditConflict)
    if the relation changed since; None skips the check.
    """
    current = RelationType.objects.select_for_update().filter(pk=relation.pk).first()
    if current is None or (version is not None and current.version != version):
        raise EditConflict(
            RelationType.objects.select_related("updated_by")
            .filter(pk=relation.pk)
            .first()
            or relation
        )
    relation.name = _check_relation_name(relation.project, name, exclude_pk=relation.pk)
    relation.description = description
    relation.retired = retired
    relation.full_clean(exclude=["project", "version"], validate_constraints=False)
    relation.version = current.version + 1
    relation.updated_by = editor
    _save_named(relation)
    return relation


def _save_named(relation: RelationType) -> None:
    """Save, refusing a name another relation took meanwhile (two curators
    naming two relations alike at once: one wins, the other is told)."""
    try:
        with transaction.atomic():
            relation.save()
    except IntegrityError:
        raise ValidationError(
            {"name": f"There is already a relation “{relation.name}”."}
        ) from None
