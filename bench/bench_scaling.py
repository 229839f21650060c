"""How the document page and creating an annotation scale: with the number of
annotations on one document, and with the document's size.

Target (from issue 11): the cost grows at most linearly in what the page shows,
never quadratically.

Two series, each point a document of its own project (a project holds a text
once) with the same members and 30 tags:
  - annotations: a ~1 MB generated Markdown text with 10, 100, 1,000, 10,000
    and 50,000 annotations (bulk-created as bench_annotations.py makes them:
    hot spots, overlaps, tags, replies, some private);
  - size: generated Markdown texts of 10 KB, 100 KB, 1 MB and 5 MB (the upload
    limit), each with 100 annotations.
For each point: the document page as the first view after a change (the
worker's text cache warm, its rendering not: what a reader pays after every
write), the page again (rendering cached), and an htmx create, through Django's
test client as a signed-in annotator (DEBUG off, manifest static files).
Times are medians of --runs wall-clock times; the check uses the fastest run's
CPU time of this process (which, on SQLite, includes the database's work; on
PostgreSQL not the server's), which other work on a shared machine hardly
moves. Between two neighbouring points the growth exponent is
log(t2 / t1) / log(n2 / n1): 1 is linear, 2 quadratic, 0 flat. The script
exits with status 1 if an exponent of the page or of create exceeds 1.2.

Run: .venv/bin/python bench/bench_scaling.py [--runs N] [--smoke]

--smoke: 10, 100 and 300 annotations on 50 KB, texts of 10 and 50 KB, 3 runs
(seconds, for the tests); exponents printed, not judged.

It uses a throw-away SQLite database in a temporary directory, or the database
named by DATABASE_URL, where it removes the rows it made when it finishes.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time
import uuid
from dataclasses import dataclass, field

import _harness
import bench_annotations
from _harness import expect, verdict
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from annotations.models import Annotation, Tag
from corpus import bodycache, importers, services
from corpus.roles import Role


@dataclass(frozen=True)
class Sizes:
    annotated_bytes: int  # the text of the annotations series
    annotations: tuple[int, ...]
    text_bytes: tuple[int, ...]
    annotations_per_size: int


FULL = Sizes(
    annotated_bytes=1_000_000,
    annotations=(10, 100, 1_000, 10_000, 50_000),
    text_bytes=(10_000, 100_000, 1_000_000, 5_000_000),
    annotations_per_size=100,
)
SMOKE = Sizes(
    annotated_bytes=50_000,
    annotations=(10, 100, 300),
    text_bytes=(10_000, 50_000),
    annotations_per_size=20,
)
SEED = 20261201
TAGS = 30
LIMIT = 1.2


@dataclass
class Point:
    label: str
    amount: int  # annotations, or bytes
    document: object = None
    page_ms: list[float] = field(default_factory=list)
    page_cpu: list[float] = field(default_factory=list)
    cached_ms: list[float] = field(default_factory=list)
    create_ms: list[float] = field(default_factory=list)
    create_cpu: list[float] = field(default_factory=list)
    page_bytes: int = 0


def timed(request, runs: int) -> tuple[list[float], list[float]]:
    """Wall-clock and CPU milliseconds of each of `runs` calls, after one."""
    request()
    wall, cpu = [], []
    for _ in range(runs):
        started, started_cpu = time.perf_counter(), time.process_time()
        request()
        wall.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - started_cpu) * 1000)
    return wall, cpu


def make_point(label, amount, data, count, owner, annotator, tag, rng) -> Point:
    """A project with one document of `data` carrying `count` annotations."""
    project = services.create_project(name=f"Scaling {label} {tag}", owner=owner)
    services.add_member(project=project, user=annotator, role=Role.ANNOTATOR)
    Tag.objects.bulk_create(
        [Tag(project=project, name=f"tag {n:02d}") for n in range(TAGS)]
    )
    imported = importers.import_bytes(data, filename="scaling.md")
    document = services.save_document(
        project=project,
        imported=imported,
        original=data,
        filename="scaling.md",
        imported_by=owner,
    )
    document.project = project
    tags = list(Tag.objects.filter(project=project))
    bench_annotations.add_annotations(document, [owner, annotator], tags, count, rng)
    return Point(label=label, amount=amount, document=document)


def measure(point: Point, client: Client, runs: int, rng: random.Random) -> None:
    document = point.document
    url = document.get_absolute_url()

    def after_change():
        bodycache.rendered.clear()
        return expect(200, client.get(url))

    point.page_ms, point.page_cpu = timed(after_change, runs)
    point.cached_ms, _ = timed(lambda: expect(200, client.get(url)), runs)
    point.page_bytes = len(client.get(url).content)
    create_url = reverse(
        "annotations:annotation_create", args=[document.project.slug, document.pk]
    )

    def create():
        selection = bench_annotations.browser_selection(document, rng)
        return expect(
            200, client.post(create_url, selection, headers={"HX-Request": "true"})
        )

    point.create_ms, point.create_cpu = timed(create, runs)


def exponent(a: float, b: float, n_a: int, n_b: int) -> float:
    return math.log(max(b, 1e-6) / max(a, 1e-6)) / math.log(n_b / n_a)


def report(title: str, unit: str, points: list[Point]) -> tuple[float, float]:
    """Print one series' table; return its largest page and create exponents."""
    print(f"\n{title}")
    print(
        f"  {unit:>12}  {'page after a change':>20}  {'CPU best':>9}  "
        f"{'exponent':>8}  {'page cached':>11}  {'create':>8}  {'CPU best':>9}  "
        f"{'exponent':>8}  {'page size':>10}"
    )
    worst_page = worst_create = -math.inf
    previous = None
    for point in points:
        page_best, create_best = min(point.page_cpu), min(point.create_cpu)
        page_exp = create_exp = ""
        if previous is not None:
            e_page = exponent(
                min(previous.page_cpu), page_best, previous.amount, point.amount
            )
            e_create = exponent(
                min(previous.create_cpu), create_best, previous.amount, point.amount
            )
            worst_page, worst_create = (
                max(worst_page, e_page),
                max(worst_create, e_create),
            )
            page_exp, create_exp = f"{e_page:.2f}", f"{e_create:.2f}"
        print(
            f"  {point.label:>12}  {statistics.median(point.page_ms):>17.1f} ms  "
            f"{page_best:>6.1f} ms  {page_exp:>8}  "
            f"{statistics.median(point.cached_ms):>8.1f} ms  "
            f"{statistics.median(point.create_ms):>5.1f} ms  {create_best:>6.1f} ms  "
            f"{create_exp:>8}  {point.page_bytes / 1000:>7.0f} KB"
        )
        previous = point
    return worst_page, worst_create


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9)
    args = _harness.parse_args(parser, {"runs": 3})
    sizes = SMOKE if args.smoke else FULL
    started = time.perf_counter()
    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    User = get_user_model()
    owner = User.objects.create_user(f"scaling-owner-{tag}")
    annotator = User.objects.create_user(f"scaling-annotator-{tag}")
    points_by_count, points_by_size = [], []
    try:
        rng = random.Random(SEED)
        words = bench_annotations.WORDS
        annotated = _harness.make_markdown(sizes.annotated_bytes, rng, words).encode()
        for count in sizes.annotations:
            points_by_count.append(
                make_point(
                    f"{count:,}", count, annotated, count, owner, annotator, tag, rng
                )
            )
        for size in sizes.text_bytes:
            data = _harness.make_markdown(size, rng, words).encode()
            points_by_size.append(
                make_point(
                    _harness.size_label(size),
                    len(data),
                    data,
                    sizes.annotations_per_size,
                    owner,
                    annotator,
                    tag,
                    rng,
                )
            )
        print(
            f"set-up (migrate, static files, {len(points_by_count)} + "
            f"{len(points_by_size)} documents): {time.perf_counter() - started:.1f} s"
        )
        print(_harness.machine())
        client = Client()
        client.force_login(annotator)
        for point in [*points_by_count, *points_by_size]:
            measure(point, client, args.runs, rng)
        print(
            f"{args.runs} runs a figure; times are medians, CPU the fastest run's "
            "CPU time; the exponent is from the point above (1 linear, 2 quadratic)"
        )
        by_count = report(
            f"By annotations, on a {_harness.size_label(sizes.annotated_bytes)} text",
            "annotations",
            points_by_count,
        )
        by_size = report(
            f"By text size, {sizes.annotations_per_size} annotations each",
            "text",
            points_by_size,
        )
        made = Annotation.objects.filter(
            document__in=[p.document for p in points_by_count]
        ).count()
        print(f"\nannotations in the first series at the end: {made:,}")
        judged = not args.smoke
        ok = True
        for name, (page, create) in (("annotations", by_count), ("size", by_size)):
            ok &= verdict(
                f"page-by-{name}",
                page <= LIMIT,
                f"largest exponent {page:.2f}, limit {LIMIT}",
                judged,
            )
            ok &= verdict(
                f"create-by-{name}",
                create <= LIMIT,
                f"largest exponent {create:.2f}, limit {LIMIT}",
                judged,
            )
        return 0 if ok else 1
    finally:
        projects = [p.document.project for p in [*points_by_count, *points_by_size]]
        _harness.clean_up(projects=projects, users=[owner, annotator])


if __name__ == "__main__":
    _harness.run(main)
