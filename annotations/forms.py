from __future__ import annotations

from django import forms

from annotations.models import Status, Visibility
from annotations.services.tags import MAX_TAGS
from corpus.conflicts import VersionedForm
from corpus.forms import Multiline

MAX_BODY = 20_000


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


class AnnotationCreateForm(NoteFields):
    """A new annotation; the anchor comes from the browser's selection.

    sb/eb are the start offsets (code points) of the blocks where the selection
    starts and ends, so/eo the offsets within them in UTF-16 units, as the DOM
    counts; the server turns them into code points.
    """

    sb = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    so = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    eb = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    eo = forms.IntegerField(min_value=0, max_value=2**31, widget=forms.HiddenInput)
    exact = forms.CharField(strip=False, max_length=200_000, widget=forms.HiddenInput)


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
