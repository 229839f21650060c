"""Tools for sending malformed input to every view (tests/test_malformed_input.py).

- `url_routes()`: every URL pattern of the site, walked from the resolver, so a
  view added later cannot be left out of the tests unnoticed;
- `build_world()`: a project with one object of every kind the URLs name, its
  members in every role, and another project and a project in the trash whose
  ids serve as wrong values;
- `Snapshot`: every row of every table of the apps (and the users), to tell
  that a refused request wrote nothing, not even half of its change;
- value strategies (hypothesis) for malformed numbers, ids, dates, text, lists;
- `send()`: one request, rolled back afterwards, with what went wrong if anything.
"""

from __future__ import annotations

import hashlib
import re
import traceback
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import quote, urlencode

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError, connection, transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from hypothesis import strategies as st

from annotations import services
from annotations import services as notes
from annotations.models import RelationType
from corpus import bodycache
from corpus import services as corpus_services
from corpus.models import Membership
from corpus.params import MAX_ID
from corpus.roles import Role
from tests.conftest import ROLES
from tests.factories import (
    make_annotation,
    make_document,
    make_project,
    make_user,
    revise_block,
)

WHO = [*ROLES, "outsider", "anonymous"]
# An id that matches the <id:pk> converter (18 digits) and exists nowhere.
ABSENT_ID = "9" * 18

# -- The site's URL patterns ----------------------------------------------------

_PARAM = re.compile(r"<(?:(?P<converter>[^>:]+):)?(?P<name>[^>]+)>")


@dataclass(frozen=True)
class UrlRoute:
    """One URL pattern: `key` is its qualified name ("corpus:project_detail"),
    or its route for a pattern without a name ("healthz")."""

    key: str
    route: str
    namespace: str

    @property
    def kwargs(self) -> tuple[str, ...]:
        return tuple(m["name"] for m in _PARAM.finditer(self.route))

    def path(self, **values: str) -> str:
        """The URL with `values` put in as they are (percent-encoded): not
        through reverse(), so that values the converter refuses can be sent."""
        return "/" + _PARAM.sub(
            lambda m: quote(str(values[m["name"]]), safe=""), self.route
        )


def url_routes() -> list[UrlRoute]:
    """Every URL pattern reachable from the root URLconf, included ones too."""
    found: list[UrlRoute] = []

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                inner = pattern.namespace
                joined = ":".join(part for part in (namespace, inner) if part)
                walk(pattern.url_patterns, route, joined)
            elif isinstance(pattern, URLPattern):
                name = pattern.name
                key = (
                    ":".join(p for p in (namespace, name) if p) if name else "/" + route
                )
                found.append(UrlRoute(key=key, route=route, namespace=namespace))

    walk(get_resolver().url_patterns, "", "")
    return found


# -- The objects the URLs name ----------------------------------------------------

TEXT = [
    "First paragraph: the canopy over Riverside Street, 2015.",
    "Second paragraph with an astral character 𝔸 and an emoji 🌳 in it.",
    "Third paragraph, plain again.",
]


@dataclass
class World:
    """A project ("fuzz") with one object of each kind, and wrong ids."""

    project: object
    users: dict[str, object]  # by role, "outsider", "other_owner", "victim"
    documents: list  # live documents of the project
    trashed_document: object
    annotations: list
    reply: object
    tags: dict[str, object]  # by name
    relations: list
    link: object
    memberships: dict[str, object]  # by role, and "victim" (a second viewer)
    pendings: dict[str, object]  # each member's own upload, by role
    trashed_project: object  # in the trash, owned by the project's owner
    other: dict[str, object]  # one object of each kind of another project
    orphan: object = None  # an annotation a text revision lost
    sessions: dict[str, str] = field(default_factory=dict)  # who -> session key

    def ids(self) -> list[str]:
        """Ids of this project's objects, of every kind."""
        rows = [
            self.project,
            *self.documents,
            self.trashed_document,
            *self.annotations,
            self.reply,
            *self.tags.values(),
            *self.relations,
            self.link,
            *self.memberships.values(),
            *self.pendings.values(),
            self.trashed_project,
        ]
        return sorted({str(row.pk) for row in rows}, key=int)

    def other_ids(self) -> list[str]:
        """Ids of objects of another project (some the owner may see there)."""
        return [str(row.pk) for row in self.other.values()]


def build_world() -> World:
    """Make the project, its members and objects, and the other projects."""
    project = make_project(name="Fuzz", slug="fuzz")
    users = {
        role: make_user(f"fuzz-{role}", project=project, role=role) for role in ROLES
    }
    users["outsider"] = make_user("fuzz-outsider")
    users["victim"] = make_user("fuzz-victim", project=project, role=Role.VIEWER)
    memberships = {
        m.user.username.removeprefix("fuzz-"): m
        for m in project.memberships.select_related("user")
    }
    owner, annotator = users["owner"], users["annotator"]
    documents = [
        make_document(project=project, paragraphs=TEXT),
        make_document(project=project),
    ]
    trashed_document = make_document(project=project)
    relations = list(RelationType.objects.offered_in(project))
    relations.append(
        services.create_relation_type(project=project, name="Custom relation")
    )
    # Tag names whose lower case differs between Python and databases ("ΑΣ"
    # lowers to "ας" in Python, "ασ" in PostgreSQL; "İ" to "i̇" or "i").
    annotations = [
        make_annotation(
            documents[0], annotator, "First paragraph", body="A note", tags=["alpha"]
        ),
        make_annotation(documents[1], owner, "second paragraph", tags=["ασ", "i"]),
        make_annotation(
            documents[0], annotator, "astral character 𝔸", visibility="private"
        ),
        make_annotation(documents[0], users["curator"], "plain again", tags=["beta"]),
    ]
    make_annotation(trashed_document, annotator, "second paragraph")
    # The second document's text was corrected once (revision 1): the
    # Revisions screen's URLs name its revisions.
    _revise(documents[1], users["curator"])
    notes.trash_document(document=trashed_document, by=owner)
    reply = notes.create_reply(
        annotation=annotations[0], author=annotator, body="A reply"
    )
    link = services.create_link(
        source=annotations[0],
        author=annotator,
        relation=relations[0],
        target_annotation=annotations[1],
    )
    tags = {tag.name: tag for tag in project.tags.all()}
    notes.set_tag_parent(tag=tags["beta"], parent=tags["alpha"])
    notes.retire_tag(tag=notes.get_or_create_tag(project=project, name="old tag"))
    tags = {tag.name: tag for tag in project.tags.order_by("pk")}
    pendings = {
        role: corpus_services.stage_upload(
            project=project,
            user=users[role],
            filename=f"{role}.txt",
            data=f"An upload by the {role}.\n\nIts second paragraph.".encode(),
            budget=corpus_services.InlineBudget(),
        )
        for role in ROLES
    }
    # As a revision of the text leaves it (annotations.services.text).
    orphan = make_annotation(documents[1], annotator, "A second paragraph")
    type(orphan).objects.filter(pk=orphan.pk).update(anchoring="orphan")
    trashed_project = corpus_services.create_project(name="Old fuzz", owner=owner)
    notes.trash_project(project=trashed_project, by=owner)
    return World(
        project=project,
        users=users,
        documents=documents,
        trashed_document=trashed_document,
        annotations=annotations,
        reply=reply,
        tags=tags,
        relations=relations,
        link=link,
        memberships=memberships,
        pendings=pendings,
        trashed_project=trashed_project,
        other=_other_project(owner),
        orphan=orphan,
    )


def _revise(document, editor) -> None:
    first = document.text[document.blocks[0]["start"] : document.blocks[0]["end"]]
    revise_block(document, editor, 0, first.replace(".", ", corrected."))


def _other_project(owner) -> dict[str, object]:
    """Another project, where the fuzz project's owner is an annotator: its ids
    are ones that user may see, but never through the fuzz project's URLs."""
    other = make_project(name="Other", slug="other-fuzz")
    other_owner = make_user("fuzz-other-owner", project=other, role=Role.OWNER)
    Membership.objects.create(project=other, user=owner, role=Role.ANNOTATOR)
    document = make_document(project=other)
    relation = list(RelationType.objects.offered_in(other))[0]
    annotation = make_annotation(
        document, other_owner, "second paragraph", tags=["other tag"]
    )
    mine = make_annotation(document, owner, "A second")
    return {
        "project": other,
        "document": document,
        "annotation": annotation,
        "owners_annotation": mine,
        "reply": notes.create_reply(annotation=annotation, author=owner, body="Hi"),
        "tag": other.tags.get(),
        "relation": relation,
        "link": services.create_link(
            source=mine, author=owner, relation=relation, target_annotation=annotation
        ),
        "membership": Membership.objects.get(project=other, user=owner),
        "pending": corpus_services.stage_upload(
            project=other,
            user=owner,
            filename="other.txt",
            data=b"An upload to the other project.",
            budget=corpus_services.InlineBudget(),
        ),
    }


def sign_in(world: World) -> None:
    """Open a session for each user once; requests reuse its cookie."""
    for who, user in world.users.items():
        client = Client()
        client.force_login(user)
        world.sessions[who] = client.cookies[settings.SESSION_COOKIE_NAME].value


# -- What the database holds ------------------------------------------------------


# The apps' tables, the users, and the background tasks (a refused import must
# not leave a task queued either).
TRACKED_APPS = ("corpus", "annotations", "django_tasks_database")


def _tracked_models():
    models = [get_user_model()]
    for label in TRACKED_APPS:
        models += apps.get_app_config(label).get_models(include_auto_created=True)
    return models


def _plain(value):
    return bytes(value) if isinstance(value, memoryview) else value


def _select_all() -> list[tuple[str, str]]:
    """(table, SELECT of all its columns, pk first) for each tracked table."""
    quote = connection.ops.quote_name
    queries = []
    for model in _tracked_models():
        meta = model._meta
        columns = [meta.pk.column] + [
            f.column for f in meta.concrete_fields if f.column != meta.pk.column
        ]
        select = ", ".join(map(quote, columns))
        # Names from the models' own metadata, quoted: nothing from a request.
        query = f"SELECT {select} FROM {quote(meta.db_table)}"  # noqa: S608
        queries.append((meta.db_table, query))
    return queries


@dataclass(frozen=True)
class Snapshot:
    """Every row (every column) of the tracked tables, by table and pk.

    Comparing two snapshots catches any write: rows added or deleted, a
    `version` or revision bumped, a soft-delete (`deleted_at`, `trashed_at`,
    `archived_at` set), or any other column changed.
    """

    tables: dict[str, dict]

    @classmethod
    def take(cls) -> Snapshot:
        tables = {}
        with connection.cursor() as cursor:
            for table, query in _select_all():
                cursor.execute(query)
                tables[table] = {
                    row[0]: hashlib.blake2b(
                        repr(tuple(map(_plain, row))).encode(), digest_size=12
                    ).digest()
                    for row in cursor.fetchall()
                }
        return cls(tables)

    def changes(self, after: Snapshot) -> list[str]:
        """What differs, table by table ("corpus_document: 1 changed")."""
        found = []
        for table, before_rows in self.tables.items():
            after_rows = after.tables[table]
            added = after_rows.keys() - before_rows.keys()
            gone = before_rows.keys() - after_rows.keys()
            changed = [
                pk
                for pk in before_rows.keys() & after_rows.keys()
                if before_rows[pk] != after_rows[pk]
            ]
            parts = [
                f"{len(rows)} {what} {sorted(rows)[:5]}"
                for rows, what in (
                    (added, "added"),
                    (gone, "deleted"),
                    (changed, "changed"),
                )
                if rows
            ]
            if parts:
                found.append(f"{table}: {', '.join(parts)}")
        return found


# -- Malformed values -------------------------------------------------------------

# Numbers str.isdigit() accepts and int() refuses or reads differently ("²",
# "٣"), numbers past every integer column (PostgreSQL's bigint included) and
# past int()'s 4,300-digit limit, and other things that are not numbers.
NUMBERS = [
    "²", "³", "٣", "१", "𝟏", "Ⅻ", "١٢", "1e3", "-1", "0", "00", "-0", "1.5",
    "1,5", "+1", " 1 ", "0x10", "1_000", "NaN", "inf", "-inf", "None", "null",
    "true", "[]", "{}", "9" * 18, "9" * 19, "9" * 20, "9" * 25, "9" * 5000,
    "-" + "9" * 25, str(MAX_ID), str(MAX_ID + 1), str(2**31), str(2**31 - 1),
    str(2**32), str(2**64), "9999999999999999999999999", "1 2", "1,2", "1;2",
]  # fmt: skip

# Dates that do not exist, or that the database cannot store.
DATES = [
    "31/31/2015", "2015-02-30", "2015-13-01", "2015-00-10", "0000-00-00",
    "0001-01-01", "9999-12-31", "10000-01-01", "-2015-01-01", "12/31/99",
    "2015-1-1", "20150101", "2015-02-28T25:00", "1e3",
]  # fmt: skip

# Addresses urlsplit() refuses (ValueError), unsafe schemes, odd shapes.
URLS = [
    "http://[", "http://[::1", "https://]x", "http://[zz]/", "http://a b",
    "http://" + "a" * 300 + ".org", "http://x:99999/", "http://x:port/",
    "javascript:alert(1)", "data:text/html,x", "//evil.example", "http://",
    "https://evil.example/", "ftp://example.org", "http://例え.テスト/",
    "http://x.org/" + "a" * 3000,
]  # fmt: skip

# Text that databases and Python fold, trim or store differently, and Markdown
# that nests deeply.
TEXTS = [
    "", " ", "\t\n ", "\r\n" * 10, "%", "_", "\\", "%00", "'", '"', "' OR 1=1 --",
    "<script>alert(1)</script>", "\u202e", "\ufeff", "\u200b", "\x1c\x1d\x1e",
    "\x7f\x80\x9f", "İ", "ΑΣ", "ασ", "ß", "ẞ", "ﬀ", "K", "Ⅻ", "ǅ", "i̇",
    "> " * 2000, "[" * 3000, "*" * 3000, "- " * 1000, "  " * 1000 + "- x",
    "#" * 100, "a, b, " * 100, ",,,,", ", ,", "1 approved", "² approved",
    "1 nonsense", "1:ready", "²:ready", ":", "#zzzzzz", "#ABCDEF0", "#abc",
    "owner", "curator", "annotator", "viewer", "approved", "rejected", "merge",
    "retire", "restore", "private", "project", "-date", "html", "markdown",
]  # fmt: skip

MALFORMED = NUMBERS + DATES + URLS + TEXTS

NUL_VALUES = ["\x00", "a\x00b", "alpha,\x00", "\x00" * 10]

# Text without NUL (a NUL is refused before any view: a few examples carry one
# on purpose, the rest reach the views) and without lone surrogates (which HTTP
# cannot carry).
_chars = st.characters(exclude_categories=("Cs",), exclude_characters="\x00")
short_text = st.text(_chars, max_size=40)


@st.composite
def long_text(draw) -> str:
    """10,000 to 30,000 characters, repeating a short random piece."""
    piece = draw(st.text(_chars, min_size=1, max_size=8))
    size = draw(st.integers(10_000, 30_000))
    return (piece * (size // len(piece) + 1))[:size]


# Which malformations fit a parameter best, by name (the others still come).
# The reading page's state that a write sends (polling.ReaderView): a query
# string of filters, page and token, whole or broken.
READER_STATES = [
    "since=1.0",
    "since=99999999999999999999.1&page=2",
    "since=.&page=-1&tag=%00",
    "tag=x&tag=y&status=nonsense&approved=on&since=3.x",
    "page=999999999999&since=0.0&mine=on&author=%FF",
    "%%%&&==",
    "since=" + "9" * 500,
]
KINDS = {
    "numbers": NUMBERS,
    "dates": DATES,
    "urls": URLS,
    "readers": READER_STATES,
}
NAME_KINDS = {
    "dates": {"since", "until", "published_date", "accessed"},
    "urls": {"source_url", "target_url", "next"},
    "readers": {"reader"},
}


def _kind(name: str) -> list[str]:
    for kind, names in NAME_KINDS.items():
        if name.removeprefix("initial-") in names:
            return KINDS[kind]
    return NUMBERS


def value(world: World, name: str = "") -> st.SearchStrategy[str]:
    """One malformed (or merely wrong) value, for parameter `name`."""
    fitting = st.sampled_from(_kind(name))
    return st.one_of(
        fitting,
        fitting,
        st.sampled_from(MALFORMED),
        st.sampled_from(TEXTS),
        short_text,
        st.sampled_from(world.ids() + world.other_ids()),
        st.integers(-(2**70), 2**70).map(str),
        long_text(),
        st.sampled_from(NUL_VALUES),
    )


# -- One request --------------------------------------------------------------------


@dataclass
class Outcome:
    status: int
    error: str  # the exception a view raised ("" if none)
    writes: list[str]  # tables changed by the request


def send(
    world: World,
    who: str,
    path: str,
    *,
    method: str,
    query: dict[str, list[str]] | str,
    body: dict[str, list[str]] | bytes | None = None,
    files: list[tuple[str, bytes]] = (),
    upload_field: str = "files",
    htmx: bool = False,
    urlencoded: bool = True,
    headers: dict[str, str] | None = None,
    content_type: str = "application/x-www-form-urlencoded",
    baseline: Snapshot,
) -> Outcome:
    """Send one request as `who`, then roll back whatever it wrote.

    `query` is a dict, or a query string sent as it is; `body` a dict, or bytes
    sent as they are with `content_type`. With the test client's own exception
    handling off, a view's exception comes back as a 500 carrying it.
    """
    client = Client(raise_request_exception=False)
    client.cookies = SimpleCookie()
    if who in world.sessions:
        client.cookies[settings.SESSION_COOKIE_NAME] = world.sessions[who]
    headers = {**({"HX-Request": "true"} if htmx else {}), **(headers or {})}
    if isinstance(query, dict):
        query = urlencode(query, doseq=True)
    url = f"{path}?{query}" if query else path
    writes: list[str] = []
    error = ""
    with transaction.atomic():
        if method == "GET":
            response = client.get(url, headers=headers)
        elif isinstance(body, bytes):
            # generic() sends the bytes as they are (post() would re-encode them).
            response = client.generic(
                "POST", url, body, content_type=content_type, headers=headers
            )
        elif urlencoded and not files:
            response = client.post(
                url,
                urlencode(body or {}, doseq=True),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        else:
            data = {name: list(values) for name, values in (body or {}).items()}
            uploads = [
                SimpleUploadedFile(name, content, content_type="text/plain")
                for name, content in files
            ]
            if uploads:
                data.setdefault(upload_field, []).extend(uploads)
            response = client.post(url, data, headers=headers)
        if response.exc_info:
            error = _one_line(response.exc_info)
        elif response.status_code < 500:
            try:
                writes = baseline.changes(Snapshot.take())
            except DatabaseError as failure:
                error = f"the database was left unusable: {failure!r}"
        transaction.set_rollback(True)
    bodycache.clear()
    return Outcome(response.status_code, error, writes)


_ROOT = Path(__file__).resolve().parents[1]


def _one_line(exc_info) -> str:
    """The exception on one line, with the app's last frame and the raising one."""
    kind, exception, tb = exc_info
    text = " ".join("".join(traceback.format_exception_only(kind, exception)).split())
    frames = traceback.extract_tb(tb)
    ours = [
        f
        for f in frames
        if f.filename.startswith(str(_ROOT)) and "/.venv/" not in f.filename
    ]
    where = []
    if ours:
        where.append(f"{Path(ours[-1].filename).relative_to(_ROOT)}:{ours[-1].lineno}")
    if frames and (not ours or frames[-1] is not ours[-1]):
        last = frames[-1]
        where.append(f"raised in {Path(last.filename).name}:{last.lineno}")
    return f"{text} (at {', '.join(where)})"


def database() -> str:
    return connection.vendor
