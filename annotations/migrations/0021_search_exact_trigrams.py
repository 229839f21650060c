from django.db import migrations

# The search's exact mode (characters as typed, punctuation too) through a
# trigram index, as the words' mode goes through the engines' full-text ones.
# Without one, each of its queries read every entry's text: 0.9 s on
# PostgreSQL, 0.3 s on SQLite for a string in one entry of the bench's
# project (216,000 entries, 78 MB of text).
#
# SQLite: an FTS5 table of the entries' text with the trigram tokenizer (SQLite
# 3.34 and later), kept in step by triggers like the words' table (0017, 0020).
# It finds the entries holding every three characters of the string, in any
# case; the search then keeps those whose text holds the string itself
# (annotations.search._found). detail='none': the positions of the trigrams
# are not stored, only which entries hold them (a third less to write).
#
# PostgreSQL: a GIN index of pg_trgm (enabled by 0005) on UPPER(text), the
# expression Django's icontains compares, which the planner then uses
# itself. Built CONCURRENTLY, as 0018's index is, so that building it holds
# no write: hence atomic = False.
SQLITE = [
    "CREATE VIRTUAL TABLE annotations_search_trigrams USING fts5(text, "
    "content='annotations_searchentry', content_rowid='id', "
    "tokenize='trigram', detail='none')",
    "CREATE TRIGGER annotations_search_trigrams_ai AFTER INSERT "
    "ON annotations_searchentry BEGIN INSERT INTO annotations_search_trigrams"
    "(rowid, text) VALUES (new.id, new.text); END",
    "CREATE TRIGGER annotations_search_trigrams_ad AFTER DELETE "
    "ON annotations_searchentry BEGIN INSERT INTO annotations_search_trigrams"
    "(annotations_search_trigrams, rowid, text) VALUES ('delete', old.id, old.text); "
    "END",
    "CREATE TRIGGER annotations_search_trigrams_au AFTER UPDATE OF text "
    "ON annotations_searchentry BEGIN INSERT INTO annotations_search_trigrams"
    "(annotations_search_trigrams, rowid, text) VALUES ('delete', old.id, old.text); "
    "INSERT INTO annotations_search_trigrams(rowid, text) VALUES (new.id, new.text); "
    "END",
    # The entries already made.
    "INSERT INTO annotations_search_trigrams(annotations_search_trigrams) "
    "VALUES ('rebuild')",
]
SQLITE_UNDO = [
    "DROP TRIGGER IF EXISTS annotations_search_trigrams_au",
    "DROP TRIGGER IF EXISTS annotations_search_trigrams_ad",
    "DROP TRIGGER IF EXISTS annotations_search_trigrams_ai",
    "DROP TABLE IF EXISTS annotations_search_trigrams",
]
POSTGRESQL = [
    "CREATE INDEX CONCURRENTLY IF NOT EXISTS annotations_search_text_trgm "
    "ON annotations_searchentry USING gin (UPPER(text) gin_trgm_ops)",
]
POSTGRESQL_UNDO = [
    "DROP INDEX CONCURRENTLY IF EXISTS annotations_search_text_trgm",
]


def _run(statements_by_vendor):
    def run(apps, schema_editor):
        for statement in statements_by_vendor.get(schema_editor.connection.vendor, []):
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ("annotations", "0020_search_seen_as"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}),
            _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRESQL_UNDO}),
        ),
    ]
