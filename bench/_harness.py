"""What the benchmarks that go through Django share: set-up, text, timing, clean-up.

Import it before anything from Django or the project: importing it sets the
environment (DEBUG off, a throw-away directory for the SQLite file and the
static files) and calls django.setup(). A script then looks like

    import _harness  # before Django and the project: it configures Django
    from corpus import services
    ...
    def main() -> int:
        _harness.prepare_database()
        ...
        try:
            ...
        finally:
            _harness.clean_up(projects=[...], users=[...])

    if __name__ == "__main__":
        _harness.run(main)

With DATABASE_URL set the benchmark uses that database instead of a throw-away
SQLite file, and clean_up() removes the rows it made there.

Each script has a --smoke option (parse_args()): the same paths on tiny sizes
with a few runs, a few seconds in all, which tests/test_bench_smoke.py runs so
that the scripts keep working; its timings are printed but not judged.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SCRATCH = tempfile.mkdtemp(prefix="apparatus-bench-")
os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings"
os.environ["DJANGO_DEBUG"] = "0"
os.environ.setdefault("DJANGO_SECRET_KEY", "bench-only-secret-key-" + "x" * 40)
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver"
os.environ["DJANGO_SECURE_SSL_REDIRECT"] = "0"
os.environ["APPARATUS_VAR_DIR"] = SCRATCH  # the SQLite file, unless DATABASE_URL
# The test suite's smoke runs hand over what they made once for all of them
# (tests/ready.py): a migrated SQLite file to copy, collected static files.
MIGRATED_SQLITE = os.environ.get("APPARATUS_BENCH_MIGRATED_SQLITE")
COLLECTED_STATIC = os.environ.get("APPARATUS_BENCH_COLLECTED_STATIC")
os.environ["DJANGO_STATIC_ROOT"] = COLLECTED_STATIC or os.path.join(SCRATCH, "static")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

# -- Running -------------------------------------------------------------------


def run(main: Callable[[], int]) -> None:
    """Exit with main()'s status, deleting the scratch directory whatever happens."""
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)


def parse_args(
    parser: argparse.ArgumentParser, smoke: dict[str, object]
) -> argparse.Namespace:
    """The options, with --smoke added; a smoke run takes `smoke` as its defaults.

    Options given on the command line still win over them.
    """
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="tiny sizes and few runs, a few seconds: the tests run it; "
        "timings are printed, not judged",
    )
    args = parser.parse_args()
    if args.smoke:
        parser.set_defaults(**smoke)
        args = parser.parse_args()
    return args


def prepare_database() -> None:
    """Migrate, and build the static manifest production serves hashed names from."""
    if MIGRATED_SQLITE and not own_database():
        shutil.copyfile(MIGRATED_SQLITE, settings.DATABASES["default"]["NAME"])
    call_command("migrate", verbosity=0)
    if not COLLECTED_STATIC:
        call_command("collectstatic", interactive=False, verbosity=0)


def own_database() -> bool:
    """Whether the rows go to a database someone else keeps (DATABASE_URL)."""
    return bool(os.environ.get("DATABASE_URL"))


def clean_up(*, projects: Iterable = (), users: Iterable = ()) -> None:
    """Remove what a run made from a DATABASE_URL database (SQLite is thrown away).

    Projects first: their annotations PROTECT the users who wrote them.
    """
    if not own_database():
        return
    for project in projects:
        project.delete()
    get_user_model().objects.filter(pk__in=[user.pk for user in users]).delete()


def bulk_create_dated(model, rows: list, batch_size: int = 2000) -> list:
    """Bulk-create `rows` keeping the creation dates they were given (bulk_create
    would stamp every auto_now_add field with now()); the rows, with their keys."""
    created_at = model._meta.get_field("created_at")
    created_at.auto_now_add = False
    try:
        made = model.objects.bulk_create(rows, batch_size=batch_size)
    finally:
        created_at.auto_now_add = True
    if made and made[0].pk is None:
        raise SystemExit("The database did not return the new rows' keys.")
    return made


def index_bulk(annotations: list, replies: list) -> None:
    """Search-index bulk-made notes and their replies, as the services index
    each one they make (the link picker and the search read the index)."""
    from annotations.services import search

    search.index_notes(annotations)
    notes = {annotation.pk: annotation for annotation in annotations}
    search.write(
        search.reply_entry(reply, notes[reply.annotation_id]) for reply in replies
    )


def analyze(*models) -> None:
    """Give PostgreSQL's planner statistics on the tables of `models`.

    After a bulk load autovacuum would do it within a minute or so; the figures
    are for a database in that steady state. Nothing on SQLite, where the app
    never runs ANALYZE and the planner goes without statistics.
    """
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for model in models:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")


def machine() -> str:
    """Where the figures come from: database, DEBUG, CPUs and load."""
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg())
    return (
        f"database: {connection.vendor}; Django DEBUG off; "
        f"{len(os.sched_getaffinity(0))} CPUs; load average {load}"
    )


# -- Generated text ---------------------------------------------------------------

# Mostly plain words, with accents and curly quotes.
VOCABULARY = """
the river council planted plane trees along embankment shade survey residents
reported summer heat canopy cover street limes roots budget officials maintenance
drought water café naïve façade Zürich São Paulo — “quoted” words 2019 42%
municipal tender contractor
"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random, words: list[str] = WORDS) -> str:
    chosen = rng.choices(words, k=rng.randint(8, 22))
    return " ".join(chosen).capitalize() + "."


def make_markdown(
    size: int,
    rng: random.Random,
    words: list[str] = WORDS,
    title: str = "A generated report on street trees",
) -> str:
    """About `size` bytes of Markdown: headings, paragraphs, lists, some links."""
    parts = [f"# {title}", ""]
    produced, n = 0, 0
    while produced < size:
        n += 1
        chunk = []
        if n % 25 == 1:
            chunk += [f"## Section {n // 25 + 1}: the {rng.choice(words)} question", ""]
        if n % 9 == 0:
            chunk += [f"- {sentence(rng, words)}" for _ in range(rng.randint(2, 5))]
            chunk += [""]
        paragraph = " ".join(sentence(rng, words) for _ in range(rng.randint(3, 8)))
        if n % 5 == 0:
            paragraph += f" See [the source {n}](https://example.org/source/{n})."
        chunk += [paragraph, ""]
        parts += chunk
        produced += sum(len(line.encode()) + 1 for line in chunk)
    return "\n".join(parts)


# -- Measuring -------------------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def timed(request: Callable[[], object], runs: int, warmup: int) -> list[float]:
    """Milliseconds for each of `runs` calls of `request`, after `warmup` calls."""
    for _ in range(warmup):
        request()
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        request()
        times.append((time.perf_counter() - started) * 1000)
    return times


def queries_of(request: Callable[[], object]) -> int:
    """The number of SQL queries one call of `request` makes."""
    with CaptureQueriesContext(connection) as queries:
        request()
    return len(queries)


def expect(status: int, response):
    """`response`, after checking its status code (with the start of its body)."""
    assert response.status_code == status, (
        response.status_code,
        response.content[:500],
    )
    return response


def summary(times: list[float]) -> str:
    return (
        f"median {statistics.median(times):.1f} ms, "
        f"p95 {percentile(times, 0.95):.1f} ms, min {min(times):.1f} ms"
    )


def verdict(name: str, ok: bool, detail: str, judged: bool = True) -> bool:
    """Print a RESULT line; one that is not judged (a smoke run's timing) passes."""
    note = "" if judged else "; not judged in a smoke run"
    print(f"RESULT {name}: {'OK' if ok else 'MISSED'} ({detail}{note})")
    return ok or not judged


def size_label(size: int) -> str:
    """A size in bytes as the figures name it: 1 MB, 400 KB, 2.5 KB."""
    if size >= 1_000_000:
        return f"{size / 1_000_000:g} MB"
    return f"{size / 1000:g} KB"


def count_label(count: int) -> str:
    """A count as the RESULT names use it: 10k, 50k, 300."""
    return f"{count // 1000}k" if count >= 1000 and count % 1000 == 0 else str(count)


def plumbing(script: str) -> str:
    """A pstats restriction leaving out the frames every request passes through."""
    return (
        r"^(?!.*(?:test/client\.py|core/handlers/|utils/deprecation\.py"
        r"|middleware\.py|views/decorators/|auth/decorators\.py|"
        + script.replace(".", r"\.")
        + "))"
    )


def profile(
    title: str,
    request: Callable[[], object],
    times: int,
    restriction: str | None = None,
    top: int = 25,
) -> None:
    """cProfile `times` calls of `request`; print the top entries by cumulative time.

    `restriction` (see plumbing()) filters the listing by file and function name.
    """
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(times):
        request()
    profiler.disable()
    left_out = (
        " (leaving out the test client, handler and middleware frames)"
        if restriction
        else ""
    )
    print(f"\ncProfile, {title} x {times}, top {top} by cumulative time{left_out}:")
    stats = pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative")
    if restriction:
        stats.print_stats(restriction, top)
    else:
        stats.print_stats(top)


def explain(request: Callable[[], object], touching: str = "") -> None:
    """Print the plan of each SELECT one call of `request` makes (`touching` a table).

    SQLite: EXPLAIN QUERY PLAN. PostgreSQL: EXPLAIN (ANALYZE, BUFFERS), so the
    listing shows the rows each step really read and its time.
    """
    captured = []

    def capture(execute, sql, params, many, context):
        captured.append((sql, params))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(capture):
        request()
    prefix = (
        "EXPLAIN QUERY PLAN "
        if connection.vendor == "sqlite"
        else "EXPLAIN (ANALYZE, BUFFERS) "
    )
    for sql, params in captured:
        if not sql.startswith("SELECT") or f'"{touching}"' not in sql:
            continue
        print(f"  {sql[:300]}{'…' if len(sql) > 300 else ''}")
        with connection.cursor() as cursor:
            cursor.execute(prefix + sql, params)
            for row in cursor.fetchall():
                print("    " + (row[-1] if connection.vendor == "sqlite" else row[0]))
