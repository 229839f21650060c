"""The benchmarks over HTTP and the scaling table still run: each one's smoke mode.

bench_load.py and bench_soak.py really build the (tiny) load project, start
gunicorn in production mode on 127.0.0.1 and run locust against it for a few
seconds: these tests check that members signed in, that requests of every
kind the mix sends were made, reads and writes, and that none failed. As in
test_bench_smoke.py, the timings are the benchmarks' business, not judged here.
"""

from __future__ import annotations

import re

from tests.test_bench_smoke import assert_figures, bench_env, run_smoke  # noqa: F401

KINDS = [
    "create annotation (htmx)",
    "curation queue",
    "document page",
    "link picker search (htmx)",
    "margin page (htmx)",
    "poll (htmx)",
    "reply (htmx)",
    "status decision (htmx)",
    "thread (htmx)",
]
TABLE_ROW = re.compile(
    r"^  (?P<kind>.+?)\s+(?P<rps>[\d.]+)\s+(?P<p50>\d+) ms\s+(?P<p95>\d+) ms"
    r"\s+(?P<p99>\d+) ms\s+(?P<max>\d+) ms\s+(?P<errors>\d+)$"
)


def table(lines: list[str]) -> dict[str, dict[str, str]]:
    """The per-kind rows of the figures table, by kind."""
    rows = {}
    for line in lines:
        if match := TABLE_ROW.match(line):
            rows[match["kind"]] = match.groupdict()
    return rows


def requests_line(lines: list[str]) -> tuple[int, int]:
    """(requests, errors) from the 'requests: N in S s, ...; errors E' line."""
    line = next(line for line in lines if line.startswith("requests: "))
    found = re.match(r"requests: ([\d,]+) in .*; errors (\d+)$", line)
    assert found, line
    return int(found[1].replace(",", "")), int(found[2])


def test_load_bench_serves_the_mix_over_http_without_errors(bench_env):  # noqa: F811
    env, vendor = bench_env
    lines = run_smoke("bench_load.py", env)

    assert_figures(
        lines,
        "set-up (migrate, static files): ",
        "built the load project in ",
        "project: 6 documents (5 KB to 0.04 MB, ",
        "server: gunicorn, config/gunicorn.py as it stands (no override); ",
        f"database: {vendor}; ",
        "load: 4 members, 3 s measured after sign-in and 1 s of warm-up; ",
        "CPU in the window: gunicorn workers ",
    )
    requests, errors = requests_line(lines)
    assert requests > 0 and errors == 0
    rows = table(lines)
    assert int(rows["all"]["errors"]) == 0
    assert set(rows) - {"all"} <= set(KINDS)
    assert int(rows["all"]["p50"]) <= int(rows["all"]["p99"])
    # Reads and writes both reached the server (4 smoke members are the owner
    # and the 3 curators, whose mix has every kind). Any of the three writes:
    # a curator's mix is 12% writes, 5% notes and replies, and a loaded
    # machine may send 20 requests in the 3 s (no note or reply in 36% of
    # such runs, no write in 8%).
    assert {"document page", "poll (htmx)"} <= set(rows)
    assert set(rows) & {
        "create annotation (htmx)",
        "reply (htmx)",
        "status decision (htmx)",
    }
    assert not [line for line in lines if line.startswith(("error x", "server log"))]
    results = [line for line in lines if line.startswith("RESULT ")]
    assert [line.split(":")[0] for line in results] == [
        "RESULT default-errors",
        "RESULT default-throughput",
        "RESULT default-p99",
    ]
    assert results[0].startswith("RESULT default-errors: OK (0 errors in ")


def test_soak_bench_reads_every_workers_memory_in_smoke_mode(bench_env):  # noqa: F811
    env, vendor = bench_env
    lines = run_smoke("bench_soak.py", env)

    assert_figures(
        lines,
        "built the load project in ",
        f"database: {vendor}; ",
        "soak: 4 members, 4 s measured after sign-in and 1 s of warm-up; ",
        "memory at 1 s: ",
    )
    requests, errors = requests_line(lines)
    assert requests > 0 and errors == 0
    server = next(line for line in lines if line.startswith("server: "))
    running = int(re.search(r"(\d+) workers running", server)[1])
    workers = [line for line in lines if line.startswith("worker ")]
    assert len(workers) >= running
    for line in workers:
        before, after = map(float, re.findall(r"([\d.]+) MB", line))
        assert 20 < before < 1000 and 20 < after < 1000, line
    assert lines[-2].startswith("RESULT soak-errors: OK (0 errors in ")
    assert lines[-1].startswith("RESULT soak-memory: ")


def test_scaling_bench_prints_both_series_in_smoke_mode(bench_env):  # noqa: F811
    env, vendor = bench_env
    lines = run_smoke("bench_scaling.py", env)

    assert_figures(
        lines,
        "set-up (migrate, static files, 3 + 2 documents): ",
        f"database: {vendor}; ",
        "3 runs a figure; ",
        "By annotations, on a 50 KB text",
        "By text size, 20 annotations each",
        "annotations in the first series at the end: ",
    )
    rows = [
        line.split()[0] for line in lines if re.match(r"^\s+[\d,]+( KB)?\s+\d", line)
    ]
    assert rows == ["10", "100", "300", "10", "50"]
    # Each create added one annotation: 3 timed runs and a first, per point.
    end = next(line for line in lines if line.startswith("annotations in the first"))
    made = int(end.rsplit(" ", 1)[1].replace(",", ""))
    assert made == 10 + 100 + 300 + 3 * 4
    results = [line.split(":")[0] for line in lines if line.startswith("RESULT ")]
    assert results == [
        "RESULT page-by-annotations",
        "RESULT create-by-annotations",
        "RESULT page-by-size",
        "RESULT create-by-size",
    ]


def test_worker_start_bench_times_new_workers_in_smoke_mode(bench_env):  # noqa: F811
    env, vendor = bench_env
    lines = run_smoke("bench_worker_start.py", env)

    assert_figures(
        lines,
        f"database: {vendor}; ",
        "gunicorn, one sync worker, not warmed (APPARATUS_WARM_WORKERS=0)",
        "gunicorn, one sync worker, warmed (APPARATUS_WARM_WORKERS=1)",
        "warm-up in post_worker_init: median ",
        "poll, nothing changed (204): first request median ",
        "thread (htmx): first request median ",
        "document page (",
    )
    # The hook ran in the warmed server only: its log line was found once.
    assert sum(line.startswith("warm-up in post_worker_init") for line in lines) == 1
    assert lines[-1].startswith("RESULT first-poll: ")
