"""Admin change forms of annotations, tags and relation types carry the version
and values they were loaded with: a stale save is refused, nothing is stored,
and the form comes back with the newer values merged in, naming who changed
what, so that saving again cannot silently undo a curator's change.
"""

from __future__ import annotations

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Annotation, EventKind, RelationType, Tag
from corpus.roles import Role
from tests.corpus.test_admin_conflicts import merged_value, save_from_two_places
from tests.corpus.test_admin_roles import form_data, staff_user
from tests.factories import make_annotation, make_document


@pytest.fixture
def doc(project):
    return make_document(project=project, paragraphs=["Alpha beta gamma delta."])


def test_a_stale_note_edit_is_refused_and_keeps_the_curators_tags(client, doc, members):
    note = make_annotation(doc, members["annotator"], "beta", body="Old note.")
    curator = members["curator"]
    client.force_login(staff_user(doc.project, Role.OWNER))
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    loaded, response = save_from_two_places(
        client,
        url,
        # The curator tags the note in the app meanwhile.
        lambda: services.update_annotation(
            annotation=note,
            editor=curator,
            version=1,
            body="Old note.",
            tags=["claim", "method"],
            visibility=note.visibility,
        ),
        {"body": ["Edited in the admin."]},
    )
    assert loaded["version"] == ["1"]
    assert loaded["initial-body"] == ["Old note."]
    assert response.status_code == 200
    stored = Annotation.objects.get(pk=note.pk)
    assert (stored.body, stored.version) == ("Old note.", 2)
    assert sorted(tag.name for tag in stored.tags.all()) == ["claim", "method"]
    assert not stored.events.filter(kind=EventKind.NOTE).exists()
    html = response.content.decode()
    assert "curator-user changed this while you were editing" in html
    assert "now “claim, method”, was empty" in html
    # The merged form: your note, their tags, loaded now at their version.
    tags = {str(tag.pk) for tag in stored.tags.all()}
    assert set(merged_value(response, "tags")) == tags
    assert merged_value(response, "body") == "Edited in the admin."
    again = form_data(response)
    assert again["version"] == ["2"]
    assert set(again["initial-tags"]) == tags
    # Saving again keeps both changes.
    assert client.post(url, again).status_code == 302
    stored.refresh_from_db()
    assert stored.body == "Edited in the admin."
    assert sorted(tag.name for tag in stored.tags.all()) == ["claim", "method"]
    assert stored.version == 3


def test_both_changing_a_note_keeps_yours_and_flags_it(client, doc, members):
    note = make_annotation(doc, members["annotator"], "beta", body="Old note.")
    client.force_login(staff_user(doc.project, Role.CURATOR))
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    _, response = save_from_two_places(
        client,
        url,
        lambda: services.update_annotation(
            annotation=note,
            editor=members["annotator"],
            version=1,
            body="The author's note.",
            tags=[],
            visibility=note.visibility,
        ),
        {"body": ["The curator's note."]},
    )
    html = response.content.decode()
    assert "annotator-user changed this while you were editing" in html
    assert "annotator-user changed this too" in html
    assert merged_value(response, "body") == "The curator's note."
    assert Annotation.objects.get(pk=note.pk).body == "The author's note."


def test_an_annotation_change_page_carries_the_version_it_was_loaded_at(
    client, doc, members
):
    note = make_annotation(doc, members["annotator"], "beta", tags=["claim"])
    client.force_login(staff_user(doc.project, Role.CURATOR))
    url = reverse("admin:annotations_annotation_change", args=[note.pk])
    loaded = form_data(client.get(url))
    claim = Tag.objects.get(name="claim")
    assert loaded["version"] == ["1"]
    assert loaded["initial-tags"] == loaded["tags"] == [str(claim.pk)]
    assert loaded["initial-visibility"] == ["project"]


def test_a_stale_tag_edit_is_refused_and_shows_the_rename(client, project, members):
    tag = services.get_or_create_tag(project=project, name="evidnce")
    client.force_login(staff_user(project, Role.OWNER))
    url = reverse("admin:annotations_tag_change", args=[tag.pk])
    _, response = save_from_two_places(
        client,
        url,
        lambda: services.update_tag(
            tag=tag, version=1, editor=members["curator"], name="evidence"
        ),
        {"colour": ["#336699"]},
    )
    assert response.status_code == 200
    stored = Tag.objects.get(pk=tag.pk)
    assert (stored.name, stored.colour, stored.version) == ("evidence", tag.colour, 2)
    html = response.content.decode()
    assert "curator-user changed this while you were editing" in html
    assert "now “evidence”, was “evidnce”" in html
    assert merged_value(response, "name") == "evidence"
    assert merged_value(response, "colour") == "#336699"
    assert client.post(url, form_data(response)).status_code == 302
    stored.refresh_from_db()
    assert (stored.name, stored.colour, stored.version) == ("evidence", "#336699", 3)
    assert stored.updated_by.username == "staff-owner"


def test_a_stale_relation_type_edit_is_refused_and_shows_the_change(
    client, project, members
):
    relation = RelationType.objects.offered_in(project).get(name="supports")
    client.force_login(staff_user(project, Role.CURATOR))
    url = reverse("admin:annotations_relationtype_change", args=[relation.pk])
    _, response = save_from_two_places(
        client,
        url,
        lambda: services.update_relation_type(
            relation=RelationType.objects.get(pk=relation.pk),
            name="supports",
            description="The passage gives evidence for the other.",
            retired=False,
            version=1,
            editor=members["owner"],
        ),
        {"name": ["backs"]},
    )
    assert response.status_code == 200
    stored = RelationType.objects.get(pk=relation.pk)
    assert (stored.name, stored.version) == ("supports", 2)
    html = response.content.decode()
    assert "owner-user changed this while you were editing" in html
    assert "The passage gives evidence for the other." in html
    assert merged_value(response, "name") == "backs"
    assert merged_value(response, "description") == (
        "The passage gives evidence for the other."
    )
    assert client.post(url, form_data(response)).status_code == 302
    stored.refresh_from_db()
    assert (stored.name, stored.description, stored.version) == (
        "backs",
        "The passage gives evidence for the other.",
        3,
    )


def test_a_retirement_made_meanwhile_is_not_undone(client, project, members):
    """A checkbox left as loaded takes the newer value, not the loaded one."""
    relation = RelationType.objects.offered_in(project).get(name="cites")
    client.force_login(staff_user(project, Role.CURATOR))
    url = reverse("admin:annotations_relationtype_change", args=[relation.pk])
    _, response = save_from_two_places(
        client,
        url,
        lambda: services.update_relation_type(
            relation=RelationType.objects.get(pk=relation.pk),
            name="cites",
            description="",
            retired=True,
            version=1,
            editor=members["owner"],
        ),
        {"description": ["Quotes or names the other."]},
    )
    assert merged_value(response, "retired") is True
    assert client.post(url, form_data(response)).status_code == 302
    stored = RelationType.objects.get(pk=relation.pk)
    assert (stored.retired, stored.description) == (True, "Quotes or names the other.")
