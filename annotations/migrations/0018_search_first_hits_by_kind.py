from django.db import migrations

# PostgreSQL only: the entries of a kind in their ids' order, so that the
# search page's first notes (or replies) of a common word are read in that
# order until there are enough, instead of all of them first (150 ms -> 7 ms
# for "the" on the bench's project). SQLite's index on (project, kind) ends
# with the rowid already, and reads them so.
POSTGRESQL = [
    "CREATE INDEX annotations_search_kind_id ON annotations_searchentry "
    "(project_id, kind, id)",
]
POSTGRESQL_UNDO = ["DROP INDEX IF EXISTS annotations_search_kind_id"]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            for statement in statements:
                schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0017_search_index"),
    ]

    operations = [
        migrations.RunPython(_run(POSTGRESQL), _run(POSTGRESQL_UNDO)),
    ]
