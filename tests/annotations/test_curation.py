"""The curation queue: filters, inline and bulk decisions, roles, cost."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import AnnotationEvent, EventKind, Status
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document

WORDS = ["tunnel", "mile", "long", "escape", "prison", "night"]


@pytest.fixture
def notes(project, members):
    doc = make_document(
        project=project,
        paragraphs=["The tunnel was a mile long.", "The escape from prison at night."],
    )
    return [make_annotation(doc, members["annotator"], word) for word in WORDS]


def _queue(project):
    return reverse("annotations:curation_queue", args=[project.slug])


def _decide(project):
    return reverse("annotations:curation_decide", args=[project.slug])


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*(role.value for role in Role), "outsider"])
def test_queue_and_decisions_are_for_curators_and_owners(
    client, project, members, notes, who, htmx
):
    client.force_login(members[who])
    headers = HX if htmx else {}
    allowed = who in {"owner", "curator"}
    refused = 404 if who == "outsider" else 403
    response = client.get(_queue(project), headers=headers)
    assert response.status_code == (200 if allowed else refused)
    response = client.post(
        _decide(project), {"decide": f"{notes[0].pk} approved"}, headers=headers
    )
    assert response.status_code == ((200 if htmx else 302) if allowed else refused)
    notes[0].refresh_from_db()
    assert notes[0].status == (Status.APPROVED if allowed else Status.SUBMITTED)


def test_queue_lists_submitted_by_default_and_filters(client, project, members, notes):
    services.set_status(annotation=notes[0], by=members["owner"], status="approved")
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    assert f'id="q-{notes[0].pk}"' not in html
    assert f'id="q-{notes[1].pk}"' in html
    approved = client.get(_queue(project), {"status": "approved"}).content.decode()
    assert f'id="q-{notes[0].pk}"' in approved
    assert f'id="q-{notes[1].pk}"' not in approved
    by_author = client.get(
        _queue(project), {"status": "", "author": "nobody"}
    ).content.decode()
    assert "Nothing to review" in by_author


def test_bulk_decision_applies_one_reason_to_all_selected(
    client, project, members, notes
):
    client.force_login(members["curator"])
    chosen = [notes[1].pk, notes[2].pk, notes[3].pk]
    response = client.post(
        _decide(project),
        {"ids": chosen, "status": "needs_revision", "reason": "Add sources."},
        headers=HX,
    )
    assert response.status_code == 200
    events = AnnotationEvent.objects.filter(kind=EventKind.STATUS)
    assert sorted(events.values_list("annotation_id", flat=True)) == sorted(chosen)
    assert set(events.values_list("reason", flat=True)) == {"Add sources."}
    for note in notes:
        note.refresh_from_db()
    assert [n.status for n in notes] == [
        "submitted",
        "needs_revision",
        "needs_revision",
        "needs_revision",
        "submitted",
        "submitted",
    ]


def test_bulk_reject_without_reason_changes_nothing(client, project, members, notes):
    client.force_login(members["owner"])
    response = client.post(
        _decide(project),
        {"ids": [notes[0].pk, notes[1].pk], "status": "rejected", "reason": ""},
        headers=HX,
    )
    assert response.status_code == 400
    assert "Say why" in response.content.decode()
    assert not AnnotationEvent.objects.filter(kind=EventKind.STATUS).exists()


def test_nothing_selected_is_a_clear_error(client, project, members, notes):
    client.force_login(members["owner"])
    response = client.post(_decide(project), {"status": "approved"}, headers=HX)
    assert response.status_code == 400
    assert "Select at least one annotation" in response.content.decode()


def test_queue_query_count_does_not_grow(client, project, members, notes):
    client.force_login(members["curator"])
    with CaptureQueriesContext(connection) as few:
        client.get(_queue(project))
    doc = notes[0].document
    for _ in range(3):
        for word in WORDS:
            note = make_annotation(doc, members["owner"], word)
            note.tags.add(services.get_or_create_tag(project=project, name=word))
            services.create_reply(annotation=note, author=members["owner"], body="ok")
    with CaptureQueriesContext(connection) as many:
        client.get(_queue(project))
    assert len(many) == len(few)


def test_later_pages_keep_the_default_and_chosen_filters(
    client, project, members, notes, monkeypatch
):
    from annotations import curation

    monkeypatch.setattr(curation, "QUEUE_PAGE_SIZE", 2)
    for note in notes[:2]:
        services.set_status(annotation=note, by=members["owner"], status="approved")
    client.force_login(members["curator"])
    # Four submitted: two pages of the default queue, approved ones on neither.
    first = client.get(_queue(project)).content.decode()
    assert "Page 1 of 2" in first and 'page=2"' in first
    second = client.get(_queue(project), {"page": 2}, headers=HX).content.decode()
    assert "Page 2 of 2" in second
    assert f'id="q-{notes[0].pk}"' not in second
    assert second.count('id="q-') == 2
    # A chosen filter travels with the page links.
    any_status = client.get(_queue(project), {"status": ""}).content.decode()
    assert "Page 1 of 3" in any_status and "?status=&amp;page=2" in any_status


# Rows decide with their own reason (issue 9) -----------------------------------


class _Row(HTMLParser):
    """The controls of one queue row as a screen reader names them: buttons and
    summaries by their text, fields by their label or aria-label."""

    def __init__(self, row_id: str):
        super().__init__()
        self.row_id, self.depth = row_id, 0
        self.names: list[str] = []
        self.forms = self.reasons = 0
        self._text: list[str] | None = None
        self._labels: dict[str, str] = {}
        self._label_for: str | None = None
        self._fields: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "tr" and attrs.get("id") == self.row_id:
            self.depth = 1
        elif self.depth and tag == "tr":
            self.depth += 1
        if not self.depth:
            return
        if tag == "form":
            self.forms += 1
        if tag in ("button", "summary"):
            self._text = []
        if tag == "label":
            self._text, self._label_for = [], attrs.get("for")
        if tag == "textarea" and attrs.get("name") == "reason":
            self.reasons += 1
            self._fields.append(attrs["id"])
        if tag == "input" and attrs.get("aria-label"):
            self.names.append(attrs["aria-label"])

    def handle_endtag(self, tag):
        if self.depth and tag == "tr":
            self.depth -= 1
        if self._text is not None and tag in ("button", "summary", "label"):
            text = " ".join("".join(self._text).split())
            if tag == "label":
                self._labels[self._label_for] = text
            else:
                self.names.append(text)
            self._text = None

    def handle_data(self, data):
        if self.depth and self._text is not None:
            self._text.append(data)

    @classmethod
    def of(cls, html: str, pk: int) -> _Row:
        row = cls(f"q-{pk}")
        row.feed(html)
        row.names += [row._labels[field] for field in row._fields]
        return row


def _status_events():
    return AnnotationEvent.objects.filter(kind=EventKind.STATUS)


def test_each_row_asks_for_its_own_reason_in_its_own_form(
    client, project, members, notes
):
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    for note in notes:
        row = _Row.of(html, note.pk)
        assert (row.forms, row.reasons) == (1, 1)
    # The rows' forms are not inside the bulk form: a row's Reject never sends
    # the shared reason box.
    bulk = html.split('id="queue-bulk"', 1)[1].split("</form>", 1)[0]
    assert 'id="q-' not in bulk and 'name="decide"' not in bulk


def test_row_controls_are_named_with_the_row(client, project, members, notes):
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    names = _Row.of(html, notes[0].pk).names
    assert names == [
        "Select “tunnel”",
        "Approve “tunnel”",
        "Reject or revise… “tunnel”",
        "Ask for revision on “tunnel”",
        "Reject “tunnel”",
        "Reason for “tunnel” (the author sees it)",
    ]


@pytest.mark.parametrize("status", ["rejected", "needs_revision"])
def test_row_decision_takes_the_rows_reason_and_answers_the_row(
    client, project, members, notes, status
):
    client.force_login(members["curator"])
    response = client.post(
        _decide(project),
        {"decide": f"{notes[2].pk} {status}", "reason": "Not in the source."},
        headers=HX,
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith(f'<tr id="q-{notes[2].pk}"')
    assert 'id="queue"' not in html
    label = Status(status).label
    assert f"{label}: decided just now" in html and "autofocus" in html
    event = _status_events().get()
    assert (event.annotation_id, event.reason, event.after) == (
        notes[2].pk,
        "Not in the source.",
        status,
    )
    assert [n.status for n in _fresh(notes)].count(Status.SUBMITTED) == 5


def _fresh(notes):
    for note in notes:
        note.refresh_from_db()
    return notes


def test_row_approval_needs_no_reason(client, project, members, notes):
    client.force_login(members["owner"])
    response = client.post(
        _decide(project), {"decide": f"{notes[1].pk} approved"}, headers=HX
    )
    assert response.status_code == 200
    assert "Approved: decided just now" in response.content.decode()
    assert _fresh(notes)[1].status == Status.APPROVED


@pytest.mark.parametrize("status", ["rejected", "needs_revision"])
@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_row_decision_without_a_reason_is_refused_in_the_row(
    client, project, members, notes, status, htmx
):
    client.force_login(members["curator"])
    response = client.post(
        _decide(project) + "?status=submitted",
        {"decide": f"{notes[3].pk} {status}", "reason": "  "},
        headers=HX if htmx else {},
    )
    assert response.status_code == 400
    html = response.content.decode()
    row = html.split(f'<tr id="q-{notes[3].pk}"', 1)[1].split("</tr>", 1)[0]
    assert "Say why" in row
    assert '<details class="row-reason" open>' in row
    assert 'aria-invalid="true"' in row and "autofocus" in row
    assert html.count("Say why") == 1  # next to the row, not above the table
    if htmx:
        assert 'id="queue"' not in html  # the row alone replaces the row
    else:
        assert "<h1>Curation queue</h1>" in html  # the page, filters kept
        assert 'action="/p/' in html and "?status=submitted" in html
    assert not _status_events().exists()
    assert all(n.status == Status.SUBMITTED for n in _fresh(notes))


def test_row_decision_on_a_row_not_shown_answers_the_queue(
    client, project, members, notes
):
    private = make_annotation(
        notes[0].document, members["annotator"], "night", visibility="private"
    )
    client.force_login(members["curator"])
    response = client.post(
        _decide(project), {"decide": f"{private.pk} approved"}, headers=HX
    )
    assert response.status_code == 400
    assert response["HX-Retarget"] == "#queue"
    assert response["HX-Reswap"] == "outerHTML"
    assert 'id="queue"' in response.content.decode()
    private.refresh_from_db()
    assert private.status == Status.SUBMITTED


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_bulk_refusal_shows_by_the_reason_box_and_keeps_the_selection(
    client, project, members, notes, htmx
):
    client.force_login(members["curator"])
    chosen = [notes[0].pk, notes[4].pk]
    response = client.post(
        _decide(project),
        {"ids": chosen, "status": "rejected", "reason": ""},
        headers=HX if htmx else {},
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert '<p class="errors" id="queue-reason-error" role="alert">Say why' in html
    for note in notes:
        box = html.split(f'id="pick-{note.pk}"', 1)[1].split(">", 1)[0]
        assert ("checked" in box) == (note.pk in chosen)
    assert not _status_events().exists()


def test_bulk_buttons_read_as_actions(client, project, members, notes):
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    bulk = html.split('id="queue-bulk"', 1)[1].split("</form>", 1)[0]
    buttons = re.findall(r'<button type="submit" name="status"[^>]*>([^<]*)<', bulk)
    assert buttons == ["Approve selected", "Reject selected…", "Ask for revision…"]
    assert ": selected" not in html


def test_notes_show_as_sanitised_markdown_a_few_lines_long(
    client, project, members, notes
):
    long_note = "\n\n".join(f"Point {i}: the *tunnel* again." for i in range(1, 9))
    doc, author = notes[0].document, members["annotator"]
    evil = "**Bold** claim <script>alert(1)</script> [x](javascript:alert(1))"
    short = make_annotation(doc, author, "mile", body=evil)
    long = make_annotation(doc, author, "prison", body=long_note)
    client.force_login(members["curator"])
    html = client.get(_queue(project)).content.decode()
    first = html.split(f'<tr id="q-{short.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "<strong>Bold</strong> claim" in first
    assert "**Bold**" not in first
    assert "<script" not in first and "javascript:" not in first
    assert ">more<" not in first  # nothing left out
    second = html.split(f'<tr id="q-{long.pk}"', 1)[1].split("</tr>", 1)[0]
    assert "<em>tunnel</em>" in second
    assert "Point 2" in second and "Point 3" not in second
    detail = reverse("annotations:annotation_detail", args=[project.slug, long.pk])
    assert f'<a class="more" href="{detail}">more<' in second


@pytest.mark.parametrize(
    ("body", "excerpt", "cut"),
    [
        ("", "", False),
        ("A *short* note.", "A *short* note.", False),
        ("one\ntwo\nthree\nfour", "one\ntwo\nthree\nfour", False),
        ("one\ntwo\nthree\nfour\nfive", "one\ntwo\nthree\nfour …", True),
        ("word " * 100, ("word " * 48).strip() + " …", True),
        ("x" * 300, "x" * 240 + " …", True),
    ],
)
def test_note_excerpt_keeps_a_few_lines(body, excerpt, cut):
    from annotations import curation

    assert curation.note_excerpt(body) == (excerpt, cut)


def test_a_reason_the_browser_accepted_fits_however_it_breaks_lines(
    client, project, members
):
    """Browsers count a line break once against maxlength and send it as CRLF:
    a reason of 5,000 characters with line breaks must not be refused."""
    from annotations.models import Annotation
    from tests.factories import make_annotation, make_document

    document = make_document(project=project, paragraphs=["The tunnel was long."])
    note = make_annotation(document, members["annotator"], "tunnel")
    reason = "\r\n".join(["x" * 49] * 100)  # 4,999 characters as the browser counts
    assert len(reason.replace("\r\n", "\n")) <= 5_000 < len(reason)
    client.force_login(members["curator"])
    response = client.post(
        reverse("annotations:curation_decide", args=[project.slug]),
        {"ids": [note.pk], "status": "rejected", "reason": reason},
    )
    assert response.status_code == 302
    note = Annotation.objects.get(pk=note.pk)
    assert note.status == "rejected"
    stored = note.events.get(kind="status").reason
    assert "\r" not in stored and stored.count("\n") == 99


def _row(html: str, pk: int) -> str:
    return re.search(rf'<tr id="q-{pk}".*?</tr>', html, re.S).group(0)


def test_a_kept_row_follows_every_change_it_shows(client, project, members, notes):
    """Rows are drawn once and kept by each worker: a reply, an edit of the
    note and its tags, a renamed author or document, and the filters' address
    each draw the row anew."""
    client.force_login(members["curator"])
    note = notes[0]

    def row(**query) -> str:
        return _row(client.get(_queue(project), query).content.decode(), note.pk)

    assert "repl" not in row()
    services.create_reply(annotation=note, author=members["owner"], body="Agreed.")
    assert "1 reply" in row()
    services.update_annotation(
        annotation=note,
        editor=members["annotator"],
        version=note.version,
        body="Dug by hand.",
        tags=["method"],
        visibility=note.visibility,
    )
    edited = row()
    assert "Dug by hand." in edited and ">method<" in edited
    members["annotator"].username = "renamed-author"
    members["annotator"].save()
    assert "renamed-author" in row()
    note.document.title = "A retitled source"
    note.document.save()
    assert "A retitled source" in row()
    assert "author=renamed-author" in row(author="renamed-author")


def _tokens(html: str) -> set[str]:
    return set(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))


def test_kept_rows_carry_each_readers_own_token(project, members, notes):
    """A row drawn for one curator and kept by the worker goes to the next with
    the next one's CSRF token, which their decision then passes with."""
    from django.test import Client

    owner, curator = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    owner.force_login(members["owner"])
    curator.force_login(members["curator"])
    owners = owner.get(_queue(project)).content.decode()
    curators = curator.get(_queue(project)).content.decode()
    row_tokens = _tokens(_row(curators, notes[1].pk))
    assert row_tokens and row_tokens <= _tokens(curators)
    assert not row_tokens & _tokens(owners)
    response = curator.post(
        _decide(project),
        {"decide": f"{notes[1].pk} approved", "csrfmiddlewaretoken": row_tokens.pop()},
    )
    assert response.status_code == 302
    notes[1].refresh_from_db()
    assert notes[1].status == Status.APPROVED
