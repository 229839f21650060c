"""Change forms that carry the version and values they were loaded with, as the
app's edit forms do (corpus.conflicts): a stale save is refused, and the form
comes back with the newer values merged in and what changed, and who changed it.

Where it happens: the change form's clean() compares the version the form was
loaded at with the row the admin has just read to save it, so a stale save
takes the admin's own path for an invalid form (the bound form shown again,
errors at the top, nothing saved), with its data replaced by the three-way
merge of corpus.conflicts.merge. save_model() then saves through the model's
versioned service, naming the version from the form, never one read at save
time. The service's locked check stays the authority: when someone saves in
between the two checks, it raises EditConflict, the admin's transaction is
rolled back, and changeform_view() runs the view once more, where clean() now
sees the newer row and shows the conflict.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseRedirect, QueryDict

from corpus.conflicts import EditConflict, VersionedForm, conflict_context, merge


class ModelListField(forms.ModelMultipleChoiceField):
    """A many-to-many field whose value is a list of rows (not a queryset), so
    that merge() compares and shows it as it does a list of names."""

    def clean(self, value):
        return list(super().clean(value))


def as_data(field: forms.Field, value) -> list[str]:
    """A field's value as the data its widget would send (a list: QueryDict)."""
    if isinstance(field, forms.MultipleChoiceField | forms.ModelMultipleChoiceField):
        return [str(item) for item in field.prepare_value(value or [])]
    if isinstance(field, forms.BooleanField):
        # Read alike by the checkbox and by the hidden "initial" input.
        return ["true" if value else "false"]
    prepared = field.prepare_value(value)
    return ["" if prepared is None else str(prepared)]


class VersionedAdminForm(VersionedForm, forms.ModelForm):
    """A ModelForm for the admin's change page that carries its version (hidden)
    and the loaded values of `versioned` (hidden "initial-" inputs, rendered with
    each field), and refuses a stale save with the newer values merged in.

    Fields the user may not change (read-only in the admin) are left out; so is
    all of it on the add page, where there is nothing to be stale.
    """

    versioned: tuple[str, ...] = ()

    @property
    def versioned_fields(self) -> tuple[str, ...]:
        if self.instance.pk is None:
            return ()
        return tuple(name for name in self.versioned if name in self.fields)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.conflict: dict | None = None
        self._merged = None
        if self.instance.pk is None:
            del self.fields["version"]
        else:
            self.initial.setdefault("version", self.instance.version)

    def stored_values(self, row) -> dict:
        """The row's values of the versioned fields, in the form's terms."""
        values = {}
        for name in self.versioned_fields:
            if row._meta.get_field(name).many_to_many:
                values[name] = list(getattr(row, name).all())
            else:
                values[name] = getattr(row, name)
        return values

    def clean(self):
        data = super().clean()
        loaded = data.get("version")
        # The instance is the row as the admin read it for this save.
        stored = self.instance
        if stored.pk is None or loaded is None or loaded == stored.version:
            return data
        theirs = self.stored_values(stored)
        values, changes = merge(self, theirs)
        self.conflict = conflict_context(stored, changes, loaded)
        by = self.conflict["conflict_by"]
        who = by.get_username() if by else "Someone"
        self.add_error(
            None,
            ValidationError(
                f"{who} changed this while you were editing: nothing was saved.",
                code="edit_conflict",
            ),
        )
        for change in changes:
            if change.clash:
                self.add_error(
                    change.name,
                    f"{who} changed this too, to “{change.theirs}”. Saving again "
                    "keeps yours.",
                )
        self._merged = (values, theirs, stored.version)
        return data

    def full_clean(self):
        super().full_clean()
        if self._merged is not None:
            self.data = self._merged_data(*self._merged)

    def _merged_data(self, values: dict, theirs: dict, version: int) -> QueryDict:
        """The sent data with the merged values, loaded (for the next merge) at
        the stored values and version: saving it again is a knowing save."""
        if isinstance(self.data, QueryDict):
            data = self.data.copy()
        else:
            data = QueryDict(mutable=True)
            for key, value in self.data.items():
                data.setlist(key, value if isinstance(value, list) else [value])
        for name, value in values.items():
            field = self.fields[name]
            data.setlist(self.add_prefix(name), as_data(field, value))
            data.setlist(self.add_initial_prefix(name), as_data(field, theirs[name]))
        data.setlist(self.add_prefix("version"), [str(version)])
        return data


class VersionedAdmin(admin.ModelAdmin):
    """A ModelAdmin whose change form is a VersionedAdminForm, saved through the
    model's versioned service (save_version), and shown again on a conflict."""

    form = VersionedAdminForm
    change_form_template = "admin/versioned_change_form.html"

    def save_version(self, request, obj, form, version: int) -> None:
        """Save the change through the service, naming `version`; it raises
        EditConflict if the row moved on since."""
        raise NotImplementedError

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            super().save_model(request, obj, form, change)
            return
        self.save_version(request, obj, form, form.cleaned_data["version"])

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        for _attempt in range(2):
            try:
                return super().changeform_view(
                    request, object_id, form_url, extra_context
                )
            except EditConflict:
                # Saved by someone between the form's check and the service's
                # lock; all of this save is rolled back. Once more: the form's
                # check now sees their change and shows it.
                continue
            except ValidationError as error:
                # A rule only the service could check (it locks the rows).
                self.message_user(
                    request,
                    "Nothing was saved: " + " ".join(error.messages),
                    messages.ERROR,
                )
                return HttpResponseRedirect(request.get_full_path())
        self.message_user(
            request,
            "Nothing was saved: others were changing this at the same moment. "
            "Here it is as it is now; make your change again.",
            messages.ERROR,
        )
        return HttpResponseRedirect(request.get_full_path())

    def render_change_form(
        self, request, context, add=False, change=False, form_url="", obj=None
    ):
        form = context["adminform"].form
        if getattr(form, "conflict", None):
            context.update(form.conflict)
        return super().render_change_form(request, context, add, change, form_url, obj)
