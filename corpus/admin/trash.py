"""The trash in the admin, for projects and documents: nothing is hard-deleted
here. "Move to the trash" and "Restore from the trash" go through the trash
services, which record them; "Purge for good" is offered only for rows already
in the trash, after a confirmation page. Every action is all or nothing.

The trash takes everything on a document with it, so its services are the
annotations app's: TrashAdmin leaves trash_row, restore_row, purge_row and
purge_summary to the admins that annotations/admin/trash.py puts in place of
corpus's own, and corpus imports nothing of annotations.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.contrib.admin.utils import model_ngettext
from django.template.response import TemplateResponse
from django.utils.html import format_html

from corpus.admin.access import (
    NoHardDeleteAdmin,
    all_found,
    apply_all,
    has_model_permissions,
)


class TrashFilter(admin.SimpleListFilter):
    title = "trash"
    parameter_name = "trash"

    def lookups(self, request, model_admin):
        return [("no", "Not in the trash"), ("yes", "In the trash")]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(trashed_at__isnull=False)
        if self.value() == "no":
            return queryset.filter(trashed_at__isnull=True)
        return queryset


class TrashAdmin(NoHardDeleteAdmin):
    """Trash, restore and purge actions in place of the built-in delete.

    Subclasses say who may act on a row (may_trash) and call the services.
    """

    actions = ["move_to_trash", "restore_from_trash", "purge"]
    purge_template = "admin/corpus/purge.html"

    def may_trash(self, request, row) -> bool:
        raise NotImplementedError

    def trash_row(self, row, by) -> None:
        raise NotImplementedError

    def restore_row(self, row, by) -> None:
        raise NotImplementedError

    def purge_row(self, row, by) -> None:
        raise NotImplementedError

    def purge_summary(self, request, row) -> str:
        """What purging the row destroys, in a few words, for the confirmation."""
        raise NotImplementedError

    who_may = "its owners"

    def has_trash_permission(self, request) -> bool:
        """The model's delete permission, which the hard delete no longer uses."""
        return has_model_permissions(request, self.opts, "delete")

    @admin.display(description="state")
    def state(self, row) -> str:
        if row.trashed_at is None:
            return "Archived" if getattr(row, "archived_at", None) else ""
        return format_html(
            "<strong>In the trash</strong> since {}", f"{row.trashed_at:%Y-%m-%d}"
        )

    def _refusal(self, request, rows, *, in_trash: bool) -> str | None:
        noun = self.opts.verbose_name_plural
        if count := sum(not self.may_trash(request, row) for row in rows):
            return (
                f"you may not do this to {count} of the {len(rows)} selected "
                f"{noun}. Only {self.who_may} may."
            )
        if not all_found(request, rows):
            return f"some of the selected {noun} are gone."
        if count := sum(row.in_trash != in_trash for row in rows):
            where = "not in the trash" if in_trash else "already in the trash"
            verb = "is" if count == 1 else "are"
            return f"{count} of the selected {noun} {verb} {where}."
        return None

    def _apply(self, request, rows, method, *, in_trash: bool, done: str):
        def apply() -> None:
            for row in rows:
                method(row, request.user)

        apply_all(
            self,
            request,
            apply,
            problem=self._refusal(request, rows, in_trash=in_trash),
            done=done.format(n=len(rows), noun=model_ngettext(self.opts, len(rows))),
        )

    @admin.action(description="Move to the trash", permissions=["trash"])
    def move_to_trash(self, request, queryset):
        self._apply(
            request,
            list(queryset),
            self.trash_row,
            in_trash=False,
            done="Moved {n} {noun} to the trash; they can be restored from here.",
        )

    @admin.action(description="Restore from the trash", permissions=["trash"])
    def restore_from_trash(self, request, queryset):
        self._apply(
            request,
            list(queryset),
            self.restore_row,
            in_trash=True,
            done="Restored {n} {noun} from the trash.",
        )

    @admin.action(description="Purge from the trash for good…", permissions=["trash"])
    def purge(self, request, queryset):
        """Ask first; then delete the rows, all already in the trash, for good."""
        rows = list(queryset)
        problem = self._refusal(request, rows, in_trash=True)
        if problem:
            self.message_user(
                request, f"Nothing was changed: {problem}", messages.ERROR
            )
            return None
        form = PurgeForm(request.POST if "apply" in request.POST else None)
        if not form.is_valid():
            return TemplateResponse(
                request,
                self.purge_template,
                {
                    **self.admin_site.each_context(request),
                    "title": f"Purge {model_ngettext(self.opts, len(rows))} for good",
                    "opts": self.opts,
                    "media": self.media,
                    "rows": [(row, self.purge_summary(request, row)) for row in rows],
                    "form": form,
                    "action_checkbox_name": ACTION_CHECKBOX_NAME,
                },
            )
        self._apply(
            request,
            rows,
            self.purge_row,
            in_trash=True,
            done="Purged {n} {noun} for good; the project's record keeps their names.",
        )
        return None


class PurgeForm(forms.Form):
    confirm = forms.BooleanField(
        label="I understand that this cannot be undone.",
        error_messages={"required": "Tick the box to purge for good."},
    )
