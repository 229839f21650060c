"""What the annotation admins share: which annotations (and rows hanging from
them) the admin shows a user, and soft deletion in place of the built-in hard
delete, by the same rule as the app.
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.utils import model_ngettext
from django.core.exceptions import ValidationError
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import Link
from annotations.permissions import (
    MODERATING_ROLES,
    may_change_work,
    visible_filter,
)
from corpus.admin.access import (
    NoHardDeleteAdmin,
    ProjectRowsAdmin,
    all_found,
    apply_all,
    has_model_permissions,
    may,
    refused,
)
from corpus.admin.inlines import ReadOnlyInline

__all__ = [
    "ReadOnlyInline",
    "SoftDeleteAdmin",
    "all_found",
    "count_per_row",
    "link_scope",
    "link_target",
    "may_change_row",
    "moderated",
    "reply_scope",
    "seen",
]


def moderated(user, prefix: str = "") -> Q:
    """The annotation (through `prefix`) is in a project `user` moderates.

    It names the same membership as visible_filter(): combine the two in one
    filter() call, so that both conditions hold for the user's own membership.
    """
    return Q(**{f"{prefix}project__memberships__role__in": MODERATING_ROLES})


def seen(user, prefix: str = "") -> Q:
    """The annotations (through `prefix`) the admin shows `user`: what the app
    shows them (visible_filter), and deleted ones too to those who moderate the
    project, for whom deleted rows are kept. Use it in one filter() call."""
    everything = visible_filter(
        user, prefix, include_deleted=True, include_orphans=True
    )
    if user.is_superuser:
        return everything
    return everything & (
        Q(**{f"{prefix}deleted_at__isnull": True}) | moderated(user, prefix)
    )


def link_scope(user) -> Q:
    """The links the admin shows `user`: both ends seen (the target, for a link to
    an annotation), and deleted links only to those who moderate."""
    scope = seen(user, "source__") & (
        Q(target_annotation__isnull=True) | seen(user, "target_annotation__")
    )
    if user.is_superuser:
        return scope
    return scope & (Q(deleted_at__isnull=True) | moderated(user, "source__"))


def reply_scope(user) -> Q:
    """The replies the admin shows `user`: on annotations it shows them, and
    deleted ones only to those who moderate."""
    scope = seen(user, "annotation__")
    if user.is_superuser:
        return scope
    return scope & (Q(deleted_at__isnull=True) | moderated(user, "annotation__"))


def count_per_row(links: QuerySet, field: str) -> Coalesce:
    """Count `links` per `field` = the outer row, as a correlated subquery."""
    per_row = (
        links.filter(**{field: OuterRef("pk")})
        .order_by()
        .values(field)
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Coalesce(Subquery(per_row), 0)


def may_change_row(request, project_id: int, author_id: int | None) -> bool:
    """The app's rule (permissions.may_change_work) for a row of any project."""
    return may_change_work(
        author_id=author_id,
        user_id=request.user.pk,
        can=lambda action: may(request, project_id, action),
    )


def link_target(link: Link) -> str:
    if link.target_annotation_id is not None:
        return str(link.target_annotation)
    if link.target_document_id is not None:
        return f"document: {link.target_document}"
    return link.target_title or link.target_url


class SoftDeleteAdmin(NoHardDeleteAdmin, ProjectRowsAdmin):
    """An admin whose rows are never removed: deleting goes through the service,
    which keeps the row with who deleted it and when, for curators. As in the
    app, a row is deleted by its author (while they may annotate) or by the
    project's curators and owners.

    Subclasses say how one row is deleted and which project it belongs to.
    """

    def soft_delete_row(self, row, by) -> None:
        raise NotImplementedError

    def may_delete_row(self, request, row) -> bool:
        return may_change_row(request, self.project_id_of(row), row.author_id)

    def has_soft_delete_permission(self, request) -> bool:
        """The model's delete permission, which the hard delete no longer uses."""
        return has_model_permissions(request, self.opts, "delete")

    @admin.action(description="Delete (kept for curators)", permissions=["soft_delete"])
    def soft_delete(self, request, queryset):
        """Delete every selected row through its service, or none."""
        rows = list(queryset)
        noun = self.opts.verbose_name_plural
        problem = None
        if count := refused(rows, lambda row: self.may_delete_row(request, row)):
            problem = (
                f"you may not delete {count} of the {len(rows)} selected {noun}. "
                "Only their authors and the project's curators and owners may."
            )
        elif not all_found(request, rows):
            problem = f"some of the selected {noun} are gone."

        def apply() -> None:
            # Locked, so a row deleted meanwhile is not deleted twice.
            deleted_at = dict(
                self.model._default_manager.select_for_update()
                .filter(pk__in=[row.pk for row in rows])
                .order_by("pk")
                .values_list("pk", "deleted_at")
            )
            if count := sum(deleted_at.get(r.pk) is not None for r in rows):
                raise ValidationError(
                    f"{count} of the selected {noun} "
                    f"{'was' if count == 1 else 'were'} already deleted."
                )
            for row in rows:
                self.soft_delete_row(row, request.user)

        apply_all(
            self,
            request,
            apply,
            problem=problem,
            done=f"Deleted {len(rows)} {model_ngettext(self.opts, len(rows))}; "
            "curators still find them here.",
        )
        return None
