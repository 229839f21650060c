"""The project's form renderer draws every <select> as Django's templates do."""

from __future__ import annotations

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from annotations.forms import QueueFilterForm
from config.form_renderer import QuickSelectRenderer

ODD = '<b>"Tom" & Jerry\'s</b>'


class Everything(forms.Form):
    plain = forms.ChoiceField(choices=[("a", "A"), ("b", ODD), (3, 3)])
    chosen = forms.ChoiceField(choices=[("", "Any"), ("x", "X"), ("y", "Y")])
    many = forms.MultipleChoiceField(choices=[("1", "one"), ("2", "two"), ("3", ODD)])
    grouped = forms.ChoiceField(
        choices=[
            ("", "—"),
            ("Fruit", [("apple", "Apple"), ("pear", mark_safe("<i>Pear</i>"))]),
            (ODD, [("odd", ODD)]),
        ]
    )
    yes_no = forms.NullBooleanField()
    typed = forms.TypedChoiceField(choices=[(1, "1"), (2, "2")], coerce=int)
    flagged = forms.ChoiceField(
        choices=[("a", "A")],
        widget=forms.Select(
            attrs={
                "aria-describedby": ODD,
                "autofocus": True,
                "disabled": False,
                "data-none": None,
                "data-number": 7,
            }
        ),
    )
    empty = forms.ChoiceField(choices=[])


@pytest.mark.parametrize(
    "data",
    [
        None,
        {"chosen": "y", "many": ["1", "3"], "grouped": "pear", "yes_no": "true"},
        {"plain": ODD, "many": [ODD], "grouped": "odd", "typed": "2", "yes_no": "x"},
    ],
    ids=["unbound", "chosen", "odd-values"],
)
@pytest.mark.parametrize("name", list(Everything.base_fields))
def test_selects_are_drawn_as_by_djangos_templates(name, data):
    ours = Everything(data, renderer=QuickSelectRenderer())[name]
    djangos = Everything(data, renderer=DjangoTemplates())[name]
    assert str(ours) == str(djangos)
    assert "<select" in str(ours)


def test_the_project_uses_it_and_real_forms_come_out_the_same(
    project, members, document
):
    membership = project.memberships.get(user=members["curator"])
    data = {"status": "approved", "document": str(document.pk), "author": "x"}
    ours = QueueFilterForm(data, membership=membership)
    djangos = QueueFilterForm(data, membership=membership, renderer=DjangoTemplates())
    assert isinstance(ours.renderer, QuickSelectRenderer)
    for name in ours.fields:
        assert str(ours[name]) == str(djangos[name])
    assert f'<option value="{document.pk}" selected>' in str(ours["document"])
