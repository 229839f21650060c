"""Time the document page for a ~1 MB document; target < 150 ms server time.

Also counts the page's SQL queries for the big document and for a tiny one (they
must be equal: the page does not query per block) and times the import of the
same text at service level (import_bytes + save_document).

Run: .venv/bin/python bench/bench_document_page.py [--runs N] [--profile]

It uses a throw-away SQLite database in a temporary directory, or the database
named by DATABASE_URL, where it removes the rows it made when it finishes.
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
import uuid
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
os.environ["DJANGO_STATIC_ROOT"] = os.path.join(SCRATCH, "static")
os.environ.setdefault("DJANGO_LOG_LEVEL", "WARNING")

import django  # noqa: E402

django.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from corpus import importers, services  # noqa: E402
from corpus.roles import Role  # noqa: E402

TARGET_MS = 150
TARGET_BYTES = 1_000_000
VOCABULARY = """
the river council planted plane trees along embankment shade survey residents
reported summer heat canopy cover street limes roots budget officials maintenance
drought water café naïve façade Zürich São Paulo — “quoted” words 2019 42%
municipal tender contractor
"""
WORDS = VOCABULARY.split()


def sentence(rng: random.Random) -> str:
    words = rng.choices(WORDS, k=rng.randint(8, 22))
    return " ".join(words).capitalize() + "."


def make_markdown(size: int, seed: int = 1) -> str:
    """About `size` bytes of Markdown: headings, paragraphs, lists, some links."""
    rng = random.Random(seed)
    parts = ["# A generated report on street trees", ""]
    produced, n = 0, 0
    while produced < size:
        n += 1
        if n % 25 == 1:
            parts += [f"## Section {n // 25 + 1}: the {rng.choice(WORDS)} question", ""]
        if n % 9 == 0:
            parts += [f"- {sentence(rng)}" for _ in range(rng.randint(2, 5))] + [""]
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 8)))
        if n % 5 == 0:
            paragraph += f" See [the source {n}](https://example.org/source/{n})."
        parts += [paragraph, ""]
        produced = sum(len(part.encode()) + 1 for part in parts)
    return "\n".join(parts)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def time_page(client: Client, url: str, runs: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        assert client.get(url).status_code == 200
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = client.get(url)
        times.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
    return times


def count_queries(client: Client, url: str) -> tuple[int, int]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries), len(response.content)


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
    args = parser.parse_args()

    call_command("migrate", verbosity=0)
    # Production serves hashed static names from a manifest: build it once.
    call_command("collectstatic", interactive=False, verbosity=0)
    tag = uuid.uuid4().hex[:8]
    user = get_user_model().objects.create_user(f"bench-{tag}")
    project = services.create_project(name=f"Bench {tag}", owner=user)
    reader = get_user_model().objects.create_user(f"bench-reader-{tag}")
    services.add_member(project=project, user=reader, role=Role.VIEWER)
    try:
        return run(args, project, user, reader)
    finally:
        project.delete()
        get_user_model().objects.filter(pk__in=[user.pk, reader.pk]).delete()


def run(args, project, user, reader) -> int:
    text = make_markdown(TARGET_BYTES)
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
    times = time_page(client, big.get_absolute_url(), args.runs, args.warmup)
    big_queries, big_size = count_queries(client, big.get_absolute_url())
    tiny_queries, tiny_size = count_queries(client, tiny.get_absolute_url())
    median, p95 = statistics.median(times), percentile(times, 0.95)
    headings = sum(block["kind"] == "heading" for block in big.blocks)

    print(
        f"database: {connection.vendor}; Django DEBUG off; "
        f"{len(os.sched_getaffinity(0))} CPUs"
    )
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
    print(f"SQL queries: 1 MB document {big_queries}, tiny document {tiny_queries}")

    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        for _ in range(10):
            client.get(big.get_absolute_url())
        profiler.disable()
        print("\ncProfile, 10 GETs of the 1 MB document, by cumulative time:")
        pstats.Stats(profiler, stream=sys.stdout).sort_stats("cumulative").print_stats(
            25
        )

    ok = median < TARGET_MS and big_queries == tiny_queries
    print("RESULT:", "OK" if ok else "FAILED", f"(median {median:.1f} ms)")
    return 0 if ok else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    finally:
        shutil.rmtree(SCRATCH, ignore_errors=True)
