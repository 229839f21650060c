"""A stale save is refused, shows what changed and who, and cannot silently undo
someone else's change; a refused write leaves nothing behind."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, RelationType, Reply, Tag, Visibility
from corpus.models import Document, Project
from tests.conftest import HX
from tests.factories import make_annotation, make_document


@pytest.fixture
def doc(project):
    return make_document(
        project=project, paragraphs=["The tunnel was a mile long.", "Dug by hand."]
    )


def _loaded_form(client, url) -> dict:
    """The hidden fields of the edit form as the browser would send them back."""
    html = client.get(url, headers=HX).content.decode()
    fields = {}
    for tag in re.findall(r"<input[^>]*>", html):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if name and ('type="hidden"' in tag):
            fields[name.group(1)] = value.group(1) if value else ""
    return fields


def test_stale_note_edit_keeps_the_curators_tags_and_names_the_curator(
    client, doc, members
):
    author, curator = members["annotator"], members["curator"]
    note = make_annotation(doc, author, "tunnel", body="First thoughts", tags=["dig"])
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, note.pk])
    client.force_login(author)
    loaded = _loaded_form(client, url)
    assert loaded["version"] == "1"
    assert loaded["initial-tags"] == "dig"
    # Meanwhile a curator retags it in the app.
    services.update_annotation(
        annotation=note,
        editor=curator,
        version=1,
        body="First thoughts",
        tags=["dig", "tunnels"],
        visibility=Visibility.PROJECT,
    )
    response = client.post(
        url,
        {**loaded, "body": "Second thoughts", "tags": "dig", "visibility": "project"},
        headers=HX,
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "curator-user changed this while you were editing" in html
    assert "now “dig, tunnels”, was “dig”" in html
    note.refresh_from_db()
    assert note.body == "First thoughts"  # nothing saved
    # The form holds the curator's tags and the author's note: saving it again
    # keeps both.
    assert 'value="dig, tunnels"' in html
    assert "Second thoughts" in html
    again = {
        name: value
        for name, value in re.findall(
            r'<input type="hidden" name="([^"]+)" value="([^"]*)"', html
        )
    }
    assert again["version"] == "2"
    response = client.post(
        url,
        {
            **again,
            "body": "Second thoughts",
            "tags": "dig, tunnels",
            "visibility": "project",
        },
        headers=HX,
    )
    assert response.status_code == 200
    note.refresh_from_db()
    assert note.body == "Second thoughts"
    assert sorted(note.tags.values_list("name", flat=True)) == ["dig", "tunnels"]


def test_both_changing_the_note_is_flagged_as_a_clash(client, doc, members):
    author, curator = members["annotator"], members["curator"]
    note = make_annotation(doc, author, "tunnel", body="Original")
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, note.pk])
    client.force_login(author)
    loaded = _loaded_form(client, url)
    services.update_annotation(
        annotation=note,
        editor=curator,
        version=1,
        body="Curator's wording",
        tags=[],
        visibility="project",
    )
    response = client.post(
        url, {**loaded, "body": "Author's wording", "tags": "", "visibility": "project"}
    )
    html = response.content.decode()
    assert response.status_code == 409
    assert "You changed this too" in html
    assert "Curator&#x27;s wording" in html or "Curator's wording" in html
    assert "Author&#x27;s wording" in html or "Author's wording" in html


def test_stale_reply_edit_is_refused_with_who(client, doc, members):
    note = make_annotation(doc, members["owner"], "tunnel")
    reply = services.create_reply(
        annotation=note, author=members["annotator"], body="Mine"
    )
    services.update_reply(
        reply=reply, version=1, body="Fixed a typo", editor=members["curator"]
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:reply_edit", args=[doc.project.slug, reply.pk])
    response = client.post(
        url, {"body": "Mine, longer", "version": 1, "initial-body": "Mine"}, headers=HX
    )
    assert response.status_code == 409
    assert "curator-user changed this" in response.content.decode()
    assert Reply.objects.get(pk=reply.pk).body == "Fixed a typo"


def _metadata(document: Document, **changes) -> dict:
    fields = {
        "title": document.title,
        "authors": ", ".join(document.authors),
        "publisher": document.publisher,
        "source_url": document.source_url,
        "published_date": "",
        "keywords": ", ".join(document.keywords),
        "language": document.language,
    }
    loaded = {f"initial-{name}": value for name, value in fields.items()}
    return {**fields, **loaded, "version": document.version, **changes}


def test_stale_metadata_edit_is_refused_and_merged(client, doc, members):
    client.force_login(members["owner"])
    url = reverse("corpus:document_edit", args=[doc.project.slug, doc.pk])
    stale = _metadata(doc, title="My better title")
    # A curator fixes the authors first.
    first = client.post(url, _metadata(doc, authors="A. Writer"), follow=False)
    assert first.status_code == 302
    response = client.post(url, stale)
    html = response.content.decode()
    assert response.status_code == 409
    assert "owner-user changed this" in html
    assert "Authors" in html and "A. Writer" in html
    doc.refresh_from_db()
    assert doc.title != "My better title"
    assert doc.authors == ["A. Writer"]
    assert 'value="A. Writer"' in html  # their change, taken into the form
    assert 'value="My better title"' in html  # and mine on top


def test_stale_project_settings_are_refused(client, project, members):
    client.force_login(members["owner"])
    url = reverse("corpus:project_settings", args=[project.slug])
    loaded = {
        "name": project.name,
        "description": "",
        "initial-name": project.name,
        "initial-description": "",
        "initial-premoderation": "false",
        "version": 1,
    }
    services_ok = client.post(url, {**loaded, "description": "About tunnels."})
    assert services_ok.status_code == 302
    response = client.post(url, {**loaded, "name": "Renamed"})
    assert response.status_code == 409
    assert "About tunnels." in response.content.decode()
    assert Project.objects.get(pk=project.pk).name == project.name


def test_stale_relation_type_edit_is_refused(client, project, members):
    supports = RelationType.objects.offered_in(project).get(name="supports")
    client.force_login(members["curator"])
    url = reverse("annotations:relation_type_edit", args=[project.slug, supports.pk])
    loaded = {
        "version": 1,
        "initial-name": "supports",
        "initial-description": "",
        "initial-retired": "false",
    }
    assert client.post(url, {**loaded, "name": "backs"}).status_code == 302
    response = client.post(url, {**loaded, "name": "supports", "retired": "on"})
    assert response.status_code == 409
    html = response.content.decode()
    assert "curator-user changed this" in html
    assert "“supports” → “backs”" in html
    supports.refresh_from_db()
    assert (supports.name, supports.retired) == ("backs", False)


def test_stale_tag_edit_is_refused_with_the_newer_values(client, project, members):
    tag = services.get_or_create_tag(project=project, name="escape")
    client.force_login(members["curator"])
    url = reverse("annotations:tag_edit", args=[project.slug, tag.pk])
    loaded = {
        "version": 1,
        "initial-name": "escape",
        "initial-colour": tag.colour,
        "initial-description": "",
        "initial-parent": "",
        "initial-retired": "false",
        "name": "escape",
        "colour": tag.colour,
        "description": "",
        "parent": "",
    }
    services.update_tag(tag=tag, version=1, editor=members["owner"], colour="#112233")
    response = client.post(url, {**loaded, "description": "Breaking out."})
    html = response.content.decode()
    assert response.status_code == 409
    assert "owner-user changed this" in html
    assert 'value="#112233"' in html
    tag.refresh_from_db()
    assert tag.description == ""


# A refused write leaves nothing behind ----------------------------------------


def _create(client, doc, **fields):
    url = reverse("annotations:annotation_create", args=[doc.project.slug, doc.pk])
    data = {"sb": 0, "so": 4, "eb": 0, "eo": 10, "exact": "tunnel"}
    return client.post(url, {**data, "visibility": "project", **fields}, headers=HX)


def test_refused_create_leaves_no_new_tags(client, doc, members):
    client.force_login(members["annotator"])
    response = _create(client, doc, exact="funnel", tags="brand-new, another")
    assert response.status_code == 400
    assert not Tag.objects.exists()
    assert not Annotation.objects.exists()


def test_refused_stale_edit_leaves_no_new_tags(client, doc, members):
    note = make_annotation(doc, members["annotator"], "tunnel")
    services.update_annotation(
        annotation=note,
        editor=members["curator"],
        version=1,
        body="x",
        tags=[],
        visibility="project",
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:annotation_edit", args=[doc.project.slug, note.pk])
    response = client.post(
        url, {"body": "y", "tags": "fresh-tag", "visibility": "project", "version": 1}
    )
    assert response.status_code == 409
    assert not Tag.objects.filter(name="fresh-tag").exists()


def test_a_note_carries_at_most_fifty_tags(client, doc, members):
    client.force_login(members["annotator"])
    many = ", ".join(f"tag{n}" for n in range(51))
    response = _create(client, doc, tags=many)
    assert response.status_code == 400
    assert "at most 50 tags" in response.content.decode()
    assert not Tag.objects.exists()
    fifty = ", ".join(f"tag{n}" for n in range(50))
    assert _create(client, doc, tags=fifty).status_code == 200
    assert Tag.objects.count() == 50


def test_a_link_delete_with_a_malformed_thread_answers_and_deletes_once(
    client, doc, members
):
    project = doc.project
    source = make_annotation(doc, members["annotator"], "tunnel")
    supports = RelationType.objects.offered_in(project).get(name="supports")
    link = services.create_link(
        source=source,
        author=members["annotator"],
        relation=supports,
        target_url="https://example.org/",
    )
    client.force_login(members["annotator"])
    url = reverse("annotations:link_delete", args=[project.slug, link.pk])
    response = client.post(url, {"thread": "²"}, headers=HX)
    assert response.status_code == 200
    link.refresh_from_db()
    assert link.deleted_at is not None
    assert RelationType.objects.filter(project=project).exists()


def test_a_note_saved_on_a_document_moved_to_the_trash_meanwhile_is_refused(
    doc, members
):
    from django.core.exceptions import ValidationError

    stale = type(doc).objects.get(pk=doc.pk)  # as the view loaded it
    stale.project = doc.project
    services.trash_document(document=doc, by=members["owner"])
    start = stale.text.index("tunnel")
    with pytest.raises(ValidationError, match="trash"):
        services.create_annotation(
            document=stale,
            author=members["annotator"],
            start=start,
            end=start + 6,
            exact="tunnel",
            tags=["fresh"],
        )
    assert not Annotation.objects.exists()
    assert not Tag.objects.exists()


def test_names_the_database_takes_for_one_tag_make_one_tag(client, doc, members):
    client.force_login(members["annotator"])
    response = _create(client, doc, tags="ασ, ΑΣ")
    assert response.status_code == 200
    note = Annotation.objects.get()
    # PostgreSQL lowers both to one name (one tag); SQLite's ASCII lower case
    # keeps two. Either way: no error, and no tag twice on the note.
    names = list(note.tags.values_list("name", flat=True))
    assert len(names) == Tag.objects.count()


def test_editing_a_tag_merged_away_meanwhile_answers_404(client, project, members):
    keep = services.get_or_create_tag(project=project, name="keep")
    gone = services.get_or_create_tag(project=project, name="gone")
    client.force_login(members["curator"])
    url = reverse("annotations:tag_edit", args=[project.slug, gone.pk])
    assert client.get(url).status_code == 200
    services.merge_tags(sources=[gone], into=keep, by=members["owner"])
    response = client.post(
        url,
        {"name": "gone", "colour": gone.colour, "description": "", "version": 1},
    )
    assert response.status_code == 404
