"""`manage.py demo`: a demo project for development databases only."""

from __future__ import annotations

import io
import re

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command

from annotations.models import Annotation, Reply
from corpus.models import Document, Membership, Project
from corpus.roles import Role


def _demo(*args) -> str:
    out = io.StringIO()
    call_command("demo", *args, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_demo_refuses_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="does not belong in a production database"):
        _demo()
    assert not Project.objects.exists()


@pytest.mark.django_db
def test_demo_creates_an_owner_with_a_random_password_and_three_texts(settings):
    settings.DEBUG = True
    output = _demo()
    password = re.search(r"password: (\S+)", output).group(1)
    assert authenticate(username="demo", password=password) is not None
    project = Project.objects.get()
    assert (
        Membership.objects.get(project=project, user__username="demo").role
        == Role.OWNER
    )
    assert Document.objects.filter(project=project).count() == 3
    for document in Document.objects.all():
        assert document.text[document.blocks[0]["start"] : document.blocks[0]["end"]]
    # The reading view has something to show: anchored annotations and a reply.
    annotations = Annotation.objects.filter(project=project)
    assert annotations.count() == 3
    for annotation in annotations:
        assert annotation.document.text[annotation.start : annotation.end] == (
            annotation.exact
        )
    assert Reply.objects.filter(annotation__project=project).count() == 1


@pytest.mark.django_db
def test_demo_runs_again_without_adding_or_showing_a_password(settings):
    settings.DEBUG = True
    _demo()
    again = _demo()
    assert "password:" not in again
    assert "changepassword demo" in again
    assert Project.objects.count() == 1
    assert Document.objects.count() == 3
    assert Annotation.objects.count() == 3


@pytest.mark.django_db
def test_demo_passwords_differ_between_databases():
    first = re.search(r"password: (\S+)", _demo("--force")).group(1)
    Project.objects.all().delete()
    get_user_model().objects.all().delete()
    second = re.search(r"password: (\S+)", _demo("--force")).group(1)
    assert first != second
