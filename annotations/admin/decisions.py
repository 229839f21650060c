"""Curators' decisions in the admin: approve, reject or send back the selected
annotations, with a reason, through services.set_status as in the app; all or
nothing, and only where the user curates."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import ValidationError
from django.db import transaction
from django.template.response import TemplateResponse

from annotations import services
from annotations.admin.common import all_found
from annotations.models import REASON_REQUIRED, Status
from corpus.admin.access import may, refused
from corpus.roles import Action


class ReasonForm(forms.Form):
    reason = forms.CharField(
        required=False,
        max_length=5_000,
        widget=forms.Textarea(attrs={"rows": 4, "cols": 60}),
    )


class DecisionActions(admin.ModelAdmin):
    """The decision actions of the annotation admin."""

    @admin.action(description="Approve selected annotations…", permissions=["change"])
    def approve(self, request, queryset):
        return self._decide(request, queryset, Status.APPROVED, "approve")

    @admin.action(description="Reject selected annotations…", permissions=["change"])
    def reject(self, request, queryset):
        return self._decide(request, queryset, Status.REJECTED, "reject")

    @admin.action(
        description="Send selected annotations back for revision…",
        permissions=["change"],
    )
    def ask_for_revision(self, request, queryset):
        return self._decide(
            request, queryset, Status.NEEDS_REVISION, "ask_for_revision"
        )

    def _decide(self, request, queryset, status: str, action: str):
        """Ask for the reason, then set the status of every row, or of none."""
        annotations = list(queryset)
        if count := refused(
            annotations, lambda row: may(request, row.project_id, Action.MODERATE)
        ):
            self.message_user(
                request,
                f"Nothing was changed: you may not decide on {count} of the "
                f"{len(annotations)} selected annotations. Only the project's "
                "curators and owners may.",
                messages.ERROR,
            )
            return None
        if not all_found(request, annotations):
            self.message_user(
                request,
                "Nothing was changed: some of the selected annotations are gone.",
                messages.ERROR,
            )
            return None
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            try:
                with transaction.atomic():
                    for annotation in annotations:
                        services.set_status(
                            annotation=annotation,
                            by=request.user,
                            status=status,
                            reason=form.cleaned_data["reason"],
                        )
            except ValidationError as error:
                if set(getattr(error, "error_dict", {})) == {"reason"}:
                    form.add_error(None, error)
                else:
                    self.message_user(
                        request,
                        "Nothing was changed: " + " ".join(error.messages),
                        messages.ERROR,
                    )
                    return None
            else:
                self.message_user(
                    request,
                    f"{len(annotations)} annotation(s) marked "
                    f"“{Status(status).label}”.",
                    messages.SUCCESS,
                )
                return None
        return TemplateResponse(
            request,
            "admin/annotations/annotation/decide.html",
            {
                **self.admin_site.each_context(request),
                "title": f"Mark as “{Status(status).label}”",
                "opts": self.opts,
                "media": self.media,
                "annotations": annotations,
                "form": form,
                "action": action,
                "status_label": Status(status).label,
                "reason_required": status in REASON_REQUIRED,
                "action_checkbox_name": ACTION_CHECKBOX_NAME,
            },
        )
