"""Time a whole text revision (issue 14): one paragraph corrected on the "Edit
text" page, and a new version uploaded with 60 scattered edits, on a 1 MB
document carrying 10,000 annotations.

Targets (median server time, Django's test client: middleware, view, ORM,
templates, no network):
  - one paragraph corrected: the save (the diff, every annotation carried,
    the history, the revision, the search index) and the reading page drawn
    again after it < 500 ms;
  - a corrected file with 60 scattered edits, read by the importer and saved
    the same way < 3 s.

Set-up: bench_annotations' 1 MB Markdown text and 10,000 annotations (tags,
replies, overlaps). Each run makes a revision: the paragraph is corrected and
put back in turn, the file and the original uploaded in turn, so every run
carries all the annotations across a real change.

Run: .venv/bin/python bench/bench_text_revision.py [--runs N] [--smoke]

--smoke: ~50 KB and 300 annotations, two runs of each (seconds); it checks the
answers and prints the times without judging them.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import random
import re
import statistics
import time
import uuid

import _harness
from _harness import summary, verdict
from bench_annotations import FULL, SMOKE, TAGS, WORDS, add_annotations
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotations.models import Anchoring, Annotation, DocumentCounters, Reply, Tag
from corpus import services
from corpus.models import Document, TextRevision

SEED = 20261129
SMOKE_RUNS = {"runs": 2}
SAVE_TARGET_MS = 500
UPLOAD_TARGET_MS = 3_000


def scattered(data: str, count: int, rng: random.Random) -> str:
    """`count` words of the Markdown source in capitals (an OCR pass's fixes)."""
    words = list(re.finditer(r"\b[a-z]{4,}\b", data))
    chosen = sorted(rng.sample(words, count), key=lambda match: match.start())
    pieces, at = [], 0
    for match in chosen:
        pieces += [data[at : match.start()], match.group().upper()]
        at = match.end()
    pieces.append(data[at:])
    return "".join(pieces)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=7, help="revisions of each kind")
    parser.add_argument(
        "--profile", action="store_true", help="cProfile the paragraph's saves"
    )
    args = _harness.parse_args(parser, SMOKE_RUNS)
    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    owner = get_user_model().objects.create_user(f"bench-rev-owner-{tag}")
    projects = []
    try:
        project = services.create_project(name=f"Bench revisions {tag}", owner=owner)
        projects.append(project)
        Tag.objects.bulk_create(
            [Tag(project=project, name=f"tag {n:02d}") for n in range(TAGS)]
        )
        return run(args, project, owner)
    finally:
        _harness.clean_up(projects=projects, users=[owner])


def run(args, project, owner) -> int:
    sizes = SMOKE if args.smoke else FULL
    judged = not args.smoke
    rng = random.Random(SEED)
    source = _harness.make_markdown(sizes.text_bytes, rng, WORDS)
    data = source.encode()
    document = services.import_file(
        project=project, data=data, filename="bench.md", imported_by=owner
    )
    add_annotations(
        document,
        [owner],
        list(Tag.objects.filter(project=project)),
        sizes.annotations,
        rng,
    )
    _harness.analyze(Annotation, Annotation.tags.through, Reply, DocumentCounters)
    print(_harness.machine())
    print(
        f"{connection.vendor}: {len(document.text):,} characters, "
        f"{Annotation.objects.filter(document=document).count():,} annotations"
    )
    client = Client()
    client.force_login(owner)
    edit_url = reverse("annotations:document_text", args=[project.slug, document.pk])
    upload_url = reverse(
        "annotations:document_new_version", args=[project.slug, document.pk]
    )
    reading_url = document.get_absolute_url()
    client.get(reading_url)  # the worker's caches, as a running server has them

    # One paragraph in the middle: a word corrected, then put back.
    blocks = document.blocks
    index = next(
        n
        for n in range(len(blocks) // 2, len(blocks))
        if blocks[n]["kind"] == "paragraph"
        and blocks[n]["end"] - blocks[n]["start"] > 200
    )
    original = document.text[blocks[index]["start"] : blocks[index]["end"]]
    word = re.search(r"\b[a-z]{5,}\b", original).group()
    corrected = original.replace(word, word[:-1] + "é", 1)
    saves, redraws = [], []
    profiler = cProfile.Profile() if args.profile else None
    for run_number in range(args.runs):
        current = Document.objects.only("text_revision").get(pk=document.pk)
        content = corrected if run_number % 2 == 0 else original
        started = time.perf_counter()
        if profiler:
            profiler.enable()
        response = client.post(
            edit_url,
            {
                "revision": current.text_revision,
                "block": index,
                "operation": "edit",
                "content": content,
                "kind": "paragraph",
                "reason": "A word corrected",
            },
        )
        saved = time.perf_counter()
        if profiler:
            profiler.disable()
        page = client.get(reading_url)
        drawn = time.perf_counter()
        assert response.status_code == 302, response.content[:500]
        assert page.status_code == 200
        # The page draws the new revision (its text is cut by highlights).
        revision = current.text_revision + 1
        assert f'data-text-revision="{revision}"' in page.content.decode()
        assert content in Document.objects.only("text").get(pk=document.pk).text
        saves.append((saved - started) * 1000)
        redraws.append((drawn - started) * 1000)
    if profiler:
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(35)
    last = TextRevision.objects.filter(document=document).order_by("-number").first()
    print(f"one paragraph corrected, save: {summary(saves)}")
    print(f"one paragraph corrected, save and the reading page: {summary(redraws)}")
    print(f"  what became of the annotations: {last.carried}")
    ok = verdict(
        "one paragraph, save and redraw",
        statistics.median(redraws) < SAVE_TARGET_MS,
        f"< {SAVE_TARGET_MS} ms",
        judged,
    )

    # A corrected file: 60 scattered edits (6 in the smoke run), then the
    # original again.
    edits = 60 if not args.smoke else 6
    fixed = scattered(source, edits, rng).encode()
    uploads = []
    for run_number in range(args.runs):
        current = Document.objects.only("text_revision").get(pk=document.pk)
        body = fixed if run_number % 2 == 0 else data
        started = time.perf_counter()
        response = client.post(
            upload_url,
            {
                "revision": current.text_revision,
                "reason": "A corrected scan",
                "file": SimpleUploadedFile("bench.md", body),
            },
        )
        uploads.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 302, response.content[:500]
    last = TextRevision.objects.filter(document=document).order_by("-number").first()
    orphans = Annotation.objects.filter(
        document=document, anchoring=Anchoring.ORPHAN
    ).count()
    print(f"{edits} scattered edits uploaded: {summary(uploads)}")
    print(f"  what became of the annotations: {last.carried}; orphans now {orphans}")
    ok &= verdict(
        f"{edits} scattered edits",
        statistics.median(uploads) < UPLOAD_TARGET_MS,
        f"< {UPLOAD_TARGET_MS} ms",
        judged,
    )
    return 0 if ok or not judged else 1


if __name__ == "__main__":
    _harness.run(main)
