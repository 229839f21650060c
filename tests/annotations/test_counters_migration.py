"""Migrating keeps every document's counters of changes: annotations 0011 moves
them out of the document's row into DocumentCounters, and back when reversed,
so that no reader's page believes it is up to date when it is not."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("annotations", "0010_shown_count_index"), ("corpus", "0006_invitation")]
AFTER = [
    ("annotations", "0011_document_counters"),
    ("corpus", "0007_document_counters"),
]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_counters_move_to_their_own_row_and_back():
    try:
        apps = _migrate(BEFORE)
        User = apps.get_model("auth", "User")
        Project = apps.get_model("corpus", "Project")
        Document = apps.get_model("corpus", "Document")
        owner = User.objects.create(username="migrating")
        project = Project.objects.create(name="P", slug="p-migrating", created_by=owner)
        counted = Document.objects.create(
            project=project,
            title="Counted",
            text="x",
            content_hash="a",
            annotation_revision=12,
            shared_revision=9,
            public_revision=4,
        )
        untouched = Document.objects.create(
            project=project, title="Untouched", text="y", content_hash="b"
        )

        apps = _migrate(AFTER)
        counters = apps.get_model("annotations", "DocumentCounters")
        assert set(
            counters.objects.values_list("document_id", "every", "shared", "public")
        ) == {
            (counted.pk, 12, 9, 4),
            (untouched.pk, 0, 0, 0),
        }

        apps = _migrate(BEFORE)
        Document = apps.get_model("corpus", "Document")
        assert Document.objects.get(pk=counted.pk).shared_revision == 9
        assert Document.objects.get(pk=counted.pk).annotation_revision == 12
    finally:
        _migrate(_latest())


def _latest():
    executor = MigrationExecutor(connection)
    return executor.loader.graph.leaf_nodes()
