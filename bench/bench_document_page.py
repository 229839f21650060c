"""Time the document page for a ~1 MB document; target < 150 ms server time.

Also counts the page's SQL queries for the big document and for a tiny one (they
must be equal: the page does not query per block) and times the import of the
same text at service level (import_bytes + save_document).

Run: .venv/bin/python bench/bench_document_page.py [--runs N] [--profile] [--smoke]

--smoke takes the same steps with a ~50 KB document, 3 GETs and 2 imports (a
few seconds, for the tests); it judges the query counts, not the time.

It uses a throw-away SQLite database in a temporary directory, or the database
named by DATABASE_URL, where it removes the rows it made when it finishes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid

import _harness
from _harness import expect, percentile, queries_of, timed
from django.contrib.auth import get_user_model
from django.test import Client

from corpus import importers, services
from corpus.roles import Role

TARGET_MS = 150
TARGET_BYTES = 1_000_000
SMOKE_BYTES = 50_000
SMOKE_RUNS = {"runs": 3, "warmup": 1, "import_runs": 2}


def count_queries(client: Client, url: str) -> tuple[int, int]:
    """The page's SQL queries and its size in bytes."""
    size = 0

    def get():
        nonlocal size
        size = len(expect(200, client.get(url)).content)

    return queries_of(get), size


def time_import(
    data: bytes, project, user, runs: int
) -> tuple[list[float], list[float]]:
    """Milliseconds for import_bytes and for save_document, `runs` times each."""
    parse, save = [], []
    for _ in range(runs):
        started = time.perf_counter()
        imported = importers.import_bytes(data, filename="bench.md")
        parsed = time.perf_counter()
        document = services.save_document(
            project=project,
            imported=imported,
            original=data,
            filename="bench.md",
            imported_by=user,
        )
        saved = time.perf_counter()
        parse.append((parsed - started) * 1000)
        save.append((saved - parsed) * 1000)
        document.delete()
    return parse, save


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--import-runs", type=int, default=5)
    parser.add_argument("--profile", action="store_true", help="cProfile 10 page GETs")
    args = _harness.parse_args(parser, SMOKE_RUNS)

    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"bench-{tag}")
    project = services.create_project(name=f"Bench {tag}", owner=user)
    reader = get_user_model().objects.create_user(f"bench-reader-{tag}")
    services.add_member(project=project, user=reader, role=Role.VIEWER)
    try:
        return run(args, project, user, reader)
    finally:
        _harness.clean_up(projects=[project], users=[user, reader])


def run(args, project, user, reader) -> int:
    size = SMOKE_BYTES if args.smoke else TARGET_BYTES
    text = _harness.make_markdown(size, random.Random(1))
    data = text.encode()
    parse_ms, save_ms = time_import(data, project, user, args.import_runs)
    imported = importers.import_bytes(data, filename="bench.md")
    big = services.save_document(
        project=project,
        imported=imported,
        original=data,
        filename="bench.md",
        imported_by=user,
    )
    tiny_data = b"# A tiny note\n\nOne paragraph.\n\n- one item\n"
    tiny = services.save_document(
        project=project,
        imported=importers.import_bytes(tiny_data, filename="tiny.md"),
        original=tiny_data,
        filename="tiny.md",
        imported_by=user,
    )

    client = Client()
    client.force_login(reader)
    big_url = big.get_absolute_url()
    times = timed(lambda: expect(200, client.get(big_url)), args.runs, args.warmup)
    big_queries, big_size = count_queries(client, big_url)
    # Compared in the same state: the big page's text is in the worker's cache
    # after the timed GETs, so the tiny one's must be too.
    expect(200, client.get(tiny.get_absolute_url()))
    tiny_queries, tiny_size = count_queries(client, tiny.get_absolute_url())
    median, p95 = statistics.median(times), percentile(times, 0.95)
    headings = sum(block["kind"] == "heading" for block in big.blocks)

    print(_harness.machine())
    print(
        f"document: {len(data):,} bytes, {len(big.text):,} characters, "
        f"{len(big.blocks):,} blocks ({headings} headings), {len(big.links)} links"
    )
    total_ms = [p + s for p, s in zip(parse_ms, save_ms, strict=True)]
    print(
        f"import (service level, {args.import_runs} runs): import_bytes median "
        f"{statistics.median(parse_ms):.0f} ms, save_document median "
        f"{statistics.median(save_ms):.0f} ms, total median "
        f"{statistics.median(total_ms):.0f} ms"
    )
    print(
        f"document page, {args.runs} GETs after {args.warmup} warm-ups: "
        f"median {median:.1f} ms, p95 {p95:.1f} ms, min {min(times):.1f} ms "
        f"(target < {TARGET_MS} ms)"
    )
    print(f"response size: {big_size:,} bytes (tiny document: {tiny_size:,} bytes)")
    label = _harness.size_label(size)
    print(f"SQL queries: {label} document {big_queries}, tiny document {tiny_queries}")

    if args.profile:
        _harness.profile(
            f"GETs of the {label} document", lambda: client.get(big_url), 10
        )

    # A smoke run's time says nothing: its document is tiny, its runs are few.
    fast_enough = median < TARGET_MS or args.smoke
    ok = fast_enough and big_queries == tiny_queries
    note = "; time not judged in a smoke run" if args.smoke else ""
    print("RESULT:", "OK" if ok else "FAILED", f"(median {median:.1f} ms{note})")
    return 0 if ok else 1


if __name__ == "__main__":
    _harness.run(main)
