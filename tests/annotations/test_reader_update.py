"""A write's answer brings the reading page up to date by itself
(reading.reader_update): the margin's news, the counts, the redrawn blocks, and
the token the page then reflects, so that no request follows it and its next
poll finds nothing new. What the page sent (`reader`) decides what comes."""

from __future__ import annotations

import re
from urllib.parse import urlencode

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, Status, Tag, Visibility
from tests.annotations.test_threads import PARAGRAPHS, annotate, selection
from tests.conftest import HX
from tests.factories import make_document, reader_since


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=PARAGRAPHS)


def _create(client, doc, exact: str, reader: dict | None, **fields):
    data = {**selection(doc, exact), **fields}
    if reader is not None:
        data["reader"] = urlencode(reader)
    url = reverse("annotations:annotation_create", args=[doc.project.slug, doc.pk])
    response = client.post(url, data, headers=HX)
    assert response.status_code == 200
    return response.content.decode()


def _token(html: str) -> str | None:
    found = re.search(r'id="reader-token" name="since" value="([0-9.]+)"', html)
    return found.group(1) if found else None


def _poll(client, doc, since: str) -> int:
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    return client.get(url, {"since": since}, headers=HX).status_code


def test_a_note_moves_the_pages_token_and_its_next_poll_is_empty(client, doc, members):
    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    html = _create(client, doc, "mile", {"since": since}, body="A note")
    token = _token(html)
    assert token is not None and token != since
    assert token == reader_since(client, doc)
    assert _poll(client, doc, token) == 204
    # The page it came from would have had to fetch it.
    assert _poll(client, doc, since) == 200


def test_a_note_brings_what_the_page_missed_too(client, doc, members):
    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    theirs = annotate(doc, members["curator"], exact="Guzmán", body="Theirs")
    html = _create(client, doc, "mile", {"since": since}, body="Mine")
    assert f'<li data-news="{theirs.pk}"' in html
    assert f'data-ids="{theirs.pk}"' in html  # its block redrawn
    assert "(2)</span>" in html
    assert _poll(client, doc, _token(html)) == 204


def test_without_the_pages_state_only_the_write_comes_and_the_token_stays(
    client, doc, members
):
    client.force_login(members["annotator"])
    theirs = annotate(doc, members["curator"], exact="Guzmán", body="Theirs")
    for reader in (None, {"since": "not a token"}):
        html = _create(client, doc, "mile", reader, body="Mine")
        assert _token(html) is None  # its poll catches up
        assert f'<li data-news="{theirs.pk}"' not in html
        assert html.count("<li data-news=") == 1


def test_a_note_the_filters_leave_out_is_counted_not_listed(client, doc, members):
    client.force_login(members["annotator"])
    annotate(doc, members["curator"], exact="Guzmán").tags.add(
        services.get_or_create_tag(project=doc.project, name="places")
    )
    since = reader_since(client, doc)
    html = _create(client, doc, "mile", {"since": since, "tag": "places"}, tags="other")
    made = re.search(r'data-gone="(\d+)"', html)
    assert made is not None and "<li data-news=" not in html
    assert 'data-total="1"' in html  # what the filtered list holds
    assert "(2)</span>" in html  # what the document holds


def test_a_reply_changes_its_entry_not_the_text(client, doc, members):
    note = annotate(doc, members["curator"], body="Discuss")
    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    url = reverse("annotations:reply_create", args=[doc.project.slug, note.pk])
    response = client.post(
        url, {"body": "Agreed", "reader": urlencode({"since": since})}, headers=HX
    )
    html = response.content.decode()
    # The new reply goes at the end of the thread's list; the thread stands.
    assert response["HX-Retarget"] == f"#replies-{note.pk}"
    assert response["HX-Reswap"] == "beforeend"
    assert '<li class="reply" id="reply-' in html
    assert 'class="thread"' not in html
    assert f'<li data-news="{note.pk}"' in html and "1 reply" in html
    assert 'id="b0"' not in html  # no block redrawn
    assert _poll(client, doc, _token(html)) == 204


def test_a_decision_and_a_deletion_come_as_news(client, doc, members):
    note = annotate(doc, members["annotator"], body="Decide")
    client.force_login(members["curator"])
    since = reader_since(client, doc)
    reader = urlencode({"since": since})
    url = reverse("annotations:annotation_status", args=[doc.project.slug, note.pk])
    response = client.post(
        url,
        {"status": Status.APPROVED, "reason": "", "reader": reader},
        headers=HX,
    )
    html = response.content.decode()
    # The parts of the thread a decision changes, each in its place.
    assert response["HX-Reswap"] == "none"
    for part in (f"status-of-{note.pk}", f"decision-{note.pk}", f"record-{note.pk}"):
        assert f'id="{part}" hx-swap-oob="true"' in html
    assert f'id="decide-{note.pk}" hx-swap-oob="true"' in html
    assert 'class="replies"' not in html
    entry = re.search(rf'<li data-news="{note.pk}" class="([^"]+)"', html)
    assert entry is not None and "status-approved" in entry.group(1)
    token = _token(html)
    assert _poll(client, doc, token) == 204

    url = reverse("annotations:annotation_delete", args=[doc.project.slug, note.pk])
    html = client.post(
        url, {"reader": urlencode({"since": token})}, headers=HX
    ).content.decode()
    assert f'<li data-gone="{note.pk}"></li>' in html
    assert "(0)</span>" in html
    assert 'id="b0"' in html and f'data-ids="{note.pk}"' not in html  # redrawn
    assert _poll(client, doc, _token(html)) == 204


@pytest.mark.parametrize(
    "filters",
    [{}, {"tag": "", "author": "", "status": ""}],
    ids=["no-filters", "filters-sent-empty"],
)
def test_an_up_to_date_page_learns_its_token_and_count_without_asking(
    client, doc, members, filters
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(members["annotator"])
    annotate(doc, members["curator"], exact="Guzmán")
    since = reader_since(client, doc)
    reader = {"since": since, "count": 1, **filters}
    with CaptureQueriesContext(connection) as queries:
        html = _create(client, doc, "mile", reader, body="Mine")
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "__count" not in sql  # the count follows from the page's
    assert "(2)</span>" in html
    assert _token(html) == reader_since(client, doc)
    assert _poll(client, doc, _token(html)) == 204


def test_a_change_from_another_tab_is_not_skipped(client, doc, members):
    """The writer's own private note, made elsewhere after the page loaded, moves
    their own count: the page was not up to date, so it comes along."""
    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    elsewhere = annotate(
        doc, members["annotator"], exact="Guzmán", visibility=Visibility.PRIVATE
    )
    html = _create(client, doc, "mile", {"since": since, "count": 0}, body="Here")
    assert f'<li data-news="{elsewhere.pk}"' in html
    assert "(2)</span>" in html
    assert _poll(client, doc, _token(html)) == 204


def test_a_deletion_and_a_decision_count_right_in_each_reading_mode(
    client, doc, members
):
    note = annotate(doc, members["annotator"], body="Decide")
    other = annotate(doc, members["annotator"], exact="Guzmán")
    Annotation.objects.filter(pk=other.pk).update(status=Status.APPROVED)
    client.force_login(members["curator"])
    # Approved only: the page counts one; approving the note makes two.
    since = reader_since(client, doc)
    url = reverse("annotations:annotation_status", args=[doc.project.slug, note.pk])
    reader = {"since": since, "count": 1, "approved": "on"}
    html = client.post(
        url,
        {"status": Status.APPROVED, "reason": "", "reader": urlencode(reader)},
        headers=HX,
    ).content.decode()
    assert "(2)</span>" in html
    url = reverse("annotations:annotation_delete", args=[doc.project.slug, note.pk])
    reader = {"since": _token(html), "count": 2}
    html = client.post(url, {"reader": urlencode(reader)}, headers=HX).content.decode()
    assert "(1)</span>" in html
    assert _poll(client, doc, _token(html)) == 204


def test_a_redrawn_block_keeps_a_long_annotation_that_starts_far_before_it(
    client, project, members
):
    paragraphs = [
        "First paragraph, where the long note begins.",
        "Second paragraph, all of it under the long note.",
        "Third paragraph, where a short note is made.",
    ]
    doc = make_document(project=project, paragraphs=paragraphs)
    start = doc.text.index("where the long")
    end = doc.text.index("where a short")
    long = services.create_annotation(
        document=doc,
        author=members["curator"],
        start=start,
        end=end,
        exact=doc.text[start:end],
    )
    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    html = _create(client, doc, "short note", {"since": since, "count": 1})
    third = doc.text.index("Third")
    redrawn = re.search(rf'<p [^>]*id="b{third}"[^>]*>.*?</p>', html, re.S)
    assert redrawn is not None
    assert f'data-ids="{long.pk}"' in redrawn.group(0)


def test_a_new_notes_entry_shows_its_tags_read_once(client, doc, members):
    """The margin's entry takes the tags the redrawn block just read."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(members["annotator"])
    since = reader_since(client, doc)
    with CaptureQueriesContext(connection) as queries:
        html = _create(
            client, doc, "mile", {"since": since, "count": 0}, tags="tunnels, Escape"
        )
    entry = re.search(r"<li data-news=.*?</li>", html, re.S).group(0)
    chips = re.findall(r'<span class="tag tag-colour-(\d+)">([^<]+)</span>', entry)
    tags = dict(Tag.objects.values_list("name", "pk"))
    assert chips == [(str(tags["Escape"]), "Escape"), (str(tags["tunnels"]), "tunnels")]
    reads = [
        query["sql"]
        for query in queries.captured_queries
        if query["sql"].startswith("SELECT")
        and "annotations_annotation_tags" in query["sql"]
    ]
    assert len(reads) == 1, reads
