"""The reading page: who may read it, the text's highlights, the margin's list and
filters, the poll, the worker's cached rendering, and queries that do not grow
with the annotations."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from annotations import services
from annotations.models import Visibility
from corpus import bodycache
from tests.conftest import HX, ROLES
from tests.factories import make_annotation, make_document, reader_since

PARAGRAPHS = ["The tunnel 😀 was a mile long.", "Guzmán escaped twice."]


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=PARAGRAPHS)


def annotate(doc, author, exact="mile", **kwargs):
    return make_annotation(doc, author, exact, **kwargs)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider", "anonymous"])
def test_the_reading_page_is_for_members(client, doc, members, who, htmx):
    if who != "anonymous":
        client.force_login(members[who])
    response = client.get(doc.get_absolute_url(), headers=HX if htmx else {})
    if who == "anonymous":
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("login"))
    elif who == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 200


@pytest.mark.parametrize("who", [*ROLES, "outsider", "anonymous"])
@pytest.mark.parametrize(
    "name",
    [
        "annotation_detail",
        "annotation_list_hx",
        "annotation_changes_hx",
        "tag_search_hx",
    ],
)
def test_read_views_answer_members_only(client, doc, members, who, name):
    annotation = annotate(doc, members["owner"])
    if who != "anonymous":
        client.force_login(members[who])
    kwargs = {"slug": doc.project.slug}
    if name == "annotation_detail":
        kwargs["pk"] = annotation.pk
    elif name != "tag_search_hx":
        kwargs["pk"] = doc.pk
    response = client.get(reverse(f"annotations:{name}", kwargs=kwargs), headers=HX)
    if who == "anonymous":
        assert response.status_code == 302
    elif who == "outsider":
        assert response.status_code == 404
    else:
        assert response.status_code == 200


def test_overlapping_annotations_are_drawn_darker(client, doc, owner):
    first = annotate(doc, owner, exact="tunnel 😀 was")
    second = annotate(doc, owner, exact="was a mile")
    client.force_login(owner)
    html = client.get(doc.get_absolute_url()).content.decode()
    assert f'<mark class="hl d2" data-ids="{first.pk} {second.pk}"' in html
    assert ">was</mark>" in html


def test_margin_filters_by_tag_author_and_mine(client, doc, members):
    tagged = annotate(doc, members["owner"], exact="tunnel")
    tagged.tags.add(services.get_or_create_tag(project=doc.project, name="Escape"))
    theirs = annotate(doc, members["annotator"], exact="escaped")
    client.force_login(members["owner"])
    url = reverse("annotations:annotation_list_hx", args=[doc.project.slug, doc.pk])
    by_tag = client.get(url, {"tag": "escape"}).content.decode()
    assert f'id="m-{tagged.pk}"' in by_tag and f'id="m-{theirs.pk}"' not in by_tag
    by_author = client.get(url, {"author": "annotator-user"}).content.decode()
    assert f'id="m-{theirs.pk}"' in by_author and f'id="m-{tagged.pk}"' not in by_author
    mine = client.get(url, {"mine": "on"}).content.decode()
    assert f'id="m-{tagged.pk}"' in mine and f'id="m-{theirs.pk}"' not in mine
    page = client.get(doc.get_absolute_url(), {"tag": "Escape"}).content.decode()
    assert f'id="m-{theirs.pk}"' not in page


def test_polling_answers_204_when_nothing_changed(client, doc, owner):
    annotate(doc, owner)
    client.force_login(owner)
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    response = client.get(url, {"since": reader_since(client, doc)}, headers=HX)
    assert response.status_code == 204
    assert response.content == b""


def test_polling_brings_a_colleagues_new_annotation(client, doc, members):
    client.force_login(members["viewer"])
    since = reader_since(client, doc)
    theirs = annotate(doc, members["annotator"], body="New!")
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    html = client.get(url, {"since": since}, headers=HX).content.decode()
    assert f'data-ids="{theirs.pk}"' in html
    assert f'<li data-news="{theirs.pk}"' in html  # the margin's news
    # The token of the next poll.
    token = reader_since(client, doc)
    assert f'id="reader-token" name="since" value="{token}" hx-swap-oob' in html


def test_polling_does_not_reveal_private_annotations(client, doc, members):
    client.force_login(members["owner"])
    since = reader_since(client, doc)
    private = annotate(doc, members["annotator"], visibility=Visibility.PRIVATE)
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    html = client.get(url, {"since": since}, headers=HX).content.decode()
    assert f'data-ids="{private.pk}"' not in html
    assert f'id="m-{private.pk}"' not in html
    assert f'"{private.pk}"' not in html


def test_reading_page_queries_do_not_grow_with_annotations(client, doc, members):
    client.force_login(members["owner"])
    annotate(doc, members["owner"], exact="tunnel").tags.add(
        services.get_or_create_tag(project=doc.project, name="t")
    )
    bodycache.clear()  # compare cold caches: nothing served from the worker's
    with CaptureQueriesContext(connection) as few:
        client.get(doc.get_absolute_url())
    words = doc.text.split()
    for n, word in enumerate(words * 3):
        start = doc.text.index(word)
        annotation = services.create_annotation(
            document=doc,
            author=members["annotator"],
            start=start,
            end=start + len(word),
            exact=word,
            body=f"note {n}",
        )
        services.create_reply(annotation=annotation, author=members["owner"], body="ok")
    bodycache.clear()
    with CaptureQueriesContext(connection) as many:
        client.get(doc.get_absolute_url())
    assert len(many) == len(few)


def test_polling_keeps_the_margin_page_the_reader_is_on(client, doc, members):
    words = doc.text.replace("\n", " ").split()
    for n in range(60):
        word = words[n % len(words)]
        annotate(doc, members["owner"], exact=word, body=f"n{n}")
    client.force_login(members["viewer"])
    since = reader_since(client, doc)
    late = annotate(doc, members["annotator"], exact="long")
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    # With its token, the page gets news of the change and the new total.
    html = client.get(url, {"since": since, "page": 2}, headers=HX).content.decode()
    assert f'<li data-news="{late.pk}"' in html
    assert 'id="margin-news" hidden hx-swap-oob="true" data-total="61"' in html
    # Without one (a page that lost it), its whole margin page, the same page.
    html = client.get(url, {"page": 2}, headers=HX).content.decode()
    assert 'id="margin-page" name="page" value="2"' in html
    assert "51–61 of <span data-total>61</span>" in html


def test_cached_rendering_never_shows_a_private_annotation_to_others(
    client, doc, members
):
    private = annotate(doc, members["annotator"], visibility=Visibility.PRIVATE)
    shared = annotate(doc, members["annotator"], exact="Guzmán")
    client.force_login(members["annotator"])
    assert (
        f'data-ids="{private.pk}"'
        in client.get(doc.get_absolute_url()).content.decode()
    )
    for reader in ("owner", "viewer"):
        client.force_login(members[reader])
        page = client.get(doc.get_absolute_url()).content.decode()
        assert f'data-ids="{private.pk}"' not in page
        assert f'data-ids="{shared.pk}"' in page


def test_cached_rendering_follows_every_change(client, doc, members):
    client.force_login(members["viewer"])
    assert "<mark" not in client.get(doc.get_absolute_url()).content.decode()
    note = annotate(doc, members["owner"])
    assert (
        f'data-ids="{note.pk}"' in client.get(doc.get_absolute_url()).content.decode()
    )
    services.delete_annotation(annotation=note, by=members["owner"])
    assert "<mark" not in client.get(doc.get_absolute_url()).content.decode()


def test_page_carries_highlight_labels_once_as_json(client, doc, members):
    note = annotate(doc, members["annotator"], exact="mile")
    note.tags.add(services.get_or_create_tag(project=doc.project, name="<Escape>"))
    client.force_login(members["viewer"])
    html = client.get(doc.get_absolute_url()).content.decode()
    assert '<script id="highlight-labels" type="application/json">' in html
    assert f'"{note.pk}": "annotator-user (\\u003CEscape\\u003E)"' in html
    assert 'aria-label="Open annotation: annotator-user (&lt;Escape&gt;)"' in html


def test_the_poll_swaps_the_margins_content_not_its_element(client, doc, members):
    client.force_login(members["viewer"])
    annotate(doc, members["annotator"], body="New.")
    url = reverse("annotations:annotation_changes_hx", args=[doc.project.slug, doc.pk])
    html = client.get(url, headers=HX).content.decode()  # a page without a token
    assert '<div id="margin-list" hx-swap-oob="innerHTML"' in html
