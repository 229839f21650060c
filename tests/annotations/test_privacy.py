"""Who sees what: the shared rendering, polling and tag lists follow the one rule.

DESIGN invariant 2: a private annotation is seen by its author only; under
pre-moderation an unapproved one by its author and those who moderate.
"""

from __future__ import annotations

import itertools
import json
import re

import pytest
from django.urls import reverse

from annotations import services
from annotations.models import Status, Visibility
from corpus import bodycache
from corpus.roles import Role
from tests.conftest import HX
from tests.factories import make_annotation, make_document, make_user, reader_since

WORDS = "alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima"
STATES = list(itertools.product(Visibility.values, Status.values))


def _highlights(html: str) -> tuple[set[int], dict]:
    """The annotation ids drawn in the page's text, and the hover labels."""
    ids = set()
    for group in re.findall(r'data-ids="([0-9 ]+)"', html):
        ids.update(int(pk) for pk in group.split())
    labels = re.search(
        r'<script id="highlight-labels" type="application/json">(.*?)</script>', html
    )
    return ids, json.loads(labels.group(1)) if labels else {}


def _expected(notes, viewer, role, premoderation, approved_only) -> set[int]:
    """The rule, written out independently of the code under test."""
    moderates = role in (Role.OWNER, Role.CURATOR)
    seen = set()
    for note in notes:
        own = note.author_id == viewer.pk
        shared = note.visibility == Visibility.PROJECT and (
            not premoderation or note.status == Status.APPROVED or moderates
        )
        if not (own or shared):
            continue
        if approved_only and note.status != Status.APPROVED:
            continue
        seen.add(note.pk)
    return seen


@pytest.mark.parametrize("premoderation", [False, True], ids=["open", "premoderated"])
def test_cached_pages_match_uncached_ones_for_every_viewer(
    client, project, members, premoderation
):
    """Every visibility × status, by two authors, read by every role in two
    orders and both reading modes: the page from the worker's cache equals a
    page rendered from nothing, and both equal the rule."""
    project.premoderation = premoderation
    project.save()
    document = make_document(project=project, paragraphs=[WORDS])
    words = iter(WORDS.split())
    notes = []
    for author in (members["annotator"], members["curator"]):
        for visibility, status in STATES[:6]:
            note = make_annotation(
                document, author, next(words), visibility=visibility, tags=["t"]
            )
            if status != Status.SUBMITTED:
                reason = "" if status == Status.APPROVED else "Because."
                services.set_status(
                    annotation=note, by=members["owner"], status=status, reason=reason
                )
            note.status = status
            notes.append(note)
    readers = [(role.value, members[role.value]) for role in Role]
    for approved_only, order in itertools.product([False, True], [1, -1]):
        params = {"approved": "on"} if approved_only else {}
        for role, viewer in readers[::order]:
            client.force_login(viewer)
            cached = client.get(document.get_absolute_url(), params).content.decode()
            bodycache.clear()
            fresh = client.get(document.get_absolute_url(), params).content.decode()
            ids, labels = _highlights(cached)
            expected = _expected(notes, viewer, role, premoderation, approved_only)
            assert _highlights(fresh) == (ids, labels), (role, approved_only)
            assert ids == expected, (role, approved_only, order)
            assert {int(pk) for pk in labels} == expected
            # Nothing of a hidden annotation shows anywhere in the page.
            for note in notes:
                if note.pk not in expected:
                    assert f"/a/{note.pk}/" not in cached


def test_approved_only_does_not_leak_a_private_approved_note(client, project, members):
    """The defect as found: with 'Approved only' on, the shared rendering carried
    the curator's private (approved) note to everyone, and the author was
    sometimes served a rendering without it."""
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    curator = members["curator"]
    secret = make_annotation(document, curator, "tunnel", visibility="private")
    services.set_status(annotation=secret, by=curator, status=Status.APPROVED)
    url = document.get_absolute_url()
    client.force_login(members["viewer"])
    assert (
        f'data-ids="{secret.pk}"'
        not in client.get(url, {"approved": "on"}).content.decode()
    )
    client.force_login(curator)
    assert (
        f'data-ids="{secret.pk}"'
        in client.get(url, {"approved": "on"}).content.decode()
    )
    client.force_login(members["annotator"])
    assert (
        f'data-ids="{secret.pk}"'
        not in client.get(url, {"approved": "on"}).content.decode()
    )


def _revision(client, document) -> str:
    return reader_since(client, document)


def _poll(client, document, since):
    url = reverse(
        "annotations:annotation_changes_hx", args=[document.project.slug, document.pk]
    )
    return client.get(url, {"since": since}, headers=HX)


def test_polling_says_nothing_of_others_private_annotations(client, project, members):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    reader, author = members["viewer"], members["annotator"]
    client.force_login(reader)
    since = _revision(client, document)
    assert _poll(client, document, since).status_code == 204
    secret = make_annotation(document, author, "tunnel", visibility="private")
    services.create_reply(annotation=secret, author=author, body="Note to self")
    services.update_annotation(
        annotation=secret,
        editor=author,
        version=1,
        body="Still mine",
        tags=["hidden-tag"],
        visibility="private",
    )
    services.delete_annotation(annotation=secret, by=author)
    assert _poll(client, document, since).status_code == 204
    assert _revision(client, document) == since
    # The author hears of their own changes.
    client.force_login(author)
    assert _poll(client, document, since).status_code == 200
    # And everyone of a shared one.
    shared = make_annotation(document, author, "long")
    client.force_login(reader)
    response = _poll(client, document, since)
    assert response.status_code == 200
    assert f'data-ids="{shared.pk}"' in response.content.decode()


def test_polling_under_premoderation_follows_the_reader_class(client, project, members):
    project.premoderation = True
    project.save()
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    client.force_login(members["viewer"])
    viewer_since = _revision(client, document)
    client.force_login(members["curator"])
    curator_since = _revision(client, document)
    pending = make_annotation(document, members["annotator"], "tunnel")
    assert _poll(client, document, curator_since).status_code == 200
    client.force_login(members["viewer"])
    assert _poll(client, document, viewer_since).status_code == 204
    services.set_status(annotation=pending, by=members["curator"], status="approved")
    response = _poll(client, document, viewer_since)
    assert response.status_code == 200
    assert f'data-ids="{pending.pk}"' in response.content.decode()


def test_tags_of_others_private_notes_are_neither_counted_nor_offered(
    client, project, members
):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    author = members["annotator"]
    make_annotation(document, author, "tunnel", visibility="private", tags=["secret"])
    make_annotation(document, author, "long", tags=["shared"])
    make_annotation(
        document, members["viewer"], "was", visibility="private", tags=["shared"]
    )
    client.force_login(members["curator"])
    page = client.get(reverse("annotations:tag_manage", args=[project.slug]))
    html = page.content.decode()
    assert "secret" not in html
    usage = re.search(r'id="tag-\d+".*?class="num">(\d+)<', html, re.S)
    assert usage.group(1) == "1"  # the viewer's private use is not counted
    search = reverse("annotations:tag_search_hx", args=[project.slug])
    assert "secret" not in client.get(search, {"tags": "sec"}).content.decode()
    reading = client.get(document.get_absolute_url()).content.decode()
    assert 'value="secret"' not in reading
    # The author sees and is offered their own tag.
    client.force_login(author)
    assert 'value="secret"' in client.get(search, {"tags": "sec"}).content.decode()
    assert 'value="secret"' in client.get(document.get_absolute_url()).content.decode()
    # Once used where others can see it, it is everyone's.
    make_annotation(document, members["owner"], "The", tags=["secret"])
    client.force_login(members["viewer"])
    assert 'value="secret"' in client.get(search, {"tags": "sec"}).content.decode()


def test_a_new_member_sees_nothing_private_in_any_page(client, project, members):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    secret = make_annotation(
        document, members["owner"], "tunnel", visibility="private", body="Secret note"
    )
    newcomer = make_user("newcomer", project=project, role=Role.CURATOR)
    client.force_login(newcomer)
    pages = [
        document.get_absolute_url(),
        reverse("annotations:curation_queue", args=[project.slug]) + "?status=",
        reverse("annotations:tag_manage", args=[project.slug]),
        reverse("annotations:link_list", args=[project.slug]),
        project.get_absolute_url(),
    ]
    for url in pages:
        html = client.get(url).content.decode()
        assert "Secret note" not in html
        assert f'data-ids="{secret.pk}"' not in html


def test_a_shared_rendering_draws_only_what_the_class_sees(project, members):
    """The class's cached rendering is drawn from the class's rule, not from the
    reader's view: a private note the reader saves while their page is being
    built cannot reach the copy everyone shares."""
    from annotations import highlights
    from corpus.models import Membership

    document = make_document(project=project, paragraphs=["The tunnel was long."])
    author = members["annotator"]
    mine = make_annotation(document, author, "tunnel", visibility="private")
    shared = make_annotation(document, author, "long")
    membership = Membership.objects.select_related("project").get(
        project=project, user=author
    )
    drawn = highlights.highlights_for(membership, document, shared_only=True)
    assert {pk for _s, _e, pk in drawn.spans} == {shared.pk}
    assert mine.pk not in drawn.raw_labels
    own_view = highlights.highlights_for(membership, document)
    assert {pk for _s, _e, pk in own_view.spans} == {shared.pk, mine.pk}


@pytest.mark.parametrize("gone", ["deleted", "trashed"])
def test_a_private_notes_tag_stays_hidden_once_the_note_is_gone(
    client, project, members, gone
):
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    note = make_annotation(
        document, members["annotator"], "tunnel", visibility="private", tags=["bob"]
    )
    if gone == "deleted":
        services.delete_annotation(annotation=note, by=members["annotator"])
    else:
        services.trash_document(document=document, by=members["owner"])
    client.force_login(members["curator"])
    search = reverse("annotations:tag_search_hx", args=[project.slug])
    assert "bob" not in client.get(search, {"tags": "bo"}).content.decode()
    tags = client.get(reverse("annotations:tag_manage", args=[project.slug]))
    assert "bob" not in tags.content.decode()


def test_the_admin_lists_no_tag_used_only_on_others_private_notes(
    client, project, members
):
    from django.contrib.auth.models import Permission

    document = make_document(project=project, paragraphs=["The tunnel was long."])
    make_annotation(
        document, members["annotator"], "tunnel", visibility="private", tags=["bob"]
    )
    make_annotation(document, members["annotator"], "long", tags=["open"])
    viewer = members["viewer"]
    viewer.is_staff = True
    viewer.save()
    viewer.user_permissions.set(
        Permission.objects.filter(content_type__app_label="annotations")
    )
    client.force_login(viewer)
    tags = client.get(reverse("admin:annotations_tag_changelist")).content.decode()
    assert "open" in tags
    assert "bob" not in tags
    notes = client.get(reverse("admin:annotations_annotation_changelist"))
    assert ">bob<" not in notes.content.decode()


def test_the_polling_token_counts_only_what_the_reader_may_see(
    client, project, members
):
    """The number a page polls with moves by the changes its reader can see, and
    no more: it cannot be used to count others' private work."""
    document = make_document(project=project, paragraphs=["The tunnel was long."])
    client.force_login(members["viewer"])
    before = reader_since(client, document)
    for word in ("The", "tunnel", "was"):
        make_annotation(document, members["annotator"], word, visibility="private")
    assert reader_since(client, document) == before
    make_annotation(document, members["annotator"], "long")
    seen, own = (int(part) for part in before.split("."))
    assert reader_since(client, document) == f"{seen + 1}.{own}"
    # The author's own count moves with each of their changes, and only theirs.
    client.force_login(members["annotator"])
    assert reader_since(client, document).endswith(".4")
