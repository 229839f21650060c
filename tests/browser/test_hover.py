"""Hovering a highlight shows its author and tags."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations import services
from corpus.roles import Role
from tests.factories import make_document, make_project, make_user

pytestmark = pytest.mark.browser


def test_hovering_a_highlight_shows_author_and_tags(page: Page, sign_in):
    project = make_project(name="Hover")
    author = make_user("hana", project=project, role=Role.ANNOTATOR)
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    note = services.create_annotation(
        document=document,
        author=author,
        start=4,
        end=10,
        exact="tunnel",
        tags=[services.get_or_create_tag(project=project, name="escape")],
    )
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    mark = page.locator(f'mark[data-ids="{note.pk}"]')
    expect(mark).to_have_attribute("aria-label", "Open annotation: hana (escape)")
    mark.hover()
    expect(mark).to_have_attribute("title", "hana (escape)")
