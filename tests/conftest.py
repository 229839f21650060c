"""Shared fixtures: fast hashing, plain static files, users in every role."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from corpus import bodycache
from corpus.roles import Role
from tests.factories import make_document, make_project, make_user

SEEDS_DIR = Path(
    os.environ.get(
        "APPARATUS_SEEDS", Path(__file__).resolve().parents[2] / "shared" / "seeds"
    )
)


@pytest.fixture(autouse=True)
def _fresh_caches():
    """Rows are rolled back between tests; the worker's caches must be too."""
    bodycache.clear()
    yield
    bodycache.clear()


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
