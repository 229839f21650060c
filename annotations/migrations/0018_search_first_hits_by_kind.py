from django.db import migrations

# PostgreSQL only: the entries of a kind in their ids' order, so that the
# search page's first notes (or replies) of a common word are read in that
# order until there are enough, instead of all of them first (150 ms -> 7 ms
# for "the" on the bench's project). SQLite's index on (project, kind) ends
# with the rowid already, and reads them so.
#
# Built CONCURRENTLY: a project's index has a row for each block of text, note
# and reply (216,000 on the bench's project), and a plain CREATE INDEX would
# hold writes to the table, so every note made or edited, while it is built.
# Hence a migration outside a transaction (atomic = False), and raw SQL rather
# than AddIndexConcurrently: the index is PostgreSQL's alone (not in the
# model's Meta, which SQLite would be asked to build too). IF NOT EXISTS: a
# build interrupted leaves an invalid index of that name, which the undo drops.
POSTGRESQL = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotations_search_kind_id "
    "ON annotations_searchentry (project_id, kind, id)",
]
POSTGRESQL_UNDO = ["DROP INDEX CONCURRENTLY IF EXISTS annotations_search_kind_id"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("annotations", "0017_search_index"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_UNDO)),
    ]
