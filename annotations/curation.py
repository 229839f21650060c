"""The curation queue: every annotation of a project a curator may decide on."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from annotations import services
from annotations.models import Annotation, Status
from corpus.forms import Multiline
from corpus.models import Document, Membership
from corpus.params import parse_id

QUEUE_PAGE_SIZE = 50
# A row shows the start of its note: this many lines and characters at most.
NOTE_EXCERPT_LINES = 4
NOTE_EXCERPT_CHARS = 240
REASON_MISSING = "Say why: the author sees the reason in the thread."


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
    """A decision on the selected annotations (bulk: `ids` and `status`) or on
    one row (`decide`, "<id> <status>", from the row's own form), with a
    reason, required to reject or to ask for a revision."""

    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    status = forms.ChoiceField(required=False, choices=Status.choices)
    decide = forms.CharField(required=False)
    reason = forms.CharField(required=False, max_length=5_000, widget=Multiline)

    def __init__(self, *args, visible_ids, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ids"].choices = [(pk, pk) for pk in visible_ids]

    @property
    def row(self) -> int | None:
        """The row decided on from its own form, if the decision names one."""
        return parse_id(str(self.data.get("decide", "")).partition(" ")[0])

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
        if (
            data["status"] in services.REASON_REQUIRED
            and "reason" not in self.errors
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", REASON_MISSING)
        return data


def note_excerpt(body: str) -> tuple[str, bool]:
    """The start of a note (Markdown) for a queue row, a few lines at most, and
    whether anything was left out. Cut mid-syntax, Markdown shows the rest as
    text; the whole note is in the thread."""
    text = body.strip()
    lines = text.splitlines()
    cut = len(lines) > NOTE_EXCERPT_LINES
    if cut:
        text = "\n".join(lines[:NOTE_EXCERPT_LINES]).rstrip()
    if len(text) > NOTE_EXCERPT_CHARS:
        head = text[:NOTE_EXCERPT_CHARS]
        # At a word, unless the only space is near the start.
        at_space = head.rfind(" ")
        if not text[NOTE_EXCERPT_CHARS].isspace() and at_space > len(head) // 2:
            head = head[:at_space]
        text, cut = head, True
    return (text.rstrip() + " …" if cut else text), cut


def _rows(membership: Membership) -> QuerySet:
    """The queue's annotations with what a row shows, newest first."""
    # A row shows its document's title only. The rest stays in the database:
    # the text and blocks are megabytes, and on SQLite even a small column
    # stored after them means walking their overflow pages, for each row read.
    not_shown = [
        f"document__{field.name}"
        for field in Document._meta.concrete_fields
        if field.name not in {"id", "project", "title"}
    ]
    return (
        Annotation.objects.shown_to_member(membership)
        .select_related("document", "author")
        .defer(*not_shown)
        .prefetch_related("tags")
        .with_reply_count()
        .order_by("-created_at", "-pk")
    )


def queue(membership: Membership, form: QueueFilterForm) -> QuerySet:
    annotations = _rows(membership)
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


def queue_row(membership: Membership, pk: int) -> Annotation | None:
    """One row of the queue, whatever the filters (a row just decided on)."""
    return _rows(membership).filter(pk=pk).first()


def prepare_rows(rows) -> list[Annotation]:
    """The rows with their note excerpts (`note_excerpt`, `note_cut`)."""
    rows = list(rows)
    for row in rows:
        row.note_excerpt, row.note_cut = note_excerpt(row.body)
    return rows


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
