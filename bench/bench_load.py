"""Throughput over HTTP: gunicorn in production mode under 32 members' load.

Targets (from issue 11): at least 400 requests/s with a p99 under 250 ms and no
error, from 32 concurrent members on 127.0.0.1, on the 2-core machine.

Set-up: the load project (bench/load_project.py: 200 documents of 5 KB-1 MB,
100,000 annotations, 20 members), then gunicorn as `make serve` runs it
(config/gunicorn.py, DEBUG off, Secure cookies, HTTPS behind a proxy, access
log on) on the same database, and locust (bench/locustfile.py, FastHttpUser)
with 32 sessions that sign in and then send, without pause, ~90% reads
(document pages, threads, margin pages, polls with the page's token, the
curation queue, the link picker's search) and ~10% writes (annotations,
replies, status decisions). After every member has signed in and --warmup
seconds have passed, --seconds of requests are measured: requests/s and
p50/p95/p99 per kind of request, errors (any unexpected status, a failed
connection, or a traceback or timeout in gunicorn's log). The CPU time of the
workers and of the load client in the window says where the 2 cores went.

By default gunicorn runs as config/gunicorn.py sets it up on this machine.
--server NAME runs a named set-up instead, --compare runs them all, one after
another, on the same data (the figures in docs/deploy.md):

    sync-2, sync-4, sync-5   APPARATUS_WORKER_CLASS=sync, 2/4/5 workers
    gthread-2x4, gthread-2x8, gthread-3x4  gthread, workers x threads

Run: .venv/bin/python bench/bench_load.py [--seconds 60] [--compare] [--smoke]
PostgreSQL: scripts/pg-throwaway.sh bash -c
    'DATABASE_URL="$APPARATUS_TEST_POSTGRES_URL" .venv/bin/python bench/bench_load.py'

The script exits with status 1 if a target is missed. --smoke builds the tiny
project, serves it and runs 4 members for 3 seconds: it checks that requests
were made and none failed, and judges no figure.
"""

from __future__ import annotations

import argparse
import random
import time

import _harness
import _serving
import load_project
from _harness import verdict

TARGET_RPS = 400
TARGET_P99_MS = 250
SERVERS = {
    "sync-2": {"APPARATUS_WORKER_CLASS": "sync", "APPARATUS_WORKERS": "2"},
    "sync-4": {"APPARATUS_WORKER_CLASS": "sync", "APPARATUS_WORKERS": "4"},
    "sync-5": {"APPARATUS_WORKER_CLASS": "sync", "APPARATUS_WORKERS": "5"},
    "gthread-2x4": {
        "APPARATUS_WORKER_CLASS": "gthread",
        "APPARATUS_WORKERS": "2",
        "APPARATUS_THREADS": "4",
    },
    "gthread-2x8": {
        "APPARATUS_WORKER_CLASS": "gthread",
        "APPARATUS_WORKERS": "2",
        "APPARATUS_THREADS": "8",
    },
    "gthread-3x4": {
        "APPARATUS_WORKER_CLASS": "gthread",
        "APPARATUS_WORKERS": "3",
        "APPARATUS_THREADS": "4",
    },
}
SMOKE = {"seconds": 3.0, "warmup": 1.0, "users": 4, "progress": 1.0}


def server_label(name: str) -> str:
    if name == "default":
        return "config/gunicorn.py as it stands (no override)"
    return f"{name}: " + ", ".join(f"{k}={v}" for k, v in SERVERS[name].items())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--warmup", type=float, default=10)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--progress", type=float, default=10)
    parser.add_argument("--server", choices=["default", *SERVERS], default="default")
    parser.add_argument("--compare", action="store_true", help="every set-up")
    parser.add_argument("--echo", action="store_true", help="show the client's lines")
    args = _harness.parse_args(parser, SMOKE)

    started = time.perf_counter()
    _harness.prepare_database()
    print(f"set-up (migrate, static files): {time.perf_counter() - started:.1f} s")
    built = None
    try:
        started = time.perf_counter()
        sizes = load_project.SMOKE if args.smoke else load_project.FULL
        built = load_project.build(sizes, random.Random(load_project.SEED))
        print(f"built the load project in {time.perf_counter() - started:.1f} s")
        print(load_project.describe(built))
        plan = _serving.write_plan(built.plan, built.password)
        names = list(SERVERS) if args.compare else [args.server]
        judged = not args.smoke
        ok = True
        for name in names:
            ok &= serve(name, plan, args, judged)
        return 0 if ok else 1
    finally:
        load_project.clean_up(built)


def serve(name: str, plan, args, judged: bool) -> bool:
    variables = SERVERS.get(name, {})
    with _serving.gunicorn(name, **variables) as server:
        workers = len(server.workers())
        print(f"\nserver: gunicorn, {server_label(name)}; {workers} workers running")
        print(_harness.machine())
        measured = _serving.measure(
            server,
            plan,
            users=args.users,
            seconds=args.seconds,
            warmup=args.warmup,
            progress=args.progress,
            echo=args.echo,
        )
    result = measured.result
    print(
        f"load: {args.users} members, {args.seconds:g} s measured after sign-in "
        f"and {args.warmup:g} s of warm-up; {_harness.machine().split('; ')[-1]}"
    )
    for line in _serving.describe_run(measured):
        print(line)
    everything = result["all"]
    errors = sum(result["errors"].values()) + len(measured.server_errors)
    ok = verdict(
        f"{name}-errors",
        errors == 0 and everything["requests"] > 0 and result["writes"] > 0,
        f"{errors} errors in {everything['requests']:,} requests "
        f"({result['writes']:,} writes); target none",
    )
    ok &= verdict(
        f"{name}-throughput",
        everything["per_second"] >= TARGET_RPS,
        f"{everything['per_second']:.1f} req/s, target >= {TARGET_RPS}",
        judged,
    )
    ok &= verdict(
        f"{name}-p99",
        everything["p99"] < TARGET_P99_MS,
        f"{everything['p99']:.0f} ms over all requests, target < {TARGET_P99_MS} ms; "
        f"slowest kind: "
        + max(
            (
                f"{figures['p99']:.0f} ms ({kind})"
                for kind, figures in result["types"].items()
            ),
            key=lambda text: float(text.split(" ")[0]),
        ),
        judged,
    )
    return ok


if __name__ == "__main__":
    _harness.run(main)
