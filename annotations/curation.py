"""The curation queue: every annotation of a project a curator may decide on."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from annotations import services
from annotations.models import Annotation, Status
from corpus.models import Document, Membership
from corpus.params import parse_id

QUEUE_PAGE_SIZE = 50


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(
        required=False,
        choices=[("", "Any status"), *Status.choices],
        initial=Status.SUBMITTED,
    )
    document = forms.TypedChoiceField(required=False, coerce=int, empty_value=None)
    tag = forms.CharField(required=False, max_length=64)
    author = forms.CharField(required=False, max_length=150)
    since = forms.DateField(
        required=False, label="From", widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label="To", widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "Any document")] + list(
            Document.objects.filter(project_id=membership.project_id)
            .order_by("title")
            .values_list("pk", "title")
        )


class DecisionForm(forms.Form):
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    status = forms.ChoiceField(required=False, choices=Status.choices)
    decide = forms.CharField(required=False)  # "<id> <status>" from a row's button
    reason = forms.CharField(required=False, max_length=5_000)

    def __init__(self, *args, visible_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in visible_ids]

    def clean(self):
        data = super().clean()
        if data.get("decide"):
            raw, _, status = data["decide"].partition(" ")
            pk = parse_id(raw)
            if pk is None or status not in Status.values:
                raise ValidationError("Choose a listed decision.")
            data["ids"], data["status"] = [pk], status
        if not data.get("ids"):
            raise ValidationError("Select at least one annotation.")
        if not data.get("status"):
            raise ValidationError("Choose a decision.")
        return data


def queue(membership: Membership, form: QueueFilterForm) -> QuerySet:
    # A row shows its document's title only. The rest stays in the database:
    # the text and blocks are megabytes, and on SQLite even a small column
    # stored after them means walking their overflow pages, for each row read.
    not_shown = [
        f"document__{field.name}"
        for field in Document._meta.concrete_fields
        if field.name not in {"id", "project", "title"}
    ]
    annotations = (
        Annotation.objects.shown_to_member(membership)
        .select_related("document", "author")
        .defer(*not_shown)
        .prefetch_related("tags")
        .with_reply_count()
        .order_by("-created_at", "-pk")
    )
    data = form.cleaned_data if form.is_valid() else {"status": Status.SUBMITTED}
    if data.get("status"):
        annotations = annotations.filter(status=data["status"])
    if data.get("document"):
        annotations = annotations.filter(document_id=data["document"])
    if data.get("tag"):
        annotations = annotations.filter(tags__name__iexact=data["tag"])
    if data.get("author"):
        annotations = annotations.filter(author__username=data["author"])
    if data.get("since"):
        annotations = annotations.filter(created_at__date__gte=data["since"])
    if data.get("until"):
        annotations = annotations.filter(created_at__date__lte=data["until"])
    return annotations


@transaction.atomic
def decide_all(
    *, membership: Membership, by, ids: list[int], status: str, reason: str
) -> list[Annotation]:
    """The same decision and reason for each annotation; all or none."""
    annotations = Annotation.objects.shown_to_member(membership).filter(pk__in=ids)
    found = list(annotations)
    if len(found) != len(set(ids)):
        raise ValidationError("Some of these annotations are gone or not yours to see.")
    for annotation in found:
        services.set_status(annotation=annotation, by=by, status=status, reason=reason)
    return found
