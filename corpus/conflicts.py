"""Optimistic locking, shared by every edit form: refuse a stale save, and show
the editor everything that changed since they loaded the form, and who changed it.

An edit form carries the version it was loaded at and, as hidden "initial"
fields (Django's show_hidden_initial), the values it was loaded with. When the
row has moved on, the service raises EditConflict; merge() then compares the
three versions of each field: what the editor loaded (base), what is stored now
(theirs) and what the editor sent (yours). Fields the editor did not touch take
the stored value, so saving again cannot undo someone else's change without the
editor seeing it; fields both changed are flagged, with both values shown.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString, mark_safe

MAX_VERSION = 2**31 - 1


class EditConflict(Exception):
    """Someone changed (or deleted) the row since the editor loaded it."""

    def __init__(self, current):
        self.current = current
        super().__init__("This was changed by someone else since you opened it.")


@dataclass(frozen=True)
class FieldChange:
    """One field someone else changed: what the editor loaded, what is stored now,
    and whether the editor changed it too (to something else)."""

    name: str
    label: str
    base: str
    theirs: str
    yours: str
    clash: bool


class VersionedForm:
    """A mixin for edit forms: the version the form was loaded at, and the values
    of `versioned_fields` it was loaded with (hidden), for merge().

    Templates that lay fields out by hand put {{ form.loaded_inputs }} in the form.
    """

    versioned_fields: tuple[str, ...] = ()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(
            min_value=1, max_value=MAX_VERSION, widget=forms.HiddenInput
        )
        for name in self.versioned_fields:
            self.fields[name].show_hidden_initial = True

    def loaded_inputs(self) -> SafeString:
        hidden = [str(self["version"])]
        hidden += [
            self[name].as_hidden(only_initial=True) for name in self.versioned_fields
        ]
        return mark_safe("".join(hidden))  # noqa: S308 (rendered by Django widgets)


def as_data(value) -> str:
    """A field's Python value as form data (what its widget would send)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, models.Model):
        return str(value.pk)
    return str(value)


def rebound(form: forms.Form, values: Mapping, theirs: Mapping, version: int, **kw):
    """A fresh form showing `values`, loaded (for the next merge) at `theirs`
    and at `version`: saving it again is a knowing save over the newer row."""
    data = {name: as_data(value) for name, value in values.items()}
    data |= {
        form.add_initial_prefix(name): as_data(value) for name, value in theirs.items()
    }
    data["version"] = str(version)
    fresh = type(form)(data, **kw)
    fresh.is_valid()
    return fresh


def _loaded(form: forms.Form, name: str):
    """The value the form was loaded with, from its hidden initial field."""
    field = form.fields[name]
    raw = field.hidden_widget().value_from_datadict(
        form.data, form.files, form.add_initial_prefix(name)
    )
    try:
        return field.clean(raw)
    except ValidationError:
        return None


def _sent(form: forms.Form, name: str):
    if form.is_bound and hasattr(form, "cleaned_data") and name in form.cleaned_data:
        return form.cleaned_data[name]
    field = form.fields[name]
    raw = field.widget.value_from_datadict(form.data, form.files, form.add_prefix(name))
    try:
        return field.clean(raw)
    except ValidationError:
        return raw


def _shown(field: forms.Field, value) -> str:
    """A value as the form would show it (a list as "a, b"), for the message."""
    if value is None:
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(str(item) for item in value)
    prepared = field.prepare_value(value)
    if isinstance(field, forms.ChoiceField):
        return str(dict(field.choices).get(prepared, prepared))
    if isinstance(field, forms.BooleanField):
        return "yes" if value else "no"
    return "" if prepared is None else str(prepared)


def _same(a, b) -> bool:
    """Equal as an editor would judge: lists in any order and case, text with
    any newline convention (browsers send textareas with CRLF)."""
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        return sorted(str(x).casefold() for x in a) == sorted(
            str(x).casefold() for x in b
        )
    if isinstance(a, str) and isinstance(b, str):
        return a.replace("\r\n", "\n").strip() == b.replace("\r\n", "\n").strip()
    if a in (None, "") and b in (None, ""):
        return True
    return a == b


def merge(
    form: forms.Form,
    current: Mapping[str, Any],
    *,
    same: Callable[[str, Any, Any], bool] | None = None,
) -> tuple[dict[str, Any], list[FieldChange]]:
    """(values for a fresh form, the changes someone else made).

    `current` holds the stored values of the form's versioned fields, in the
    form's own terms (a list of names for tags, say). `same(name, a, b)` says
    whether two values of a field are equal (default: _same).
    """
    equal = same or (lambda _name, a, b: _same(a, b))
    values, changes = {}, []
    for name, theirs in current.items():
        field = form.fields[name]
        base, yours = _loaded(form, name), _sent(form, name)
        they_changed = not equal(name, base, theirs)
        you_changed = not equal(name, base, yours)
        values[name] = yours if you_changed else theirs
        if they_changed:
            changes.append(
                FieldChange(
                    name=name,
                    label=str(field.label or name.replace("_", " ").capitalize()),
                    base=_shown(field, base),
                    theirs=_shown(field, theirs),
                    yours=_shown(field, yours),
                    clash=you_changed and not equal(name, yours, theirs),
                )
            )
    return values, changes


def conflict_context(current, changes: list[FieldChange], loaded_version) -> dict:
    """What the conflict message shows: who, how many edits, which fields."""
    edits = None
    if isinstance(loaded_version, int) and getattr(current, "version", None):
        edits = max(current.version - loaded_version, 1)
    return {
        "conflict": current,
        "conflict_by": getattr(current, "updated_by", None),
        "conflict_edits": edits,
        "conflict_changes": changes,
        "conflict_clashes": [change for change in changes if change.clash],
        "conflict_deleted": getattr(current, "deleted_at", None) is not None,
    }


def conflict_response(
    request: HttpRequest,
    template: str,
    context: dict,
    form: forms.Form,
    conflict: EditConflict,
    current: Mapping[str, Any],
    **form_kwargs,
) -> HttpResponse:
    """409: the form again, merged over the newer row, with what changed and who.

    `current` holds the newer row's values of the form's versioned fields. The
    fresh form keeps the sent one's ids and, for a model form, takes the newer
    row as its instance.
    """
    loaded_version = form.cleaned_data.get("version") if form.is_valid() else None
    values, changes = merge(form, current)
    row = conflict.current
    form_kwargs.setdefault("auto_id", form.auto_id)
    if isinstance(form, forms.BaseModelForm):
        form_kwargs.setdefault("instance", row)
    fresh = rebound(form, values, current, getattr(row, "version", 1), **form_kwargs)
    return render(
        request,
        template,
        {
            **context,
            "form": fresh,
            **conflict_context(row, changes, loaded_version),
        },
        status=409,
    )


def add_errors(form: forms.Form, error: ValidationError) -> None:
    """A service's refusal on the form: each message on its field when the form
    has one, the others above the form."""
    if not hasattr(error, "error_dict"):
        form.add_error(None, error.messages)
        return
    for field, texts in error.message_dict.items():
        form.add_error(field if field in form.fields else None, texts)


def versioned_edit(
    request: HttpRequest,
    form: forms.Form,
    *,
    template: str,
    context: dict,
    save: Callable[[dict], Any],
    values: Callable[[Any], Mapping[str, Any]],
    saved: Callable[[Any], HttpResponse],
) -> HttpResponse:
    """Every edit-with-version view: the form (a GET; or refused, 400), else
    `save(cleaned_data)` and `saved(what it returned)`. A stale save
    (EditConflict) answers 409, the form merged over the newer row, whose
    values of the versioned fields `values(row)` gives; a rule only the service
    checks (ValidationError), 400 with its messages in the form."""
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form.cleaned_data)
        except EditConflict as conflict:
            current = values(conflict.current)
            return conflict_response(
                request, template, context, form, conflict, current
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            return saved(result)
    status = 400 if form.errors else 200
    return render(request, template, {**context, "form": form}, status=status)


def describe(current, changes: list[FieldChange]) -> str:
    """The conflict in one sentence, for forms too small for the full message."""
    who = getattr(current, "updated_by", None)
    name = who.get_username() if who else "Someone"
    if not changes:
        return f"{name} saved this since you loaded the page. Nothing was saved."
    parts = [
        f"{change.label.lower()} “{change.base}” → “{change.theirs}”"
        for change in changes
    ]
    return (
        f"{name} changed this since you loaded the page ({'; '.join(parts)}). "
        "Nothing was saved: the form now holds their change with yours on top."
    )
