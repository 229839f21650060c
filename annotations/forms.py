"""Every form of the annotations app: the input schemas its views hand to the
services, by screen: threads (notes, replies, decisions), reading (the margin's
filters), curation, tags, links and relation types, and the trash."""

from __future__ import annotations

import re

from django import forms
from django.core.exceptions import ValidationError
from django.http import QueryDict

from annotations import reanchor
from annotations.models import (
    REASON_REQUIRED,
    RelationType,
    SearchKind,
    Status,
    Visibility,
)
from annotations.offsets import resolve_selection
from annotations.search_text import MAX_QUERY_CHARS
from annotations.services import text as text_service
from annotations.services.tags import MAX_TAGS
from annotations.services.text import REASON_MAX
from corpus import bodycache
from corpus.conflicts import VersionedForm
from corpus.forms import Multiline
from corpus.models import Document, Membership
from corpus.params import MAX_ID, IdField, parse_id
from corpus.roles import Action

MAX_BODY = 20_000
REASON_MISSING = "Say why: the author sees the reason in the thread."


def form_errors(error: ValidationError | forms.Form) -> list[str]:
    """The messages of a refused form, or of a service's refusal, in one list."""
    if isinstance(error, forms.Form):
        return [text for texts in error.errors.values() for text in texts]
    return error.messages


class TagListField(forms.CharField):
    """Tag names typed as one comma-separated line; at most MAX_TAGS of them."""

    def prepare_value(self, value):
        if isinstance(value, list | tuple):
            return ", ".join(value)
        return value

    def to_python(self, value) -> list[str]:
        value = super().to_python(value)
        names, seen = [], set()
        for name in (" ".join(part.split()) for part in value.split(",")):
            if name and name.lower() not in seen:
                seen.add(name.lower())
                names.append(name[:64])
        return names

    def validate(self, value) -> None:
        super().validate(value)
        if len(value) > MAX_TAGS:
            raise forms.ValidationError(
                f"A note can have at most {MAX_TAGS} tags; this one has {len(value)}.",
                code="too_many_tags",
            )


class NoteFields(forms.Form):
    body = forms.CharField(
        label="Note",
        required=False,
        max_length=MAX_BODY,
        widget=Multiline(attrs={"rows": 4}),
        help_text="Markdown: **bold**, *italic*, [link](https://…), lists.",
    )
    tags = TagListField(
        required=False,
        help_text="Separate tags with commas.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices, initial=Visibility.PROJECT, widget=forms.RadioSelect
    )


class SelectionFields(forms.Form):
    """A passage as the browser's selection gives it.

    sb/eb are the start offsets (code points) of the blocks where the selection
    starts and ends, so/eo the offsets within them in UTF-16 units, as the DOM
    counts; the server turns them into code points.
    """

    sb = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    so = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    eb = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    eo = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    exact = forms.CharField(strip=False, max_length=200_000, widget=forms.HiddenInput)
    # The revision of the text the selection was made in (the page's): when
    # the text was revised since, the passage is carried to the new text.
    text_revision = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, required=False, widget=forms.HiddenInput
    )

    def selection_range(self, document: Document) -> tuple[int, int]:
        """The code-point range of the selection in the document; ValueError if
        it does not fall on the document's text.

        A selection made in an earlier revision of the text is found in the
        one it was made in, then carried to the current text: taken there
        when its text stands whole (moved), refused otherwise."""
        data = self.cleaned_data
        seen = data.get("text_revision")
        current = seen is None or seen == document.text_revision
        if current:
            text, spans = document.text, bodycache.block_bounds(document).spans
        elif seen > document.text_revision:
            raise ValueError("This page shows a text revision that does not exist.")
        else:
            text, blocks, _links = text_service.text_at(document, seen)
            spans = [(block["start"], block["end"]) for block in blocks]
        start, end = resolve_selection(
            text, spans, data["sb"], data["so"], data["eb"], data["eo"]
        )
        if current:
            return start, end
        (outcome,) = reanchor.carry(text, document.text, [reanchor.Passage(start, end)])
        if outcome.fate is not reanchor.Fate.MOVED:
            raise ValueError(
                "The text of this passage was corrected since you selected it. "
                "Reload the page and select it again in the revised text."
            )
        return outcome.start, outcome.end


class AnnotationCreateForm(NoteFields, SelectionFields):
    """A new annotation; the anchor comes from the browser's selection."""


class AnnotationEditForm(VersionedForm, NoteFields):
    versioned_fields = ("body", "tags", "visibility")


class ReplyForm(forms.Form):
    body = forms.CharField(
        label="Reply",
        max_length=MAX_BODY,
        widget=Multiline(attrs={"rows": 3}),
        help_text="Markdown.",
    )


class ReplyEditForm(VersionedForm, ReplyForm):
    versioned_fields = ("body",)


class MarginFilterForm(forms.Form):
    tag = forms.CharField(required=False, max_length=64)
    author = forms.CharField(required=False, max_length=150)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Status.choices]
    )
    mine = forms.BooleanField(required=False, label="Mine only")
    approved = forms.BooleanField(
        required=False, label="Approved only (what the group publishes)"
    )

    def query(self) -> QueryDict:
        """The filters as they were sent, for the links that keep them (the
        margin's pages): this form's fields only, never the poll's state."""
        query = QueryDict(mutable=True)
        for name in self.fields:
            if name in self.data:
                query.setlist(name, self.data.getlist(name))
        return query

    @property
    def approved_only(self) -> bool:
        return self.is_valid() and self.cleaned_data["approved"]

    @property
    def narrows(self) -> bool:
        """Whether a filter leaves annotations out (a page sends every field,
        empty when unused)."""
        return self.is_valid() and any(self.cleaned_data.values())


class PreviewForm(forms.Form):
    body = forms.CharField(
        required=False, max_length=MAX_BODY, strip=False, widget=Multiline
    )


class StatusForm(forms.Form):
    status = forms.ChoiceField(choices=Status.choices)
    reason = forms.CharField(
        required=False,
        max_length=5_000,
        widget=Multiline(attrs={"rows": 2}),
        help_text="Required to reject or ask for a revision; the author sees it.",
    )


class RevisionRestoreForm(forms.Form):
    """Bring an earlier text back: why, and the revision the page showed (a
    restore made on a page the text has since left is refused)."""

    reason = forms.CharField(
        max_length=REASON_MAX,
        widget=Multiline(attrs={"rows": 2}),
        label="Why restore it",
        help_text="Kept with the revision, for everyone who reads its history.",
    )
    base_revision = forms.IntegerField(
        min_value=0, max_value=MAX_ID, widget=forms.HiddenInput
    )


class TagFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=64, label="Find a tag")
    page = forms.CharField(required=False)


class TagEditForm(VersionedForm, forms.Form):
    """One tag's name, colour, description, parent and retirement."""

    versioned_fields = ("name", "colour", "description", "parent", "retired")

    name = forms.CharField(max_length=64)
    colour = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        max_length=7,
        error_messages={"invalid": "Use a colour like #f2c94c."},
        widget=forms.TextInput(attrs={"type": "color"}),
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=Multiline(attrs={"rows": 2})
    )
    parent = forms.CharField(
        required=False,
        max_length=64,
        label="Inside",
        help_text="The name of the tag it belongs under; empty for the top level.",
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    retired = forms.BooleanField(
        required=False,
        label="Retired",
        help_text="Stays on its annotations but is no longer offered.",
    )

    def clean_name(self) -> str:
        return " ".join(self.cleaned_data["name"].split())

    def clean_parent(self) -> str:
        return " ".join(self.cleaned_data["parent"].split())


class TagMergeForm(forms.Form):
    merge = forms.TypedMultipleChoiceField(coerce=int, required=True)
    into = forms.CharField(max_length=64, label="into the tag")

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["merge"].choices = choices
        self.fields["merge"].error_messages = {
            "required": "Tick the tags to merge.",
            "invalid_choice": "Tick tags of this project.",
        }


# The curation queue -------------------------------------------------------------


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
            project_documents(membership).order_by("title").values_list("pk", "title")
        )


class ExportForm(MarginFilterForm):
    """What to export and how: the whole project or one document, the
    annotations the member sees narrowed by the margin's filters (the approved
    ones, a tag, an author, a status, their own), in a format."""

    field_order = ["format", "document", "approved", "tag", "author", "status", "mine"]

    FORMATS = (
        ("w3c", "W3C Web Annotations (JSON-LD), for other annotation tools"),
        ("csv", "CSV tables in a zip, for pandas, R or a spreadsheet"),
        ("tei", "TEI P5 XML of one document, for editors"),
        (
            "edition",
            "An annotated edition of one document: a web page to read or print",
        ),
    )
    ONE_DOCUMENT = {"tei", "edition"}
    # Offered to those who may change the project (its owners).
    BACKUP = ("backup", "A backup of the whole project, to restore as a new one")

    document = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Scope"
    )
    format = forms.ChoiceField(
        choices=FORMATS, initial="w3c", widget=forms.RadioSelect, required=False
    )

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["document"].choices = [("", "The whole project")] + list(
            project_documents(membership).order_by("title").values_list("pk", "title")
        )
        if membership.can(Action.EDIT_PROJECT):
            self.fields["format"].choices = [*self.FORMATS, self.BACKUP]

    def clean(self) -> dict:
        data = super().clean()
        if data.get("format") in self.ONE_DOCUMENT and data.get("document") is None:
            self.add_error(
                "document", "Choose a document: this format holds one at a time."
            )
        return data


# Hits annotated at once at most.
MAX_HITS = 5000


class SearchForm(forms.Form):
    """A search and its facets, all in the URL (a search is a link)."""

    SORTS = (
        ("", "By document"),
        ("position", "By position in the text"),
        ("before", "By the word before"),
        ("after", "By the word after"),
    )

    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY_CHARS,
        strip=False,
        error_messages={
            "max_length": "A query has at most %(limit_value)d characters; "
            "this one has %(show_value)d."
        },
    )
    exact = forms.BooleanField(
        required=False, label="Exact characters (punctuation counts)"
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Everything"), *SearchKind.choices]
    )
    document = IdField(required=False)
    tag = forms.CharField(required=False, max_length=64)
    author = forms.CharField(required=False, max_length=150)
    status = forms.ChoiceField(
        required=False, choices=[("", "Any status"), *Status.choices]
    )
    since = forms.DateField(required=False, label="Published from")
    until = forms.DateField(required=False, label="Published until")
    sort = forms.ChoiceField(required=False, choices=SORTS)

    def clean(self) -> dict:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            raise ValidationError(
                f"“Published from” ({since:%Y-%m-%d}) is after “Published "
                f"until” ({until:%Y-%m-%d}): no document can be both."
            )
        return data


class AnnotateHitsForm(forms.Form):
    """Annotations to make on a search's hits: the hits chosen ("document:
    start:end" each) or all of the search's, a tag and a note."""

    hit = forms.Field(required=False, widget=forms.MultipleHiddenInput)
    all = forms.BooleanField(required=False, label="All the hits of this search")
    add_tag = forms.CharField(max_length=64, label="Tag them")
    body = forms.CharField(
        required=False, max_length=MAX_BODY, label="Note (optional)", widget=Multiline
    )
    confirm = forms.BooleanField(required=False)

    # document:start:end, and the revision of the text they count in.
    HIT = re.compile(r"^(\d{1,18}):(\d{1,9}):(\d{1,9})(?::(\d{1,9}))?$")

    def clean_hit(self) -> list[tuple[int, int, int]]:
        passages = []
        self.revisions: dict[int, int] = {}
        for value in (self.cleaned_data.get("hit") or [])[: MAX_HITS + 1]:
            found = self.HIT.match(value) if isinstance(value, str) else None
            if found is None:
                raise ValidationError("A chosen hit is not one of the search's.")
            document, start, end, revision = found.groups()
            if int(end) <= int(start):
                raise ValidationError("A chosen hit is not one of the search's.")
            passages.append((int(document), int(start), int(end)))
            if revision is None:  # a hit that does not say (checked as it is)
                continue
            if self.revisions.setdefault(int(document), int(revision)) != int(revision):
                raise ValidationError(
                    "The chosen hits are of two revisions of one text: search again."
                )
        return passages

    def clean(self) -> dict:
        data = super().clean()
        if not data.get("all") and not data.get("hit"):
            raise ValidationError("Choose some hits, or all of them.")
        return data


class RestoreForm(forms.Form):
    """A backup to restore as a new project."""

    archive = forms.FileField(
        label="Backup file",
        help_text="A .zip backup downloaded from a project's settings on this server.",
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
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
            data["status"] in REASON_REQUIRED
            and "reason" not in self.errors
            and not data.get("reason", "").strip()
        ):
            self.add_error("reason", REASON_MISSING)
        return data


# Links and relation types ---------------------------------------------------------


def project_documents(membership: Membership):
    """The documents of the member's project, by title only: choices of forms."""
    return Document.objects.filter(project_id=membership.project_id).only("pk", "title")


class LinkForm(forms.Form):
    relation = forms.ModelChoiceField(
        queryset=RelationType.objects.none(),
        error_messages={"invalid_choice": "Choose one of this project's relations."},
    )
    target_annotation = IdField(required=False)
    target_document = forms.ModelChoiceField(
        queryset=Document.objects.none(),
        required=False,
        error_messages={"invalid_choice": "Choose a document of this project."},
    )
    # Not a URLField: its normalising would hide what was typed; the service
    # checks the scheme and says why it refuses.
    target_url = forms.CharField(max_length=2000, required=False)
    target_title = forms.CharField(max_length=500, required=False)
    citation = forms.CharField(max_length=1000, required=False)
    accessed = forms.DateField(required=False)
    note = forms.CharField(max_length=1000, required=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].queryset = RelationType.objects.offered_in(
            membership.project_id
        )
        self.fields["target_document"].queryset = project_documents(membership)


class PassageLinkForm(AnnotationCreateForm):
    """A passage selected side by side (becoming an annotation) and the link to it."""

    relation = LinkForm.base_fields["relation"]
    note = LinkForm.base_fields["note"]

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["relation"].queryset = RelationType.objects.offered_in(
            membership.project_id
        )
        # The new annotation is the link's target: a bare highlight, shared.
        for name in ("body", "tags", "visibility"):
            del self.fields[name]


class LinkFilterForm(forms.Form):
    relation = forms.ModelChoiceField(
        queryset=RelationType.objects.none(), required=False, empty_label="Any"
    )
    document = forms.ModelChoiceField(
        queryset=Document.objects.none(), required=False, empty_label="Any"
    )
    author = forms.ChoiceField(required=False)

    def __init__(self, *args, membership: Membership, **kwargs):
        super().__init__(*args, **kwargs)
        project = membership.project
        self.fields["relation"].queryset = RelationType.objects.filter(
            project=project
        ).order_by("name")
        self.fields["document"].queryset = project_documents(membership)
        self.fields["author"].choices = [("", "Any")] + [
            (name, name)
            for name in Membership.objects.filter(project=project)
            .order_by("user__username")
            .values_list("user__username", flat=True)
        ]


class RelationTypeForm(forms.Form):
    name = forms.CharField(max_length=64)
    description = forms.CharField(required=False, max_length=1000)
    retired = forms.BooleanField(required=False)


class RelationTypeEditForm(VersionedForm, RelationTypeForm):
    versioned_fields = ("name", "description", "retired")


# The trash ------------------------------------------------------------------------


class ConfirmNameForm(forms.Form):
    """Typing the name of what is purged: a purge cannot be undone."""

    confirm = forms.CharField(max_length=500, label="Type its name to confirm")

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_confirm(self) -> str:
        typed = self.cleaned_data["confirm"].strip()
        if typed != self.expected.strip():
            raise ValidationError("That is not its name; nothing was purged.")
        return typed


# Text revisions (views/text.py): a block edited, merged, deleted or inserted;
# a corrected file; an orphan resolved or reattached.
# What a block's form may do: the submit buttons' values (_block_form.html).
BLOCK_OPERATIONS = {"edit", "merge", "delete", "insert"}
BLOCK_KINDS = [
    ("paragraph", "Paragraph"),
    ("heading", "Heading"),
    ("list_item", "List item"),
]
MAX_BLOCK = 200_000


class TextReasonField(forms.CharField):
    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", REASON_MAX)
        kwargs.setdefault("label", "Reason")
        kwargs.setdefault(
            "help_text", "Why the text changes: it is kept in the revisions."
        )
        kwargs.setdefault("error_messages", {"required": "Say why the text changes."})
        super().__init__(**kwargs)


class BlockEditForm(forms.Form):
    # The revision the editor saw: an edit to an older one is refused (409).
    revision = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput
    )
    block = forms.IntegerField(min_value=0, max_value=10**6, widget=forms.HiddenInput)
    content = forms.CharField(
        label="Text",
        required=False,
        max_length=MAX_BLOCK,
        strip=False,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=(
            "A blank line splits the block in two. To insert a new block after "
            "this one, type its text here and choose Insert."
        ),
    )
    kind = forms.ChoiceField(choices=BLOCK_KINDS, required=False)
    level = forms.IntegerField(min_value=1, max_value=6, required=False)
    reason = TextReasonField()

    def clean(self):
        data = super().clean()
        # The button pressed (each submit button sends its own).
        operation = self.data.get("operation", "edit")
        if operation not in BLOCK_OPERATIONS:
            raise forms.ValidationError("Choose what to do with the block.")
        data["operation"] = operation
        if operation in {"edit", "insert"} and not (data.get("content") or "").strip():
            self.add_error("content", "Type the block's text.")
        return data


class NewVersionForm(forms.Form):
    revision = forms.IntegerField(
        min_value=0, max_value=2**31 - 1, widget=forms.HiddenInput
    )
    file = forms.FileField(
        label="Corrected file",
        help_text="The whole text again, corrected: read by the same importers.",
    )
    reason = TextReasonField()


class OrphanResolveForm(forms.Form):
    reason = TextReasonField(
        help_text="",
        error_messages={"required": "Say why it is resolved without a passage."},
    )


class ReattachForm(SelectionFields):
    """An orphan's new passage, selected in the text of `revision`."""

    revision = forms.IntegerField(min_value=0, max_value=2**31 - 1)
