"""Soak: the load test's mix for 10 minutes; the workers' memory must hold.

Targets (from issue 11): over 10 minutes of the same mix as bench_load.py (32
members, ~90% reads, ~10% writes, no pause), each gunicorn worker's resident
memory grows by less than 10% between the end of the warm-up and the end, and
no request fails.

gunicorn runs as config/gunicorn.py sets it up (its worker class, count and
max_requests), on the load project (bench/load_project.py). The workers are
the master's children; their VmRSS (/proc/PID/status) is read when the
measured window opens (after sign-in and --warmup seconds, time for each
worker to have rendered and cached what it serves), every --progress seconds,
and when it closes. A worker that recycled (max_requests) in between is
reported as such: its successor's growth is measured from its first sample.

Run: .venv/bin/python bench/bench_soak.py [--minutes 10] [--smoke]
PostgreSQL: scripts/pg-throwaway.sh bash -c
    'DATABASE_URL="$APPARATUS_TEST_POSTGRES_URL" .venv/bin/python bench/bench_soak.py'

The script exits with status 1 if a target is missed. --smoke builds the tiny
project and soaks it with 4 members for 4 seconds: it checks that requests
were made, none failed and the workers' memory was read; it judges no growth.
"""

from __future__ import annotations

import argparse
import random
import time

import _harness
import _serving
import load_project
from _harness import verdict

TARGET_GROWTH = 0.10
SMOKE = {"minutes": 4 / 60, "warmup": 1.0, "users": 4, "progress": 1.0}


def growth_lines(measured: _serving.Measured) -> tuple[list[str], float]:
    """Each worker's memory, first and last sample; and the largest growth."""
    first: dict[int, tuple[float, int]] = {
        pid: (0.0, size) for pid, size in measured.memory_start.items()
    }
    last: dict[int, tuple[float, int]] = dict(first)
    for at, sample in measured.memory_samples:
        for pid, size in sample.items():
            first.setdefault(pid, (at, size))
            last[pid] = (at, size)
    for pid, size in measured.memory_end.items():
        first.setdefault(pid, (measured.result["seconds"], size))
        last[pid] = (measured.result["seconds"], size)
    lines, largest = [], 0.0
    for pid in sorted(first):
        (started_at, start), (ended_at, end) = first[pid], last[pid]
        growth = end / start - 1
        largest = max(largest, growth)
        how = (
            "to the end"
            if pid in measured.memory_end
            else f"until it was recycled at {ended_at:.0f} s"
        )
        since = "" if started_at == 0 else f" (started at {started_at:.0f} s)"
        lines.append(
            f"worker {pid}: {start / 1024:.1f} MB -> {end / 1024:.1f} MB "
            f"{how}{since}: {growth:+.1%}"
        )
    return lines, largest


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--minutes", type=float, default=10)
    parser.add_argument("--warmup", type=float, default=30)
    parser.add_argument("--users", type=int, default=32)
    parser.add_argument("--progress", type=float, default=60)
    parser.add_argument("--echo", action="store_true", help="show the client's lines")
    args = _harness.parse_args(parser, SMOKE)

    started = time.perf_counter()
    _harness.prepare_database()
    print(f"set-up (migrate, static files): {time.perf_counter() - started:.1f} s")
    built = None
    try:
        sizes = load_project.SMOKE if args.smoke else load_project.FULL
        started = time.perf_counter()
        built = load_project.build(sizes, random.Random(load_project.SEED))
        print(f"built the load project in {time.perf_counter() - started:.1f} s")
        print(load_project.describe(built))
        plan = _serving.write_plan(built.plan, built.password)
        with _serving.gunicorn("soak") as server:
            print(
                f"server: gunicorn as config/gunicorn.py sets it up; "
                f"{len(server.workers())} workers running"
            )
            print(_harness.machine())
            measured = _serving.measure(
                server,
                plan,
                users=args.users,
                seconds=args.minutes * 60,
                warmup=args.warmup,
                progress=args.progress,
                echo=args.echo,
            )
        print(
            f"soak: {args.users} members, {args.minutes * 60:g} s measured after "
            f"sign-in and {args.warmup:g} s of warm-up; "
            f"{_harness.machine().split('; ')[-1]}"
        )
        for line in _serving.describe_run(measured):
            print(line)
        for at, sample in measured.memory_samples:
            sizes_mb = ", ".join(f"{size / 1024:.1f}" for size in sample.values())
            print(f"memory at {at:.0f} s: {sizes_mb} MB")
        lines, largest = growth_lines(measured)
        for line in lines:
            print(line)
        result = measured.result
        errors = sum(result["errors"].values()) + len(measured.server_errors)
        ok = verdict(
            "soak-errors",
            errors == 0 and result["all"]["requests"] > 0,
            f"{errors} errors in {result['all']['requests']:,} requests; target none",
        )
        ok &= verdict(
            "soak-memory",
            bool(lines) and largest < TARGET_GROWTH,
            f"largest growth of a worker {largest:+.1%}, target < {TARGET_GROWTH:.0%}",
            judged=not args.smoke,
        )
        return 0 if ok else 1
    finally:
        load_project.clean_up(built)


if __name__ == "__main__":
    _harness.run(main)
