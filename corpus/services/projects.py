"""Writes to projects and their members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from corpus.conflicts import EditConflict
from corpus.models import (
    Invitation,
    Membership,
    Project,
    ProjectEvent,
    ProjectEventKind,
)
from corpus.roles import Role
from corpus.signals import premoderation_changed, project_created


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
    """Create a project with `owner` as its first owner.

    Two projects of the same name created at once get different slugs: the
    one that loses the race for a slug tries the next.
    """
    project = Project(
        name=name,
        slug=unique_project_slug(name),
        description=description,
        premoderation=premoderation,
        created_by=owner,
    )
    project.full_clean(validate_unique=False)
    for _attempt in range(5):
        try:
            with transaction.atomic():
                project.save()
            break
        except IntegrityError:
            project.pk, project.slug = None, unique_project_slug(name)
    else:
        raise ValidationError("Please try again: the project could not be named.")
    Membership.objects.create(project=project, user=owner, role=Role.OWNER)
    project_created.send(sender=Project, project=project)
    return project


def _check_owner_remains(project: Project, leaving: Membership) -> None:
    if leaving.role != Role.OWNER:
        return
    others = project.memberships.filter(role=Role.OWNER).exclude(pk=leaving.pk)
    if not others.select_for_update().exists():
        raise ValidationError("A project needs at least one owner.", code="last_owner")


@transaction.atomic
def update_project(
    *,
    project: Project,
    version: int | None,
    editor: AbstractBaseUser | None = None,
    **fields,
) -> Project:
    """Rename, describe or change the moderation of a project.

    The edit names the `version` it was made to and is refused (EditConflict)
    if the project changed since; None skips the check.
    """
    unknown = set(fields) - {"name", "description", "premoderation"}
    if unknown:
        raise ValueError(f"Not a project setting: {', '.join(sorted(unknown))}")
    current = Project.objects.select_for_update().filter(pk=project.pk).first()
    if current is None or (version is not None and current.version != version):
        raise EditConflict(
            Project.objects.select_related("updated_by").filter(pk=project.pk).first()
            or project
        )
    for name, value in fields.items():
        setattr(project, name, value)
    project.full_clean(exclude=["slug"])
    Project.objects.filter(pk=project.pk).update(
        **fields, version=F("version") + 1, updated_by=editor
    )
    project.refresh_from_db()
    if project.premoderation != current.premoderation:
        premoderation_changed.send(sender=Project, project=project)
    return project


@transaction.atomic
def set_archived(*, project: Project, archived: bool, by: AbstractBaseUser) -> Project:
    """Archive a project (read-only, off the project list) or take it out again."""
    project = Project.objects.select_for_update().get(pk=project.pk)
    if archived == project.is_archived:
        return project
    project.archived_at = timezone.now() if archived else None
    project.save(update_fields=["archived_at"])
    ProjectEvent.objects.create(
        project=project,
        actor=by,
        kind=(
            ProjectEventKind.PROJECT_ARCHIVED
            if archived
            else ProjectEventKind.PROJECT_UNARCHIVED
        ),
        detail={"project": project.name},
    )
    return project


@transaction.atomic
def add_member(*, project: Project, user: AbstractBaseUser, role: str) -> Membership:
    """Make `user` a member of `project` with `role`.

    The same person added twice at once is added once: the second insert
    fails on the unique membership and is refused like any other repeat.
    """
    already = ValidationError(f"{user} is already a member.", code="already_member")
    if project.memberships.filter(user=user).exists():
        raise already
    membership = Membership(project=project, user=user, role=role)
    membership.full_clean(validate_constraints=False)
    try:
        with transaction.atomic():
            membership.save()
    except IntegrityError:
        raise already from None
    return membership


def _withdraw_invitations_of(membership: Membership, by) -> None:
    """Someone who may no longer invite: the invitations they sent and that are
    still open go (a link kept back must not bring its sender in again)."""
    Invitation.objects.open().filter(
        project_id=membership.project_id, invited_by_id=membership.user_id
    ).update(revoked_at=timezone.now(), revoked_by=by)


@transaction.atomic
def change_role(
    *, membership: Membership, role: str, by: AbstractBaseUser | None = None
) -> Membership:
    """Give a member another role; the last owner cannot step down. An owner who
    steps down loses the invitations they sent that are still open."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    if role != Role.OWNER:
        _check_owner_remains(membership.project, membership)
    was_owner = membership.role == Role.OWNER
    membership.role = role
    membership.full_clean()
    membership.save(update_fields=["role"])
    if was_owner and role != Role.OWNER:
        _withdraw_invitations_of(membership, by)
    return membership


@transaction.atomic
def remove_member(
    *, membership: Membership, by: AbstractBaseUser | None = None
) -> None:
    """Remove a member, and the invitations they sent that are still open; the
    last owner cannot be removed."""
    membership = Membership.objects.select_for_update().get(pk=membership.pk)
    _check_owner_remains(membership.project, membership)
    _withdraw_invitations_of(membership, by)
    membership.delete()
