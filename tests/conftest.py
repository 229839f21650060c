"""Shared fixtures and names: fast hashing, plain static files, users in every
role, the htmx request header, the role sets (from corpus.roles), and the
hypothesis profiles."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck
from hypothesis import settings as hypothesis_settings

from annotations import curation, export, margin, search
from corpus import bodycache
from corpus.models import Document
from corpus.roles import Action, Role, can
from tests import ready
from tests.factories import make_document, make_project, make_user

# What htmx sends with each of its requests.
HX = {"HX-Request": "true"}

# The project roles, in corpus.roles' order; the admin tests also sign in as a
# non-member ("outsider") and a superuser.
ROLES = [role.value for role in Role]
STAFF_ROLES = [*ROLES, "outsider", "superuser"]


def roles_that(action: Action, *, superuser: bool = False) -> set[str]:
    """The roles corpus.roles allows `action` (with "superuser", who may do
    anything in the admin, when asked)."""
    allowed = {role.value for role in Role if can(role, action)}
    return allowed | {"superuser"} if superuser else allowed


CAN_ANNOTATE = roles_that(Action.ANNOTATE)
CAN_MODERATE = roles_that(Action.MODERATE)


def expected_status(who: str, allowed: set[str], ok: int) -> int:
    """What a view answers `who`: 404 to a non-member (the project is not
    theirs to know of), `ok` to the roles `allowed`, 403 to the others."""
    if who == "outsider":
        return 404
    return ok if who in allowed else 403


def document_bodies_read(queries) -> list[str]:
    """The statements among `queries` (CaptureQueriesContext) that read a
    document's text, blocks, links or original: megabytes a row, which a
    page that shows a document's title has no use for."""
    heavy = [f'"corpus_document"."{name}"' for name in Document.HEAVY_FIELDS]
    return [
        query["sql"]
        for query in queries
        if any(column in query["sql"].split(" FROM ")[0] for column in heavy)
    ]


# Hypothesis: "ci", the default (make test and CI), holds on a loaded two-core
# machine, where a generated example may take seconds: no deadline, and no
# health check that fails a test for being slow. "dev" keeps hypothesis's own
# defaults, to notice slow examples while working on them. Chosen with
# APPARATUS_HYPOTHESIS_PROFILE.
hypothesis_settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
hypothesis_settings.register_profile("dev")
hypothesis_settings.load_profile(os.environ.get("APPARATUS_HYPOTHESIS_PROFILE", "ci"))

SEEDS_DIR = Path(
    os.environ.get(
        "APPARATUS_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"
    )
)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory) -> Path:
    """A SQLite database with every migration applied, made once a worker,
    for processes to copy (tests/ready.py)."""
    return ready.migrate_sqlite(tmp_path_factory.mktemp("migrated-sqlite"))


@pytest.fixture(scope="session")
def migrated_postgres() -> Iterator[str]:
    """A database of the PostgreSQL pass's server with every migration
    applied, made once a worker, for processes to copy: its name."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        pytest.fail("migrated_postgres needs DATABASE_URL set to a PostgreSQL server.")
    name = ready.migrate_postgres(url)
    yield name
    ready.drop_postgres(url, name)


@pytest.fixture(scope="session")
def collected_static(tmp_path_factory) -> Path:
    """The static files collected as production serves them, once a worker."""
    return ready.collect_static(tmp_path_factory.mktemp("collected") / "static")


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rows are rolled back between tests; the worker's caches must be too."""
    bodycache.clear()
    margin.clear()
    curation.clear()
    export.clear()
    search.clear()
    yield
    bodycache.clear()
    margin.clear()
    curation.clear()
    export.clear()
    search.clear()


@pytest.fixture(autouse=True)
def _test_settings(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {
            "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        },
    }


@pytest.fixture
def seeds_dir() -> Path:
    if not SEEDS_DIR.is_dir():
        pytest.fail(f"Seed texts not found at {SEEDS_DIR} (set APPARATUS_SEEDS).")
    return SEEDS_DIR


@pytest.fixture
def project(db):
    return make_project()


@pytest.fixture
def document(project):
    return make_document(project=project)


@pytest.fixture
def members(project) -> dict[str, object]:
    """One user per role in `project`, plus a non-member, keyed by role name."""
    users = {
        role.value: make_user(f"{role.value}-user", project=project, role=role)
        for role in Role
    }
    users["outsider"] = make_user("outsider")
    return users


@pytest.fixture
def owner(members):
    return members["owner"]
