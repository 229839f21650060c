"""The strict Content-Security-Policy, in Chromium: every page of the app, the
htmx fragments opened from them and the main admin pages load with no
violation, and tag chips keep their colours without inline styles.

The pages come from the URL conf: every named pattern is either visited here
or listed as not a page, with the reason, so a new page cannot be forgotten.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib import admin
from django.contrib.auth.tokens import default_token_generator
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from playwright.sync_api import Page, expect

from annotations import services
from annotations import services as annotation_services
from annotations.models import Annotation, Export, RelationType, Reply, Restore, Tag
from corpus import services as corpus_services
from corpus.models import Document, Project
from corpus.roles import Role
from tests.browser.test_annotate import drag_select, mark_of, save_seed
from tests.factories import make_document, make_project, make_user, revise_block

pytestmark = pytest.mark.browser

# Runs before any script of every page: keeps each violation the page reports.
RECORD_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} refused ${event.blockedURI || "inline"}` +
    ` (${event.sourceFile || "the document"}:${event.lineNumber}` +
    ` ${JSON.stringify(event.sample)})`);
});
"""

COLOURS = {"evidence": "#1f77b4", "doubt": "#d62728"}


@dataclass
class World:
    owner: object
    project: Project
    document: Document
    other: Document
    note: Annotation
    reply: Reply
    tag: Tag
    trashed_document: Document
    trashed_project: Project


@pytest.fixture
def world(seeds_dir) -> World:
    project = make_project(name="Border security")
    owner = make_user(
        "olga", project=project, role=Role.OWNER, is_staff=True, is_superuser=True
    )
    document = save_seed(project, seeds_dir)
    other = make_document(
        project=project,
        title="The other account",
        paragraphs=["A tunnel under the wall.", "Nobody saw the digging."],
    )
    tags = {}
    for name, colour in COLOURS.items():
        tag = annotation_services.get_or_create_tag(project=project, name=name)
        Tag.objects.filter(pk=tag.pk).update(colour=colour)
        tags[name] = tag
    quotes = ["maximum security federal prison", "a mile-long tunnel"]
    notes = []
    for quote in quotes:
        start = document.text.index(quote)
        notes.append(
            annotation_services.create_annotation(
                document=document,
                author=owner,
                start=start,
                end=start + len(quote),
                exact=quote,
                body="A note with **emphasis** and a [link](https://example.org/).",
                tags=list(tags.values()),
            )
        )
    start = other.text.index("tunnel")
    there = annotation_services.create_annotation(
        document=other, author=owner, start=start, end=start + 6, exact="tunnel"
    )
    services.create_link(
        source=notes[0],
        author=owner,
        relation=RelationType.objects.offered_in(project).first(),
        target_annotation=there,
    )
    reply = annotation_services.create_reply(
        annotation=notes[0], author=owner, body="A reply."
    )
    trashed_document = make_document(project=project, title="Binned")
    Document.all_objects.filter(pk=trashed_document.pk).update(
        trashed_at=timezone.now()
    )
    trashed_project = make_project(name="Abandoned")
    trashed_project.memberships.create(user=owner, role=Role.OWNER)
    Project.objects.filter(pk=trashed_project.pk).update(trashed_at=timezone.now())
    return World(
        owner,
        project,
        document,
        other,
        notes[0],
        reply,
        tags["evidence"],
        trashed_document,
        trashed_project,
    )


# Every page, by URL name, and how to reach it in the world above.
PAGES: dict[str, Callable[[World], str]] = {
    "home": lambda w: reverse("home"),
    "corpus:project_list": lambda w: reverse("corpus:project_list"),
    "login": lambda w: reverse("login"),
    "password_change": lambda w: reverse("password_change"),
    "password_change_done": lambda w: reverse("password_change_done"),
    "corpus:api_tokens": lambda w: reverse("corpus:api_tokens"),
    "corpus:person": lambda w: reverse("corpus:person", args=[w.owner.pk]),
    "annotations:vocabulary": lambda w: reverse("annotations:vocabulary"),
    "corpus:project_detail": lambda w: w.project.get_absolute_url(),
    "corpus:project_settings": lambda w: _url("corpus:project_settings", w),
    "corpus:project_members": lambda w: _url("corpus:project_members", w),
    "corpus:import_upload": lambda w: _url("corpus:import_upload", w),
    "corpus:import_review": lambda w: _url("corpus:import_review", w),
    "annotations:document_detail": lambda w: w.document.get_absolute_url(),
    "corpus:document_edit": lambda w: _url("corpus:document_edit", w, w.document),
    "annotations:document_text": lambda w: _url(
        "annotations:document_text", w, w.document
    ),
    "annotations:annotation_detail": lambda w: w.note.get_absolute_url(),
    "annotations:tag_manage": lambda w: _url("annotations:tag_manage", w),
    "annotations:tag_edit": lambda w: _url("annotations:tag_edit", w, w.tag),
    "annotations:curation_queue": lambda w: _url("annotations:curation_queue", w),
    "annotations:link_picker": lambda w: _url("annotations:link_picker", w, w.note),
    "annotations:link_compare": lambda w: _url("annotations:link_compare", w, w.note),
    "annotations:link_list": lambda w: _url("annotations:link_list", w),
    "annotations:project_export": lambda w: _url("annotations:project_export", w),
    "annotations:project_search": lambda w: (
        _url("annotations:project_search", w) + "?q=first"
    ),
    "annotations:backup_restore": lambda w: reverse("annotations:backup_restore"),
    "annotations:restore_detail": lambda w: _restore(w),
    "annotations:export_detail": lambda w: _export(w),
    "annotations:relation_types": lambda w: _url("annotations:relation_types", w),
    "annotations:document_trash": lambda w: _url(
        "annotations:document_trash", w, w.other
    ),
    "annotations:project_trash": lambda w: _url("annotations:project_trash", w),
    "annotations:document_purge": lambda w: _url(
        "annotations:document_purge", w, w.trashed_document
    ),
    "annotations:project_delete": lambda w: _url("annotations:project_delete", w),
    "annotations:trashed_projects": lambda w: reverse("annotations:trashed_projects"),
    "annotations:document_revisions": lambda w: _revision("document_revisions", w),
    "annotations:revision_detail": lambda w: _revision("revision_detail", w, 0),
    "annotations:revision_diff": lambda w: _revision("revision_diff", w, 1),
    "annotations:project_purge": lambda w: reverse(
        "annotations:project_purge", args=[w.trashed_project.pk]
    ),
    # Visited signed out (ANONYMOUS_PAGES): the invitation's page lands on
    # /invite/ with the sign-up form; the reset link opens the new-password form.
    "corpus:invitation_open": lambda w: _invitation_link(w),
    "corpus:invitation_accept": lambda w: reverse("corpus:invitation_accept"),
    "password_reset": lambda w: reverse("password_reset"),
    "password_reset_done": lambda w: reverse("password_reset_done"),
    "password_reset_confirm": lambda w: reverse(
        "password_reset_confirm",
        args=[
            urlsafe_base64_encode(force_bytes(w.owner.pk)),
            default_token_generator.make_token(w.owner),
        ],
    ),
    "password_reset_complete": lambda w: reverse("password_reset_complete"),
}
ANONYMOUS_PAGES = [
    "corpus:invitation_open",
    "corpus:invitation_accept",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
]


def _export(w: World) -> str:
    """An export being written: its page polls."""
    job = Export.objects.create(
        user=w.owner,
        project=w.project,
        kind="w3c",
        origin="http://testserver",
        status="writing",
        done=3,
        total=10,
    )
    return reverse("annotations:export_detail", args=[w.project.slug, job.pk])


def _restore(w: World) -> str:
    """A restore that is under way: its page polls."""
    restore = Restore.objects.create(
        user=w.owner, filename="backup.zip", name="Old", status="restoring", total=10
    )
    return reverse("annotations:restore_detail", args=[restore.pk])


def _revision(name: str, w: World, *number: int) -> str:
    """A page of the other document's history, corrected once (revision 1)."""
    other = Document.objects.get(pk=w.other.pk)
    if other.text_revision == 0:
        revise_block(
            other,
            w.owner,
            1,
            "Nobody saw the <digging> at night.",
            reason="Check <b>this</b>",
            base_revision=0,
        )
    return reverse(f"annotations:{name}", args=[w.project.slug, other.pk, *number])


def _invitation_link(w: World) -> str:
    _invitation, token = corpus_services.create_invitation(
        project=w.project,
        email="invited@example.org",
        role="viewer",
        invited_by=w.owner,
    )
    return reverse("corpus:invitation_open", args=[token])


FRAGMENT = "an htmx fragment, opened from its page below"
POST = "answers POST only (a redirect, or a fragment for htmx)"
NOT_PAGES = {
    "healthz": "JSON for monitors",
    "annotations:tag_colours": "the tag stylesheet (CSS) the project pages link",
    "logout": POST,
    "corpus:project_create": POST,
    "corpus:project_archive": POST,
    "corpus:member_add": POST,
    "corpus:member_role": POST,
    "corpus:member_remove": POST,
    "corpus:member_invite": POST,
    "corpus:invitation_resend": POST,
    "corpus:invitation_revoke": POST,
    "corpus:import_all": POST,
    "corpus:import_confirm": POST,
    "corpus:import_discard": POST,
    "corpus:import_choices": POST,
    "corpus:import_retry": POST,
    "corpus:import_clear": POST,
    "corpus:import_progress_hx": "the import page's progress fragment, polled",
    "annotations:annotation_new_hx": FRAGMENT,
    "annotations:annotation_list_hx": FRAGMENT,
    "annotations:annotation_changes_hx": "the poller's fragment, polled every 5 s",
    "annotations:annotation_create": POST,
    "annotations:annotation_edit": FRAGMENT,
    "annotations:annotation_delete": POST,
    "annotations:document_new_version": POST,
    "annotations:orphan_resolve": POST,
    "annotations:orphan_reattach": POST,
    "annotations:reply_create": POST,
    "annotations:annotation_status": POST,
    "annotations:reply_edit": FRAGMENT,
    "annotations:reply_delete": POST,
    "annotations:tag_search_hx": FRAGMENT,
    "annotations:curation_decide": POST,
    "annotations:markdown_preview_hx": FRAGMENT,
    "annotations:link_search_hx": FRAGMENT,
    "annotations:link_create": POST,
    "annotations:link_passage": POST,
    "annotations:link_delete": POST,
    "annotations:relation_type_create": POST,
    "annotations:relation_type_edit": POST,
    "annotations:document_restore": POST,
    "annotations:revision_restore": POST,
    "annotations:project_restore": POST,
    "corpus:api_token_revoke": POST,
    "annotations:project_export_annotations": "W3C JSON-LD, a download",
    "annotations:project_backup": "a zip archive, a download",
    "annotations:export_prepare": POST,
    "annotations:search_annotate": "POST: a preview page, then a redirect",
    "annotations:export_file": "the file an export wrote, a download",
    "annotations:project_export_csv": "CSV tables in a zip, a download",
    "annotations:search_hits_csv": "a search's hits as CSV, a download",
    "annotations:document_export_csv": "CSV tables in a zip, a download",
    "annotations:document_export_tei": "TEI XML, a download",
    "annotations:document_export_edition": (
        "a standalone HTML file, a download (opened offline, with its own style)"
    ),
    "annotations:document_export_annotations": "W3C JSON-LD, a download",
    "annotations:w3c_container": "the W3C protocol: JSON-LD for programs",
    "annotations:w3c_document_container": "the W3C protocol: JSON-LD for programs",
    "annotations:w3c_note": "the W3C protocol: JSON-LD for programs",
    "annotations:w3c_reply": "the W3C protocol: JSON-LD for programs",
    "annotations:w3c_link": "the W3C protocol: JSON-LD for programs",
}


def _url(name: str, w: World, obj=None) -> str:
    args = [w.project.slug] + ([obj.pk] if obj is not None else [])
    return reverse(name, args=args)


def _named_patterns(patterns, namespace: str | None = None) -> set[str]:
    names = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if pattern.app_name == "admin":
                continue  # the admin's pages are listed from its registry
            names |= _named_patterns(pattern.url_patterns, pattern.namespace)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(f"{namespace}:{pattern.name}" if namespace else pattern.name)
    return names


def test_every_named_url_is_visited_or_said_not_to_be_a_page():
    names = _named_patterns(get_resolver().url_patterns)

    assert not PAGES.keys() & NOT_PAGES.keys()
    unlisted = names - PAGES.keys() - NOT_PAGES.keys()
    assert not unlisted, f"add these to PAGES or NOT_PAGES: {sorted(unlisted)}"
    stale = (PAGES.keys() | NOT_PAGES.keys()) - names
    assert not stale, f"no longer in the URL conf: {sorted(stale)}"


class Violations:
    """Collects what the browser refused, page after page."""

    def __init__(self, page: Page):
        self.page = page
        self.found: list[str] = []
        page.on("console", self._console)
        page.on("pageerror", lambda error: self.found.append(f"page error: {error}"))

    def _console(self, message) -> None:
        if "Content Security Policy" in message.text:
            self.found.append(f"{self.page.url}: console: {message.text}")

    def collect(self, where: str) -> None:
        """Take the violations the current page recorded (they go with it)."""
        recorded = self.page.evaluate(
            """() => new Promise((resolve) => setTimeout(
                () => resolve(window.__cspViolations || null), 50))"""
        )
        assert recorded is not None, f"{where}: the recorder did not run"
        self.found.extend(f"{where}: {violation}" for violation in recorded)

    def visit(self, where: str, url: str, status: int = 200) -> None:
        response = self.page.goto(url)
        assert response.status == status, f"{where} ({url}): {response.status}"
        self.collect(where)


@pytest.fixture
def watched(new_context) -> tuple[Page, Violations]:
    context = new_context()
    context.add_init_script(RECORD_VIOLATIONS)
    page = context.new_page()
    return page, Violations(page)


def expect_coloured_chips(page: Page, scope: str, colours=COLOURS) -> None:
    for name, colour in colours.items():
        chip = page.locator(f"{scope} .tag", has_text=name).first
        expect(chip).to_be_visible()
        style = """(chip) => [getComputedStyle(chip).getPropertyValue("--tag").trim(),
                             getComputedStyle(chip).borderLeftColor]"""
        # The locator finds the chip afresh each time: a poll may swap the list
        # meanwhile (a detached chip has no computed style), and the stylesheet
        # may still be loading.
        deadline = time.monotonic() + 10
        shown = chip.evaluate(style)
        while shown[0] != colour and time.monotonic() < deadline:
            page.wait_for_timeout(100)
            shown = chip.evaluate(style)
        red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
        assert shown == [colour, f"rgb({red}, {green}, {blue})"], f"{scope} {name}"


def test_the_detector_sees_an_inline_style(watched, world, sign_in):
    page, violations = watched
    page.goto(reverse("login"))
    page.evaluate(
        """document.body.insertAdjacentHTML(
            "beforeend", '<p style="color: red">injected</p>')"""
    )

    violations.collect("login with an injected style")

    assert any("style-src" in found for found in violations.found), violations.found


def test_no_page_breaks_the_policy(watched, world, sign_in, seeds_dir):
    page, violations = watched
    visited = set()

    def visit(name: str) -> None:
        violations.visit(name, PAGES[name](world))
        visited.add(name)

    # Anonymous: the front page, sign-in, the admin's sign-in, a lockout.
    visit("home")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()
    visit("login")
    violations.visit("admin login", "/admin/login/")
    for _ in range(5):
        page.goto(reverse("login"))
        page.get_by_label("Username").fill("nobody")
        page.get_by_label("Password").fill("wrong")
        page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("Signing in is paused")
    violations.collect("lockout")
    # A form sent without its CSRF cookie: the app's page, not Django's.
    page.goto(reverse("login"))
    page.context.clear_cookies()
    page.get_by_label("Username").fill("nobody")
    page.get_by_label("Password").fill("wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(
        page.get_by_role("heading", name="This form could not be sent")
    ).to_be_visible()
    violations.collect("CSRF failure")
    for name in ANONYMOUS_PAGES:
        visit(name)

    sign_in(page, world.owner)
    violations.collect("project list after signing in")
    for name in PAGES:
        if name not in visited | {"login"}:
            visit(name)
    visited |= {"home", "login"}
    violations.visit("not found", "/p/no-such-project/", status=404)

    # Pages with tag chips: coloured by the project's stylesheet.
    page.goto(_url("annotations:tag_manage", world))
    expect_coloured_chips(page, "#tags")
    page.goto(_url("annotations:curation_queue", world) + "?status=")
    expect_coloured_chips(page, "table")
    violations.collect("curation queue, every status")

    # The reading view: a thread open from the start, chips in it and the margin.
    page.goto(world.note.get_absolute_url())
    thread = page.locator("#thread")
    expect(thread.locator(".thread")).to_be_visible()
    expect_coloured_chips(page, "#thread")
    expect_coloured_chips(page, "#margin-list")
    violations.collect("document with an open thread")

    # htmx: close it, open the other one by clicking its highlight.
    page.keyboard.press("Escape")
    expect(thread.locator(".thread")).to_have_count(0)
    second = Annotation.objects.exclude(pk=world.note.pk).get(document=world.document)
    mark_of(page, second.pk).click()
    expect(thread.locator(f"#thread-{second.pk}")).to_be_visible()
    expect_coloured_chips(page, "#thread")
    # Hover labels come from a JSON data block, which the policy leaves alone.
    mark_of(page, second.pk).hover()
    expect(mark_of(page, second.pk)).to_have_attribute("title", re.compile("olga"))
    # Edit the note (a fragment), then cancel back to the thread.
    thread.get_by_role("link", name="Edit").click()
    expect(thread.locator("form.annotation-form")).to_be_visible()
    violations.collect("note edit form")
    # The link picker and its search.
    page.goto(world.note.get_absolute_url())
    thread.get_by_role("link", name="Link to…").click()
    expect(thread.get_by_role("heading", name="Link this passage")).to_be_visible()
    thread.get_by_role("searchbox").fill("tunnel")
    expect(thread.locator("[id^=link-results-]")).to_contain_text("tunnel")
    violations.collect("link picker in the thread")
    # A new note: select, the toolbar, the form, a Markdown preview, save.
    page.goto(world.document.get_absolute_url())
    drag_select(page, "stunned Mexico")  # outside the highlights: none opens
    page.locator(".selection-toolbar").get_by_role("button", name="Annotate").click()
    form = thread.locator("form.annotation-form")
    form.get_by_label("Note").fill("Seen *here* too.")
    form.get_by_role("button", name="Preview").click()
    expect(form.locator(".preview em")).to_have_text("here")
    form.get_by_label("Tags").fill("evidence")
    form.get_by_role("button", name="Save").click()
    expect(thread.locator(".note em")).to_have_text("here")
    expect_coloured_chips(page, "#margin-list")
    # The margin's filters (a fragment).
    page.get_by_label("Tag", exact=True).select_option("doubt")
    expect(page.locator("#margin-list .margin-item")).to_have_count(2)
    violations.collect("new note, preview, margin filters")

    # The Revisions page opens a revision's changes in place (htmx).
    page.goto(PAGES["annotations:document_revisions"](world))
    page.get_by_role("link", name="Show the changes of revision 1").click()
    expect(page.locator("#diff-slot-1 .diff-place ins")).to_have_text(
        "<digging> at night."
    )
    violations.collect("a revision's changes, opened in the list")

    # Tag governance through htmx: retiring a tag redraws the table.
    page.goto(_url("annotations:tag_manage", world))
    doubt = Tag.objects.get(project=world.project, name="doubt")
    page.locator(f"#tag-{doubt.pk}").get_by_role("button", name="Retire").click()
    expect(page.locator(f"#tag-{doubt.pk}")).to_contain_text("Retired")
    expect_coloured_chips(page, "#tags")
    violations.collect("tag retired")
    # A new colour, saved from the tag's page: the stylesheet follows at once.
    page.goto(_url("annotations:tag_edit", world, world.tag))
    expect_coloured_chips(page, "h1", {"evidence": COLOURS["evidence"]})
    page.get_by_label("Colour").fill("#2ca02c")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("#messages")).to_contain_text("saved")
    expect_coloured_chips(page, "#tags", {"evidence": "#2ca02c"})
    violations.collect("tag recoloured")

    # The main admin pages: index, every changelist, a change form each.
    violations.visit("admin index", reverse("admin:index"))
    for model in admin.site._registry:
        meta = model._meta
        label = f"admin {meta.app_label}.{meta.model_name}"
        violations.visit(
            f"{label} list",
            reverse(f"admin:{meta.app_label}_{meta.model_name}_changelist"),
        )
        first = model._default_manager.order_by("pk").first()
        if first is not None:
            violations.visit(
                f"{label} change",
                reverse(
                    f"admin:{meta.app_label}_{meta.model_name}_change",
                    args=[first.pk],
                ),
            )
    # An admin action's intermediate page (its own template and script).
    page.goto(reverse("admin:annotations_tag_changelist"))
    page.locator("#action-toggle").check()
    page.locator("select[name=action]").select_option("merge")
    page.get_by_role("button", name="Go").click()
    expect(page.locator("#content h1")).to_contain_text("Merge")
    violations.collect("admin tag merge")

    assert visited == PAGES.keys()
    assert not violations.found, "\n".join(violations.found)


def test_queue_rows_and_a_deleted_annotations_page_keep_the_policy(
    watched, world, sign_in
):
    page, violations = watched
    sign_in(page, world.owner)
    # A row of the queue asks for its own reason; refused without one, the row
    # comes back in place with the message (an htmx swap of a table row).
    page.goto(_url("annotations:curation_queue", world) + "?status=")
    row = page.locator(f"#q-{world.note.pk}")
    row.locator("summary").click()
    row.get_by_role("button", name=re.compile("^Reject “")).click()
    expect(row.get_by_role("alert")).to_contain_text("Say why")
    violations.collect("queue row refused")
    # The page of a deleted annotation: 410, in the project's layout.
    annotation_services.delete_annotation(annotation=world.note, by=world.owner)
    violations.visit("deleted annotation", world.note.get_absolute_url(), status=410)
    expect(
        page.get_by_role("heading", name="This annotation was deleted")
    ).to_be_visible()
    assert not violations.found, "\n".join(violations.found)
