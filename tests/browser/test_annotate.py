"""Annotating in the reading view, as members do it: mouse, keyboard, threads.

Each test drives the real page and then checks two things: what the reader
sees (highlights drawn by the server, the thread) and the stored row, whose
document.text[start:end] must be the passage the reader selected.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from annotations import services as annotation_services
from annotations.models import Annotation, Reply
from corpus import importers, services
from corpus.models import Document
from corpus.roles import Role
from tests.factories import make_document, make_project, make_user

pytestmark = pytest.mark.browser

SEED = "000_f680e8277ca77def.txt"
# Astral characters count two UTF-16 units in the browser and one code point in
# Python: everything after them is where a wrong conversion would show.
ASTRAL = "Le tunnel 😀 mesurait 𝔸 un mille."

# Finds the nth occurrence of a phrase inside one block of a text (#doc-text
# unless named), however many text nodes (marks, links) it spans, and returns it
# as a DOM Range.
_FIND_RANGE = """
function findRange(phrase, nth, container) {
  const text = document.getElementById(container || "doc-text");
  let seen = 0;
  for (const block of text.querySelectorAll("[data-start]")) {
    const content = block.textContent;
    let at = content.indexOf(phrase);
    while (at !== -1 && seen < nth) { seen++; at = content.indexOf(phrase, at + 1); }
    if (at === -1) continue;
    const range = document.createRange();
    const walker = document.createTreeWalker(block, NodeFilter.SHOW_TEXT);
    let offset = 0, startSet = false, node;
    while ((node = walker.nextNode())) {
      const length = node.data.length;
      if (!startSet && at < offset + length) {
        range.setStart(node, at - offset);
        startSet = true;
      }
      if (startSet && at + phrase.length <= offset + length) {
        range.setEnd(node, at + phrase.length - offset);
        return range;
      }
      offset += length;
    }
  }
  throw new Error("phrase not found in the text: " + phrase);
}
"""


def drag_select(
    page: Page, phrase: str, nth: int = 0, container: str = "doc-text"
) -> None:
    """Select `phrase` with a real mouse drag, first character to last."""
    box = page.evaluate(
        f"""([phrase, nth, container]) => {{
            {_FIND_RANGE}
            const range = findRange(phrase, nth, container);
            range.startContainer.parentElement.scrollIntoView({{block: "center"}});
            // The first and last characters (a surrogate pair is one character).
            const first = document.createRange();
            first.setStart(range.startContainer, range.startOffset);
            first.setEnd(range.startContainer,
                         range.startOffset + [...phrase][0].length);
            const lastLength = [...phrase].at(-1).length;
            const last = document.createRange();
            last.setStart(range.endContainer, range.endOffset - lastLength);
            last.setEnd(range.endContainer, range.endOffset);
            const a = first.getClientRects()[0], b = last.getClientRects()[0];
            return {{
                x1: a.left + 1, y1: (a.top + a.bottom) / 2,
                x2: b.right - 1, y2: (b.top + b.bottom) / 2,
            }};
        }}""",
        [phrase, nth, container],
    )
    page.mouse.move(box["x1"], box["y1"])
    page.mouse.down()
    page.mouse.move(box["x2"], box["y2"], steps=8)
    page.mouse.up()
    assert page.evaluate("getSelection().toString()") == phrase


def range_select(page: Page, phrase: str, nth: int = 0) -> None:
    """Select `phrase` exactly with a DOM Range, then tell the page (mouseup)."""
    page.evaluate(
        f"""([phrase, nth]) => {{
            {_FIND_RANGE}
            const range = findRange(phrase, nth);
            const selection = getSelection();
            selection.removeAllRanges();
            selection.addRange(range);
            document.getElementById("doc-text").dispatchEvent(
                new MouseEvent("mouseup", {{bubbles: true}}));
        }}""",
        [phrase, nth],
    )
    assert page.evaluate("getSelection().toString()") == phrase


def annotate_selection(page: Page, note: str, tags: str = "") -> None:
    """Annotate the current selection through the toolbar and the note form."""
    toolbar = page.locator(".selection-toolbar")
    expect(toolbar).to_be_visible()
    toolbar.get_by_role("button", name="Annotate").click()
    form = page.locator("#thread form.annotation-form")
    form.get_by_label("Note").fill(note)
    if tags:
        form.get_by_label("Tags").fill(tags)
    form.get_by_role("button", name="Save").click()
    expect(page.locator("#thread section.thread")).to_be_visible()


def marked_text(page: Page, annotation_id: int) -> str:
    """The text of every highlight segment that belongs to the annotation."""
    return page.evaluate(
        """(id) => Array.from(document.querySelectorAll("#doc-text mark[data-ids]"))
            .filter((mark) => mark.dataset.ids.split(" ").includes(String(id)))
            .map((mark) => mark.textContent).join("")""",
        annotation_id,
    )


def save_seed(project, seeds_dir, name: str = SEED) -> Document:
    data = (seeds_dir / name).read_bytes()
    return services.save_document(
        project=project,
        imported=importers.import_bytes(data, filename=name),
        original=data,
        filename=name,
        imported_by=None,
    )


def mark_of(page: Page, annotation_id: int):
    return page.locator(f'#doc-text mark[data-ids~="{annotation_id}"]').first


@pytest.fixture
def annotator():
    project = make_project(name="Border security")
    return make_user("anna", project=project, role=Role.ANNOTATOR), project


def test_mouse_selection_is_annotated_and_the_highlight_covers_exactly_it(
    page: Page, sign_in, annotator, seeds_dir
):
    user, project = annotator
    document = save_seed(project, seeds_dir)
    phrase = "a mile-long tunnel accessed by a shower stall"
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    page.evaluate("window.sameDocument = true")

    drag_select(page, phrase)
    annotate_selection(page, "How was it dug unnoticed?", "escape, infrastructure")

    annotation = Annotation.objects.get()
    expect(mark_of(page, annotation.pk)).to_be_visible()
    expect(page.locator(f"#m-{annotation.pk}")).to_contain_text(phrase)
    expect(page.locator("#thread .note")).to_have_text("How was it dug unnoticed?")
    assert page.evaluate("window.sameDocument") is True, "the page was reloaded"
    assert marked_text(page, annotation.pk) == phrase

    page.reload()
    expect(mark_of(page, annotation.pk)).to_be_visible()
    assert marked_text(page, annotation.pk) == phrase
    margin_item = page.locator(f"#m-{annotation.pk}")
    expect(margin_item.locator(".tag")).to_have_text(["escape", "infrastructure"])

    stored = Document.objects.get(pk=document.pk)
    assert stored.text[annotation.start : annotation.end] == phrase
    assert annotation.exact == phrase
    assert annotation.author == user
    assert annotation.body == "How was it dug unnoticed?"
    assert sorted(annotation.tags.values_list("name", flat=True)) == [
        "escape",
        "infrastructure",
    ]


def test_overlapping_annotations_share_a_depth_two_segment(
    page: Page, sign_in, annotator, seeds_dir
):
    user, project = annotator
    document = save_seed(project, seeds_dir)
    first_quote = "maximum security federal prison"
    second_quote = "federal prison near Mexico City"
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    range_select(page, first_quote)
    annotate_selection(page, "First.")
    first = Annotation.objects.get()
    expect(mark_of(page, first.pk)).to_be_visible()
    # The second selection starts inside the first highlight's <mark>.
    range_select(page, second_quote)
    annotate_selection(page, "Second.")
    second = Annotation.objects.exclude(pk=first.pk).get()

    overlap = page.locator("#doc-text mark.hl.d2")
    expect(overlap).to_have_count(1)
    expect(overlap).to_have_text("federal prison")
    ids = overlap.get_attribute("data-ids").split()
    assert sorted(ids) == sorted([str(first.pk), str(second.pk)])
    assert marked_text(page, first.pk) == first_quote
    assert marked_text(page, second.pk) == second_quote

    page.reload()
    expect(page.locator("#doc-text mark.hl.d2")).to_have_text("federal prison")
    assert marked_text(page, first.pk) == first_quote
    assert marked_text(page, second.pk) == second_quote
    text = Document.objects.get(pk=document.pk).text
    for annotation, quote in ((first, first_quote), (second, second_quote)):
        annotation.refresh_from_db()
        assert text[annotation.start : annotation.end] == quote
    assert first.end - second.start == len("federal prison")


def test_passage_after_astral_characters_is_stored_in_code_points(
    page: Page, sign_in, annotator
):
    user, project = annotator
    document = make_document(
        project=project, paragraphs=["Notes 🌳 from the survey.", ASTRAL]
    )
    phrase = "mesurait 𝔸 un mille"
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    drag_select(page, phrase)
    annotate_selection(page, "After the emoji.")

    annotation = Annotation.objects.get()
    text = Document.objects.get(pk=document.pk).text
    assert text[annotation.start : annotation.end] == phrase
    assert annotation.start == text.index(phrase)
    page.reload()
    assert marked_text(page, annotation.pk) == phrase


def test_keyboard_only_select_annotate_then_move_open_and_close_threads(
    page: Page, sign_in, annotator
):
    user, project = annotator
    document = make_document(
        project=project, paragraphs=["Le tunnel mesurait un mille.", "Fin."]
    )
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    text = page.locator("#doc-text")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.id") == "doc-text":
            break
    expect(text).to_be_focused()
    for _ in range(len("Le ")):
        page.keyboard.press("ArrowRight")
    for _ in range(len("tunnel")):
        page.keyboard.press("Shift+ArrowRight")
    assert page.evaluate("getSelection().toString()") == "tunnel"
    expect(page.locator(".selection-toolbar")).to_be_visible()

    page.keyboard.press("Enter")
    body = page.locator("#thread textarea[name=body]")
    expect(body).to_be_focused()
    page.keyboard.type("Typed without a mouse.")
    save = page.locator("#thread form.annotation-form button.primary")
    for _ in range(10):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.classList.contains('primary')"):
            break
    expect(save).to_be_focused()
    page.keyboard.press("Enter")

    thread = page.locator("#thread section.thread")
    expect(thread).to_be_visible()
    annotation = Annotation.objects.get()
    assert annotation.exact == "tunnel"
    assert annotation.body == "Typed without a mouse."
    assert document.text[annotation.start : annotation.end] == "tunnel"

    page.keyboard.press("Escape")
    expect(thread).to_have_count(0)
    # The focus is back on the text; leave it so J is not taken for typing.
    page.locator("#margin-heading").click()
    page.keyboard.press("j")
    mark = page.locator(f'#doc-text mark[tabindex][data-ids~="{annotation.pk}"]')
    expect(mark).to_be_focused()
    page.keyboard.press("Enter")
    expect(thread).to_be_visible()
    expect(thread.locator(".note")).to_have_text("Typed without a mouse.")
    page.keyboard.press("Escape")
    expect(thread).to_have_count(0)
    expect(text).to_be_focused()


def test_margin_heading_counts_the_new_annotation(page: Page, sign_in, annotator):
    user, project = annotator
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    heading = page.locator("#margin-heading")
    expect(heading).to_have_text("Annotations (0)")

    range_select(page, "tunnel")
    annotate_selection(page, "Counted?")

    expect(page.locator("#margin-list li.margin-item")).to_have_count(1)
    # The swap has happened (the margin item is there): no need to wait long.
    expect(heading).to_have_text("Annotations (1)", timeout=1_000)


def test_closing_the_form_forgets_the_selection(page: Page, sign_in, annotator):
    user, project = annotator
    document = make_document(
        project=project, paragraphs=["Le tunnel mesurait un mille.", "Fin."]
    )
    existing = annotation_services.create_annotation(
        document=document, author=user, start=22, end=27, exact="mille"
    )
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    page.locator("#doc-text").focus()
    for _ in range(len("Le ")):
        page.keyboard.press("ArrowRight")
    for _ in range(len("tunnel")):
        page.keyboard.press("Shift+ArrowRight")
    page.keyboard.press("Enter")
    expect(page.locator("#thread textarea[name=body]")).to_be_focused()

    page.keyboard.press("Escape")  # closes the form, clears the selection
    expect(page.locator("#thread form")).to_have_count(0)
    expect(page.locator("#doc-text")).to_be_focused()
    assert page.evaluate("getSelection().toString()") == ""

    # Nothing is selected: H must not highlight the old selection, J must move.
    page.keyboard.press("h")
    page.keyboard.press("j")
    mark = page.locator(f'#doc-text mark[tabindex][data-ids~="{existing.pk}"]')
    expect(mark).to_be_focused(timeout=1_000)
    assert list(Annotation.objects.values_list("exact", flat=True)) == ["mille"]


def test_reply_edit_the_note_and_delete_a_reply(page: Page, sign_in, annotator):
    user, project = annotator
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    annotation = annotation_services.create_annotation(
        document=document, author=user, start=3, end=9, exact="tunnel", body="Old."
    )
    page.on("dialog", lambda dialog: dialog.accept())
    sign_in(page, user)
    page.goto(annotation.get_absolute_url())
    thread = page.locator(f"#thread-{annotation.pk}")
    expect(thread).to_be_visible()

    thread.get_by_label("Reply").fill("A first reply.")
    thread.get_by_role("button", name="Reply").click()
    reply_item = thread.locator("li.reply", has_text="A first reply.")
    expect(reply_item).to_be_visible()
    reply = Reply.objects.get()
    assert (reply.annotation, reply.author, reply.body) == (
        annotation,
        user,
        "A first reply.",
    )

    thread.get_by_role("link", name="Edit", exact=True).click()
    note_field = thread.locator(f"#note-{annotation.pk} textarea[name=body]")
    expect(note_field).to_have_value("Old.")
    note_field.fill("New and *better*.")
    thread.get_by_role("button", name="Save").click()
    expect(page.locator("#thread .note").first).to_have_text("New and better.")
    expect(page.locator("#thread em")).to_have_text("better")
    annotation.refresh_from_db()
    assert (annotation.body, annotation.version) == ("New and *better*.", 2)

    page.locator(f"#reply-{reply.pk}").get_by_role(
        "button", name="Delete reply"
    ).click()
    expect(page.locator("#thread")).to_contain_text("Reply deleted.")
    expect(page.locator("#thread")).not_to_contain_text("A first reply.")
    reply.refresh_from_db()
    assert reply.deleted_at is not None
    assert reply.deleted_by == user


def test_viewer_reads_highlights_and_threads_but_cannot_annotate_or_reply(
    page: Page, sign_in, annotator
):
    author, project = annotator
    viewer = make_user("vera", project=project, role=Role.VIEWER)
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    annotation = annotation_services.create_annotation(
        document=document, author=author, start=3, end=9, exact="tunnel", body="Dug."
    )
    annotation_services.create_reply(
        annotation=annotation, author=author, body="Over a year."
    )
    sign_in(page, viewer)
    page.goto(document.get_absolute_url())

    mark = mark_of(page, annotation.pk)
    expect(mark).to_have_text("tunnel")
    drag_select(page, "mesurait")
    # Give the page's mouseup handler (a zero-delay timer) time to run.
    page.wait_for_timeout(200)
    expect(page.locator(".selection-toolbar")).not_to_be_visible()
    expect(page.locator("#thread form")).to_have_count(0)

    page.evaluate("getSelection().removeAllRanges()")
    mark.click()
    thread = page.locator(f"#thread-{annotation.pk}")
    expect(thread.locator(f"#note-{annotation.pk} .note")).to_have_text("Dug.")
    expect(thread.locator("li.reply")).to_contain_text("Over a year.")
    expect(thread.locator("form.reply-form")).to_have_count(0)
    expect(thread.get_by_role("link", name="Edit", exact=True)).to_have_count(0)
    assert Annotation.objects.count() == 1


def test_viewer_keys_on_a_selection_send_nothing(page: Page, sign_in, annotator):
    _author, project = annotator
    viewer = make_user("vera", project=project, role=Role.VIEWER)
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    sign_in(page, viewer)
    page.goto(document.get_absolute_url())
    requests: list[str] = []

    def record(request) -> None:
        if request.resource_type in ("xhr", "fetch"):
            requests.append(request.url)

    page.on("request", record)

    drag_select(page, "mesurait")
    for key in ("Enter", "h", "t"):
        page.keyboard.press(key)
    page.wait_for_timeout(300)

    assert [url for url in requests if "/changes/" not in url] == []
    expect(page.locator("#thread form")).to_have_count(0)
