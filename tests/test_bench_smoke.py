"""The benchmarks in bench/ still run: each one's smoke mode, as a script.

A smoke run takes the same paths as `make bench` on tiny sizes, in seconds. Only
the figures' names are checked here, never their values: numbers are the
benchmarks' business (docs/performance.md). bench_import.py and
bench_markdown.py have their own files.

On the suite's PostgreSQL pass (DATABASE_URL set) a benchmark runs in a fresh
database of that server, dropped afterwards; otherwise in its own throw-away
SQLite file. Either starts as a copy of a migrated database (tests/ready.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests import ready

BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture
def bench_env(request, collected_static) -> Iterator[tuple[dict[str, str], str]]:
    """The benchmark's environment, and the database vendor it should report.

    The benchmark copies the worker's migrated database and reads its
    collected static files (tests/ready.py) instead of making its own."""
    env = {
        **ready.without_database_url(),
        "APPARATUS_BENCH_COLLECTED_STATIC": str(collected_static),
    }
    url = os.environ.get("DATABASE_URL", "")
    if not urlsplit(url).scheme.startswith("postgres"):
        migrated = request.getfixturevalue("migrated_sqlite")
        yield {**env, "APPARATUS_BENCH_MIGRATED_SQLITE": str(migrated)}, "sqlite"
        return
    template = request.getfixturevalue("migrated_postgres")
    name = ready.new_postgres(url, "apparatus_bench", template)
    try:
        yield {**env, "DATABASE_URL": ready.database_url(url, name)}, "postgresql"
    finally:
        ready.drop_postgres(url, name)


def run_smoke(script: str, env: dict[str, str]) -> list[str]:
    """The lines `script --smoke` printed, after checking that it succeeded."""
    command = [sys.executable, str(BENCH / script), "--smoke"]
    return ready.run_ok(command, env, timeout=180).splitlines()


def assert_figures(lines: list[str], *names: str) -> None:
    """Each of `names` begins one of the lines."""
    missing = [n for n in names if not any(line.startswith(n) for line in lines)]
    assert not missing, f"missing {missing} in:\n" + "\n".join(lines)


def test_segments_bench_times_every_step_in_smoke_mode():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    lines = run_smoke("bench_segments.py", env)

    assert lines[0] == "3 runs each"
    assert_figures(
        lines,
        "100 blocks, ",
        "segment_blocks 100 blocks x 500 spans   ",
        "segment_blocks 100 blocks x 500 spans + cuts ",
        "segment_blocks 100 blocks x 10 spans ",
        "resolve_selection across 4 blocks mid-document ",
        "resolve_selection in one 50 KB block, near its end ",
    )
    timed = [line for line in lines if " median " in line]
    assert len(timed) == 5
    assert all(" ms  (fastest " in line for line in timed)


def test_reanchor_bench_carries_every_passage_in_smoke_mode():
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    lines = run_smoke("bench_reanchor.py", env)

    assert lines[0] == "text: 50,000 characters; 500 passages; 2 runs"
    assert_figures(
        lines, "one paragraph corrected: median ", "6 scattered edits: median "
    )
    for line in lines[1:]:
        counts = line.split("; ")[-1].split(", ")
        assert [count.split(" ")[1] for count in counts] == [
            "moved",
            "edited",
            "found",
            "orphan",
        ]
        assert sum(int(count.split(" ")[0]) for count in counts) == 500


def test_revision_view_bench_times_an_old_text_its_changes_and_the_list_in_smoke_mode(
    bench_env,
):
    env, vendor = bench_env
    lines = run_smoke("bench_revision_view.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "document: ",
        "revision 0 of 3, nothing kept in the worker, 3 GETs after 1 warm-ups: ",
        "revision 0 of 3, rendering kept: median ",
        "revision 1 of 3, first view (text read already): median ",
        "changes of revision 3 (6 scattered edits, ",
        "list of revisions: median ",
        "SQL queries: revision 1 ",
        "RESULT old-revision: OK ",
        "RESULT revision-queries: OK ",
    )


def test_document_page_bench_times_the_page_and_the_import_in_smoke_mode(bench_env):
    env, vendor = bench_env
    lines = run_smoke("bench_document_page.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "document: ",
        "import (service level, 2 runs): import_bytes median ",
        "document page, 3 GETs after 1 warm-ups: median ",
        "response size: ",
        "SQL queries: 50 KB document ",
    )
    assert lines[-1].startswith("RESULT: OK ")


def test_annotations_bench_times_page_create_and_poll_in_smoke_mode(bench_env):
    env, vendor = bench_env
    lines = run_smoke("bench_annotations.py", env)

    pages = [
        f"document page, {count} annotations, {view}"
        for count in ("300", "10", "0")
        for view in (
            "first view after a change, 3 GETs after 1 warm-ups: median ",
            "nothing cached in the worker: median ",
            "repeat views (rendering cached for this revision): median ",
        )
    ]
    assert_figures(
        lines,
        "set-up (migrate, static files, members): ",
        "bulk-created 300 + 10 annotations in ",
        f"database: {vendor}; ",
        "annotations: 300 (",
        *pages,
        "ratio, page with 300 annotations / page with none: ",
        "create (htmx POST), 3 at random places after 1 warm-ups: median ",
        "poll, nothing changed (204), 10 GETs after 1 warm-ups: median ",
        "poll, one annotation changed (for information), 3 GETs: median ",
    )
    results = [line for line in lines if line.startswith("RESULT ")]
    assert [line.split(":")[0] for line in results] == [
        "RESULT page-300",
        "RESULT page-queries",
        "RESULT create",
        "RESULT poll-unchanged",
    ]


def test_curation_bench_times_every_picker_and_queue_case_in_smoke_mode(bench_env):
    env, vendor = bench_env
    lines = run_smoke("bench_curation.py", env)

    assert_figures(
        lines,
        "set-up (migrate, static files, members, 2 x 5 imports): ",
        "bulk-created 500 + 50 annotations in ",
        f"database: {vendor}; ",
        "documents: Arboretum inventory 2024 (",
        "annotations: 500 by 20 authors (",
        "picker: rare word “zeppelin” ",
        "queue: default (submitted), first page, htmx ",
        "queue: document (the 2.5 KB one), plain ",
        "queue: ?page=5 (deep), plain ",
    )
    assert sum(line.startswith("picker: ") for line in lines) == 8
    assert sum(line.startswith("queue: ") for line in lines) == 22
    results = [line for line in lines if line.startswith("RESULT ")]
    assert [line.split(":")[0] for line in results] == [
        "RESULT picker-500",
        "RESULT picker-queries",
        "RESULT queue-500",
        "RESULT queue-queries",
    ]


def test_write_path_bench_times_each_action_in_one_request_in_smoke_mode(bench_env):
    env, vendor = bench_env
    lines = run_smoke("bench_write_path.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "document: ",
        "create a note (test client), 4 after 1 warm-ups: median ",
        "reply (test client), 4 after 1 warm-ups: median ",
        "decide (test client), 4 after 1 warm-ups: median ",
        "reading page: ",
        "  gzip level 1: ",
        "  gzip level 6: ",
        "create a note over HTTP (gunicorn, 1 sync worker), ",
        "reply over HTTP (gunicorn, 1 sync worker), ",
        "decide over HTTP (gunicorn, 1 sync worker), ",
        "RESULT http-errors: OK ",
        "RESULT answer-size: OK ",
    )


def test_export_bench_times_the_export_the_backup_and_the_protocol_pages_in_smoke_mode(
    bench_env,
):
    env, vendor = bench_env
    lines = run_smoke("bench_export.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "export: ",
        "memory: ",
        "RESULT export-items: OK ",
        "backup: ",
        "RESULT backup-notes: OK ",
        "protocol walk: ",
        "protocol last page, nothing kept: ",
        "protocol first page again: ",
        "protocol last page again: ",
        "protocol second page again: ",
        "RESULT page-queries: OK ",
    )


def test_search_bench_times_searches_indexing_and_tagging_all_hits_in_smoke_mode(
    bench_env,
):
    env, vendor = bench_env
    lines = run_smoke("bench_search.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "search, common word (the): ",
        "search, rare word (sinaloa): ",
        'search, phrase ("el chapo"): ',
        "RESULT search-queries: OK ",
        'search, "the", a kind chosen (notes): ',
        'search, a prefix ("mex*"): ',
        'search, the hits of "sinaloa" as CSV: ',
        "RESULT search-other-paths: OK ",
        "import of a 1 MB text: ",
        "creating a note: ",
        "annotate ",
        "RESULT annotate-all: OK ",
    )


def test_text_revision_bench_saves_and_uploads_in_smoke_mode(bench_env):
    env, vendor = bench_env
    lines = run_smoke("bench_text_revision.py", env)

    assert lines[1].startswith(f"{vendor}: ")
    assert_figures(
        lines,
        "one paragraph corrected, save: median ",
        "one paragraph corrected, save and the reading page: median ",
        "6 scattered edits uploaded: median ",
    )
    carried = [line for line in lines if "what became of the annotations" in line]
    assert len(carried) == 2
    # The live shared ones (the bench makes a few private and deleted), all
    # moved exactly by a word corrected in one paragraph.
    moved = int(carried[0].split("'moved': ")[1].split(",")[0])
    assert 250 <= moved <= 300
    assert "'orphan': 0" in carried[0]
    assert sum(line.startswith("RESULT ") for line in lines) == 2
