"""Links between passages, to documents and to sources: services, views, pages."""

from __future__ import annotations

import datetime
import re

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from annotations import link_graph, services
from annotations import links as link_reads
from annotations.models import Link, RelationType, Visibility
from corpus.models import Membership
from tests.conftest import CAN_ANNOTATE, CAN_MODERATE, HX, ROLES, expected_status
from tests.factories import make_annotation, make_document, make_project, make_user


@pytest.fixture
def docs(project):
    return (
        make_document(
            project=project, title="Letters", paragraphs=["The tunnel was long."]
        ),
        make_document(
            project=project, title="Diary", paragraphs=["He escaped at night."]
        ),
    )


@pytest.fixture
def source(docs, members):
    return make_annotation(docs[0], members["annotator"], "tunnel", body="Source")


@pytest.fixture
def target(docs, members):
    return make_annotation(docs[1], members["curator"], "escaped", body="Target")


def relation(project, name="supports"):
    return RelationType.objects.offered_in(project).get(name=name)


def link(source, target, author=None, **kwargs):
    return services.create_link(
        source=source,
        author=author or source.author,
        relation=relation(source.project),
        target_annotation=target,
        **kwargs,
    )


def thread_html(client, user, annotation) -> str:
    client.force_login(user)
    url = reverse(
        "annotations:annotation_detail", args=[annotation.project.slug, annotation.pk]
    )
    response = client.get(url, headers=HX)
    assert response.status_code == 200
    return response.content.decode()


# Services ----------------------------------------------------------------------


def test_create_link_to_annotation_in_another_document(source, target):
    made = link(source, target, note="Same tunnel")
    assert made.target_annotation == target
    assert made.project_id == source.project_id
    assert source.document_id != target.document_id


def test_create_link_to_a_document_and_to_a_source(source, docs):
    to_document = services.create_link(
        source=source,
        author=source.author,
        relation=relation(source.project, "cites"),
        target_document=docs[1],
    )
    to_source = services.create_link(
        source=source,
        author=source.author,
        relation=relation(source.project, "cites"),
        target_url="https://example.org/article",
        target_title="An article",
        citation="p. 4",
        accessed=datetime.date(2024, 5, 1),
    )
    assert to_document.target_document == docs[1]
    assert to_source.target_url == "https://example.org/article"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "data:text/html,hi", "ftp://example.org/x", "//x"]
)
def test_create_link_refuses_urls_other_than_http(source, url):
    with pytest.raises(ValidationError, match="Only http and https"):
        services.create_link(
            source=source,
            author=source.author,
            relation=relation(source.project),
            target_url=url,
        )
    assert not Link.objects.exists()


def test_create_link_refuses_a_self_link(source):
    with pytest.raises(ValidationError, match="itself"):
        link(source, source)


def test_create_link_refuses_another_projects_annotation_and_document(source):
    other = make_project()
    other_doc = make_document(project=other, paragraphs=["Elsewhere entirely."])
    elsewhere = make_annotation(other_doc, make_user(), "Elsewhere")
    with pytest.raises(ValidationError, match="same project"):
        link(source, elsewhere)
    with pytest.raises(ValidationError, match="same project"):
        services.create_link(
            source=source,
            author=source.author,
            relation=relation(source.project),
            target_document=other_doc,
        )
    assert not Link.objects.exists()


def test_create_link_needs_exactly_one_target(source, target, docs):
    with pytest.raises(ValidationError, match="exactly one"):
        services.create_link(
            source=source,
            author=source.author,
            relation=relation(source.project),
            target_annotation=target,
            target_document=docs[1],
        )
    with pytest.raises(ValidationError, match="exactly one"):
        services.create_link(
            source=source, author=source.author, relation=relation(source.project)
        )


def test_create_link_refuses_another_projects_relation(source, target):
    other = relation(make_project())
    with pytest.raises(ValidationError, match="relations"):
        services.create_link(
            source=source,
            author=source.author,
            relation=other,
            target_annotation=target,
        )


# Who may do what ---------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_picker_is_for_annotating_roles(client, members, source, target, who, htmx):
    client.force_login(members[who])
    url = reverse("annotations:link_picker", args=[source.project.slug, source.pk])
    response = client.get(url, headers=HX if htmx else {})
    assert response.status_code == expected_status(who, CAN_ANNOTATE, 200)
    if response.status_code == 200:
        html = response.content.decode()
        assert "Link this passage" in html
        assert ("<html" in html) != htmx
        assert "escaped" in html  # the other passage is offered


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_search_is_for_annotating_roles(client, members, source, target, who, htmx):
    client.force_login(members[who])
    url = reverse("annotations:link_search_hx", args=[source.project.slug, source.pk])
    response = client.get(url, {"q": "escaped"}, headers=HX if htmx else {})
    assert response.status_code == expected_status(who, CAN_ANNOTATE, 200)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_create_is_for_annotating_roles(client, members, source, target, who, htmx):
    client.force_login(members[who])
    url = reverse("annotations:link_create", args=[source.project.slug, source.pk])
    response = client.post(
        url,
        {"relation": relation(source.project).pk, "target_annotation": target.pk},
        headers=HX if htmx else {},
    )
    expected = expected_status(who, CAN_ANNOTATE, 200 if htmx else 302)
    assert response.status_code == expected
    assert Link.objects.exists() == (who in CAN_ANNOTATE)
    if expected == 302:
        assert response.url == source.get_absolute_url()
    if expected == 200:
        assert 'id="thread-' in response.content.decode()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_delete_is_for_the_author_or_a_curator(
    client, members, source, target, who, htmx
):
    made = link(source, target)  # by the annotator
    client.force_login(members[who])
    url = reverse("annotations:link_delete", args=[source.project.slug, made.pk])
    response = client.post(url, {"thread": target.pk}, headers=HX if htmx else {})
    allowed = CAN_MODERATE | {"annotator"}
    assert response.status_code == expected_status(who, allowed, 200 if htmx else 302)
    made.refresh_from_db()
    assert (made.deleted_at is not None) == (who in allowed)
    if who in allowed:
        assert made.deleted_by == members[who]
        if htmx:
            assert f'id="thread-{target.pk}"' in response.content.decode()
        else:
            assert response.url == target.get_absolute_url()


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_links_page_is_for_members(client, members, source, target, who, htmx):
    link(source, target)
    client.force_login(members[who])
    url = reverse("annotations:link_list", args=[source.project.slug])
    response = client.get(url, headers=HX if htmx else {})
    assert response.status_code == expected_status(who, set(ROLES), 200)
    if response.status_code == 200:
        html = response.content.decode()
        assert "tunnel" in html and "escaped" in html
        assert ("<html" in html) != htmx


def test_retired_relation_is_not_offered_in_the_picker(client, members, source):
    supports = relation(source.project)
    services.update_relation_type(
        relation=supports, name="supports", description="", retired=True
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:link_picker", args=[source.project.slug, source.pk])
    html = client.get(url).content.decode()
    assert ">supports</option>" not in html
    assert ">contradicts</option>" in html
    response = client.post(
        reverse("annotations:link_create", args=[source.project.slug, source.pk]),
        {"relation": supports.pk, "target_url": "https://example.org/"},
        headers=HX,
    )
    assert response.status_code == 400
    assert not Link.objects.exists()


# Creating through the view -----------------------------------------------------


def _create(client, user, source, data, htmx=True):
    client.force_login(user)
    url = reverse("annotations:link_create", args=[source.project.slug, source.pk])
    return client.post(
        url,
        {"relation": relation(source.project).pk, **data},
        headers=HX if htmx else {},
    )


def test_create_view_links_to_a_document(client, members, source, docs):
    response = _create(
        client, members["annotator"], source, {"target_document": docs[1].pk}
    )
    assert response.status_code == 200
    assert Link.objects.get().target_document == docs[1]
    assert "Diary" in response.content.decode()


def test_create_view_links_to_a_source(client, members, source):
    response = _create(
        client,
        members["annotator"],
        source,
        {
            "target_url": "https://example.org/a?b=1",
            "target_title": "Report <b>",
            "citation": "ch. 2",
            "accessed": "2024-05-01",
        },
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="https://example.org/a?b=1" rel="noopener noreferrer nofollow"' in html
    assert "Report &lt;b&gt;" in html
    assert "ch. 2" in html
    assert Link.objects.get().accessed == datetime.date(2024, 5, 1)


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_create_view_refuses_a_javascript_url(client, members, source, htmx):
    response = _create(
        client,
        members["annotator"],
        source,
        {"target_url": "javascript:alert(1)"},
        htmx=htmx,
    )
    assert response.status_code == 400
    assert "Only http and https links" in response.content.decode()
    assert not Link.objects.exists()


def test_create_view_refuses_a_self_link(client, members, source):
    response = _create(
        client, members["annotator"], source, {"target_annotation": source.pk}
    )
    assert response.status_code == 400
    assert "cannot be linked to itself" in response.content.decode()
    assert not Link.objects.exists()


def test_create_view_refuses_another_projects_annotation(client, members, source):
    other_doc = make_document(project=make_project(), paragraphs=["Far away."])
    elsewhere = make_annotation(other_doc, members["annotator"], "Far")
    response = _create(
        client, members["annotator"], source, {"target_annotation": elsewhere.pk}
    )
    assert response.status_code == 400
    assert "no such annotation" in response.content.decode()
    assert not Link.objects.exists()


def test_create_view_refuses_another_projects_document(client, members, source):
    other_doc = make_document(project=make_project())
    response = _create(
        client, members["annotator"], source, {"target_document": other_doc.pk}
    )
    assert response.status_code == 400
    assert not Link.objects.exists()


def test_create_view_refuses_someone_elses_private_annotation(
    client, members, source, docs
):
    private = make_annotation(
        docs[1], members["curator"], "night", visibility=Visibility.PRIVATE
    )
    response = _create(
        client, members["annotator"], source, {"target_annotation": private.pk}
    )
    assert response.status_code == 400
    assert not Link.objects.exists()


def test_create_view_needs_a_visible_source(client, members, docs):
    private = make_annotation(
        docs[0], members["curator"], "tunnel", visibility=Visibility.PRIVATE
    )
    response = _create(
        client, members["annotator"], private, {"target_document": docs[1].pk}
    )
    assert response.status_code == 404
    assert not Link.objects.exists()


# Both ends, deletion and privacy ----------------------------------------------


def test_both_ends_show_the_link(client, members, source, target):
    link(source, target, note="The same escape")
    source_html = thread_html(client, members["viewer"], source)
    target_html = thread_html(client, members["viewer"], target)
    links_part = source_html.split("<h3", 1)[1]
    assert "Links" in source_html and "escaped" in links_part
    assert "The same escape" in source_html
    assert "Linked from" not in source_html
    assert "Linked from" in target_html
    backlinks = target_html.split("Linked from", 1)[1]
    assert "tunnel" in backlinks and "Letters" in backlinks


def test_thread_offers_link_button_and_delete_by_role(client, members, source, target):
    link(source, target)
    picker = reverse("annotations:link_picker", args=[source.project.slug, source.pk])
    viewer_html = thread_html(client, members["viewer"], source)
    assert picker not in viewer_html
    assert 'Delete <span class="visually-hidden">link' not in viewer_html
    author_html = thread_html(client, members["annotator"], source)
    assert picker in author_html
    assert 'Delete <span class="visually-hidden">link' in author_html


@pytest.mark.parametrize("end", ["source", "target"])
def test_deleting_either_annotation_hides_the_link(
    client, members, source, target, end
):
    link(source, target)
    services.delete_annotation(
        annotation=source if end == "source" else target, by=members["owner"]
    )
    live = target if end == "source" else source
    html = thread_html(client, members["owner"], live)
    assert 'class="link"' not in html
    assert "No links from this passage" in html
    assert "Linked from" not in html
    listing = client.get(reverse("annotations:link_list", args=[source.project.slug]))
    assert "0 links" in listing.content.decode()


def test_a_private_annotations_links_are_not_shown_to_others(
    client, members, docs, target
):
    private = make_annotation(
        docs[0], members["annotator"], "tunnel", visibility=Visibility.PRIVATE
    )
    link(private, target)
    assert "Linked from" in thread_html(client, members["annotator"], target)
    assert "Linked from" not in thread_html(client, members["curator"], target)
    client.force_login(members["owner"])
    listing = client.get(reverse("annotations:link_list", args=[docs[0].project.slug]))
    assert "0 links" in listing.content.decode()


def test_deleted_link_is_hidden(client, members, source, target):
    made = link(source, target)
    services.delete_link(link=made, by=members["annotator"])
    assert "Linked from" not in thread_html(client, members["owner"], target)


# Picker search -----------------------------------------------------------------


@pytest.mark.parametrize(
    "query", ["ESCAPED", "night-tag", "curator-user", "diary", "Target"]
)
def test_search_finds_by_quote_tag_author_document_and_note(
    client, members, project, source, target, query
):
    tag = services.get_or_create_tag(project=project, name="night-tag")
    target.tags.add(tag)
    unrelated = make_document(project=project, title="Ledger", paragraphs=["Wheat."])
    make_annotation(unrelated, members["owner"], "Wheat")
    client.force_login(members["annotator"])
    url = reverse("annotations:link_search_hx", args=[project.slug, source.pk])
    html = client.get(url, {"q": query}, headers=HX).content.decode()
    assert f'id="candidate-{target.pk}"' in html
    assert "Wheat" not in html
    assert f'id="candidate-{source.pk}"' not in html  # never itself


def test_search_leaves_out_what_the_member_cannot_see(client, members, project, docs):
    source = make_annotation(docs[0], members["annotator"], "tunnel")
    hidden = make_annotation(
        docs[1], members["owner"], "escaped", visibility=Visibility.PRIVATE
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:link_search_hx", args=[project.slug, source.pk])
    html = client.get(url, {"q": "escaped"}).content.decode()
    assert f'id="candidate-{hidden.pk}"' not in html


def test_search_pages_past_the_first_twenty(client, members, project, docs):
    source = make_annotation(docs[0], members["annotator"], "tunnel")
    words = ("The", "tunnel", "was", "long.")
    made = [
        make_annotation(docs[0], members["owner"], words[n % 4], body=f"n{n:02d}")
        for n in range(link_reads.SEARCH_LIMIT + 5)
    ]
    client.force_login(members["annotator"])
    url = reverse("annotations:link_search_hx", args=[project.slug, source.pk])
    first = client.get(url, headers=HX).content.decode()
    assert first.count('id="candidate-') == link_reads.SEARCH_LIMIT
    assert f'id="candidate-{made[-1].pk}"' in first  # newest first
    assert f'{url}?q=&amp;page=2"' in first
    second = client.get(url, {"page": 2}, headers=HX).content.decode()
    # The next page comes as items to append, with no "more" after the last.
    assert "<ol" not in second
    assert second.count('id="candidate-') == 5
    assert f'id="candidate-{made[0].pk}"' in second
    assert "page=3" not in second
    assert "data-first-new" in second
    # Without htmx, the picker page shows the later page in full.
    picker = reverse("annotations:link_picker", args=[project.slug, source.pk])
    page = client.get(picker, {"page": 2}).content.decode()
    assert page.count('id="candidate-') == 5
    assert 'start="21"' in page
    assert client.get(url, {"page": "x"}, headers=HX).status_code == 200


def test_search_pages_keep_the_query(client, members, project, docs):
    source = make_annotation(docs[0], members["annotator"], "tunnel")
    for n in range(link_reads.SEARCH_LIMIT + 1):
        make_annotation(docs[1], members["owner"], "escaped", body=f"night & day {n}")
    client.force_login(members["annotator"])
    url = reverse("annotations:link_search_hx", args=[project.slug, source.pk])
    first = client.get(url, {"q": "night & day"}, headers=HX).content.decode()
    assert "?q=night%20%26%20day&amp;page=2" in first
    second = client.get(url, {"q": "night & day", "page": 2}, headers=HX)
    assert second.content.decode().count('id="candidate-') == 1


# Linking side by side ------------------------------------------------------------


def _compare_url(source):
    return reverse("annotations:link_compare", args=[source.project.slug, source.pk])


def _passage_post(client, source, document, passage="escaped", **extra):
    """POST a selection of `passage` in the one-paragraph `document`, as the
    browser sends it: block start and UTF-16 offsets within the block."""
    at = document.text.index(passage)
    data = {
        "document": document.pk,
        "sb": 0,
        "so": len(document.text[:at].encode("utf-16-le")) // 2,
        "eb": 0,
        "eo": len(document.text[: at + len(passage)].encode("utf-16-le")) // 2,
        "exact": passage,
        "relation": relation(source.project, "contradicts").pk,
        "note": "Not the same night",
        **extra,
    }
    url = reverse("annotations:link_passage", args=[source.project.slug, source.pk])
    return client.post(url, data)


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_side_by_side_page_is_for_annotating_roles(client, members, source, docs, who):
    client.force_login(members[who])
    response = client.get(_compare_url(source))
    assert response.status_code == expected_status(who, CAN_ANNOTATE, 200)
    if response.status_code == 200:
        html = response.content.decode()
        # The passage in context on one side, the other document on the other,
        # its blocks carrying the offsets a selection is read from.
        assert "The <mark>tunnel</mark> was long." in html
        assert '<h2 id="compare-to-title">Diary</h2>' in html
        assert 'data-start="0"' in html and "He escaped at night." in html
        chosen = client.get(_compare_url(source), {"document": docs[0].pk})
        assert '<h2 id="compare-to-title">Letters</h2>' in chosen.content.decode()


def test_side_by_side_is_offered_in_the_picker(client, members, source, docs):
    client.force_login(members["annotator"])
    url = reverse("annotations:link_picker", args=[source.project.slug, source.pk])
    html = client.get(url, headers=HX).content.decode()
    assert f'action="{_compare_url(source)}"' in html
    assert f'<option value="{docs[1].pk}" selected>Diary</option>' in html


@pytest.mark.parametrize("who", [*ROLES, "outsider"])
def test_linking_a_selected_passage_makes_both_in_one_step(
    client, members, source, docs, who
):
    client.force_login(members[who])
    response = _passage_post(client, source, docs[1])
    assert response.status_code == expected_status(who, CAN_ANNOTATE, 302)
    made = Link.objects.filter(source=source).select_related("target_annotation")
    if who not in CAN_ANNOTATE:
        assert not made.exists()
        assert not docs[1].annotations.exists()
        return
    assert response.url == source.get_absolute_url()
    link = made.get()
    target = link.target_annotation
    assert (target.document, target.author) == (docs[1], members[who])
    assert (target.start, target.end, target.exact) == (3, 10, "escaped")
    assert target.visibility == Visibility.PROJECT
    assert (link.relation.name, link.note) == ("contradicts", "Not the same night")
    # Both ends show it.
    target_url = reverse(
        "annotations:annotation_detail", args=[target.project.slug, target.pk]
    )
    assert target_url in thread_html(client, members[who], source)
    backlinks = thread_html(client, members["owner"], target)
    assert "Linked from" in backlinks and "Not the same night" in backlinks


def test_linking_a_passage_after_an_emoji_anchors_exactly(client, members, project):
    letters = make_document(project=project, title="Letters", paragraphs=["Tunnel."])
    astral = make_document(
        project=project, title="Chat", paragraphs=["We met 🙂 at the gate at dawn."]
    )
    source = make_annotation(letters, members["annotator"], "Tunnel")
    client.force_login(members["annotator"])
    response = _passage_post(client, source, astral, "the gate")
    assert response.status_code == 302
    target = Link.objects.get(source=source).target_annotation
    assert astral.text[target.start : target.end] == "the gate"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"exact": "escapes"}, "does not match"),
        ({"eo": 400}, "outside the text"),
        ({"sb": 7}, "block"),
        ({"relation": 999_999}, "Choose one of this project"),
        ({"exact": ""}, "required"),
    ],
    ids=["quote", "offset", "block", "relation", "nothing-selected"],
)
def test_a_bad_selection_links_nothing_and_keeps_the_form(
    client, members, source, docs, change, message
):
    client.force_login(members["annotator"])
    response = _passage_post(client, source, docs[1], **change)
    assert response.status_code == 400
    html = response.content.decode()
    assert message in html
    assert 'value="Not the same night"' in html  # the note is not lost
    assert not docs[1].annotations.exists()
    assert not Link.objects.exists()


def test_side_by_side_stays_inside_the_project(client, members, source, project):
    elsewhere = make_project(name="Elsewhere")
    Membership.objects.create(project=elsewhere, user=members["owner"], role="owner")
    foreign = make_document(project=elsewhere, paragraphs=["He escaped at night."])
    client.force_login(members["owner"])
    assert client.get(_compare_url(source), {"document": foreign.pk}).status_code == 404
    assert _passage_post(client, source, foreign).status_code == 404
    assert not foreign.annotations.exists()


def test_side_by_side_needs_a_visible_source(client, members, docs):
    private = make_annotation(
        docs[0], members["owner"], "tunnel", visibility=Visibility.PRIVATE
    )
    client.force_login(members["curator"])
    assert client.get(_compare_url(private)).status_code == 404
    assert _passage_post(client, private, docs[1]).status_code == 404


def test_side_by_side_escapes_titles_and_text(client, members, project, source):
    evil = make_document(
        project=project,
        title="<script>alert(1)</script>",
        paragraphs=["<img src=x onerror=alert(1)> escaped"],
    )
    client.force_login(members["annotator"])
    html = client.get(_compare_url(source), {"document": evil.pk}).content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# The links page ----------------------------------------------------------------


def test_links_page_lists_links_and_draws_documents_escaped(client, members, project):
    evil = make_document(
        project=project, title="<script>alert(1)</script>", paragraphs=["Bad title."]
    )
    plain = make_document(project=project, title="Plain", paragraphs=["Good text."])
    a = make_annotation(evil, members["annotator"], "Bad")
    b = make_annotation(plain, members["annotator"], "Good")
    link(a, b)
    link(a, b)
    services.create_link(
        source=b,
        author=members["annotator"],
        relation=relation(project),
        target_document=evil,
    )
    client.force_login(members["viewer"])
    html = client.get(
        reverse("annotations:link_list", args=[project.slug])
    ).content.decode()
    assert "<script>alert" not in html
    svg = _picture(html)
    assert ">&lt;script&gt;alert(1)&lt;/script&gt;</text>" in svg
    assert ">Plain</text>" in svg
    assert "&lt;script&gt;alert(1)&lt;/script&gt; → Plain: 2 links, supports<" in svg
    assert "Plain → &lt;script&gt;alert(1)&lt;/script&gt;: 1 link, supports<" in svg
    assert "3 links" in html
    counts = html.split('class="link-counts"', 1)[1]
    assert '<td class="num">2</td>' in counts


def test_links_page_filters_by_relation_document_and_author(
    client, members, project, source, target, docs
):
    link(source, target)
    services.create_link(
        source=target,
        author=members["curator"],
        relation=relation(project, "contradicts"),
        target_url="https://example.org/",
        target_title="Outside",
    )
    client.force_login(members["owner"])
    url = reverse("annotations:link_list", args=[project.slug])
    by_relation = client.get(url, {"relation": relation(project, "contradicts").pk})
    assert "Outside" in by_relation.content.decode()
    assert "1 link<" in by_relation.content.decode()
    by_author = client.get(url, {"author": "annotator-user"}, headers=HX)
    assert "Outside" not in by_author.content.decode()
    assert "1 link<" in by_author.content.decode()
    by_document = client.get(url, {"document": docs[0].pk})
    assert "1 link<" in by_document.content.decode()


# The picture (issue 9) ---------------------------------------------------------


def _picture(html: str) -> str:
    """The links page's picture, the <svg> element's attributes and content."""
    return html.split('<div class="graph-scroll">', 1)[1].split("</svg>", 1)[0]


def _graph_page(client, user, project, **query) -> str:
    client.force_login(user)
    url = reverse("annotations:link_list", args=[project.slug])
    response = client.get(url, query)
    assert response.status_code == 200
    return response.content.decode()


def _view_box(svg: str) -> tuple[float, float, float, float]:
    found = re.search(r'viewBox="([-\d. ]+)"', svg)
    left, top, width, height = (float(v) for v in found.group(1).split())
    return left, top, width, height


def test_graph_nodes_open_their_documents(client, members, source, target, docs):
    link(source, target)
    svg = _picture(_graph_page(client, members["viewer"], source.project))
    for document in docs:
        anchor = (
            f'<a href="{document.get_absolute_url()}" aria-label="{document.title}:'
        )
        assert anchor in svg
    assert 'aria-label="Letters: 1 link out, 0 in"' in svg
    assert 'aria-label="Diary: 0 links out, 1 in"' in svg
    assert "style=" not in svg  # no inline styles, for the CSP
    assert 'role="img"' not in svg  # its links stay reachable


def test_graph_is_drawn_at_a_readable_size_with_modest_arrows(
    client, members, source, target
):
    link(source, target)
    svg = _picture(_graph_page(client, members["viewer"], source.project))
    # Drawn at its own size, one unit a pixel: 14-pixel labels.
    _left, _top, width, height = _view_box(svg)
    assert f'width="{width:.0f}" height="{height:.0f}"' in svg
    assert 'font-size="14"' in svg
    # Arrowheads of a fixed size, not scaled with the line's width.
    markers = re.findall(r"<marker [^>]*>", svg)
    assert markers
    for marker in markers:
        assert 'markerUnits="userSpaceOnUse"' in marker
        assert 'markerWidth="9"' in marker


def test_graph_labels_fit_inside_the_picture(client, members, project):
    titles = [
        "A very long title of a report on the tunnel under the prison wall",
        "Another very long title: what the guards saw and did not see that night",
        "短い題名ではない非常に長い日本語の題名がここにあります",
        "WWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWWW",
    ]
    notes = [
        make_annotation(
            make_document(project=project, title=title, paragraphs=[f"Dug {title}."]),
            members["annotator"],
            "Dug",
        )
        for title in titles
    ]
    for a, b in zip(notes, notes[1:] + notes[:1], strict=True):
        link(a, b)
    graph = link_reads.graph_layout(
        project,
        link_reads.link_counts(link_reads.live_links_for(_member(members, project))),
    )
    left, top, width, height = (float(v) for v in graph.view_box.split())
    for node in graph.nodes:
        label_width = link_graph.text_width(node.label)
        start = {
            "start": node.label_x,
            "middle": node.label_x - label_width / 2,
            "end": node.label_x - label_width,
        }[node.anchor]
        assert left <= start and start + label_width <= left + width, node.label
        assert top <= node.label_y - 14 and node.label_y + 5 <= top + height
        assert node.label.endswith("…") == (len(node.title) > link_graph.LABEL_CHARS)


def _member(members, project, who="viewer"):
    return Membership.objects.select_related("project").get(
        project=project, user=members[who]
    )


def test_graph_colours_edges_by_relation_with_a_legend(
    client, members, project, source, target
):
    link(source, target)
    services.create_link(
        source=target,
        author=members["curator"],
        relation=relation(project, "contradicts"),
        target_annotation=source,
    )
    html = _graph_page(client, members["viewer"], project)
    legend = html.split('class="graph-legend"', 1)[1].split("</ul>", 1)[0]
    assert re.findall(r"</svg> ([^<]+)</li>", legend) == ["contradicts", "supports"]
    svg = _picture(html)
    strokes = re.findall(r'<path d="M[^"]*" stroke="(#[0-9a-f]{6})"', svg)
    assert len(strokes) == 2 and len(set(strokes)) == 2
    assert "Diary → Letters: 1 link, contradicts<" in svg
    assert "Letters → Diary: 1 link, supports<" in svg
    # The same relation keeps its colour whatever the filter.
    only = _graph_page(
        client, members["viewer"], project, relation=relation(project, "supports").pk
    )
    assert re.findall(r'<path d="M[^"]*" stroke="(#[0-9a-f]{6})"', _picture(only)) == [
        strokes[re.findall(r"(contradicts|supports)<", svg).index("supports")]
    ]


def test_graph_shows_outside_sources_and_the_table_says_the_same(
    client, members, project, source, target
):
    link(source, target)
    for url, title in [
        ("https://example.org/report", "The official report"),
        ("https://example.org/report", ""),
        ("https://news.example.com/a", ""),
    ]:
        services.create_link(
            source=source,
            author=members["annotator"],
            relation=relation(project, "cites"),
            target_url=url,
            target_title=title,
        )
    html = _graph_page(client, members["viewer"], project)
    svg = _picture(html)
    assert ">Outside sources</text>" in svg
    assert (
        '<a href="https://example.org/report" rel="noopener noreferrer nofollow"'
        ' aria-label="Outside source: The official report: 2 links">'
    ) in svg
    assert ">The official report (2)</text>" in svg
    assert ">news.example.com/a (1)</text>" in svg
    assert "Letters → The official report: 2 links, cites<" in svg
    table = html.split('class="link-counts"', 1)[1].split("</table>", 1)[0]
    rows = re.findall(r"<tr><td>.*?</tr>", table)
    assert len(rows) == 3 == svg.count("marker-end=")  # an edge, a row
    assert '>The official report</a> <span class="meta">(outside source)' in table
    assert '<td class="num">2</td>' in rows[0]


def test_an_outside_source_keeps_a_title_any_link_gave_it(
    client, members, project, source, target
):
    for annotation, title in [(source, "The official report"), (target, "")]:
        services.create_link(
            source=annotation,
            author=members["curator"],
            relation=relation(project, "cites"),
            target_url="https://example.org/report",
            target_title=title,
        )
    svg = _picture(_graph_page(client, members["viewer"], project))
    assert ">The official report (2)</text>" in svg
    assert svg.count('aria-label="Outside source:') == 1


def test_graph_draws_the_most_linked_sources_and_the_rest_together(
    client, members, project, source
):
    for i in range(link_reads.GRAPH_SOURCE_LIMIT + 3):
        for _ in range(2 if i < 2 else 1):
            services.create_link(
                source=source,
                author=members["annotator"],
                relation=relation(project),
                target_url=f"https://example.org/{i}",
            )
    svg = _picture(_graph_page(client, members["viewer"], project))
    assert svg.count('aria-label="Outside source:') == link_reads.GRAPH_SOURCE_LIMIT
    assert ">example.org/0 (2)<" in svg and ">example.org/1 (2)<" in svg
    assert ">3 other outside sources (3)</text>" in svg


def test_links_within_a_document_show_on_its_node_and_in_the_table(
    client, members, project, docs, source
):
    other = make_annotation(docs[0], members["annotator"], "long")
    link(source, other)
    html = _graph_page(client, members["viewer"], project)
    svg = _picture(html)
    assert "<title>Letters (1 link within)</title>" in svg
    assert "marker-end=" not in svg
    assert 'itself <span class="meta">(within the document)</span>' in html


def test_no_links_no_picture(client, members, project, docs):
    html = _graph_page(client, members["viewer"], project)
    assert "link-graph-picture" not in html
    assert "No links between documents or to outside sources yet." in html


@settings(max_examples=60)
@given(
    titles=st.lists(st.text(min_size=1, max_size=80), min_size=1, max_size=30),
    sources=st.lists(st.text(min_size=1, max_size=200), max_size=13),
)
def test_layout_keeps_every_label_inside_the_view_box(titles, sources):
    nodes = [
        link_graph.Node(key=f"d{i}", title=t, href="/") for i, t in enumerate(titles)
    ]
    outside = [
        link_graph.Node(key=f"s{i}", title=t, href="/", external=True, count=i + 1)
        for i, t in enumerate(sources)
    ]
    style = link_graph.relation_styles([(1, "supports")])[1]
    links = [(n.key, nodes[0].key, style, 1) for n in nodes[1:]]
    links += [(nodes[0].key, s.key, style, s.count) for s in outside]
    graph = link_graph.layout(nodes, outside, links)
    left, top, width, height = (float(v) for v in graph.view_box.split())
    for node in [*graph.nodes, *graph.sources]:
        label = link_graph.text_width(node.label)
        start = {"start": 0, "middle": label / 2, "end": label}[node.anchor]
        assert left <= node.label_x - start
        assert node.label_x - start + label <= left + width + 0.1
        assert top <= node.label_y - 14 and node.label_y + 5 <= top + height + 0.1
        assert left <= node.x - 6 and node.x + 6 <= left + width + 0.1
    for edge in graph.edges:
        numbers = [float(v) for v in re.findall(r"-?[\d.]+", edge.path)]
        for x, y in zip(numbers[::2], numbers[1::2], strict=True):
            if (x, y) != (numbers[2], numbers[3]):  # the control point may stray
                assert left <= x <= left + width + 0.1
                assert top <= y <= top + height + 0.1


# Constant queries --------------------------------------------------------------


def _many_links(source, target, docs, n):
    for i in range(n):
        other = make_annotation(docs[1], source.author, "night", body=f"n{i}")
        link(source, other)
        link(other, source)
        services.create_link(
            source=source,
            author=source.author,
            relation=relation(source.project),
            target_url=f"https://example.org/{i}",
        )
        services.create_link(
            source=source,
            author=source.author,
            relation=relation(source.project),
            target_document=docs[1],
        )


def _queries(client, url, headers=None) -> int:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, headers=headers or {})
    assert response.status_code == 200
    return len(captured)


@pytest.mark.parametrize(
    "page", ["thread", "link_list", "link_picker", "link_search_hx"]
)
def test_queries_do_not_grow_with_links(client, members, source, target, docs, page):
    client.force_login(members["curator"])
    slug = source.project.slug
    url = {
        "thread": reverse("annotations:annotation_detail", args=[slug, source.pk]),
        "link_list": reverse("annotations:link_list", args=[slug]),
        "link_picker": reverse("annotations:link_picker", args=[slug, source.pk]),
        "link_search_hx": reverse("annotations:link_search_hx", args=[slug, source.pk])
        + "?q=night",
    }[page]
    _many_links(source, target, docs, 2)
    few = _queries(client, url, HX)
    _many_links(source, target, docs, 8)
    assert _queries(client, url, HX) == few


def test_creating_and_deleting_a_link_is_recorded_in_the_history(project, members):
    from annotations.models import AnnotationEvent, EventKind
    from tests.factories import make_annotation, make_document

    first = make_document(project=project, paragraphs=["The tunnel was long."])
    second = make_document(project=project, paragraphs=["A mile of tunnel."])
    source = make_annotation(first, members["annotator"], "tunnel")
    target = make_annotation(second, members["annotator"], "mile")
    supports = RelationType.objects.offered_in(project).get(name="supports")
    link = services.create_link(
        source=source,
        author=members["annotator"],
        relation=supports,
        target_annotation=target,
    )
    services.delete_link(link=link, by=members["curator"])
    events = AnnotationEvent.objects.filter(annotation=source).exclude(
        kind=EventKind.CREATED
    )
    assert [(e.kind, e.actor) for e in events] == [
        (EventKind.LINK, members["annotator"]),
        (EventKind.UNLINK, members["curator"]),
    ]
    assert events[0].after["relation"] == "supports"
    assert events[0].after["annotation"] == target.pk
