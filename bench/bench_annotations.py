"""Time the reading view, creating and polling with 10,000 annotations on 1 MB.

Targets (from the issue):
  - document page < 300 ms median with 10,000 annotations, and the same number
    of SQL queries as with 10 annotations;
  - creating an annotation through the htmx endpoint < 30 ms median;
  - polling when nothing changed (204) < 5 ms median.

Set-up: a ~1 MB generated Markdown text is imported (import_bytes +
save_document) three times, into three projects with the same 3 members and 30
tags each, since a project holds a text only once. One copy gets 10,000
overlapping annotations (bulk-created: the service works one at a time), one
gets 10, one none. Requests go through Django's test client as a signed-in
annotator (DEBUG off, manifest static files); "server time" is the whole
request through middleware, view, ORM and template, without a network.

Run: .venv/bin/python bench/bench_annotations.py [--profile] [--smoke]

--smoke takes the same steps with a ~50 KB text and 300 annotations, 3 GETs, 3
creates and 10 polls (a few seconds, for the tests); it judges the query
counts, not the times.

It uses a throw-away SQLite database in a temporary directory, or the database
named by DATABASE_URL, where it removes the rows it made when it finishes.
"""

from __future__ import annotations

import argparse
import random
import statistics
import time
import uuid
from dataclasses import dataclass

import _harness
from _harness import expect, queries_of, summary, timed, verdict
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse

from annotations import polling
from annotations.models import Annotation, Reply, Status, Tag, Visibility
from annotations.segments import segment_blocks
from annotations.services import anchored, audience_of
from annotations.services.revisions import BulkCounts
from corpus import bodycache, importers, services
from corpus.models import Document, Membership
from corpus.roles import Role


@dataclass(frozen=True)
class Sizes:
    text_bytes: int
    annotations: int  # on the first copy of the text
    few: int  # on the second


SEED = 20261121
FULL = Sizes(text_bytes=1_000_000, annotations=10_000, few=10)
SMOKE = Sizes(text_bytes=50_000, annotations=300, few=10)
SMOKE_RUNS = {"runs": 3, "warmup": 1, "creates": 3, "polls": 10}
TAGS = 30
PAGE_TARGET_MS = 300
CREATE_TARGET_MS = 30
POLL_TARGET_MS = 5
# Two characters outside the Basic Multilingual Plane, so the browser's UTF-16
# offsets differ from code points as they do in real sources.
WORDS = [*_harness.WORDS, "🌳", "𝔸"]
# What hx-include="#margin-filters" adds to the browser's requests.
MARGIN_FILTERS = {"tag": "", "author": "", "status": ""}
# Frames every request passes through, left out of the profiles' listings.
PLUMBING = _harness.plumbing("bench_annotations.py")


def sentence(rng: random.Random) -> str:
    return _harness.sentence(rng, WORDS)


# -- Annotations, bulk-created -------------------------------------------------


class Ranges:
    """Random annotation ranges on a document's text, snapped into its blocks."""

    def __init__(self, document: Document, rng: random.Random):
        self.text = document.text
        self.blocks = [
            (b["start"], b["end"]) for b in document.blocks if b["end"] > b["start"]
        ]
        self.rng = rng
        # Places many people annotate: a few hundred hot spots.
        self.hot_spots = [rng.randrange(len(self.text)) for _ in range(250)]

    def _block_at(self, position: int) -> int:
        """Index of the block holding `position`, or of the next one."""
        low, high = 0, len(self.blocks)
        while low < high:
            middle = (low + high) // 2
            if self.blocks[middle][1] <= position:
                low = middle + 1
            else:
                high = middle
        return min(low, len(self.blocks) - 1)

    def _snap(self, start: int, end: int) -> tuple[int, int] | None:
        """Move ends that fall between blocks into them, as a selection would."""
        first = self.blocks[self._block_at(start)]
        start = max(start, first[0])
        last_index = self._block_at(end - 1)
        if self.blocks[last_index][0] >= end:
            last_index -= 1  # end fell in the gap before this block
        end = min(end, self.blocks[last_index][1])
        if end - start < 5 or not self.text[start:end].strip():
            return None
        return start, end

    def one(self) -> tuple[int, int]:
        rng, text_length = self.rng, len(self.text)
        while True:
            kind = rng.random()
            if kind < 0.45:  # clustered around a hot spot: deep overlaps
                start = rng.choice(self.hot_spots) + rng.randint(-150, 60)
                end = start + rng.randint(5, 400)
            elif kind < 0.55:  # across the boundary of two blocks
                index = rng.randrange(len(self.blocks) - 1)
                (a_start, a_end), (b_start, b_end) = self.blocks[index : index + 2]
                start = a_end - rng.randint(1, min(195, a_end - a_start))
                end = b_start + rng.randint(1, min(195, b_end - b_start))
            else:  # anywhere
                start = rng.randrange(text_length - 5)
                end = start + rng.randint(5, 400)
            start, end = max(0, start), min(text_length, end)
            if start < end and (snapped := self._snap(start, end)):
                return snapped


def add_annotations(
    document: Document, members: list, tags: list[Tag], count: int, rng
) -> None:
    """Bulk-create `count` annotations with tags, replies and some private ones.

    Each row is stamped, and the document's revisions moved, as
    services.revisions does for a write: polling and the page's cached
    rendering read them.
    """
    text = document.text
    premoderation = document.project.premoderation
    ranges = Ranges(document, rng)
    counts = BulkCounts(document)
    first_revision = counts.every
    rows = []
    for _ in range(count):
        start, end = ranges.one()
        annotation = Annotation(
            project_id=document.project_id,
            document=document,
            author=rng.choice(members),
            **anchored(text, start, end),
            body=sentence(rng) if rng.random() < 0.6 else "",
            visibility=(
                Visibility.PRIVATE if rng.random() < 0.05 else Visibility.PROJECT
            ),
            status=Status.APPROVED if rng.random() < 0.1 else Status.SUBMITTED,
        )
        audience = audience_of(
            visibility=annotation.visibility,
            status=annotation.status,
            premoderation=premoderation,
        )
        span = annotation.end - annotation.start
        for column, value in counts.stamp(audience, annotation.author_id, span).items():
            setattr(annotation, column, value)
        rows.append(annotation)
    with transaction.atomic():
        Annotation.objects.bulk_create(rows, batch_size=2000)
        # Not every backend hands back primary keys: read them by revision.
        pks = list(
            Annotation.objects.filter(document=document, revision__gt=first_revision)
            .order_by("revision")
            .values_list("pk", flat=True)
        )
        assert len(pks) == count
        through = Annotation.tags.through
        Annotation.tags.through.objects.bulk_create(
            [
                through(annotation_id=pk, tag_id=tag.pk)
                for pk in pks
                if rng.random() < 0.3
                for tag in rng.sample(tags, rng.randint(1, 3))
            ],
            batch_size=2000,
        )
        Reply.objects.bulk_create(
            [
                Reply(annotation_id=pk, author=rng.choice(members), body=sentence(rng))
                for pk in pks
                if rng.random() < 0.08
                for _ in range(rng.randint(1, 3))
            ],
            batch_size=2000,
        )
        counts.save()


def overlap_stats(document: Document) -> tuple[int, int, int]:
    """Deepest overlap, and the segments and characters covered 5 or more deep."""
    spans = list(
        Annotation.objects.filter(document=document).values_list("start", "end", "pk")
    )
    segments = segment_blocks([(b["start"], b["end"]) for b in document.blocks], spans)
    deepest, deep_segments, deep_chars = 0, 0, 0
    for block in segments:
        for start, end, keys in block:
            deepest = max(deepest, len(keys))
            if len(keys) >= 5:
                deep_segments += 1
                deep_chars += end - start
    return deepest, deep_segments, deep_chars


# -- What the browser sends ----------------------------------------------------


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def browser_selection(document: Document, rng: random.Random) -> dict[str, str]:
    """A random selection as annotate.js posts it: block starts + UTF-16 offsets.

    One in five spans two neighbouring blocks (which the page separates with a
    blank line, as annotate.js joins them).
    """
    text = document.text
    blocks = [b for b in document.blocks if b["end"] - b["start"] >= 20]
    while True:
        if rng.random() < 0.2:
            index = rng.randrange(len(blocks) - 1)
            first, last = blocks[index], blocks[index + 1]
            if text[first["end"] : last["start"]] != "\n\n":
                continue
            start = rng.randint(first["start"], first["end"] - 1)
            end = rng.randint(last["start"] + 1, last["end"])
        else:
            first = last = rng.choice(blocks)
            start = rng.randint(first["start"], first["end"] - 5)
            end = min(first["end"], start + rng.randint(5, 400))
        exact = text[start:end]
        if exact.strip():
            break
    return {
        "sb": str(first["start"]),
        "so": str(utf16_length(text[first["start"] : start])),
        "eb": str(last["start"]),
        "eo": str(utf16_length(text[last["start"] : end])),
        "exact": exact,
        "body": sentence(rng) if rng.random() < 0.7 else "",
        "tags": "",
        "visibility": "private" if rng.random() < 0.05 else "project",
        **MARGIN_FILTERS,
    }


# -- The run -------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20, help="timed page GETs")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--creates", type=int, default=30)
    parser.add_argument("--polls", type=int, default=200)
    parser.add_argument("--profile", action="store_true", help="cProfile each path")
    args = _harness.parse_args(parser, SMOKE_RUNS)

    started = time.perf_counter()
    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    User = get_user_model()
    owner = User.objects.create_user(f"bench-owner-{tag}")
    annotator = User.objects.create_user(f"bench-annotator-{tag}")
    curator = User.objects.create_user(f"bench-curator-{tag}")
    projects = []
    try:
        for name in ("many", "few", "none"):
            project = services.create_project(name=f"Bench {name} {tag}", owner=owner)
            services.add_member(project=project, user=annotator, role=Role.ANNOTATOR)
            services.add_member(project=project, user=curator, role=Role.CURATOR)
            Tag.objects.bulk_create(
                [Tag(project=project, name=f"tag {n:02d}") for n in range(TAGS)]
            )
            projects.append(project)
        elapsed = time.perf_counter() - started
        print(f"set-up (migrate, static files, members): {elapsed:.1f} s")
        return run(args, projects, [owner, annotator, curator], annotator)
    finally:
        _harness.clean_up(projects=projects, users=[owner, annotator, curator])


def run(args, projects, members, annotator) -> int:
    sizes = SMOKE if args.smoke else FULL
    # Figures' names: "10,000" annotations, verdict "page-10k".
    many_label, few_label = f"{sizes.annotations:,}", f"{sizes.few:,}"
    judged = not args.smoke  # a smoke run's times say nothing
    rng = random.Random(SEED)
    data = _harness.make_markdown(sizes.text_bytes, rng, WORDS).encode()
    started = time.perf_counter()
    imported = importers.import_bytes(data, filename="bench.md")
    documents = [
        services.save_document(
            project=project,
            imported=imported,
            original=data,
            filename="bench.md",
            imported_by=members[0],
        )
        for project in projects
    ]
    for document, project in zip(documents, projects, strict=True):
        document.project = project
    many, few, none = documents
    print(
        f"import: {time.perf_counter() - started:.1f} s for one import_bytes and "
        f"three save_document"
    )

    started = time.perf_counter()
    for document, count in ((many, sizes.annotations), (few, sizes.few)):
        tags = list(Tag.objects.filter(project_id=document.project_id))
        add_annotations(document, members, tags, count, rng)
    elapsed = time.perf_counter() - started
    print(f"bulk-created {many_label} + {few_label} annotations in {elapsed:.1f} s")

    deepest, deep_segments, deep_chars = overlap_stats(many)
    through = Annotation.tags.through.objects.filter(annotation__document=many)
    tagged = through.values("annotation_id").distinct().count()
    visible = Annotation.objects.visible_to(annotator).for_document(many).count()
    private = many.annotations.filter(visibility=Visibility.PRIVATE).count()
    replies = Reply.objects.filter(annotation__document=many).count()
    print(_harness.machine())
    print(
        f"document: {len(data):,} bytes, {len(many.text):,} characters, "
        f"{len(many.blocks):,} blocks, {len(many.links)} links"
    )
    print(
        f"annotations: {many_label} ({visible:,} visible to the annotator "
        f"signed in; {private} private), {tagged:,} tagged "
        f"({through.count():,} tag links), {replies:,} replies; "
        f"deepest overlap {deepest}, {deep_segments:,} segments "
        f"({deep_chars:,} characters) under 5 or more"
    )

    client = Client()
    client.force_login(annotator)
    ok = True

    # 1. The reading view with 10,000, 10 and 0 annotations.
    pages = {}
    for label, document in ((many_label, many), (few_label, few), ("0", none)):
        url = document.get_absolute_url()

        def get(url=url):
            return expect(200, client.get(url))

        def get_cold(url=url):
            # Nothing from the worker's caches: the page rendered from the rows.
            bodycache.clear()
            return expect(200, client.get(url))

        def get_after_change(url=url):
            # The first view after an annotation changed: the document's text
            # (immutable) is in the worker's cache, its rendering is not.
            bodycache.rendered.clear()
            return expect(200, client.get(url))

        cold = timed(get_cold, args.runs, args.warmup)
        times = timed(get_after_change, args.runs, args.warmup)
        warm = timed(get, args.runs, args.warmup)
        size = len(get().content)
        pages[label] = (times, queries_of(get_cold))
        print(
            f"document page, {label} annotations, first view after a change, "
            f"{args.runs} GETs after {args.warmup} warm-ups: {summary(times)}; "
            f"{pages[label][1]} queries; {size:,} bytes"
        )
        print(
            f"document page, {label} annotations, nothing cached in the worker: "
            f"{summary(cold)}"
        )
        print(
            f"document page, {label} annotations, repeat views (rendering cached "
            f"for this revision): {summary(warm)}"
        )
    page_median = statistics.median(pages[many_label][0])
    ratio = page_median / statistics.median(pages["0"][0])
    print(f"ratio, page with {many_label} annotations / page with none: {ratio:.1f}x")
    many_url = many.get_absolute_url()

    # 2. Creating an annotation through the htmx endpoint, with 10,000 there.
    create_url = reverse(
        "annotations:annotation_create", args=[many.project.slug, many.pk]
    )
    before = Annotation.objects.filter(document=many).count()

    def create():
        return expect(
            200,
            client.post(
                create_url, browser_selection(many, rng), headers={"HX-Request": "true"}
            ),
        )

    create_times = timed(create, args.creates, args.warmup)
    create_queries = queries_of(create)
    made = Annotation.objects.filter(document=many).count() - before
    assert made == args.creates + args.warmup + 1, made
    print(
        f"create (htmx POST), {args.creates} at random places after {args.warmup} "
        f"warm-ups: {summary(create_times)}; {create_queries} queries"
    )

    # 3. Polling when nothing changed: 204.
    changes_url = reverse(
        "annotations:annotation_changes_hx", args=[many.project.slug, many.pk]
    )
    # What the page gives the browser to poll with: the changes the annotator
    # may see, and the annotator's own.
    token = polling.reader_token(
        Membership.objects.get(project_id=many.project_id, user=annotator),
        Document.objects.get(pk=many.pk),
    )
    unchanged = {"since": str(token), "thread": "", **MARGIN_FILTERS}

    def poll():
        return expect(
            204, client.get(changes_url, unchanged, headers={"HX-Request": "true"})
        )

    poll_times = timed(poll, args.polls, args.warmup)
    print(
        f"poll, nothing changed (204), {args.polls} GETs after {args.warmup} "
        f"warm-ups: {summary(poll_times)}; {queries_of(poll)} queries"
    )
    # As if the reader's class had not yet seen the latest change.
    one_change = {**unchanged, "since": f"{token.seen - 1}.{token.own}"}

    def poll_changed():
        return expect(
            200, client.get(changes_url, one_change, headers={"HX-Request": "true"})
        )

    changed_times = timed(poll_changed, args.runs, args.warmup)
    print(
        f"poll, one annotation changed (for information), {args.runs} GETs: "
        f"{summary(changed_times)}; {queries_of(poll_changed)} queries"
    )

    if args.profile:
        _harness.profile(
            f"document page with {many_label} annotations (first view after a change)",
            lambda: (bodycache.rendered.clear(), client.get(many_url)),
            5,
            PLUMBING,
        )
        _harness.profile("poll, nothing changed", poll, 200, PLUMBING)
        _harness.profile("create (htmx POST)", create, 10, PLUMBING)

    few_queries, many_queries = pages[few_label][1], pages[many_label][1]
    ok &= verdict(
        f"page-{_harness.count_label(sizes.annotations)}",
        page_median < PAGE_TARGET_MS,
        f"median {page_median:.1f} ms, target < {PAGE_TARGET_MS} ms; "
        f"{ratio:.1f}x the page with no annotations",
        judged,
    )
    ok &= verdict(
        "page-queries",
        few_queries == many_queries,
        f"{few_queries} queries with {few_label} annotations, {many_queries} with "
        f"{many_label}; target equal",
    )
    create_median = statistics.median(create_times)
    ok &= verdict(
        "create",
        create_median < CREATE_TARGET_MS,
        f"median {create_median:.1f} ms, target < {CREATE_TARGET_MS} ms",
        judged,
    )
    poll_median = statistics.median(poll_times)
    ok &= verdict(
        "poll-unchanged",
        poll_median < POLL_TARGET_MS,
        f"median {poll_median:.2f} ms, target < {POLL_TARGET_MS} ms",
        judged,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    _harness.run(main)
