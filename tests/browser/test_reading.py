"""Reading a document: the table of contents, and the offsets annotations rely on."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from corpus import importers, services
from corpus.models import Document
from corpus.roles import Role
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser

# Astral characters (UTF-16 surrogate pairs in the browser), a combining accent
# that NFC folds, a kept link and characters HTML must escape.
ASTRAL_MARKDOWN = """# Field notes on street trees 🌳

The survey counted 𝔸 plane trees 😀 along the river; see [the city map](https://example.org/map) for the route.

- Planes (🌳) near the bridge
- Limes, cafe\u0301 side, where x < y & y > z

## Later section

Closing paragraph 🎉 with "quotes" and 'apostrophes'.
"""  # noqa: E501


@pytest.fixture
def reader():
    project = make_project(name="Reading room")
    return make_user("rhea", project=project, role=Role.VIEWER), project


def _save(project, data: bytes, filename: str) -> Document:
    imported = importers.import_bytes(data, filename=filename)
    return services.save_document(
        project=project,
        imported=imported,
        original=data,
        filename=filename,
        imported_by=None,
    )


def test_contents_link_scrolls_to_its_heading(new_context, sign_in, reader, seeds_dir):
    user, project = reader
    name = "000_f680e8277ca77def.txt"
    document = _save(project, (seeds_dir / name).read_bytes(), name)
    last = document.headings[-1]
    page = new_context(viewport={"width": 1280, "height": 600}).new_page()
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    heading = page.locator(f"#b{last['start']}")
    expect(heading).to_have_text(last["title"])
    expect(heading).not_to_be_in_viewport()

    toc = page.get_by_role("navigation", name="Contents")
    toc.get_by_role("link", name=last["title"], exact=True).click()

    expect(page).to_have_url(re.compile(rf"#b{last['start']}$"))
    expect(heading).to_be_in_viewport()


@pytest.mark.parametrize(
    ("filename", "source"),
    [("000_f680e8277ca77def.txt", "seed"), ("notes.md", ASTRAL_MARKDOWN)],
    ids=["seed-markdown", "astral-markdown"],
)
def test_every_block_element_holds_its_slice_of_the_document_text(
    page: Page, sign_in, reader, seeds_dir, filename, source
):
    user, project = reader
    data = (seeds_dir / filename).read_bytes() if source == "seed" else source.encode()
    document = _save(project, data, filename)
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    expect(page.get_by_role("heading", name=document.title, level=1)).to_be_visible()

    rendered = page.evaluate(
        """() => Array.from(
            document.querySelectorAll(".doc-text [data-start]"),
            (el) => [el.dataset.start, el.dataset.end, el.textContent],
        )"""
    )

    stored = Document.objects.get(pk=document.pk)
    assert [(int(s), int(e)) for s, e, _ in rendered] == [
        (block["start"], block["end"]) for block in stored.blocks
    ]
    for start, end, text in rendered:
        # Python slices code points; the browser's string came back as str, so
        # comparing the strings (not lengths) checks the offsets are code points.
        assert stored.text[int(start) : int(end)] == text
