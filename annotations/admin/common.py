"""What the annotation admins share: the privacy filter, the project-role check,
and soft deletion in place of the built-in hard delete.
"""

from __future__ import annotations

from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import model_ngettext
from django.contrib.auth import get_permission_codename
from django.db import transaction
from django.db.models import Count, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from annotations.models import MODERATING_ROLES, Link, Visibility
from corpus.models import Membership


def shown(user, prefix: str = "") -> Q:
    """Private annotations are their author's alone, here as everywhere."""
    return Q(**{f"{prefix}visibility": Visibility.PROJECT}) | Q(
        **{f"{prefix}author": user}
    )


def count_refused(user, project_ids: list[int]) -> int:
    """How many of the rows (one project id each) `user` may not moderate."""
    if user.is_superuser:
        return 0
    allowed = set(
        Membership.objects.filter(
            user=user, role__in=MODERATING_ROLES, project_id__in=set(project_ids)
        ).values_list("project_id", flat=True)
    )
    return sum(project_id not in allowed for project_id in project_ids)


def all_found(request, rows: list) -> bool:
    """Whether every selected row is still there (not gone, not hidden)."""
    return len(rows) >= len(set(request.POST.getlist(ACTION_CHECKBOX_NAME)))


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


def link_target(link: Link) -> str:
    if link.target_annotation_id is not None:
        return str(link.target_annotation)
    if link.target_document_id is not None:
        return f"document: {link.target_document}"
    return link.target_title or link.target_url


class SoftDeleteAdmin(admin.ModelAdmin):
    """An admin whose rows are never removed: deleting goes through the service,
    which keeps the row with who deleted it and when, for curators.

    Subclasses say how one row is deleted and which project it belongs to.
    """

    def soft_delete_row(self, row, by) -> None:
        raise NotImplementedError

    def project_id_of(self, row) -> int:
        return row.project_id

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)
        return actions

    def has_delete_permission(self, request, obj=None) -> bool:
        # No hard delete: not from the list, not from the change page.
        return False

    def has_soft_delete_permission(self, request) -> bool:
        """The model's delete permission, which the hard delete no longer uses."""
        codename = get_permission_codename("delete", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    @admin.action(description="Delete (kept for curators)", permissions=["soft_delete"])
    def soft_delete(self, request, queryset):
        """Delete every selected row through its service, or none."""
        rows = list(queryset)
        noun = self.opts.verbose_name_plural
        problem = None
        if count := count_refused(request.user, [self.project_id_of(r) for r in rows]):
            problem = (
                f"you may not delete {count} of the {len(rows)} selected {noun}. "
                "Only the project's curators and owners may."
            )
        elif not all_found(request, rows):
            problem = f"some of the selected {noun} are gone."
        else:
            with transaction.atomic():
                # Locked, so a row deleted meanwhile is not deleted twice.
                deleted_at = dict(
                    self.model._default_manager.select_for_update()
                    .filter(pk__in=[row.pk for row in rows])
                    .order_by("pk")
                    .values_list("pk", "deleted_at")
                )
                if count := sum(deleted_at.get(r.pk) is not None for r in rows):
                    problem = (
                        f"{count} of the selected {noun} "
                        f"{'was' if count == 1 else 'were'} already deleted."
                    )
                else:
                    for row in rows:
                        self.soft_delete_row(row, request.user)
        if problem:
            self.message_user(
                request, f"Nothing was changed: {problem}", messages.ERROR
            )
            return None
        self.message_user(
            request,
            f"Deleted {len(rows)} {model_ngettext(self.opts, len(rows))}; "
            "curators still find them here.",
            messages.SUCCESS,
        )
        return None


class ReadOnlyInline(admin.TabularInline):
    """Rows shown on their annotation's page and changed elsewhere (in the
    reader, through the services), or never."""

    extra = 0
    can_delete = False

    def get_readonly_fields(self, request, obj=None):
        return self.fields

    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False
