"""Signing in, creating a project, managing members by keyboard, a viewer's limits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from corpus.models import Membership, Project
from corpus.roles import Role
from tests.factories import make_project, make_user

pytestmark = pytest.mark.browser


def test_user_signs_in_and_creates_a_project_through_the_forms(page: Page, sign_in):
    user = make_user("founder")

    sign_in(page, user)
    expect(page.get_by_text("You are not a member of any project yet.")).to_be_visible()
    page.get_by_label("Name").fill("Border reporting")
    page.get_by_label("Description").fill("Press coverage of the border.")
    page.get_by_role("button", name="Create project").click()

    expect(page).to_have_url(re.compile(r"/p/border-reporting/$"))
    heading = page.get_by_role("heading", name="Border reporting", level=1)
    expect(heading).to_be_visible()
    expect(page.get_by_text("Project “Border reporting” created.")).to_be_visible()
    project = Project.objects.get(slug="border-reporting")
    assert project.description == "Press coverage of the border."
    assert project.memberships.get().user == user
    assert project.memberships.get().role == Role.OWNER


def _focused(page: Page) -> dict:
    return page.evaluate(
        """() => {
            const el = document.activeElement;
            const style = getComputedStyle(el);
            return {
                tag: el.tagName.toLowerCase(), id: el.id, text: el.textContent.trim(),
                outline: style.outlineStyle, outlineWidth: style.outlineWidth,
            };
        }"""
    )


def _tab_until(page: Page, matches, limit: int = 40) -> dict:
    for _ in range(limit):
        page.keyboard.press("Tab")
        focused = _focused(page)
        if matches(focused):
            return focused
    raise AssertionError(f"Tab never reached the element; last focus: {focused}")


def test_owner_changes_a_role_with_the_keyboard_only(page: Page, sign_in):
    project = make_project(name="Keyboard project")
    owner = make_user("olive", project=project, role=Role.OWNER)
    member = make_user("victor", project=project, role=Role.VIEWER)
    membership = Membership.objects.get(project=project, user=member)
    sign_in(page, owner)
    page.goto(f"/p/{project.slug}/members/")
    page.evaluate("window.sameDocument = true")

    select = _tab_until(page, lambda f: f["id"] == f"role-{membership.pk}")
    assert select["tag"] == "select"
    assert select["outline"] != "none", "the focused role select shows no outline"
    # Viewer is the last role; two steps up is Curator.
    page.keyboard.press("ArrowUp")
    page.keyboard.press("ArrowUp")
    expect(page.locator(f"#role-{membership.pk}")).to_have_value(Role.CURATOR)
    button = _tab_until(page, lambda f: f["tag"] == "button", limit=1)
    assert button["text"] == "Change"
    assert button["outline"] != "none", "the focused Change button shows no outline"
    page.keyboard.press("Enter")

    expect(page.get_by_text("victor is now Curator.")).to_be_visible()
    expect(page.locator(f"#role-{membership.pk}")).to_have_value(Role.CURATOR)
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    # Focus stays on the button the user pressed, and only one message region exists.
    assert _focused(page)["id"] == f"role-change-{membership.pk}"
    assert page.locator("#messages").count() == 1
    membership.refresh_from_db()
    assert membership.role == Role.CURATOR


def test_viewer_sees_no_import_or_settings_and_is_refused_the_import_page(
    page: Page, sign_in
):
    project = make_project(name="Read-only project")
    viewer = make_user("vera", project=project, role=Role.VIEWER)
    sign_in(page, viewer)

    page.get_by_role("link", name="Read-only project").click()
    nav = page.get_by_role("navigation", name="Project")
    expect(nav.get_by_role("link", name="Documents")).to_be_visible()
    expect(nav.get_by_role("link", name="Members")).to_be_visible()
    expect(nav.get_by_role("link", name="Import")).to_have_count(0)
    expect(nav.get_by_role("link", name="Settings")).to_have_count(0)
    expect(page.get_by_role("link", name="Import texts")).to_have_count(0)

    response = page.goto(f"/p/{project.slug}/import/")
    assert response.status == 403
    expect(page.get_by_role("heading", name="Not allowed")).to_be_visible()
    expect(page.get_by_text("Your role (Viewer) may not do this.")).to_be_visible()
