"""Who sees an annotation, and who may change, delete or decide on one: the rule,
written once.

A member sees an annotation that is live (not deleted, its document and its
project not in the trash) and either their own or shared with the project.
Under pre-moderation a shared annotation reaches the other members only once a
curator approves it; curators and owners see every shared one at once.
Others' private annotations are their author's alone, for superusers too.

annotation_rule() writes that rule as a Q on an annotation's columns (through a
prefix, for a related one). visible_filter() applies it to a user across their
projects (the admin, the annotation URLs), shown_to_member_filter() to one
membership a view has already checked (it spares the join with the members);
link_filter() shows a link while both its ends are shown. audience_of() is the
same rule seen from one row: who may learn of a change to it (the polling
counters of services.revisions).
"""

from __future__ import annotations

from collections.abc import Callable
from enum import IntEnum
from typing import TYPE_CHECKING

from django.db.models import Q

from annotations.models.choices import Anchoring, Status, Visibility
from corpus.roles import Action, Role, can

if TYPE_CHECKING:
    from corpus.models import Membership

MODERATING_ROLES = [role.value for role in Role if can(role, Action.MODERATE)]


def role_sees_unapproved(*, premoderation: bool, role: str | None) -> bool:
    """Whether a role sees shared annotations before they are approved: curators
    and owners do, and everyone in a project without pre-moderation."""
    return not premoderation or can(role, Action.MODERATE)


def sees_unapproved(membership: Membership) -> bool:
    return role_sees_unapproved(
        premoderation=membership.project.premoderation, role=membership.role
    )


def annotation_rule(
    prefix: str = "",
    *,
    reader_id: int | None,
    sees_unapproved: bool | Q,
    include_trash: bool = False,
    include_deleted: bool = False,
    include_orphans: bool = False,
) -> Q:
    """The annotations (through `prefix`) a reader sees in their projects: live
    (deleted ones too with `include_deleted`, for curators' screens; those on a
    document in the trash too with `include_trash`, to show a link's other end
    as "in the trash"), and shared or the reader's own.

    Orphans (a text revision lost their passage) stand on no text: only the
    screens that never draw a passage ask for them (`include_orphans`: a
    thread, the Orphans panel, exports and backups).

    `sees_unapproved`: whether shared annotations count before approval (a Q
    when it depends on the row's project); `reader_id` None leaves the reader's
    own out: what every reader of their class sees.
    """

    def column(name: str, value) -> Q:
        return Q(**{f"{prefix}{name}": value})

    rule = column("visibility", Visibility.PROJECT)
    if sees_unapproved is False:
        rule &= column("status", Status.APPROVED)
    elif sees_unapproved is not True:
        rule &= sees_unapproved | column("status", Status.APPROVED)
    if reader_id is not None:
        rule |= column("author_id", reader_id)
    if not include_deleted:
        rule &= column("deleted_at__isnull", True)
    if not include_trash:
        rule &= column("in_trash", False)
    if not include_orphans:
        rule &= column("anchoring", Anchoring.ANCHORED)
    return rule


def visible_filter(
    user,
    prefix: str = "",
    *,
    include_deleted: bool = False,
    include_trash=False,
    include_orphans: bool = False,
) -> Q:
    """annotation_rule() for a user across all their projects (none in the
    trash). It joins the user's membership: use it in one filter() call. A
    superuser sees every project's annotations, but not others' private ones."""
    membership = f"{prefix}project__memberships__"
    sees: bool | Q = True
    if not user.is_superuser:
        sees = Q(**{f"{prefix}project__premoderation": False}) | Q(
            **{f"{membership}role__in": MODERATING_ROLES}
        )
    rule = annotation_rule(
        prefix,
        reader_id=user.pk,
        sees_unapproved=sees,
        include_trash=include_trash,
        include_deleted=include_deleted,
        include_orphans=include_orphans,
    ) & Q(**{f"{prefix}project__trashed_at__isnull": True})
    if not user.is_superuser:
        rule &= Q(**{f"{membership}user": user})
    return rule


def shown_to_member_filter(
    membership: Membership,
    prefix: str = "",
    *,
    include_trash: bool = False,
    include_deleted: bool = False,
    include_orphans: bool = False,
    own: bool = True,
) -> Q:
    """annotation_rule() for one membership already checked (membership_for):
    the annotations of its project the member sees; with `own` False, only what
    every member of their class sees (a rendering they may share)."""
    return annotation_rule(
        prefix,
        reader_id=membership.user_id if own else None,
        sees_unapproved=sees_unapproved(membership),
        include_trash=include_trash,
        include_deleted=include_deleted,
        include_orphans=include_orphans,
    ) & Q(**{f"{prefix}project_id": membership.project_id})


def link_filter(membership: Membership, *, include_trash: bool = False) -> Q:
    """The links a member sees: both ends shown to them (the target, for a link
    to an annotation). Deleting either annotation hides the link everywhere.
    An orphan's links stay (a link is drawn on no text): its thread lists them,
    and the other end's thread marks it an orphan."""
    shown = shown_to_member_filter(
        membership, "source__", include_trash=include_trash, include_orphans=True
    )
    target = shown_to_member_filter(
        membership,
        "target_annotation__",
        include_trash=include_trash,
        include_orphans=True,
    )
    return shown & (Q(target_annotation__isnull=True) | target)


class Audience(IntEnum):
    """Who may see an annotation (and so a change to it), widest last."""

    AUTHOR = 0  # private: the author alone
    CURATORS = 1  # shared but awaiting approval under pre-moderation
    EVERYONE = 2  # shared, and approved or not pre-moderated


def audience_of(*, visibility: str, status: str, premoderation: bool) -> Audience:
    """The rule above, for one row: who sees it."""
    if visibility != Visibility.PROJECT:
        return Audience.AUTHOR
    if premoderation and status != Status.APPROVED:
        return Audience.CURATORS
    return Audience.EVERYONE


def shown_to(membership: Membership, annotation) -> bool:
    """The rule for one row of the member's project: whether they see it."""
    if annotation.deleted_at is not None or annotation.in_trash:
        return False
    if annotation.author_id == membership.user_id:
        return True
    audience = audience_of(
        visibility=annotation.visibility,
        status=annotation.status,
        premoderation=membership.project.premoderation,
    )
    needed = Audience.CURATORS if sees_unapproved(membership) else Audience.EVERYONE
    return audience >= needed


def awaiting_approval(membership: Membership, annotation) -> bool:
    """Whether the member's own shared annotation is hidden from colleagues
    until a curator approves it (the project pre-moderates)."""
    return (
        annotation.author_id == membership.user_id
        and audience_of(
            visibility=annotation.visibility,
            status=annotation.status,
            premoderation=membership.project.premoderation,
        )
        == Audience.CURATORS
    )


def may_change_work(
    *, author_id: int | None, user_id: int | None, can: Callable[[Action], bool]
) -> bool:
    """Authors change (and delete) their own annotations, replies and links
    while they may annotate; curators and owners anyone's they can see. `can`
    says what the user may do in the row's project."""
    if author_id == user_id and can(Action.ANNOTATE):
        return True
    return can(Action.MODERATE)


def may_change(membership: Membership, item) -> bool:
    """may_change_work() for a row (annotation, reply, link) of the member's
    project."""
    return may_change_work(
        author_id=item.author_id, user_id=membership.user_id, can=membership.can
    )


def may_decide(membership: Membership) -> bool:
    """Curators and owners approve, reject or send back annotations."""
    return membership.can(Action.MODERATE)
