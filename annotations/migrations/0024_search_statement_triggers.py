import importlib

from django.db import migrations

# PostgreSQL: the tally's triggers (0022) and the entries' copies of who may
# see a note or reply (0020) fire once a statement, not once a row, reading
# the rows a statement changed from its transition tables. Fired once a row,
# a statement that changes many rows (a project or document deleted, a
# document's notes moved to the trash) added to the same tally rows once for
# each, and PostgreSQL keeps every version of a row a transaction updates:
# each update read all the versions before it, so such a statement took time
# in the square of its rows (a project of 4,000 notes deleted in 20 s, of
# 100,000 in hours). Now each statement adds to each tally row once. The
# documents' copy (0020) stays a row's: documents change one at a time, and
# their rows are long. SQLite keeps its triggers: it has no versions.
# What is tallied, and who may see an entry, as 0020 and 0022 say them.
SEEN = importlib.import_module("annotations.migrations.0020_search_seen_as")
TALLIES = importlib.import_module("annotations.migrations.0022_search_tallies")
TALLIED, KEY, OWNERS = TALLIES.TALLIED, TALLIES.KEY, TALLIES.OWNERS
ENTRY_COLUMNS, NOTE_COLUMNS = TALLIES.ENTRY_COLUMNS, SEEN.NOTE_COLUMNS
_access = TALLIES._access


def _changed(old: str, new: str, columns) -> str:
    return " OR ".join(
        f"{old}.{name} IS DISTINCT FROM {new}.{name}" for name in columns
    )


def _counted(r: str, sources: str, where: str, sign: int) -> list[str]:
    """The rows each entry `r` of `sources` (where `where`) counts towards,
    of each part, with `sign`: as 0022's triggers count them."""
    access = _access(r)
    owner = (
        f"(CASE WHEN o.agg = 1 OR {access} = 0 THEN 0 "
        f"ELSE COALESCE({r}.author_id, -1) END)"
    )
    live = (
        f"w.project_id = {r}.project_id "
        f"AND strpos(' ' || {r}.words || ' ', ' ' || w.word || ' ') > 0 "
        f"AND {r}.kind IN {TALLIED} AND {r}.deleted_at IS NULL "
        f"AND NOT {r}.in_trash AND {r}.anchoring = 'anchored' "
        f"AND (o.agg = 0 OR {access} = 1) AND ({where})"
    )
    from_ = f"FROM {sources}, annotations_searchword w, {OWNERS}"
    return [
        f"SELECT w.id, {access}, {owner}, 0, {r}.kind, COALESCE({r}.document_id, 0), "
        f"0, '', 0, {sign} {from_} WHERE {live}",
        f"SELECT w.id, {access}, {owner}, 1, 'note', 0, COALESCE({r}.author_id, 0), "
        f"{r}.status, 0, {sign} {from_} WHERE {live} AND {r}.kind = 'note'",
    ]


def _tagged(r: str, sources: str, tag: str, where: str, sign: int) -> str:
    access = _access(r)
    owner = (
        f"(CASE WHEN o.agg = 1 OR {access} = 0 THEN 0 "
        f"ELSE COALESCE({r}.author_id, -1) END)"
    )
    return (
        f"SELECT w.id, {access}, {owner}, 2, '', 0, 0, '', {tag}, {sign} "
        f"FROM {sources}, annotations_searchword w, {OWNERS} "
        f"WHERE w.project_id = {r}.project_id "
        f"AND strpos(' ' || {r}.words || ' ', ' ' || w.word || ' ') > 0 "
        f"AND {r}.kind IN ('note', 'reply') AND {r}.deleted_at IS NULL "
        f"AND NOT {r}.in_trash AND {r}.anchoring = 'anchored' "
        f"AND (o.agg = 0 OR {access} = 1) AND ({where})"
    )


def _upsert(selects: list[str]) -> str:
    """The counts added to the tally, in the order of its key: two
    statements adding to the same rows lock them in the same order, and so
    never wait for each other at once."""
    return (
        f"INSERT INTO annotations_searchtally ({KEY}, n) "
        f"SELECT {KEY}, SUM(sign) FROM ("
        + " UNION ALL ".join(selects)
        + f") counted ({KEY}, sign) GROUP BY {KEY} HAVING SUM(sign) <> 0 "
        f"ORDER BY {KEY} "
        f"ON CONFLICT ({KEY}) DO UPDATE SET n = annotations_searchtally.n + excluded.n"
    )


def _entries(r: str, sources: str, where: str, sign: int) -> list[str]:
    return _counted(r, sources, where, sign) + [
        _tagged(
            r,
            f"{sources}, annotations_annotation_tags l",
            "l.tag_id",
            f"l.annotation_id = {r}.annotation_id AND ({where})",
            sign,
        )
    ]


def _links(t: str, sign: int) -> str:
    return _tagged(
        "e",
        f"{t}, annotations_searchentry e",
        f"{t}.tag_id",
        f"e.annotation_id = {t}.annotation_id",
        sign,
    )


# The projects a statement writes the entries or tag links of are locked
# SHARED (an advisory lock, to the transaction's end), which a search keeping
# a word of one of them takes EXCLUSIVE (services.search.keep_word): it reads
# the project's entries once no write to them is under way, and the writes
# after see its word. Only the project's writes wait, not every project's
# (a table lock held them all: 1.5 s for "the" on the bench's corpus).
TALLY_LOCK = 7_136_501


def _lock(projects: str) -> str:
    return (
        f"PERFORM pg_advisory_xact_lock_shared({TALLY_LOCK}, "
        f"(p.project_id % 2147483647)::integer) FROM ({projects}) p"
    )


def _entries_locked(rows: str) -> str:
    return _lock(f"SELECT DISTINCT project_id FROM {rows} ORDER BY 1")


def _links_locked(rows: str) -> str:
    return _lock(
        f"SELECT DISTINCT a.project_id FROM {rows} t "
        "JOIN annotations_annotation a ON a.id = t.annotation_id ORDER BY 1"
    )


CHANGED_ENTRY = (
    f"old_rows r JOIN new_rows x ON x.id = r.id",
    _changed("r", "x", ENTRY_COLUMNS),
)
# (name, table, event, transition tables, the function's statements)
STATEMENT_TRIGGERS = [
    (
        "tally_entry_ai",
        "annotations_searchentry",
        "INSERT",
        "NEW TABLE AS new_rows",
        [_entries_locked("new_rows"), _upsert(_entries("r", "new_rows r", "TRUE", 1))],
    ),
    (
        "tally_entry_ad",
        "annotations_searchentry",
        "DELETE",
        "OLD TABLE AS old_rows",
        [
            _entries_locked("old_rows"),
            _upsert(_entries("r", "old_rows r", "TRUE", -1)),
        ],
    ),
    (
        "tally_entry_au",
        "annotations_searchentry",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [
            _entries_locked("new_rows"),
            _upsert(
                _entries("r", CHANGED_ENTRY[0], CHANGED_ENTRY[1], -1)
                + _entries("x", CHANGED_ENTRY[0], CHANGED_ENTRY[1], 1)
            )
        ],
    ),
    (
        "tally_link_ai",
        "annotations_annotation_tags",
        "INSERT",
        "NEW TABLE AS new_rows",
        [_links_locked("new_rows"), _upsert([_links("new_rows", 1)])],
    ),
    (
        "tally_link_ad",
        "annotations_annotation_tags",
        "DELETE",
        "OLD TABLE AS old_rows",
        [_links_locked("old_rows"), _upsert([_links("old_rows", -1)])],
    ),
    (
        "tally_link_au",
        "annotations_annotation_tags",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [
            _links_locked("old_rows"),
            _links_locked("new_rows"),
            _upsert([_links("old_rows", -1), _links("new_rows", 1)]),
        ],
    ),
    (
        "seen_note",
        "annotations_annotation",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [
            "UPDATE annotations_searchentry e SET author_id = n.author_id, "
            "visibility = n.visibility, status = n.status, in_trash = n.in_trash, "
            "anchoring = n.anchoring, deleted_at = COALESCE(n.deleted_at, "
            "(SELECT r.deleted_at FROM annotations_reply r WHERE r.id = e.reply_id)) "
            "FROM old_rows o JOIN new_rows n ON n.id = o.id "
            f"WHERE e.annotation_id = n.id AND ({_changed('o', 'n', NOTE_COLUMNS)})"
        ],
    ),
    (
        "seen_reply",
        "annotations_reply",
        "UPDATE",
        "OLD TABLE AS old_rows NEW TABLE AS new_rows",
        [
            "UPDATE annotations_searchentry e SET deleted_at = COALESCE("
            "(SELECT a.deleted_at FROM annotations_annotation a "
            "WHERE a.id = n.annotation_id), n.deleted_at) "
            "FROM old_rows o JOIN new_rows n ON n.id = o.id "
            "WHERE e.reply_id = n.id AND o.deleted_at IS DISTINCT FROM n.deleted_at"
        ],
    ),
]
# The row triggers they replace: (name, table).
ROW_TRIGGERS = [
    ("annotations_search_tally_entry_ai", "annotations_searchentry"),
    ("annotations_search_tally_entry_ad", "annotations_searchentry"),
    ("annotations_search_tally_entry_au", "annotations_searchentry"),
    ("annotations_search_tally_link_ai", "annotations_annotation_tags"),
    ("annotations_search_tally_link_ad", "annotations_annotation_tags"),
    ("annotations_search_tally_link_au", "annotations_annotation_tags"),
    ("annotations_search_seen_note", "annotations_annotation"),
    ("annotations_search_seen_reply", "annotations_reply"),
]


def _drop(name: str, table: str) -> list[str]:
    return [
        f"DROP TRIGGER IF EXISTS {name} ON {table}",
        f"DROP FUNCTION IF EXISTS {name}()",
    ]


FORWARD = [
    statement for name, table in ROW_TRIGGERS for statement in _drop(name, table)
] + [
    statement
    for name, table, event, tables, body in STATEMENT_TRIGGERS
    for statement in (
        f"CREATE FUNCTION annotations_search_{name}() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN " + "; ".join(body) + "; RETURN NULL; END $$",
        f"CREATE TRIGGER annotations_search_{name} AFTER {event} ON {table} "
        f"REFERENCING {tables} FOR EACH STATEMENT "
        f"EXECUTE FUNCTION annotations_search_{name}()",
    )
]


def forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for statement in FORWARD:
            schema_editor.execute(statement, params=None)


def backward(apps, schema_editor):
    """The row triggers of 0020 and 0022 again."""
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, *_rest in STATEMENT_TRIGGERS:
        for statement in _drop(f"annotations_search_{name}", table):
            schema_editor.execute(statement, params=None)
    wanted = {name for name, _table in ROW_TRIGGERS}
    for statement in SEEN.POSTGRESQL + TALLIES.POSTGRESQL:
        if any(name + "(" in statement or name + " " in statement for name in wanted):
            schema_editor.execute(statement, params=None)


class Migration(migrations.Migration):
    dependencies = [
        ("annotations", "0023_search_word_entries"),
    ]

    operations = [migrations.RunPython(forward, backward)]
