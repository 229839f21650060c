"""Errors show where the user is, in debug mode (make run) as in production."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from annotations.models import Annotation
from corpus.roles import Role
from tests.browser.test_annotate import mark_of
from tests.factories import make_annotation, make_document, make_project, make_user

pytestmark = pytest.mark.browser


@pytest.fixture(params=[True, False], ids=["debug", "production"])
def debug(request, settings):
    settings.DEBUG = request.param
    return request.param


def test_a_refused_form_shows_its_error_in_place(new_context, sign_in, debug):
    project = make_project(name="Errors")
    author = make_user("ada", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    note = make_annotation(document, author, "tunnel", body="First")
    page = new_context().new_page()
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    mark_of(page, note.pk).click()
    page.locator("#thread").get_by_role("link", name="Edit").click()
    page.locator("#thread").get_by_label("Tags").fill(
        ", ".join(f"t{n}" for n in range(51))
    )
    page.locator("#thread").get_by_role("button", name="Save").click()
    expect(page.locator("#thread .errors")).to_contain_text("at most 50 tags")
    # The page around it is still there: the header, the text, the margin.
    expect(page.locator(".site-header")).to_be_visible()
    expect(page.locator("#doc-text")).to_contain_text("The tunnel was long.")
    assert Annotation.objects.get(pk=note.pk).body == "First"


def test_an_answer_htmx_cannot_show_is_reported(new_context, sign_in, debug):
    project = make_project(name="Gone")
    author = make_user("bea", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    note = make_annotation(document, author, "tunnel", body="Soon gone")
    page = new_context().new_page()
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    mark_of(page, note.pk).click()
    expect(page.locator("#thread")).to_contain_text("Soon gone")
    Annotation.objects.filter(pk=note.pk).delete()  # gone meanwhile
    page.locator("#thread").get_by_role("link", name="Edit").click()
    expect(page.locator("#messages [role=alert]")).to_contain_text(
        "This is no longer there"
    )
    expect(page.locator(".site-header")).to_be_visible()
