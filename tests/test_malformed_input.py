"""Malformed input never answers 500 and never leaves a partial write (issue 8).

Every URL pattern of the site (walked from the resolver: a new view fails
`test_every_url_pattern_is_exercised_or_skipped` until it is added to ROUTES or
to SKIPPED with a reason) is sent, by hypothesis, GET and POST requests whose
query strings and form bodies carry random and malformed values for every
parameter the app reads, as the owner, a curator, an annotator, a viewer, a
non-member and an anonymous visitor, plain and with htmx. Each request is rolled
back afterwards, so every example starts from the same project. For each one:

- no exception, no 500;
- an error answer (4xx) wrote nothing: every row of every table of corpus,
  annotations, the users and the background tasks is as it was;
- a non-member and an anonymous visitor wrote nothing whatever the answer.

APPARATUS_FUZZ_EXAMPLES sets the number of random examples per URL pattern
(default 10, which keeps the file near a minute on each database), and
APPARATUS_FUZZ_EXPLORE=1 draws new ones on each run (by default every run draws
the same, so that CI is not flaky): raise and set both for a deeper search.

Besides the random examples, each parameter of each view is sent malformed
alone, the rest of the request valid (the owner, who may reach every write);
path values are tested against the converters; and the issue's own examples
are plain tests at the end.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import Client, override_settings
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotations.backup import archive
from annotations.models import Export, Restore
from corpus import services as corpus_services
from corpus.roles import Role
from corpus.services import tokens as token_services
from corpus.services.invitations import token_hash
from corpus.views.invitations import SESSION_KEY as INVITATION_SESSION_KEY
from tests import fuzz
from tests.factories import PASSWORD, make_project, make_user
from tests.fuzz import ABSENT_ID, ROLES, WHO, World

# One worker runs the whole module, so its project is made once (module fixture).
pytestmark = pytest.mark.xdist_group("malformed_input")

EXAMPLES = int(os.environ.get("APPARATUS_FUZZ_EXAMPLES", "10"))
# The same examples on every run (CI must not fail one time in three), unless
# APPARATUS_FUZZ_EXPLORE=1 asks for new ones.
EXPLORE = os.environ.get("APPARATUS_FUZZ_EXPLORE") == "1"

Params = dict[str, list[str]]
# A valid query or form body for a view, or several where the view does
# different things (link to a passage, a document or a source).
Builder = Callable[[World, str], Params | list[Params]]


def _none(_world: World, _who: str) -> Params:
    return {}


@dataclass(frozen=True)
class Spec:
    """How to exercise one URL pattern.

    `pk` says what its <id:pk> names; `methods` are the ones the view answers
    (the other is sent too, less often: 405); `get` and `post` build a valid
    query string and form body, which the examples then corrupt.
    """

    pk: str | None = None
    methods: tuple[str, ...] = ("GET",)
    get: Builder = _none
    post: Builder = _none
    files: bool = False
    upload_field: str = "files"  # the form field the files go in
    # The valid files to send (the sweep's): a text to import, unless given.
    upload: Callable[[World], list[tuple[str, bytes]]] | None = None


def _doc_text(world: World, index: int = 0) -> str:
    return world.documents[index].text


def _selection(world: World, index: int = 0) -> Params:
    """A valid selection of the first word of a document (block 0)."""
    return {
        "sb": ["0"],
        "so": ["0"],
        "eb": ["0"],
        "eo": ["5"],
        "exact": [_doc_text(world, index)[:5]],
    }


def _margin(world: World, _who: str = "") -> Params:
    return {
        "tag": ["alpha"],
        "author": ["fuzz-annotator"],
        "status": ["submitted"],
        "mine": ["on"],
        "approved": [""],
        "page": ["1"],
    }


def _initial(values: Params) -> Params:
    """The hidden "loaded with" copies a versioned form sends (conflicts.py)."""
    return {f"initial-{name}": list(v) for name, v in values.items()}


def _versioned(values: Params) -> Params:
    return {**values, **_initial(values), "version": ["1"]}


def _metadata(world: World, _who: str) -> Params:
    return _versioned(
        {
            "title": ["A title"],
            "authors": ["Ann Author, Bob Writer"],
            "publisher": ["A publisher"],
            "source_url": ["https://example.org/a"],
            "published_date": ["2015-02-28"],
            "keywords": ["trees, canopy"],
            "language": ["en"],
        }
    )


def _review(world: World, _who: str) -> Params:
    return {
        "format": [""],
        "title": ["A title"],
        "authors": ["Ann Author"],
        "published_date": ["2015-02-28"],
        "drop": [],
    }


def _note(world: World, _who: str) -> Params:
    return {
        "body": ["A **note**"],
        "tags": ["alpha, new tag"],
        "visibility": ["project"],
    }


def _decide(world: World, _who: str) -> list[Params]:
    first, other = world.annotations[0].pk, world.annotations[3].pk
    return [
        {"ids": [str(first), str(other)], "status": ["approved"], "reason": ["Ok."]},
        {"decide": [f"{first} rejected"], "reason": ["Off topic."]},
    ]


def _queue(world: World, _who: str) -> Params:
    return {
        "status": ["submitted"],
        "document": [str(world.documents[0].pk)],
        "tag": ["alpha"],
        "author": ["fuzz-annotator"],
        "since": ["2015-01-01"],
        "until": ["2099-12-31"],
        "page": ["1"],
    }


def _tag_manage(world: World, _who: str) -> list[Params]:
    tags = world.tags
    return [
        {"action": ["merge"], "merge": [str(tags["beta"].pk)], "into": ["alpha"]},
        {"action": ["retire"], "tag": [str(tags["i"].pk)], "version": ["1"]},
        {
            "action": ["restore"],
            "tag": [str(tags["old tag"].pk)],
            "version": [str(tags["old tag"].version)],
        },
    ]


def _tag_edit(world: World, _who: str) -> Params:
    return _versioned(
        {
            "name": ["alpha renamed"],
            "colour": ["#aabbcc"],
            "description": ["About alpha."],
            "parent": ["ασ"],
            "retired": [""],
        }
    )


def _link(world: World, _who: str) -> list[Params]:
    common = {
        "relation": [str(world.relations[0].pk)],
        "target_title": ["A source"],
        "citation": ["p. 3"],
        "accessed": ["2015-03-01"],
        "note": ["Because."],
    }
    return [
        {**common, "target_annotation": [str(world.annotations[3].pk)]},
        {**common, "target_document": [str(world.documents[1].pk)]},
        {**common, "target_url": ["https://example.org/source"]},
    ]


def _passage(world: World, _who: str) -> Params:
    return {
        **_selection(world, 1),
        "document": [str(world.documents[1].pk)],
        "relation": [str(world.relations[0].pk)],
        "note": ["Same event."],
    }


def _relation(world: World, _who: str) -> Params:
    return _versioned(
        {"name": ["refutes"], "description": ["Says otherwise."], "retired": [""]}
    )


def _login(world: World, _who: str) -> list[Params]:
    wrong = {"username": ["fuzz-viewer"], "password": ["wrong"], "next": ["/p/fuzz/"]}
    return [wrong, {**wrong, "password": [PASSWORD]}]


def _password(world: World, _who: str) -> Params:
    return {
        "old_password": [PASSWORD],
        "new_password1": ["a new passphrase 1"],
        "new_password2": ["a new passphrase 1"],
    }


def _sign_up(world: World, _who: str) -> Params:
    """A new account, on the invitation's page (the signed-in just join)."""
    return {
        "username": ["fuzz-newcomer"],
        "password1": ["a new passphrase 1"],
        "password2": ["a new passphrase 1"],
    }


GET, POST, BOTH = ("GET",), ("POST",), ("GET", "POST")

ROUTES: dict[str, Spec] = {
    # config/urls.py
    "home": Spec(get=lambda w, _: {"archived": ["1"]}),
    "healthz": Spec(),
    "/healthz": Spec(),
    "login": Spec(methods=BOTH, get=lambda w, _: {"next": ["/"]}, post=_login),
    "logout": Spec(methods=POST, post=lambda w, _: {"next": ["/"]}),
    "password_change": Spec(methods=BOTH, post=_password),
    "password_change_done": Spec(),
    "corpus:api_tokens": Spec(
        methods=BOTH, post=lambda w, _: {"name": ["fuzz"], "password": [PASSWORD]}
    ),
    "corpus:api_token_revoke": Spec(pk="token", methods=POST),
    "corpus:person": Spec(pk="person"),
    "annotations:vocabulary": Spec(),
    # The W3C export and protocol (annotations/views/export.py, protocol.py).
    # Their writes take JSON, which a form body is not: the POSTs sent here
    # are refused (400), and tests/annotations/test_protocol_writes.py sends
    # the malformed JSON.
    "annotations:project_export": Spec(
        get=lambda w, _: {
            "document": [str(w.documents[0].pk)],
            "approved": ["on"],
            "format": ["edition"],
        }
    ),
    "annotations:project_export_annotations": Spec(
        get=lambda w, _: {"approved": ["1"]}
    ),
    "annotations:document_export_annotations": Spec(
        pk="document", get=lambda w, _: {"approved": ["1"]}
    ),
    # Backups (annotations/views/backups.py): the valid upload is a backup of
    # the fuzz project; the drawn files are not zips (refused, 400).
    "annotations:project_backup": Spec(),
    "annotations:backup_restore": Spec(
        methods=BOTH,
        files=True,
        upload_field="archive",
        upload=lambda w: [("fuzz.zip", b"".join(archive.write(w.project)))],
    ),
    "annotations:restore_detail": Spec(pk="restore"),
    "annotations:project_search": Spec(
        get=lambda w, _: [
            {
                "q": ['"first paragraph" alp* -zzz'],
                "kind": ["note"],
                "document": [str(w.documents[0].pk)],
                "tag": ["alpha"],
                "author": ["fuzz-annotator"],
                "status": ["submitted"],
                "since": ["2015-01-01"],
                "until": ["2099-12-31"],
                "sort": ["before"],
            },
            {"q": ["x OR y"], "page": ["2"]},
            {"q": ["(first)."], "exact": ["on"], "sort": ["after"]},
        ]
    ),
    "annotations:search_annotate": Spec(
        methods=POST,
        post=lambda w, _: [
            {"q": ["first"], "all": ["1"], "add_tag": ["found"], "body": ["Seen."]},
            {
                "q": ["first"],
                "hit": [f"{w.documents[0].pk}:0:5"],
                "add_tag": ["found"],
                "confirm": ["1"],
            },
        ],
    ),
    "annotations:search_hits_csv": Spec(
        get=lambda w, _: {"q": ["first OR second"], "kind": ["text"], "sort": ["after"]}
    ),
    "annotations:project_export_csv": Spec(get=lambda w, _: _margin(w)),
    "annotations:export_prepare": Spec(
        methods=POST,
        post=lambda w, _: [
            {"document": [""], "format": ["csv"], "approved": ["on"]},
            {"document": [str(w.documents[0].pk)], "format": ["w3c"]},
            {"document": [""], "format": ["backup"]},
        ],
    ),
    "annotations:export_detail": Spec(pk="export"),
    "annotations:export_file": Spec(pk="export"),
    "annotations:document_export_tei": Spec(
        pk="document", get=lambda w, _: {"approved": ["1"]}
    ),
    "annotations:document_export_edition": Spec(
        pk="document", get=lambda w, _: {"approved": ["1"]}
    ),
    "annotations:document_export_csv": Spec(pk="document", get=lambda w, _: _margin(w)),
    "annotations:w3c_container": Spec(
        get=lambda w, _: {"page": [str(w.annotations[0].pk)]}
    ),
    "annotations:w3c_document_container": Spec(
        pk="document", get=lambda w, _: {"page": ["0"]}
    ),
    "annotations:w3c_note": Spec(pk="annotation"),
    "annotations:w3c_reply": Spec(pk="reply"),
    "annotations:w3c_link": Spec(pk="link"),
    "annotations:tag_colours": Spec(get=lambda w, _: {"v": ["0123456789ab"]}),
    "password_reset": Spec(
        methods=BOTH, post=lambda w, _: {"email": ["fuzz-viewer@example.org"]}
    ),
    "password_reset_done": Spec(),
    "password_reset_confirm": Spec(
        methods=BOTH,
        post=lambda w, _: {
            "new_password1": ["a new passphrase 1"],
            "new_password2": ["a new passphrase 1"],
        },
    ),
    "password_reset_complete": Spec(),
    # corpus/urls.py
    "corpus:project_list": Spec(get=lambda w, _: {"archived": ["1"]}),
    "corpus:project_create": Spec(
        methods=POST,
        post=lambda w, _: {
            "name": ["New project"],
            "description": ["About it."],
            "premoderation": ["on"],
        },
    ),
    "corpus:project_detail": Spec(
        get=lambda w, _: {"q": ["Document"], "sort": ["-date"], "page": ["1"]}
    ),
    "corpus:project_settings": Spec(
        methods=BOTH,
        post=lambda w, _: _versioned(
            {"name": ["Fuzz"], "description": ["Changed."], "premoderation": ["on"]}
        ),
    ),
    "corpus:project_archive": Spec(methods=POST, post=lambda w, _: {"archive": ["1"]}),
    "corpus:project_members": Spec(),
    "corpus:member_add": Spec(
        methods=POST,
        post=lambda w, _: {"username": ["fuzz-outsider"], "role": ["viewer"]},
    ),
    "corpus:member_role": Spec(
        pk="member", methods=POST, post=lambda w, _: {"role": ["annotator"]}
    ),
    "corpus:member_remove": Spec(pk="member", methods=POST),
    "corpus:member_invite": Spec(
        methods=POST,
        post=lambda w, _: {"email": ["fuzz-new@example.org"], "role": ["curator"]},
    ),
    "corpus:invitation_resend": Spec(pk="invitation", methods=POST),
    "corpus:invitation_revoke": Spec(pk="invitation", methods=POST),
    "corpus:invitation_open": Spec(),
    "corpus:invitation_accept": Spec(methods=BOTH, post=_sign_up),
    "corpus:import_upload": Spec(methods=BOTH, files=True),
    "corpus:import_review": Spec(),
    "corpus:import_progress_hx": Spec(
        get=lambda w, who: {"seen": [f"{_pending(w, who).pk}:queued"]}
    ),
    "corpus:import_all": Spec(methods=POST),
    "corpus:import_clear": Spec(methods=POST),
    "corpus:import_confirm": Spec(pk="pending", methods=POST, post=_review),
    "corpus:import_choices": Spec(pk="pending", methods=POST, post=_review),
    "corpus:import_retry": Spec(pk="pending", methods=POST),
    "corpus:import_discard": Spec(pk="pending", methods=POST),
    "annotations:document_detail": Spec(
        pk="document",
        get=lambda w, who: {**_margin(w), "thread": [str(w.annotations[0].pk)]},
    ),
    "corpus:document_edit": Spec(pk="document", methods=BOTH, post=_metadata),
    # Revisions (annotations/views/revisions.py): of the second document,
    # revised once (fuzz.build_world); the number is _link_values'.
    "annotations:document_revisions": Spec(
        pk="document", get=lambda w, _: {"page": ["1"]}
    ),
    "annotations:revision_detail": Spec(pk="revised_document"),
    "annotations:revision_diff": Spec(
        pk="revised_document", get=lambda w, _: {"page": ["1"]}
    ),
    "annotations:revision_restore": Spec(
        pk="revised_document",
        methods=POST,
        post=lambda w, _: {
            "reason": ["Back to the text as imported"],
            "base_revision": [str(w.documents[1].text_revision)],
        },
    ),
    "annotations:document_text": Spec(
        pk="document",
        methods=BOTH,
        get=lambda w, _: [
            {"block": ["1"]},
            {"at": [str(w.documents[0].blocks[1]["start"])], "from": ["reading"]},
        ],
        post=lambda w, _: {
            "revision": ["0"],
            "block": ["1"],
            "operation": ["edit"],
            "content": ["A corrected paragraph."],
            "kind": ["paragraph"],
            "reason": ["OCR error"],
            "from": ["reading"],
        },
    ),
    "annotations:document_new_version": Spec(
        pk="document",
        methods=POST,
        post=lambda w, _: {"revision": ["0"], "reason": ["A corrected scan"]},
        files=True,
        upload_field="file",
        upload=lambda w: [("fixed.txt", (_doc_text(w) + "\n\nAdded.").encode())],
    ),
    "annotations:orphan_resolve": Spec(
        pk="orphan", methods=POST, post=lambda w, _: {"reason": ["Gone for good."]}
    ),
    "annotations:orphan_reattach": Spec(
        pk="orphan",
        methods=POST,
        post=lambda w, _: {
            **_selection(w, 1),
            "revision": [str(w.documents[1].text_revision)],
        },
    ),
    # annotations/urls.py
    "annotations:annotation_new_hx": Spec(
        pk="document", get=lambda w, _: _selection(w)
    ),
    "annotations:annotation_list_hx": Spec(pk="document", get=_margin),
    "annotations:annotation_create": Spec(
        pk="document",
        methods=POST,
        post=lambda w, who: {**_selection(w), **_note(w, who), "text_revision": ["0"]},
    ),
    "annotations:annotation_changes_hx": Spec(
        pk="document",
        get=lambda w, _: {
            **_margin(w),
            "since": ["1"],
            "thread": [str(w.annotations[0].pk)],
            "text_revision": ["0"],
        },
    ),
    "annotations:annotation_detail": Spec(
        pk="annotation",
        get=lambda w, _: {"here": [",".join(str(a.pk) for a in w.annotations)]},
    ),
    "annotations:annotation_edit": Spec(
        pk="annotation",
        methods=BOTH,
        post=lambda w, who: _versioned(_note(w, who)),
    ),
    "annotations:annotation_delete": Spec(
        pk="annotation", methods=POST, post=lambda w, _: {"page": ["1"]}
    ),
    "annotations:reply_create": Spec(
        pk="annotation", methods=POST, post=lambda w, _: {"body": ["A reply."]}
    ),
    "annotations:annotation_status": Spec(
        pk="annotation",
        methods=POST,
        post=lambda w, _: {"status": ["needs_revision"], "reason": ["Why?"]},
    ),
    "annotations:reply_edit": Spec(
        pk="reply",
        methods=BOTH,
        post=lambda w, _: _versioned({"body": ["Edited reply."]}),
    ),
    "annotations:reply_delete": Spec(pk="reply", methods=POST),
    "annotations:tag_search_hx": Spec(
        get=lambda w, _: {"tags": ["alpha, be"], "q": ["a"], "into": ["a"]}
    ),
    "annotations:tag_manage": Spec(
        methods=BOTH,
        get=lambda w, _: {"q": ["a"], "page": ["1"]},
        post=_tag_manage,
    ),
    "annotations:tag_edit": Spec(pk="tag", methods=BOTH, post=_tag_edit),
    "annotations:curation_queue": Spec(get=_queue),
    "annotations:curation_decide": Spec(methods=POST, get=_queue, post=_decide),
    "annotations:markdown_preview_hx": Spec(
        methods=POST, post=lambda w, _: {"body": ["*Some* [markdown](https://x.org)"]}
    ),
    # annotations/link_urls.py
    "annotations:link_picker": Spec(
        pk="annotation", get=lambda w, _: {"q": ["paragraph"], "page": ["1"]}
    ),
    "annotations:link_search_hx": Spec(
        pk="annotation", get=lambda w, _: {"q": ["paragraph"], "page": ["2"]}
    ),
    "annotations:link_create": Spec(pk="annotation", methods=POST, post=_link),
    "annotations:link_compare": Spec(
        pk="annotation", get=lambda w, _: {"document": [str(w.documents[1].pk)]}
    ),
    "annotations:link_passage": Spec(pk="annotation", methods=POST, post=_passage),
    "annotations:link_delete": Spec(
        pk="link",
        methods=POST,
        post=lambda w, _: {"thread": [str(w.annotations[1].pk)]},
    ),
    "annotations:link_list": Spec(
        get=lambda w, _: {
            "relation": [str(w.relations[0].pk)],
            "document": [str(w.documents[0].pk)],
            "author": ["fuzz-annotator"],
            "page": ["1"],
        }
    ),
    "annotations:relation_types": Spec(),
    "annotations:relation_type_create": Spec(
        methods=POST,
        post=lambda w, _: {"name": ["refutes"], "description": ["Says otherwise."]},
    ),
    "annotations:relation_type_edit": Spec(pk="relation", methods=POST, post=_relation),
    # annotations/trash_urls.py
    "annotations:document_trash": Spec(pk="document", methods=BOTH),
    "annotations:project_trash": Spec(),
    "annotations:document_restore": Spec(pk="trashed_document", methods=POST),
    "annotations:document_purge": Spec(
        pk="trashed_document",
        methods=BOTH,
        post=lambda w, _: {"confirm": [w.trashed_document.title]},
    ),
    "annotations:project_delete": Spec(methods=BOTH),
    "annotations:trashed_projects": Spec(),
    "annotations:project_restore": Spec(pk="trashed_project", methods=POST),
    "annotations:project_purge": Spec(
        pk="trashed_project",
        methods=BOTH,
        post=lambda w, _: {"confirm": [w.trashed_project.name]},
    ),
}

SKIPPED = {
    "admin": "Django's admin: its own tests (tests/*/test_admin*.py) cover it, "
    "and its forms are Django's, not this app's parsing.",
}

# Every parameter name the app reads (request.GET/POST and the forms' fields),
# so that any of them may turn up at any view.
PARAM_NAMES = sorted(
    {
        "archived", "page", "q", "sort", "thread", "here", "since", "seen",
        "decide", "ids", "document", "tag", "tags", "author", "status", "mine",
        "approved", "until", "into", "parent", "merge", "action", "version", "v",
        "next", "files", "drop", "format", "confirm", "archive", "role",
        "username", "relation", "target_annotation", "target_document",
        "target_url", "target_title", "citation", "accessed", "note", "name",
        "description", "retired", "colour", "body", "visibility", "reason",
        "sb", "so", "eb", "eo", "exact", "title", "authors", "publisher",
        "source_url", "published_date", "keywords", "language", "premoderation",
        "password", "old_password", "new_password1", "new_password2",
        "initial-body", "initial-tags", "initial-visibility", "initial-name",
        "initial-description", "initial-premoderation", "initial-colour",
        "initial-parent", "initial-retired", "initial-title", "initial-authors",
        "initial-publisher", "initial-source_url", "initial-published_date",
        "initial-keywords", "initial-language", "csrfmiddlewaretoken",
        "email", "password1", "password2", "reader", "kind", "hit", "all", "add_tag",
        "base_revision",
        "revision", "block", "operation", "content", "level", "file",
        "text_revision", "at", "from",
    }
)  # fmt: skip


def _pending(world: World, who: str):
    return world.pendings.get(who, world.pendings[Role.OWNER])


def _pk_choices(world: World, kind: str, who: str) -> list[int]:
    """Real objects of the project for a URL's pk (several where they differ:
    a private annotation, a retired relation...)."""
    return {
        "document": [d.pk for d in world.documents],
        "revised_document": [world.documents[1].pk],
        "annotation": [a.pk for a in world.annotations],
        "reply": [world.reply.pk],
        "tag": [t.pk for t in world.tags.values()],  # "alpha" first: version 1
        "relation": [r.pk for r in world.relations],
        "link": [world.link.pk],
        "member": [world.memberships["victim"].pk, world.memberships["owner"].pk],
        "pending": [_pending(world, who).pk],
        "invitation": [world.accounts.invitation.pk],
        "token": [world.accounts.token.pk],
        "restore": [world.accounts.restore.pk],
        "export": [world.accounts.export.pk],
        "person": [world.users["annotator"].pk],
        "orphan": [world.orphan.pk],
        "trashed_document": [world.trashed_document.pk],
        "trashed_project": [world.trashed_project.pk],
    }[kind]


def _other_pk(world: World, kind: str) -> int:
    """An object of the same kind that this URL must not reach."""
    other = world.other
    return {
        "document": other["document"],
        "revised_document": other["document"],
        "annotation": other["owners_annotation"],
        "reply": other["reply"],
        "tag": other["tag"],
        "relation": other["relation"],
        "link": other["link"],
        "member": other["membership"],
        "pending": other["pending"],
        "trashed_document": world.documents[0],  # live, not in the trash
        "trashed_project": world.project,  # not in the trash
        "invitation": world.accounts.elsewhere,
        "token": world.accounts.other_token,
        "restore": world.accounts.other_restore,
        "export": world.accounts.other_export,
        "person": world.users["outsider"],  # shares no project with the owner
        "orphan": world.annotations[0],  # on the text, no orphan
    }[kind].pk


def _valid(build: Builder, world: World, who: str) -> list[Params]:
    built = build(world, who)
    return built if isinstance(built, list) else [built]


# -- Fixtures -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> World:
    """The project and its objects, made once for the module, in a transaction
    rolled back at its end; each request is rolled back in a savepoint."""
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        django_db_blocker.unblock(),
        override_settings(PASSWORD_HASHERS=hashers),
        transaction.atomic(),
    ):
        built = fuzz.build_world()
        fuzz.sign_in(built)
        built.accounts = _accounts(built)
        yield built
        transaction.set_rollback(True)


@pytest.fixture(autouse=True)
def _sends_email(settings):
    """Issue 9's pages as on a site that sends email (to Django's outbox)."""
    settings.APPARATUS_SENDS_EMAIL = True


@pytest.fixture(scope="module")
def baseline(world, django_db_blocker) -> fuzz.Snapshot:
    with django_db_blocker.unblock():
        return fuzz.Snapshot.take()


ROUTE_BY_KEY: dict[str, fuzz.UrlRoute] = {}


def _route(key: str) -> fuzz.UrlRoute:
    if not ROUTE_BY_KEY:
        ROUTE_BY_KEY.update({route.key: route for route in fuzz.url_routes()})
    return ROUTE_BY_KEY[key]


def _path(key: str, world: World, pk=None) -> str:
    route = _route(key)
    kwargs = {"slug": world.project.slug} if "slug" in route.kwargs else {}
    kwargs |= _link_values(world, key)
    if pk is not None:
        kwargs["pk"] = pk
    return route.path(**kwargs)


# -- Accounts (issue 9) -------------------------------------------------------------


@dataclass
class Accounts:
    invitation: object  # open, in the fuzz project
    elsewhere: object  # open, into another project: every session opened its link
    link_token: str  # the link of `elsewhere`
    reset: dict[str, str]  # uidb64 and token of the viewer's password reset link
    token: object  # the owner's API token
    other_token: object  # another user's (the host's) API token
    restore: object  # the owner's restore of a backup
    other_restore: object  # another user's (the host's)
    export: object  # the owner's export of the fuzz project, written
    other_export: object  # the viewer's, of the same project


def _accounts(world: World) -> Accounts:
    """Invitations and a reset link; every session (an anonymous one too) has
    opened the invitation into a project none of the fuzz users is in, so that
    each may accept it."""
    owner = world.users[Role.OWNER]
    invitation, _token = corpus_services.create_invitation(
        project=world.project,
        email="fuzz-invited@example.org",
        role=Role.VIEWER,
        invited_by=owner,
    )
    project = make_project(name="Fuzz invited", slug="fuzz-invited")
    host = make_user("fuzz-host", project=project, role=Role.OWNER)
    elsewhere, token = corpus_services.create_invitation(
        project=project,
        email="fuzz-new@example.org",
        role=Role.CURATOR,
        invited_by=host,
    )
    anonymous = Client()
    anonymous.get(reverse("corpus:invitation_open", args=[token]))
    world.sessions["anonymous"] = anonymous.cookies[
        django_settings.SESSION_COOKIE_NAME
    ].value
    for key in world.sessions.values():
        session = SessionStore(session_key=key)
        session[INVITATION_SESSION_KEY] = token_hash(token)
        session.save()
    viewer = world.users[Role.VIEWER]
    reset = {
        "uidb64": urlsafe_base64_encode(force_bytes(viewer.pk)),
        "token": default_token_generator.make_token(viewer),
    }
    owners_token, _text = token_services.create_token(user=owner, name="fuzz")
    hosts_token, _text = token_services.create_token(user=host, name="host")
    restores = [
        Restore.objects.create(
            user=user, filename="backup.zip", name="A project", status="failed"
        )
        for user in (owner, host)
    ]
    written = [
        Export.objects.create(
            user=world.users[role],
            project=world.project,
            kind="csv",
            origin="http://testserver",
            status="ready",
            path=str(_fuzz_file()),
            filename="fuzz-csv.zip",
        )
        for role in (Role.OWNER, Role.VIEWER)
    ]
    return Accounts(
        invitation,
        elsewhere,
        token,
        reset,
        owners_token,
        hosts_token,
        *restores,
        *written,
    )


def _fuzz_file() -> Path:
    """A file an export wrote (what it holds does not matter here)."""
    path = Path(tempfile.gettempdir()) / "apparatus-fuzz-export.zip"
    path.write_bytes(b"PK\x05\x06" + b"\x00" * 18)
    return path


# The revision each Revisions URL names: the diff of the one correction, the
# text as imported (which the restore brings back).
REVISION_NUMBERS = {
    "annotations:revision_detail": "0",
    "annotations:revision_diff": "1",
    "annotations:revision_restore": "0",
}


def _link_values(world: World, key: str) -> dict[str, str]:
    """The path values besides the slug and the pk: an emailed link's, a
    revision's number."""
    if key in REVISION_NUMBERS:
        return {"number": REVISION_NUMBERS[key]}
    if key == "corpus:invitation_open":
        return {"token": world.accounts.link_token}
    if key == "password_reset_confirm":
        return dict(world.accounts.reset)
    return {}


# Views where a visitor who is not signed in may write, and why.
ANONYMOUS_WRITES = {
    "corpus:invitation_accept": "accepting an invitation makes the account: the "
    "link is the proof",
}


# -- Checking one request -----------------------------------------------------------


def _shown(params: Params | None) -> dict:
    """Params for a failure message, long values cut short."""
    return {
        name: [v if len(v) <= 60 else f"{v[:30]!r}…({len(v)} chars)" for v in values]
        for name, values in (params or {}).items()
    }


@dataclass
class Request:
    key: str
    who: str
    method: str
    path: str
    query: Params | str  # a string is sent as it is
    body: Params | bytes | None = None  # bytes are sent as they are
    files: list[tuple[str, bytes]] = ()
    upload_field: str = "files"
    htmx: bool = False
    urlencoded: bool = True
    target: str = ""  # HX-Target, the element htmx swaps (import_choices reads it)
    content_type: str = "application/x-www-form-urlencoded"  # for a bytes body

    def __str__(self) -> str:
        htmx = f" (htmx{f', target {self.target!r}' if self.target else ''})"
        files = [(name, len(data)) for name, data in self.files]
        query = self.query if isinstance(self.query, str) else _shown(self.query)
        body = self.body if isinstance(self.body, bytes) else _shown(self.body)
        return (
            f"{self.key} as {self.who}: {self.method}{htmx if self.htmx else ''} "
            f"{self.path} on {fuzz.database()}, query={query!r:.300}, "
            f"body={body!r:.600}{f', files={files}' if files else ''}"
        )


def _problems(
    request: Request, world: World, baseline
) -> tuple[fuzz.Outcome, list[str]]:
    """Send `request`; (what came of it, what is wrong with that)."""
    outcome = fuzz.send(
        world,
        request.who,
        request.path,
        method=request.method,
        query=request.query,
        body=request.body,
        files=request.files,
        upload_field=request.upload_field,
        htmx=request.htmx,
        urlencoded=request.urlencoded,
        headers={"HX-Target": request.target} if request.target else None,
        content_type=request.content_type,
        baseline=baseline,
    )
    problems = []
    if outcome.error or outcome.status >= 500:
        problems.append(f"{outcome.status} {outcome.error}: {request}")
    elif 400 <= outcome.status < 500 and outcome.writes:
        problems.append(
            f"{outcome.status} answered, yet written {outcome.writes}: {request}"
        )
    elif outcome.writes and (
        (request.who == "anonymous" and request.key not in ANONYMOUS_WRITES)
        or (request.who == "outsider" and "slug" in _route(request.key).kwargs)
    ):
        problems.append(f"{request.who} wrote {outcome.writes}: {request}")
    return outcome, problems


# -- Strategies ---------------------------------------------------------------------


@st.composite
def _params(draw, world: World, valid: Params) -> Params:
    """`valid` with one value made malformed; or with values kept, dropped,
    made malformed or repeated at random; and maybe a few other names."""
    if draw(st.sampled_from([True, True, False]), label="one at a time"):
        out = dict(valid)
        name = draw(st.sampled_from(sorted(valid) or PARAM_NAMES))
        out[name] = draw(st.lists(fuzz.value(world, name), min_size=1, max_size=3))
        return out
    out = {}
    for name, good in valid.items():
        how = draw(st.sampled_from(["keep", "keep", "bad", "bad", "drop", "many"]))
        if how == "keep":
            out[name] = good
        elif how == "bad":
            out[name] = [draw(fuzz.value(world, name))]
        elif how == "many":
            either = st.one_of(fuzz.value(world, name), st.sampled_from(good or [""]))
            out[name] = draw(st.lists(either, min_size=2, max_size=5))
    extra = draw(
        st.lists(st.one_of(st.sampled_from(PARAM_NAMES), fuzz.short_text), max_size=3)
    )
    for name in extra:
        out[name] = draw(st.lists(fuzz.value(world, name), min_size=1, max_size=3))
    return out


def _sendable(filename: str) -> bool:
    # The test client cannot send these (a browser sends no file at all).
    return os.path.basename(filename) not in {"", ".", ".."}


_uploads = st.lists(
    st.tuples(
        st.one_of(
            st.sampled_from(["a.txt", "b.md", "c.html", "d.pdf", "e.txt\x00.md"]),
            fuzz.short_text.filter(_sendable),
        ),
        st.one_of(
            st.binary(max_size=2000),
            fuzz.short_text.map(str.encode),
            st.sampled_from(
                [
                    b"",
                    b"\x00" * 10,
                    b"Text\x00with a NUL.",
                    "caf\u00e9".encode("latin-1"),
                    "\ufeffUTF-8 with a BOM".encode(),
                    "UTF-16 text".encode("utf-16"),
                    b"<html><body><p>Hi\x00</p></body></html>",
                    b"# Title\n\n" + b"> " * 3000,
                    b"\xff\xfe\xfd",
                ]
            ),
        ),
    ),
    max_size=3,
)


@st.composite
def _requests(draw, key: str, world: World) -> Request:
    spec = ROUTES[key]
    # Those who may change things come more often: they reach the writes.
    who = draw(st.sampled_from([*WHO, *ROLES[:3]]), label="who")
    other = "POST" if spec.methods == GET else "GET"
    # Mostly the methods the view answers; the other one too (405).
    method = draw(st.sampled_from([*spec.methods * 3, other]), label="method")
    pk = None
    if spec.pk:
        pk = draw(st.sampled_from(_pk_choices(world, spec.pk, who)), label="pk")
    query = draw(
        _params(world, draw(st.sampled_from(_valid(spec.get, world, who)))),
        label="query",
    )
    body, files = None, []
    if method == "POST":
        valid = draw(st.sampled_from(_valid(spec.post, world, who)))
        body = draw(_params(world, valid), label="body")
        if spec.files:
            files = draw(_uploads, label="files")
    return Request(
        key=key,
        who=who,
        method=method,
        path=_path(key, world, pk),
        query=query,
        body=body,
        files=files,
        upload_field=spec.upload_field,
        htmx=(htmx := draw(st.booleans(), label="htmx")),
        urlencoded=not files and draw(st.booleans(), label="urlencoded"),
        target=draw(
            st.sampled_from(["", f"pending-{pk}-saved", f"pending-{pk}", "x" * 300])
        )
        if htmx
        else "",
    )


# -- Every pattern is here ---------------------------------------------------------


def test_every_url_pattern_is_exercised_or_skipped():
    routes = {route.key: route for route in fuzz.url_routes()}
    skipped = {
        key for key, route in routes.items() if route.namespace.split(":")[0] in SKIPPED
    }
    assert skipped, "SKIPPED no longer matches any pattern: remove it"
    forgotten = set(routes) - set(ROUTES) - skipped
    assert not forgotten, f"URL patterns without malformed-input tests: {forgotten}"
    stale = set(ROUTES) - set(routes)
    assert not stale, f"ROUTES names patterns the site no longer has: {stale}"
    for key, spec in ROUTES.items():
        has_pk = "pk" in routes[key].kwargs
        assert has_pk == (spec.pk is not None), f"{key}: say what its pk names"


# Where the app reads a parameter: request.GET/POST by name, and form fields.
_READ = re.compile(
    r"""request\.(?:GET|POST)(?:\.(?:get|getlist|pop)\(|\[)\s*["']([^"']+)["']"""
)
_FIELD = re.compile(
    r"""^ {4}(\w+) = (?:forms\.\w*Field\(|\w+Field\(|\w+\.base_fields\[)"""
    r"""|fields\[["'](\w+)["']\] = """,
    re.MULTILINE,
)


def test_every_parameter_the_app_reads_is_sent():
    root = Path(__file__).resolve().parents[1]
    sources = [
        path
        for app in ("corpus", "annotations", "config")
        for path in (root / app).rglob("*.py")
        if not {"admin", "migrations", "management"} & set(path.parts)
        and path.name != "models.py"
    ]
    read = set()
    for path in sources:
        text = path.read_text(encoding="utf-8")
        read |= set(_READ.findall(text))
        read |= {a or b for a, b in _FIELD.findall(text)}
    assert {"page", "thread", "ids", "decide", "tags", "authors"} <= read
    missing = read - set(PARAM_NAMES)
    assert not missing, f"Parameters the app reads that no test sends: {missing}"


# -- Random and malformed values, every pattern, every role -------------------------


@pytest.mark.parametrize("key", sorted(ROUTES))
@settings(
    max_examples=EXAMPLES,
    derandomize=not EXPLORE,
    database=None if not EXPLORE else settings.default.database,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)
@given(data=st.data())
def test_random_values_never_answer_500_nor_write_half(key, db, world, baseline, data):
    request = data.draw(_requests(key, world))
    _outcome, problems = _problems(request, world, baseline)
    assert not problems, problems[0]


# -- Each parameter malformed alone, the rest valid --------------------------------

SWEEP = {
    "numbers": ["٣", "-1", "9" * 25, "9" * 5000],
    "dates": ["2015-02-30", "10000-01-01"],
    "urls": ["http://[", "javascript:alert(1)"],
    "texts": ["²", "x" * 20_000],
    # Lower case differs between Python and PostgreSQL (see the tag test below).
    "names": ["ΑΣ"],
}
# Parameters that carry numbers or ids, and names compared without case.
NUMERIC = {
    "page", "thread", "here", "since", "seen", "decide", "ids", "document",
    "merge", "version", "relation", "target_annotation", "target_document",
    "sb", "so", "eb", "eo", "drop", "archive", "archived", "tag",
}  # fmt: skip
NAMES = {"tags", "name", "into", "parent", "tag", "author", "q", "username", "email"}


def _sweep_values(name: str) -> list[list[str]]:
    kind = next((k for k, names in fuzz.NAME_KINDS.items() if name in names), "")
    if not kind and name in NUMERIC:
        kind = "numbers"
    values = SWEEP.get(kind, []) + SWEEP["texts"]
    if name in NAMES:
        values += SWEEP["names"]
    return [*([v] for v in values), ["1", "²", "9" * 25]]  # sent three times


UPLOAD = [("sweep.txt", b"A text to import.\n\nIts second paragraph.")]


def _sweep(key: str, world: World) -> tuple[list[Request], list[Request]]:
    """As the owner (who may do everything): the valid requests, and each of
    them with each of its parameters malformed in turn."""
    spec = ROUTES[key]
    files = (spec.upload(world) if spec.upload else UPLOAD) if spec.files else []
    valid, malformed = [], []
    for method in spec.methods:
        pk = _pk_choices(world, spec.pk, "owner")[0] if spec.pk else None
        path = _path(key, world, pk)
        queries = _valid(spec.get, world, "owner")
        bodies = _valid(spec.post, world, "owner") if method == "POST" else [None]
        sent = files if method == "POST" else []
        seen = set()
        for query in queries:
            for body in bodies:
                valid.append(
                    Request(
                        key,
                        "owner",
                        method,
                        path,
                        query,
                        body,
                        sent,
                        upload_field=spec.upload_field,
                    )
                )
                for place, params in (("query", query), ("body", body)):
                    # The "loaded with" copies matter only in a conflict.
                    names = {n for n in params or {} if not n.startswith("initial-")}
                    for name in sorted(names - seen):
                        seen.add(name)
                        for bad in _sweep_values(name):
                            changed = {**params, name: bad}
                            malformed.append(
                                Request(
                                    key,
                                    "owner",
                                    method,
                                    path,
                                    changed if place == "query" else query,
                                    changed if place == "body" else body,
                                    sent,
                                    upload_field=spec.upload_field,
                                    htmx=len(malformed) % 2 == 1,
                                )
                            )
    return valid, malformed


# Valid requests that change nothing, by design: a preview, a wrong password,
# signing out, nothing to clear or retry.
WRITES_NOTHING = {
    "login",
    "logout",
    "annotations:markdown_preview_hx",
    "corpus:import_clear",
    "corpus:import_retry",
    # A small export downloads at once (the fuzz project's all are small);
    # tests/annotations/test_export_jobs.py starts the large ones.
    "annotations:export_prepare",
    # A preview of the annotations a search's hits would get.
    "annotations:search_annotate",
    # Sends an email (or, past the hourly limit, nothing).
    "password_reset",
    # The link's token goes into the session, and the browser is redirected to
    # where the new password is sent (tests/test_password_reset.py).
    "password_reset_confirm",
}


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_each_parameter_malformed_alone_never_answers_500_nor_writes_half(
    key, db, world, baseline
):
    valid, malformed = _sweep(key, world)
    problems = []
    for request in valid:
        outcome, found = _problems(request, world, baseline)
        problems += found
        # Each valid request must be valid indeed (and write, where the view
        # writes), or the malformed ones would be refused before reaching
        # anything deep, and this test could not fail.
        if outcome.status >= 400 or (
            request.method == "POST"
            and key not in WRITES_NOTHING
            and not outcome.writes
        ):
            problems.append(f"{outcome.status}, {outcome.writes}, valid: {request}")
    for request in malformed:
        problems += _problems(request, world, baseline)[1]
    assert not problems, "\n".join(problems)


# -- Path values --------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(k for k, spec in ROUTES.items() if spec.pk))
def test_ids_that_match_the_converter_but_exist_nowhere_answer_404(
    key, db, world, baseline
):
    """An 18-digit id (the converter's longest) that exists nowhere: 404 for the
    owner, no harm for anyone; an id of another project's object of the same
    kind (one the owner may see there), "0", eighteen zeros: 404 for the owner."""
    spec = ROUTES[key]
    cases = [(ABSENT_ID, WHO)] + [
        (pk, ["owner"]) for pk in (_other_pk(world, spec.pk), "0", "0" * 18)
    ]
    problems = []
    for pk, people in cases:
        for who in people:
            statuses = []
            # The owner both methods; the others the view's own.
            for method in ("GET", "POST") if who == "owner" else spec.methods[:1]:
                request = Request(key, who, method, _path(key, world, pk), {}, {})
                outcome, found = _problems(request, world, baseline)
                status = outcome.status
                problems += found
                statuses.append(status)
            # The view's own method answers 404; the other one 405.
            if who == "owner" and sorted(statuses) not in ([404, 404], [404, 405]):
                problems.append(f"{statuses} for pk={pk}: {request}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("key", sorted(k for k in ROUTES if _route(k).kwargs))
def test_path_values_the_converters_refuse_answer_404(key, db, world, baseline):
    """A 20-digit id, a 5,000-digit one, "²", "-1"; an unknown slug, "²"; a
    link's token of the wrong shape: 404. (A broken password reset link is
    answered by Django's page saying so, 200.)"""
    route = _route(key)
    good = {"slug": world.project.slug, "pk": "1", **_link_values(world, key)}
    bad_values = {
        "pk": ["9" * 20, "9" * 5000, "²", "-1"],
        "slug": ["no-such-project", "²"],
        "token": ["short", "A" * 44, "A" * 42 + "²", "9" * 5000],
        "uidb64": ["²", "9" * 5000],
        "number": ["9" * 20, "9" * 5000, "²", "-1"],
    }
    expected = 200 if key == "password_reset_confirm" else 404
    problems = []
    for name in route.kwargs:
        for bad in bad_values[name]:
            path = route.path(**{**good, name: bad})
            method = ROUTES[key].methods[-1]  # POST where the view takes one
            request = Request(key, "owner", method, path, {}, {})
            outcome, found = _problems(request, world, baseline)
            status = outcome.status
            problems += found
            if status != expected:
                problems.append(f"{status}, not {expected}: {request}")
    assert not problems, "\n".join(problems)


BROKEN_BODIES = [
    # Percent-escapes that are not UTF-8, in names and values.
    ("application/x-www-form-urlencoded", b"body=%ff%fe&name=%C0%AF&%ff%fe=x&page=%ff"),
    # An unknown charset.
    ("application/x-www-form-urlencoded; charset=no-such-charset", b"name=x"),
    # Latin-1 declared, bytes that are not UTF-8.
    ("application/x-www-form-urlencoded; charset=latin-1", b"name=caf\xe9"),
    # Multipart without a boundary, with a boundary that never comes, cut short.
    ("multipart/form-data", b"--x\r\nname=1"),
    ("multipart/form-data; boundary=zzz", b"--x\r\nContent-Disposition: form-data"),
    ("multipart/form-data; boundary=x", b'--x\r\nContent-Disposition: form-data; '
     b'name="body"\r\n\r\nHi'),
    # JSON, which no view reads.
    ("application/json", b'{"body": "x", "version": 1}'),
]  # fmt: skip
BROKEN_QUERY = "page=%ff%fe&q=%C0%AF&%ff%fe=x&thread=%00&document=%C2%B2&tags=%"


@pytest.mark.parametrize("key", sorted(ROUTES))
def test_undecodable_and_malformed_encodings_never_answer_500(key, db, world, baseline):
    """Bytes that are not UTF-8, unknown charsets, broken multipart bodies: a
    page or a 400, never a 500, nothing written on an error."""
    spec = ROUTES[key]
    pk = _pk_choices(world, spec.pk, "owner")[0] if spec.pk else None
    path = _path(key, world, pk)
    requests = [Request(key, "owner", "GET", path, BROKEN_QUERY)]
    if "POST" in spec.methods:
        requests += [
            Request(key, "owner", "POST", path, BROKEN_QUERY, body, content_type=kind)
            for kind, body in BROKEN_BODIES
        ]
    problems = []
    for request in requests:
        problems += _problems(request, world, baseline)[1]
    assert not problems, "\n".join(problems)


# -- The examples of the issue ------------------------------------------------------


def _send(world, baseline, key, method, query=None, body=None, *, who="owner", pk=None):
    """Send plainly and with htmx; the two statuses, and what went wrong."""
    statuses, problems = [], []
    for htmx in (False, True):
        request = Request(
            key, who, method, _path(key, world, pk), query or {}, body, htmx=htmx
        )
        outcome, found = _problems(request, world, baseline)
        statuses.append(outcome.status)
        problems += found
    return statuses, problems


def _unchanged(baseline) -> None:
    assert not baseline.changes(fuzz.Snapshot.take())


@pytest.mark.parametrize("bad", ["²", "9" * 5000, "9" * 25])
@pytest.mark.parametrize(
    ("key", "kind", "query"),
    [
        ("annotations:document_detail", "document", {"thread": None}),
        ("annotations:annotation_changes_hx", "document", {"thread": None}),
        ("annotations:annotation_changes_hx", "document", {"since": None}),
        ("annotations:annotation_detail", "annotation", {"here": None}),
        ("annotations:curation_queue", None, {"document": None}),
        ("annotations:link_compare", "annotation", {"document": None}),
        ("annotations:link_list", None, {"document": None}),
        ("annotations:link_list", None, {"relation": None}),
        ("corpus:import_progress_hx", None, {"seen": None}),
    ],
)
def test_malformed_id_in_a_query_string_is_ignored(
    db, world, baseline, key, kind, query, bad
):
    pk = _pk_choices(world, kind, "owner")[0] if kind else None
    query = {name: [bad if name != "seen" else f"{bad}:ready"] for name in query}
    statuses, problems = _send(world, baseline, key, "GET", query, pk=pk)
    assert not problems, "\n".join(problems)
    if key == "annotations:annotation_detail":
        assert statuses == [302, 200]  # plain: to the document, with the thread
    elif key == "corpus:import_progress_hx":
        assert statuses == [302, 200]  # plain: to the review page
    else:
        assert statuses == [200, 200]


def _decision(world: World, **values) -> Params:
    return {"status": ["approved"], "reason": ["Ok."], **values}


@pytest.mark.parametrize("bad", ["²", "٣", "abc", "9" * 5000, "9" * 25, "0", "-1"])
@pytest.mark.parametrize("name", ["ids", "decide"])
def test_curation_decide_refuses_a_malformed_id_and_decides_nothing(
    db, world, baseline, name, bad
):
    value = bad if name == "ids" else f"{bad} approved"
    body = _decision(world, **{name: [value]})
    statuses, problems = _send(
        world, baseline, "annotations:curation_decide", "POST", body=body
    )
    assert not problems, "\n".join(problems)
    assert statuses == [400, 400]  # plain: the queue again, the error in place
    _unchanged(baseline)


@pytest.mark.parametrize("decide", ["abc", "1", "1 abc", "² approved", " approved"])
def test_curation_decide_refuses_a_malformed_decision(db, world, baseline, decide):
    statuses, problems = _send(
        world,
        baseline,
        "annotations:curation_decide",
        "POST",
        body={"decide": [decide]},
    )
    assert not problems, "\n".join(problems)
    assert statuses == [400, 400]


@pytest.mark.parametrize("bad", ["²", "٣", "9" * 5000, "9" * 25, "-1"])
@pytest.mark.parametrize(
    "body",
    [
        {"action": ["retire"], "tag": None, "version": ["1"]},
        {"action": ["restore"], "tag": None, "version": ["1"]},
        {"action": ["retire"], "tag": "i", "version": None},
        {"action": ["merge"], "merge": None, "into": ["alpha"]},
    ],
    ids=["retire-tag", "restore-tag", "retire-version", "merge"],
)
def test_tag_manage_refuses_a_malformed_tag_id(db, world, baseline, body, bad):
    body = {
        name: [bad]
        if value is None
        else [str(world.tags[value].pk)]
        if value == "i"
        else value
        for name, value in body.items()
    }
    statuses, problems = _send(
        world, baseline, "annotations:tag_manage", "POST", body=body
    )
    assert not problems, "\n".join(problems)
    assert statuses == [400, 400]
    _unchanged(baseline)


@pytest.mark.parametrize("bad", ["²", "9" * 5000, "9" * 25])
@pytest.mark.parametrize(
    ("key", "name"),
    [
        ("annotations:link_create", "target_annotation"),
        ("annotations:link_create", "target_document"),
        ("annotations:link_create", "relation"),
        ("annotations:link_passage", "relation"),
        ("annotations:annotation_create", "sb"),
        ("annotations:annotation_edit", "version"),
        ("annotations:reply_edit", "version"),
        ("annotations:tag_edit", "version"),
        ("annotations:relation_type_edit", "version"),
        ("corpus:document_edit", "version"),
        ("corpus:project_settings", "version"),
        ("corpus:import_choices", "drop"),
    ],
)
def test_malformed_id_in_a_form_is_refused_and_nothing_written(
    db, world, baseline, key, name, bad
):
    spec = ROUTES[key]
    pk = _pk_choices(world, spec.pk, "owner")[0] if spec.pk else None
    body = {**_valid(spec.post, world, "owner")[0], name: [bad]}
    statuses, problems = _send(world, baseline, key, "POST", body=body, pk=pk)
    assert not problems, "\n".join(problems)
    assert all(400 <= status < 500 for status in statuses), statuses
    _unchanged(baseline)


HUGE_PAGE = "9999999999999999999999999"
PAGINATED = [
    ("corpus:project_detail", None),
    ("annotations:document_detail", "document"),
    ("annotations:annotation_list_hx", "document"),
    ("annotations:annotation_changes_hx", "document"),
    ("annotations:curation_queue", None),
    ("annotations:tag_manage", None),
    ("annotations:link_list", None),
    ("annotations:link_picker", "annotation"),
    ("annotations:link_search_hx", "annotation"),
    ("annotations:document_revisions", "revised_document"),
    ("annotations:revision_diff", "revised_document"),
]


@pytest.mark.parametrize("page", [HUGE_PAGE, "9" * 5000, "²"])
@pytest.mark.parametrize(("key", "kind"), PAGINATED)
def test_any_page_number_answers_a_page(db, world, baseline, key, kind, page):
    pk = _pk_choices(world, kind, "owner")[0] if kind else None
    query = {"page": [page], "q": ["paragraph"]}
    statuses, problems = _send(world, baseline, key, "GET", query, pk=pk)
    assert not problems, "\n".join(problems)
    assert statuses == [200, 200]


NUL = "a\x00b"


@pytest.mark.parametrize(
    ("key", "method", "values"),
    [
        ("annotations:annotation_create", "POST", {"tags": f"alpha, {NUL}"}),
        ("annotations:annotation_edit", "POST", {"tags": NUL}),
        ("corpus:document_edit", "POST", {"authors": f"Ann, {NUL}"}),
        ("corpus:document_edit", "POST", {"keywords": f"trees, {NUL}"}),
        ("corpus:import_choices", "POST", {"authors": NUL}),
        ("corpus:import_confirm", "POST", {"authors": NUL}),
        ("annotations:tag_edit", "POST", {"name": NUL}),
        ("annotations:tag_manage", "POST", {"into": NUL}),
        ("annotations:relation_type_create", "POST", {"name": NUL}),
        ("corpus:project_detail", "GET", {"q": NUL}),
        ("annotations:tag_manage", "GET", {"q": NUL}),
        ("annotations:link_picker", "GET", {"q": NUL}),
        ("annotations:link_search_hx", "GET", {"q": NUL}),
        ("annotations:tag_search_hx", "GET", {"tags": NUL}),
        ("annotations:tag_search_hx", "GET", {"q": NUL}),
        ("annotations:document_detail", "GET", {"tag": NUL}),
        ("annotations:curation_queue", "GET", {"author": NUL}),
        ("login", "POST", {"username": NUL}),
    ],
    ids=lambda v: (
        v if isinstance(v, str) else "-".join(v) if isinstance(v, dict) else None
    ),
)
def test_a_nul_character_anywhere_is_refused_with_400(
    db, world, baseline, key, method, values
):
    spec = ROUTES[key]
    pk = _pk_choices(world, spec.pk, "owner")[0] if spec.pk else None
    valid = _valid(spec.post if method == "POST" else spec.get, world, "owner")[0]
    params = {**valid, **{name: [value] for name, value in values.items()}}
    query, body = (None, params) if method == "POST" else (params, None)
    statuses, problems = _send(world, baseline, key, method, query, body, pk=pk)
    assert not problems, "\n".join(problems)
    assert statuses == [400, 400]
    _unchanged(baseline)


def test_a_nul_character_in_a_parameter_name_is_refused_with_400(db, world, baseline):
    statuses, problems = _send(
        world, baseline, "corpus:project_detail", "GET", {"q\x00": ["x"]}
    )
    assert not problems
    assert statuses == [400, 400]


@pytest.mark.parametrize("pk", ["9" * 20, "9" * 5000, "²"])
@pytest.mark.parametrize(
    "key",
    [
        "annotations:document_detail",
        "annotations:annotation_detail",
        "annotations:reply_edit",
        "annotations:tag_edit",
        "annotations:link_delete",
        "annotations:project_restore",
    ],
)
def test_a_path_id_the_converter_refuses_answers_404(db, world, baseline, key, pk):
    method = "POST" if ROUTES[key].methods == POST else "GET"
    statuses, problems = _send(world, baseline, key, method, pk=pk)
    assert not problems
    assert statuses == [404, 404]


# -- What the tests above found (issue 8) -------------------------------------------


@pytest.mark.parametrize(
    "url", ["http://[", "http://[::1", "https://]x", "http://[zz]/"]
)
def test_link_to_a_source_address_urlsplit_refuses_is_a_400(db, world, baseline, url):
    """services.check_source_url() calls urlsplit(), which raises ValueError
    ("Invalid IPv6 URL") for these: the view catches only ValidationError."""
    body = {**_valid(_link, world, "owner")[2], "target_url": [url]}
    pk = world.annotations[0].pk
    statuses, problems = _send(
        world, baseline, "annotations:link_create", "POST", body=body, pk=pk
    )
    assert not problems, "\n".join(problems)
    assert statuses == [400, 400]
    _unchanged(baseline)


# A URL longer than Django redirects to (MAX_URL_REDIRECT_LENGTH, 16,384).
LONG_QUERY = {"tag": ["x" * 17_000]}


@pytest.mark.parametrize(
    ("key", "body"),
    [
        ("annotations:curation_decide", _decide),
        ("annotations:tag_manage", lambda w, who: _tag_manage(w, who)[0]),
    ],
    ids=["curation_decide", "tag_manage-merge"],
)
def test_a_change_saved_is_never_answered_with_an_error(db, world, baseline, key, body):
    """Both views save, then redirect to their own URL with the query string;
    past 16,384 characters Django refuses the redirect (DisallowedRedirect, 400)
    after the change was saved."""
    params = _valid(body, world, "owner")[0]
    request = Request(key, "owner", "POST", _path(key, world), LONG_QUERY, params)
    _outcome, problems = _problems(request, world, baseline)
    assert not problems, "\n".join(problems)


def test_a_tag_name_postgresql_lowers_like_an_existing_one_is_that_tag(
    db, world, baseline
):
    """ "ΑΣ" lowers to "ας" in Python and to "ασ" in PostgreSQL: the look-up
    (Python's lower()) misses the tag "ασ", the insert then breaks the unique
    index on Lower(name), and get_or_create_tag re-raises the IntegrityError."""
    body = {**_selection(world), "tags": ["ΑΣ"], "visibility": ["project"]}
    pk = world.documents[0].pk
    statuses, problems = _send(
        world, baseline, "annotations:annotation_create", "POST", body=body, pk=pk
    )
    assert not problems, "\n".join(problems)
    assert statuses == [302, 200]


def test_a_username_longer_than_the_throttle_records_is_refused_plainly(
    db, world, baseline
):
    """axes records each failed sign-in with its username in a 255-character
    column: PostgreSQL refuses a longer one (DataError), SQLite stores it."""
    body = {"username": ["x" * 300], "password": ["wrong"]}
    statuses, problems = _send(world, baseline, "login", "POST", body=body)
    assert not problems, "\n".join(problems)
    assert statuses == [200, 200]


@pytest.mark.parametrize("who", ["owner", "annotator"])
def test_a_valid_annotation_edit_is_saved(db, world, baseline, who):
    """update_annotation() locks the row with select_related("updated_by"), a
    nullable foreign key: PostgreSQL refuses FOR UPDATE on an outer join."""
    body = _versioned(_note(world, who))
    request = Request(
        "annotations:annotation_edit",
        who,
        "POST",
        _path("annotations:annotation_edit", world, world.annotations[0].pk),
        {},
        body,
    )
    outcome, problems = _problems(request, world, baseline)
    assert not problems, "\n".join(problems)
    assert outcome.status == 302
