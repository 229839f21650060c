"""Time reading an old revision of a ~1 MB document; target < 300 ms server time.

Issue 14: "Viewing an old revision of a 1 MB document: under 300 ms". The
document (generated Markdown, as bench_document_page's) is corrected 10 times
by revise_text: 8 paragraphs edited at random places, one paragraph split in
two, and a new version with 60 scattered words put in capitals (an upload).
Then, through the test client as a viewer, it times:

- the text as imported (revision 0, every revision undone), nothing kept in
  the worker (neither the document's text nor any rendering): the target;
- the same page again, its rendering kept in the worker;
- a revision in the middle, first view (the document's text already read);
- what the 60 scattered edits changed (the diff page: 60 places);
- the list of revisions;

and counts the SQL queries of the text page: revision 1's (every later revision
undone) must be as many as the one before the newest's (one revision undone).

Run: .venv/bin/python bench/bench_revision_view.py [--runs N] [--profile] [--smoke]

--smoke: a ~50 KB document, 3 revisions, 3 runs (a few seconds, for the tests);
it judges the query counts, not the time.

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
from _harness import expect, queries_of, summary, timed
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from annotations.services import text as text_service
from corpus import bodycache, services, text_edits
from corpus.models import Document, RevisionKind
from corpus.roles import Role

TARGET_MS = 300
TARGET_BYTES = 1_000_000
SMOKE_BYTES = 50_000
SMOKE = {"runs": 3, "warmup": 1, "revisions": 3, "scattered": 6}


def _paragraphs(document: Document) -> list[int]:
    return [i for i, b in enumerate(document.blocks) if b["kind"] == "paragraph"]


def revise(document: Document, editor, count: int, scattered: int, rng) -> list[float]:
    """`count` revisions of `document`: paragraphs edited, one split, and last
    a new version with `scattered` words in capitals. Milliseconds of each.
    revise_text brings `document` up to date after each."""
    times = []
    for n in range(count):
        text, blocks = document.text, document.blocks
        kind = RevisionKind.EDIT
        if n == count - 1:
            words = text.split(" ")
            chosen = set(rng.sample(range(len(words)), scattered))
            text = " ".join(
                w.upper() if i in chosen else w for i, w in enumerate(words)
            )
            kind = RevisionKind.UPLOAD
        else:
            index = rng.choice(_paragraphs(document))
            block = blocks[index]
            old = text[block["start"] : block["end"]]
            if n == count // 2:
                cut = old.index(". ") + 1
                content = old[:cut] + "\n\n" + old[cut + 1 :]  # split in two
            else:
                content = old.replace(" the ", " thé ", 2) + " Corrected."
            edited = text_edits.edit_block(text, blocks, index, content)
            text, blocks = edited.text, edited.blocks
        started = time.perf_counter()
        text_service.revise_text(
            document=document,
            text=text,
            blocks=blocks,
            editor=editor,
            reason=f"Correction {n + 1}",
            base_revision=document.text_revision,
            kind=kind,
        )
        times.append((time.perf_counter() - started) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--warmup", type=int, default=2)
    parser.add_argument("--revisions", type=int, default=10)
    parser.add_argument("--scattered", type=int, default=60)
    parser.add_argument("--profile", action="store_true", help="cProfile 5 GETs")
    args = _harness.parse_args(parser, SMOKE)

    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    owner = get_user_model().objects.create_user(f"bench-{tag}")
    project = services.create_project(name=f"Bench {tag}", owner=owner)
    reader = get_user_model().objects.create_user(f"bench-reader-{tag}")
    services.add_member(project=project, user=reader, role=Role.VIEWER)
    try:
        return run(args, project, owner, reader)
    finally:
        _harness.clean_up(projects=[project], users=[owner, reader])


def run(args, project, owner, reader) -> int:
    rng = random.Random(14)
    size = SMOKE_BYTES if args.smoke else TARGET_BYTES
    data = _harness.make_markdown(size, random.Random(1)).encode()
    document = services.import_file(
        project=project, data=data, filename="bench.md", imported_by=owner
    )
    revise_ms = revise(document, owner, args.revisions, args.scattered, rng)
    latest = document.text_revision

    client = Client()
    client.force_login(reader)

    def url(name: str, *number: int) -> str:
        return reverse(f"annotations:{name}", args=[project.slug, document.pk, *number])

    oldest, middle = url("revision_detail", 0), url("revision_detail", latest // 2)

    def cold():
        bodycache.clear()
        expect(200, client.get(oldest))

    def middle_first_view():
        # The document's text read already (as by the reading page); this
        # revision never drawn.
        bodycache.rendered.clear()
        expect(200, client.get(middle))

    cold_ms = timed(cold, args.runs, args.warmup)
    warm_ms = timed(lambda: expect(200, client.get(oldest)), args.runs, args.warmup)
    middle_ms = timed(middle_first_view, args.runs, args.warmup)
    diff_ms = timed(
        lambda: expect(200, client.get(url("revision_diff", latest))),
        args.runs,
        args.warmup,
    )
    list_ms = timed(
        lambda: expect(200, client.get(url("document_revisions"))),
        args.runs,
        args.warmup,
    )
    bodycache.clear()
    old_queries = queries_of(lambda: expect(200, client.get(url("revision_detail", 1))))
    bodycache.clear()
    new_queries = queries_of(
        lambda: expect(200, client.get(url("revision_detail", latest - 1)))
    )
    size_of_page = len(client.get(oldest).content)
    places = client.get(url("revision_diff", latest)).content.count(
        b'class="diff-place"'
    )

    print(_harness.machine())
    print(
        f"document: {len(data):,} bytes, {len(document.text):,} characters, "
        f"{len(document.blocks):,} blocks; {latest} revisions "
        f"(revise_text median {statistics.median(revise_ms):.0f} ms)"
    )
    print(
        f"revision 0 of {latest}, nothing kept in the worker, {args.runs} GETs "
        f"after {args.warmup} warm-ups: {summary(cold_ms)} (target < {TARGET_MS} ms)"
    )
    print(f"revision 0 of {latest}, rendering kept: {summary(warm_ms)}")
    print(
        f"revision {latest // 2} of {latest}, first view (text read already): "
        f"{summary(middle_ms)}"
    )
    print(
        f"changes of revision {latest} ({args.scattered} scattered edits, "
        f"{places} places): {summary(diff_ms)}"
    )
    print(f"list of revisions: {summary(list_ms)}")
    print(f"page size: {size_of_page:,} bytes")
    print(
        f"SQL queries: revision 1 {old_queries}, revision {latest - 1} {new_queries} "
        "(nothing kept)"
    )
    if args.profile:
        _harness.profile(
            "GETs of revision 0, nothing kept",
            cold,
            5,
            _harness.plumbing("bench_revision_view.py"),
        )

    median = statistics.median(cold_ms)
    ok = _harness.verdict(
        "old-revision",
        median < TARGET_MS,
        f"median {median:.1f} ms, target < {TARGET_MS} ms",
        judged=not args.smoke,
    )
    ok &= _harness.verdict(
        "revision-queries",
        old_queries == new_queries,
        f"revision 1: {old_queries}, revision {latest - 1}: {new_queries}",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    _harness.run(main)
