# Written by hand on 2026-11-30.

import importlib

from django.db import migrations

# The author facet counts a reply for its own author, as choosing an author
# finds it, and the status facet counts replies as choosing a status finds
# them: the tally's part for people (SearchTally.PEOPLE) counted notes alone,
# for their authors. A reply's entry now holds its author (writer, 0026),
# given here to the replies' entries made before, and the triggers that tally a
# note, reply or title's entries count the replies too, for their writer (on
# SQLite 0022's row triggers, on PostgreSQL 0024's statement triggers, each
# with its part for people changed and nothing else). The words kept go with
# their tallies, which counted no reply: searches keep them again.
TALLIES = importlib.import_module("annotations.migrations.0022_search_tallies")
STATEMENTS = importlib.import_module(
    "annotations.migrations.0024_search_statement_triggers"
)
ENTRY_COLUMNS = (*TALLIES.ENTRY_COLUMNS, "writer_id")
ENTRY_TRIGGERS = ("entry_ai", "entry_ad", "entry_au")


def _people(statement: str, r: str) -> str:
    """A statement of 0022 or 0024 that tallies the people of the notes
    `r`, made to tally the replies too, each for its writer."""
    changes = [
        (f"COALESCE({r}.author_id, 0), {r}.status", f"COALESCE({r}.writer_id, {r}.author_id, 0), {r}.status"),
        (f"AND {r}.kind = 'note'", f"AND {r}.kind IN ('note', 'reply')"),
    ]
    for old, new in changes:
        assert statement.count(old) == 1, (old, statement)
        statement = statement.replace(old, new)
    return statement


# SQLite: 0022's triggers on the entries, their part for people changed.
def _sqlite_entry(r: str, sign: int) -> list[str]:
    return [
        TALLIES._tally(r, "instr", 0, sign),
        _people(TALLIES._tally(r, "instr", 1, sign), r),
        TALLIES._tally(r, "instr", 2, sign),
    ]


CHANGED = " OR ".join(f"OLD.{name} IS NOT NEW.{name}" for name in ENTRY_COLUMNS)
SQLITE_TRIGGERS = {
    "entry_ai": ("INSERT", f"NEW.kind IN {TALLIES.TALLIED}", _sqlite_entry("NEW", 1)),
    "entry_ad": ("DELETE", f"OLD.kind IN {TALLIES.TALLIED}", _sqlite_entry("OLD", -1)),
    "entry_au": (
        "UPDATE",
        f"OLD.kind IN {TALLIES.TALLIED} AND ({CHANGED})",
        _sqlite_entry("OLD", -1) + _sqlite_entry("NEW", 1),
    ),
}
SQLITE = [
    statement
    for name, (event, condition, body) in SQLITE_TRIGGERS.items()
    for statement in (
        f"DROP TRIGGER IF EXISTS annotations_search_tally_{name}",
        f"CREATE TRIGGER annotations_search_tally_{name} AFTER {event} ON "
        f"annotations_searchentry WHEN {condition} BEGIN " + "; ".join(body) + "; END",
    )
]
SQLITE_UNDO = [
    f"DROP TRIGGER IF EXISTS annotations_search_tally_{name}" for name in ENTRY_TRIGGERS
] + [
    statement
    for statement in TALLIES.SQLITE
    if any(f"annotations_search_tally_{name} " in statement for name in ENTRY_TRIGGERS)
]


# PostgreSQL: 0024's functions of the entries' statement triggers, their part
# for people changed.
def _pg_entries(r: str, sources: str, where: str, sign: int) -> list[str]:
    kinds, people = STATEMENTS._counted(r, sources, where, sign)
    tagged = STATEMENTS._entries(r, sources, where, sign)[2]
    return [kinds, _people(people, r), tagged]


CHANGED_ROWS = "old_rows r JOIN new_rows x ON x.id = r.id"
CHANGED_WHERE = STATEMENTS._changed("r", "x", ENTRY_COLUMNS)
PG_BODIES = {
    "entry_ai": [
        STATEMENTS._entries_locked("new_rows"),
        STATEMENTS._upsert(_pg_entries("r", "new_rows r", "TRUE", 1)),
    ],
    "entry_ad": [
        STATEMENTS._entries_locked("old_rows"),
        STATEMENTS._upsert(_pg_entries("r", "old_rows r", "TRUE", -1)),
    ],
    "entry_au": [
        STATEMENTS._entries_locked("new_rows"),
        STATEMENTS._upsert(
            _pg_entries("r", CHANGED_ROWS, CHANGED_WHERE, -1)
            + _pg_entries("x", CHANGED_ROWS, CHANGED_WHERE, 1)
        ),
    ],
}


def _function(name: str, body: list[str]) -> str:
    return (
        f"CREATE OR REPLACE FUNCTION annotations_search_tally_{name}() "
        "RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        + "; ".join(body)
        + "; RETURN NULL; END $$"
    )


POSTGRESQL = [_function(name, body) for name, body in PG_BODIES.items()]
POSTGRESQL_UNDO = [
    statement.replace("CREATE FUNCTION", "CREATE OR REPLACE FUNCTION", 1)
    for statement in STATEMENTS.FORWARD
    if any(
        statement.startswith(f"CREATE FUNCTION annotations_search_tally_{name}()")
        for name in ENTRY_TRIGGERS
    )
]
# The replies' entries given their writer (the update changes no tally: the
# triggers it fires are the old ones, which do not read it), then the words
# kept forgotten with their tallies (0022's trigger takes the tallies of a
# word deleted).
WRITERS = (
    "UPDATE annotations_searchentry SET writer_id = (SELECT r.author_id "
    "FROM annotations_reply r WHERE r.id = annotations_searchentry.reply_id) "
    "WHERE kind = 'reply'"
)
FORGET = "DELETE FROM annotations_searchword"


def _run(statements_by_vendor, first=(), last=()):
    def run(apps, schema_editor):
        vendor = schema_editor.connection.vendor
        for statement in [*first, *statements_by_vendor[vendor], *last]:
            schema_editor.execute(statement, params=None)

    return run


class Migration(migrations.Migration):

    dependencies = [
        ("annotations", "0026_search_reply_writers"),
    ]

    operations = [
        migrations.RunPython(
            _run({"sqlite": SQLITE, "postgresql": POSTGRESQL}, first=[WRITERS], last=[FORGET]),
            _run({"sqlite": SQLITE_UNDO, "postgresql": POSTGRESQL_UNDO}, last=[FORGET]),
        ),
    ]
