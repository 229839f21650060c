"""Writes to projects and their members."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.text import slugify

from corpus.models import Membership, Project
from corpus.roles import Role


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
