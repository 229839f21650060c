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
from tests.factories import make_annotation, make_document, make_project, make_user

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


def _holding_threads(page: Page, annotation) -> list:
    """The thread's answers are held back, in order, until the test lets them
    go: the server is as slow as the test needs."""
    held = []
    page.route(f"**/a/{annotation.pk}/", lambda route: held.append(route))
    return held


def _reading_a_note(page: Page, sign_in, annotator, body: str):
    """A note on "tunnel", its reader signed in and on its document's page."""
    user, project = annotator
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    note = make_annotation(document, user, "tunnel", body=body)
    sign_in(page, user)
    page.goto(document.get_absolute_url())
    return note


def _focus_the_highlight(page: Page, annotation):
    page.locator("#margin-heading").click()
    page.keyboard.press("j")
    mark = page.locator(f'#doc-text mark[tabindex][data-ids~="{annotation.pk}"]')
    expect(mark).to_be_focused()
    return mark


def test_enter_on_a_highlight_moves_into_its_thread_however_slow_the_server(
    page: Page, sign_in, annotator
):
    """Enter, pressed before the focus alone opens the thread (a quarter of a
    second), opens it once, and the thread takes the keyboard; Esc closes it
    for good."""
    note = _reading_a_note(page, sign_in, annotator, "Slow to come.")
    held = _holding_threads(page, note)

    _focus_the_highlight(page, note)
    page.keyboard.press("Enter")
    page.wait_for_timeout(500)  # the focus's own opening would be due by now
    assert len(held) == 1
    held.pop().continue_()

    thread = page.locator("#thread section.thread")
    expect(thread.locator(".note")).to_have_text("Slow to come.")
    expect(page.locator(f"#thread-title-{note.pk}")).to_be_focused()
    page.keyboard.press("Escape")
    expect(thread).to_have_count(0)
    page.wait_for_timeout(300)
    for late in held:
        late.continue_()
    page.wait_for_timeout(300)
    expect(thread).to_have_count(0)
    expect(page.locator("#doc-text")).to_be_focused()


def test_escape_drops_a_thread_still_on_its_way(page: Page, sign_in, annotator):
    note = _reading_a_note(page, sign_in, annotator, "Never mind.")
    held = _holding_threads(page, note)

    mark = _focus_the_highlight(page, note)
    for _ in range(40):  # the focus alone asks for the thread
        if held:
            break
        page.wait_for_timeout(50)
    assert len(held) == 1
    page.keyboard.press("Escape")
    with page.expect_response(f"**/a/{note.pk}/"):
        held.pop().continue_()
    page.wait_for_timeout(200)

    expect(page.locator("#thread section.thread")).to_have_count(0)
    expect(mark).to_be_focused()


def test_a_thread_shown_by_focus_then_opened_from_the_margin_takes_the_keyboard(
    page: Page, sign_in, annotator
):
    note = _reading_a_note(page, sign_in, annotator, "Shown twice.")

    mark = _focus_the_highlight(page, note)
    thread = page.locator("#thread section.thread")
    expect(thread).to_be_visible()  # shown by the focus alone, which stays
    expect(mark).to_be_focused()
    page.keyboard.press("Escape")
    expect(thread).to_have_count(0)

    page.locator(f"#m-{note.pk} a.margin-quote").focus()
    page.keyboard.press("Enter")
    expect(thread).to_be_visible()
    expect(page.locator(f"#thread-title-{note.pk}")).to_be_focused()


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


# Reading cues (issue 9) -----------------------------------------------------------


def test_the_page_says_what_the_reader_can_do(page: Page, sign_in, annotator):
    author, project = annotator
    viewer = make_user("vera", project=project, role=Role.VIEWER)
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    sign_in(page, author)
    page.goto(document.get_absolute_url())
    hint = page.locator("#doc-text-hint")
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("Select a passage to annotate")
    expect(page.locator("#doc-text")).to_have_attribute(
        "aria-describedby", "doc-text-hint"
    )

    page.context.clear_cookies()
    sign_in(page, viewer)
    page.goto(document.get_absolute_url())
    expect(hint).to_be_visible()
    expect(hint).to_contain_text("As a viewer in this project you can read but not")
    expect(hint).not_to_contain_text("Select a passage")


def _marked_passage(page: Page) -> str | None:
    return page.evaluate(
        """() => { const mark = CSS.highlights.get("apparatus-passage");
            return mark && mark.size ? [...mark][0].toString() : null; }"""
    )


def test_the_passage_stays_marked_while_its_note_is_written(
    page: Page, sign_in, annotator
):
    user, project = annotator
    document = make_document(
        project=project, paragraphs=["Le tunnel mesurait un mille.", "Fin."]
    )
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    drag_select(page, "tunnel mesurait")
    page.locator(".selection-toolbar").get_by_role("button", name="Annotate").click()
    body = page.locator("#thread textarea[name=body]")
    expect(body).to_be_focused()
    # The browser's selection went with the focus; the passage is still marked.
    assert page.evaluate("getSelection().toString()") == ""
    assert _marked_passage(page) == "tunnel mesurait"
    # A refused save shows the form again: still marked.
    page.locator("#thread").get_by_label("Tags").fill(
        ", ".join(f"t{n}" for n in range(51))
    )
    page.locator("#thread").get_by_role("button", name="Save").click()
    expect(page.locator("#thread .errors")).to_contain_text("at most 50 tags")
    assert _marked_passage(page) == "tunnel mesurait"

    page.locator("#thread").get_by_label("Tags").fill("")
    body.fill("Saved.")
    page.locator("#thread").get_by_role("button", name="Save").click()
    expect(page.locator("#thread .thread .note")).to_have_text("Saved.")
    assert _marked_passage(page) is None  # the highlight is drawn instead
    assert marked_text(page, Annotation.objects.get().pk) == "tunnel mesurait"

    drag_select(page, "mille")
    expect(page.locator(".selection-toolbar")).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("#thread textarea[name=body]")).to_be_focused()
    assert _marked_passage(page) == "mille"
    page.keyboard.press("Escape")
    expect(page.locator("#thread form")).to_have_count(0)
    assert _marked_passage(page) is None


def _background(page: Page, annotation_id: int) -> str:
    mark = mark_of(page, annotation_id)
    expect(mark).to_be_visible()
    return mark.evaluate("(mark) => getComputedStyle(mark).backgroundColor")


def _rgb(colour: str) -> str:
    red, green, blue = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgb({red}, {green}, {blue})"


def test_highlights_take_the_colour_of_their_first_tag(page: Page, sign_in, annotator):
    from annotations.models import Tag
    from annotations.styles import NEUTRAL, highlight_tints

    user, project = annotator
    document = make_document(
        project=project, paragraphs=["Le tunnel mesurait un mille de long."]
    )
    notes = {
        word: annotation_services.create_annotation(
            document=document,
            author=user,
            start=document.text.index(word),
            end=document.text.index(word) + len(word),
            exact=word,
            tags=tags,
        )
        for word, tags in (
            ("tunnel", ["evidence", "doubt"]),
            ("mille", ["evidence"]),
            ("long", []),
        )
    }
    colours = dict(Tag.objects.values_list("name", "colour"))
    assert colours["doubt"] != colours["evidence"], "new tags differ in colour"
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    doubt = _rgb(highlight_tints(colours["doubt"])[0])
    page.wait_for_function(
        f"""() => getComputedStyle(document.querySelector(
            '#doc-text mark[data-ids~="{notes["tunnel"].pk}"]'))
            .backgroundColor === "{doubt}" """
    )  # the project's tag stylesheet has loaded
    assert _background(page, notes["tunnel"].pk) == doubt  # "doubt" < "evidence"
    assert _background(page, notes["mille"].pk) == _rgb(
        highlight_tints(colours["evidence"])[0]
    )
    assert _background(page, notes["long"].pk) == _rgb(highlight_tints(NEUTRAL)[0])


def test_a_bare_highlight_is_called_one(page: Page, sign_in, annotator):
    user, project = annotator
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    range_select(page, "tunnel")
    page.locator(".selection-toolbar").get_by_role("button", name="Highlight").click()

    thread = page.locator("#thread .thread")
    expect(thread.get_by_role("heading", level=2)).to_have_text("Highlight by anna")
    expect(thread.locator(".note")).to_have_count(0)
    highlight = Annotation.objects.get()
    expect(page.locator(f"#m-{highlight.pk}")).to_contain_text("(highlight)")


def test_the_margin_shows_the_start_of_each_note(page: Page, sign_in, annotator):
    user, project = annotator
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    note = annotation_services.create_annotation(
        document=document,
        author=user,
        start=3,
        end=9,
        exact="tunnel",
        body="Dug over *a year*.\n\nSources below.",
    )
    sign_in(page, user)
    page.goto(document.get_absolute_url())

    item = page.locator(f"#m-{note.pk}")
    expect(item.locator(".margin-note")).to_have_text("Dug over a year. …")
    expect(item.locator(".margin-note em")).to_have_text("a year")


def test_curators_open_the_decision_form_when_they_want_it(
    page: Page, sign_in, annotator
):
    author, project = annotator
    curator = make_user("cleo", project=project, role=Role.CURATOR)
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    note = annotation_services.create_annotation(
        document=document, author=author, start=3, end=9, exact="tunnel", body="Dug."
    )
    sign_in(page, curator)
    page.goto(note.get_absolute_url())
    thread = page.locator(f"#thread-{note.pk}")
    status = thread.get_by_label("Status")
    expect(thread.get_by_text("Decide", exact=True)).to_be_visible()
    expect(status).to_be_hidden()

    thread.get_by_text("Decide", exact=True).click()
    status.select_option("approved")
    thread.get_by_role("button", name="Record decision").click()
    expect(thread.locator(".decision")).to_contain_text("Approved")
    note.refresh_from_db()
    assert note.status == "approved"


def test_under_premoderation_the_author_is_told_who_sees_the_note(
    new_context, sign_in, annotator
):
    from corpus.models import Project
    from tests.browser.test_live import poll_now

    author, project = annotator
    Project.objects.filter(pk=project.pk).update(premoderation=True)
    curator = make_user("cleo", project=project, role=Role.CURATOR)
    document = make_document(project=project, paragraphs=["Le tunnel mesurait."])
    waiting = "Only you and the curators can see this until it is approved."
    page = new_context().new_page()
    sign_in(page, author)
    page.goto(document.get_absolute_url())

    range_select(page, "tunnel")
    annotate_selection(page, "Waiting for a curator.")
    note = Annotation.objects.get()
    expect(page.locator(f"#status-of-{note.pk}")).to_contain_text(waiting)
    expect(page.locator(f"#m-{note.pk}")).to_contain_text(waiting)

    annotation_services.set_status(annotation=note, by=curator, status="approved")
    poll_now(page)
    expect(page.locator(f"#status-of-{note.pk}")).to_have_text("Approved")
    expect(page.locator(f"#m-{note.pk}")).not_to_contain_text(waiting)
