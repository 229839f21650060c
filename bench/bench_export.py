"""The W3C export and the protocol's pages on the load project.

Targets (issue 12): the JSON-LD export and the backup archive of 100,000
annotations (with replies, tags and links) under 20 s each, the process's peak
memory within 50 MB of its size before; the backup restored under 60 s; a
protocol page of 100 annotations under 50 ms median server time, in a number of
queries that does not grow with the project.

The load project (bench/load_project.py: 200 documents, 100,000 annotations,
20,070 replies, 64,887 tag links, 2,818 links) is built; then, as its owner:

- the whole project is exported through the test client (the view, its
  streaming and the middleware), every byte written to a file (the client's
  copy) and parsed back as JSON; the process's peak memory (VmHWM, reset just
  before through /proc/self/clear_refs) is compared with its size before
  (after giving back to the system what building the project freed:
  malloc_trim);
- the project's backup archive is written to a file (time, peak memory as
  above) and restored from it as a new project (time);
- the project's container is read as a client reads it, from nothing kept:
  the collection (which counts the items), then 30 pages in turn (each
  knows where it starts from the one before; median time); then the last page
  asked for first; then the first, second and last pages again and again
  (median of --runs, the counts kept), with their queries counted.

Run: .venv/bin/python bench/bench_export.py [--runs 20]
PostgreSQL: scripts/pg-throwaway.sh bash -c
    'DATABASE_URL="$APPARATUS_TEST_POSTGRES_URL" .venv/bin/python bench/bench_export.py'
"""

from __future__ import annotations

import argparse
import ctypes
import ctypes.util
import gc
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

import _harness
import load_project
from _harness import verdict
from django.test import Client
from django.urls import reverse

from annotations import export
from annotations.backup import archive, restore
from annotations.models import Annotation, Link
from annotations.views import protocol
from corpus.models import Membership

TARGET_EXPORT_S = 20
TARGET_PEAK_MB = 50
TARGET_PAGE_MS = 50
TARGET_RESTORE_S = 60
# Pages a client reads in turn after the first.
WALK_PAGES = 30
# A page's queries: access, counts, cursors, and one batch of notes with their
# tags, replies, links and history. The smoke project and the full one (100
# times larger) must both stay within it.
MAX_PAGE_QUERIES = 20
SMOKE = {"runs": 3}


def memory_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise LookupError(field)


def _malloc_trim() -> bool:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.malloc_trim(0)
    except (OSError, AttributeError):
        return False
    return True


def reset_peak() -> bool:
    """Start VmHWM again from the current size (Linux 4.0 and later)."""
    try:
        Path("/proc/self/clear_refs").write_text("5")
    except OSError:
        return False
    return True


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    args = _harness.parse_args(parser, SMOKE)
    _harness.prepare_database()
    sizes = load_project.SMOKE if args.smoke else load_project.FULL
    built = None
    try:
        built = load_project.build(sizes, random.Random(load_project.SEED))
        print(load_project.describe(built))
        print(_harness.machine())
        return run(args, built)
    finally:
        load_project.clean_up(built)


def run(args, built) -> int:
    judged = not args.smoke
    project = built.project
    owner = Membership.objects.get(project=project, role="owner").user
    client = Client()
    client.force_login(owner)
    url = reverse("annotations:project_export_annotations", args=[project.slug])
    client.get(url)  # the first request's imports and caches, not the export's

    # What building the project freed goes back to the system first, so that
    # the export's memory shows as growth, not as reuse of the heap's holes.
    gc.collect()
    trimmed = _malloc_trim()
    idle = memory_kb("VmRSS")
    exact_peak = reset_peak()
    started = time.perf_counter()
    response = client.get(url)
    size = 0
    with tempfile.TemporaryFile() as kept:  # the client's copy, on disk
        for piece in response.streaming_content:
            size += len(piece)
            kept.write(piece)
        seconds = time.perf_counter() - started
        peak = memory_kb("VmHWM")
        kept.seek(0)
        collection = json.load(kept)
    items = collection["first"]["items"]
    kinds = {}
    for item in items:
        kinds[item["motivation"]] = kinds.get(item["motivation"], 0) + 1
    counted = ", ".join(f"{n:,} {kind}" for kind, n in sorted(kinds.items()))
    print(
        f"export: {len(items):,} items ({counted}), "
        f"{size / 1e6:.1f} MB, in {seconds:.1f} s"
    )
    grown = (peak - idle) / 1024
    notes = []
    if not exact_peak:
        notes.append("peak since start: no clear_refs")
    if not trimmed:
        notes.append("freed memory not given back first: no malloc_trim")
    caveats = f" ({'; '.join(notes)})" if notes else ""
    print(
        f"memory: {idle / 1024:.0f} MB before, peak {peak / 1024:.0f} MB "
        f"(+{grown:.0f} MB){caveats}"
    )
    ok = verdict(
        "export-items",
        collection["total"] == len(items) > 0,
        f"{len(items):,} items, total {collection['total']:,}",
    )
    ok &= verdict(
        "export-time",
        seconds < TARGET_EXPORT_S,
        f"{seconds:.1f} s, target < {TARGET_EXPORT_S} s",
        judged,
    )
    ok &= verdict(
        "export-memory",
        grown < TARGET_PEAK_MB,
        f"+{grown:.0f} MB, target < {TARGET_PEAK_MB} MB",
        judged,
    )

    ok &= backup(project, judged)

    container = reverse("annotations:w3c_container", args=[project.slug])
    # A client reading the container in turn, from nothing kept: the
    # collection (which counts), then page after page.
    export.clear()
    began = time.perf_counter()
    collection = json.loads(client.get(container).content)
    opening = (time.perf_counter() - began) * 1000
    first, last = collection["first"], collection["last"]
    walk, page = [], first
    while "next" in page and len(walk) < WALK_PAGES:
        began = time.perf_counter()
        answer = client.get(page["next"])
        walk.append((time.perf_counter() - began) * 1000)
        page = json.loads(answer.content)
    walked = statistics.median(walk) if walk else 0.0
    print(
        f"protocol walk: the collection in {opening:.1f} ms (its counts made), "
        f"then {len(walk)} pages in turn: median {walked:.1f} ms, "
        f"slowest {max(walk, default=0):.1f} ms"
    )
    ok &= verdict(
        "page-walk",
        walked < TARGET_PAGE_MS,
        f"{walked:.1f} ms, target < {TARGET_PAGE_MS} ms",
        judged,
    )
    # The last page asked for first (a jump, where it starts is counted).
    export.clear()
    began = time.perf_counter()
    client.get(last)
    jumped = (time.perf_counter() - began) * 1000
    print(f"protocol last page, nothing kept: {jumped:.1f} ms")
    pages = {"first page": first["id"], "last page": last}
    if "next" in first:
        pages["second page"] = first["next"]
    queries = {}
    for name, page in pages.items():
        times = []
        for _ in range(args.runs):
            began = time.perf_counter()
            answer = client.get(page)
            times.append((time.perf_counter() - began) * 1000)
            assert answer.status_code == 200
        queries[name] = _harness.queries_of(lambda page=page: client.get(page))
        shown = json.loads(answer.content)
        median = statistics.median(times)
        print(
            f"protocol {name} again: {len(shown['items'])} items "
            f"({protocol.PAGE_SIZE} notes at most), median {median:.1f} ms, "
            f"{queries[name]} queries"
        )
        ok &= verdict(
            f"page-{name.split()[0]}",
            median < TARGET_PAGE_MS,
            f"{median:.1f} ms, target < {TARGET_PAGE_MS} ms",
            judged,
        )
    ok &= verdict(
        "page-queries",
        max(queries.values()) <= MAX_PAGE_QUERIES,
        f"{sorted(set(queries.values()))} by page, at most {MAX_PAGE_QUERIES} "
        "whatever the project's size",
    )
    return 0 if ok else 1


def backup(project, judged: bool) -> bool:
    """The backup archive written (time, peak memory) and restored (time)."""
    gc.collect()
    _malloc_trim()
    idle = memory_kb("VmRSS")
    reset_peak()
    with tempfile.TemporaryFile() as kept:
        started = time.perf_counter()
        for piece in archive.write(project):
            kept.write(piece)
        seconds = time.perf_counter() - started
        peak = memory_kb("VmHWM")
        size = kept.tell()
        kept.seek(0)
        started = time.perf_counter()
        restored = restore.restore(kept, slug=f"{project.slug}-restored")
        restoring = time.perf_counter() - started
    try:
        grown = (peak - idle) / 1024
        notes = Annotation.objects.filter(project=restored).count()
        print(
            f"backup: {size / 1e6:.1f} MB written in {seconds:.1f} s, peak "
            f"+{grown:.0f} MB; restored ({notes:,} notes) in {restoring:.1f} s"
        )
        ok = verdict(
            "backup-notes",
            notes == Annotation.objects.filter(project=project).count(),
            f"{notes:,} notes restored",
        )
        ok &= verdict(
            "backup-time",
            seconds < TARGET_EXPORT_S,
            f"{seconds:.1f} s, target < {TARGET_EXPORT_S} s",
            judged,
        )
        ok &= verdict(
            "backup-memory",
            grown < TARGET_PEAK_MB,
            f"+{grown:.0f} MB, target < {TARGET_PEAK_MB} MB",
            judged,
        )
        ok &= verdict(
            "restore-time",
            restoring < TARGET_RESTORE_S,
            f"{restoring:.1f} s, target < {TARGET_RESTORE_S} s",
            judged,
        )
    finally:
        Link.objects.filter(project=restored).delete()
        restored.delete()
    return ok


if __name__ == "__main__":
    _harness.run(main)
