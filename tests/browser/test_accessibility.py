"""axe-core on the pages members use most: no serious or critical violation.

axe ships inside axe-playwright-python, so nothing is downloaded at test time.
A failure lists each violation with the elements it found, to be fixed there.
"""

from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.urls import reverse
from playwright.sync_api import Page, expect

from annotations import services as annotation_services
from corpus.roles import Role
from tests.browser.test_annotate import save_seed
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser

BLOCKING = {"serious", "critical"}
# Overlapping passages of seed 000, so the page shows depths 1 to 3.
QUOTES = [
    "maximum security federal prison",
    "federal prison near Mexico City",
    "prison near Mexico",
    "a mile-long tunnel",
]


def _describe(results: list[dict]) -> list[str]:
    return [
        f"{result['id']} ({result['impact']}): {result['help']}\n"
        + "\n".join(
            f"    {node['target']}: {node.get('failureSummary', '')}"
            for node in result["nodes"]
        )
        for result in results
    ]


def _blocking_violations(page: Page) -> list[str]:
    violations = Axe().run(page).response["violations"]
    return _describe([v for v in violations if v["impact"] in BLOCKING])


def _blocking_aria_to_review(page: Page) -> list[str]:
    """ARIA checks axe could not settle alone ("incomplete"): reviewed, all real."""
    incomplete = (
        Axe().run(page, options={"resultTypes": ["incomplete"]}).response["incomplete"]
    )
    return _describe(
        [
            result
            for result in incomplete
            if result["id"].startswith("aria-") and result["impact"] in BLOCKING
        ]
    )


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(
        f"{name}:\n  " + "\n  ".join(results)
        for name, results in found.items()
        if results
    )


@pytest.fixture
def owned_project(seeds_dir):
    project = make_project(name="Border security")
    owner = make_user("olga", project=project, role=Role.OWNER)
    make_user("anna", project=project, role=Role.ANNOTATOR)
    document = save_seed(project, seeds_dir)
    annotations = []
    for index, quote in enumerate(QUOTES):
        start = document.text.index(quote)
        annotation = annotation_services.create_annotation(
            document=document,
            author=owner,
            start=start,
            end=start + len(quote),
            exact=quote,
            body=f"Note {index} with **emphasis**.",
            tags=[
                annotation_services.get_or_create_tag(project=project, name="escape")
            ],
        )
        annotations.append(annotation)
    annotation_services.create_reply(
        annotation=annotations[0], author=owner, body="A reply."
    )
    return owner, project, document, annotations


def test_pages_have_no_serious_or_critical_axe_violations(
    page: Page, sign_in, owned_project
):
    owner, project, document, annotations = owned_project
    sign_in(page, owner)
    found: dict[str, list[str]] = {}

    page.goto(annotations[0].get_absolute_url())
    expect(page.locator(f"#thread-{annotations[0].pk}")).to_be_visible()
    expect(page.locator("#doc-text mark.hl.d3")).not_to_have_count(0)
    found["document with an open thread"] = _blocking_violations(page)

    page.goto(project.get_absolute_url())
    expect(page.get_by_role("link", name=document.title)).to_be_visible()
    found["project"] = _blocking_violations(page)

    page.goto(f"/p/{project.slug}/members/")
    expect(page.get_by_text("anna").first).to_be_visible()
    found["members"] = _blocking_violations(page)

    page.goto(f"/p/{project.slug}/import/")
    expect(page.get_by_label("Text files")).to_be_visible()
    found["import"] = _blocking_violations(page)

    page.goto(f"/p/{project.slug}/curation/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Curation")
    found["curation queue"] = _blocking_violations(page)

    page.goto(f"/p/{project.slug}/tags/manage/")
    expect(page.get_by_role("button", name="Merge")).to_be_visible()
    found["tag governance"] = _blocking_violations(page)

    page.goto(f"/p/{project.slug}/links/")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Links")
    found["links"] = _blocking_violations(page)

    page.goto(
        reverse("annotations:link_picker", args=[project.slug, annotations[0].pk])
    )
    expect(page.get_by_role("heading", name="Link this passage")).to_be_visible()
    found["link picker"] = _blocking_violations(page)

    page.goto(
        reverse("annotations:link_compare", args=[project.slug, annotations[0].pk])
    )
    expect(page.locator("#compare-text [data-start]").first).to_be_visible()
    found["link side by side"] = _blocking_violations(page)

    page.goto(reverse("annotations:project_export", args=[project.slug]))
    expect(page.get_by_role("button", name="Download")).to_be_visible()
    found["export"] = _blocking_violations(page)

    page.goto(reverse("annotations:backup_restore"))
    expect(page.get_by_label("Backup file")).to_be_visible()
    found["restore a backup"] = _blocking_violations(page)

    page.goto(reverse("annotations:vocabulary"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("vocabulary")
    found["the export's vocabulary"] = _blocking_violations(page)

    report = _report(found)
    assert not report, "axe found serious or critical violations:\n" + report


def test_aria_references_and_names_are_valid(page: Page, sign_in, owned_project):
    owner, project, _document, annotations = owned_project
    sign_in(page, owner)
    found: dict[str, list[str]] = {}

    page.goto(annotations[0].get_absolute_url())
    expect(page.locator(f"#thread-{annotations[0].pk}")).to_be_visible()
    found["document with an open thread"] = _blocking_aria_to_review(page)

    page.goto(f"/p/{project.slug}/members/")
    expect(page.get_by_text("anna").first).to_be_visible()
    found["members"] = _blocking_aria_to_review(page)

    report = _report(found)
    assert not report, "ARIA references or names to fix:\n" + report
