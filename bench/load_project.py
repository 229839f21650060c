"""Build the realistic project the load and soak benchmarks serve, in one command.

One project: 200 documents from 5 KB to 1 MB (sizes spread evenly on a log
scale), 100,000 annotations with replies, tags and links, 20 members (an owner,
3 curators, 12 annotators, 4 viewers) who share one password. The texts are
made from the five seed texts (../shared/seeds, or $APPARATUS_SEEDS), read at
run time and never copied into the project: each document takes one seed in
its own format, its first paragraph kept, the others shuffled again for every
repetition until the size is reached, with a line naming the document so that
no two texts are the same. Annotations are bulk-created (the service writes one
at a time) and stamped with the document counters as services.revisions would
(BulkCounts), so polling tokens and cached renderings stay right: spread over
the documents (about as the square root of their size), the authors (a few
write most) and the past year; 80% submitted, 10% approved, 6% needing
revision, 4% rejected; 5% private, 1% deleted; ~35% tagged (1-3 of 30 tags);
~10% with 1-3 replies; ~3% linked to another passage, a document or an outside
source.

Run alone it times the build and prints the project's shape:

    .venv/bin/python bench/load_project.py [--smoke] [--keep]

--smoke builds 6 documents of 5-40 KB with 600 annotations, in seconds. It
builds in a throw-away SQLite file, or in the database named by DATABASE_URL,
where it removes its rows when it finishes unless --keep is given (then it
prints the members' password). bench_load.py and bench_soak.py import build()
and serve what it made.
"""

from __future__ import annotations

import argparse
import math
import os
import random
import secrets
import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import _harness
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from annotations.models import (
    Annotation,
    DocumentCounters,
    Link,
    RelationType,
    Reply,
    SearchEntry,
    Status,
    Tag,
    Visibility,
)
from annotations.services import anchored, audience_of
from annotations.services import search as search_index
from annotations.services.revisions import BulkCounts
from corpus import importers, services
from corpus.models import Document, Membership, Project
from corpus.roles import Role

SEEDS_DIR = Path(
    os.environ.get("APPARATUS_SEEDS", _harness.ROOT.parent / "shared" / "seeds")
)


@dataclass(frozen=True)
class Sizes:
    documents: int
    smallest: int  # bytes
    largest: int
    annotations: int


FULL = Sizes(documents=200, smallest=5_000, largest=1_000_000, annotations=100_000)
SMOKE = Sizes(documents=6, smallest=5_000, largest=40_000, annotations=600)
SEED = 20261130
ROLES = [Role.OWNER] + [Role.CURATOR] * 3 + [Role.ANNOTATOR] * 12 + [Role.VIEWER] * 4
TAGS = [
    "evidence", "claim", "contested", "method", "statistic", "quote", "background",
    "source needed", "cost", "timeline", "health", "biodiversity", "legal",
    "procurement", "follow up", "translation", "photo", "map", "interview",
    "correction", "heat", "water", "budget", "policy", "survey", "risk", "law",
    "history", "context", "question",
]  # fmt: skip
STATUSES = {
    Status.SUBMITTED: 80,
    Status.APPROVED: 10,
    Status.NEEDS_REVISION: 6,
    Status.REJECTED: 4,
}
# What the load test's members select and open, per document.
SELECTIONS_PER_DOCUMENT = 20
THREADS_PER_DOCUMENT = 20


@dataclass
class Built:
    """What build() made: the rows to remove afterwards, and the load plan."""

    project: Project
    users: list
    password: str
    plan: dict = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)


# -- Texts from the seeds ------------------------------------------------------


def seed_texts() -> list[tuple[str, str]]:
    """(file name, text) of each seed, read now: the project keeps no copy."""
    if not SEEDS_DIR.is_dir():
        raise SystemExit(
            f"Seed texts not found at {SEEDS_DIR} (set APPARATUS_SEEDS): the load "
            "project is made from them."
        )
    return [(path.name, path.read_text()) for path in sorted(SEEDS_DIR.glob("*.txt"))]


def paragraphs(text: str) -> list[str]:
    """A seed's paragraphs, as its format separates them (blank lines, or lines)."""
    chunks = [chunk for chunk in text.split("\n\n") if chunk.strip()]
    if len(chunks) < 5:  # one paragraph a line
        chunks = [line for line in text.split("\n") if line.strip()]
    return chunks


def document_text(seed: str, size: int, number: int, rng: random.Random) -> str:
    """About `size` bytes in the seed's shape: its first paragraph (title,
    header), a line naming the document, then its other paragraphs shuffled
    anew for each repetition."""
    parts = paragraphs(seed)
    separator = "\n\n" if "\n\n" in seed else "\n"
    head, rest = parts[0], parts[1:]
    out = [head, f"Working copy {number:03d} of the group's reading list."]
    produced = sum(len(part.encode()) for part in out)
    while produced < size:
        rng.shuffle(rest)
        for part in rest:
            out.append(part)
            produced += len(part.encode()) + len(separator)
            if produced >= size:
                break
    return separator.join(out) + "\n"


def document_sizes(sizes: Sizes) -> list[int]:
    """Sizes from smallest to largest, evenly spread on a log scale."""
    if sizes.documents == 1:
        return [sizes.largest]
    ratio = sizes.largest / sizes.smallest
    return [
        round(sizes.smallest * ratio ** (n / (sizes.documents - 1)))
        for n in range(sizes.documents)
    ]


# -- The rows --------------------------------------------------------------------


def passage(text: str, rng: random.Random) -> tuple[int, int]:
    """A random range of 5-400 characters that is not only white space."""
    while True:
        start = rng.randrange(len(text) - 5)
        end = min(len(text), start + rng.randint(5, 400))
        if text[start:end].strip():
            return start, end


def zipf(count: int) -> list[float]:
    return [1 / (rank + 1) for rank in range(count)]


def make_members(tag: str) -> tuple[list, str]:
    """20 accounts with one password, hashed once (hashing is slow on purpose)."""
    password = secrets.token_urlsafe(12)
    hashed = make_password(password)
    User = get_user_model()
    users = User.objects.bulk_create(
        [
            User(username=f"load-{role}-{n:02d}-{tag}", password=hashed)
            for n, role in enumerate(ROLES)
        ]
    )
    if users[0].pk is None:  # a backend that does not hand back keys
        users = list(User.objects.filter(username__endswith=f"-{tag}").order_by("pk"))
    return users, password


def import_documents(
    project: Project, owner, sizes: Sizes, rng: random.Random
) -> list[Document]:
    seeds = seed_texts()
    documents = []
    for number, size in enumerate(document_sizes(sizes)):
        filename, seed = seeds[number % len(seeds)]
        data = document_text(seed, size, number, rng).encode()
        imported = importers.import_bytes(data, filename=filename)
        imported.title = f"{(imported.title or filename)[:400]} · {number:03d}"
        documents.append(
            services.save_document(
                project=project,
                imported=imported,
                original=data,
                filename=filename,
                imported_by=owner,
            )
        )
    return documents


def add_annotations(
    project: Project,
    documents: list[Document],
    authors: list,
    count: int,
    rng: random.Random,
) -> dict[str, int]:
    """Bulk-create `count` annotations with tags, replies and links."""
    weights = [math.sqrt(len(document.text)) for document in documents]
    tags = list(Tag.objects.filter(project=project).order_by("name"))
    relations = list(RelationType.objects.filter(project=project))
    now = timezone.now()
    created = sorted(
        now - timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count)
    )
    counts = {document.pk: BulkCounts(document) for document in documents}
    author_weights = zipf(len(authors))
    rows, row_tags = [], []
    for at in created:
        document = rng.choices(documents, weights)[0]
        author = rng.choices(authors, author_weights)[0]
        status = rng.choices(list(STATUSES), list(STATUSES.values()))[0]
        private, deleted = rng.random() < 0.05, rng.random() < 0.01
        visibility = Visibility.PRIVATE if private else Visibility.PROJECT
        text = document.text
        start, end = passage(text, rng)
        row_tags.append(
            set(rng.choices(tags, zipf(len(tags)), k=rng.randint(1, 3)))
            if rng.random() < 0.35
            else set()
        )
        audience = audience_of(
            visibility=visibility, status=status, premoderation=project.premoderation
        )
        rows.append(
            Annotation(
                project=project,
                document=document,
                author=author,
                **anchored(text, start, end),
                body=_harness.sentence(rng) if rng.random() < 0.6 else "",
                visibility=visibility,
                status=status,
                created_at=at,
                deleted_at=at + timedelta(days=1) if deleted else None,
                deleted_by=author if deleted else None,
                **counts[document.pk].stamp(audience, author.pk, end - start),
            )
        )
    with transaction.atomic():
        made = _harness.bulk_create_dated(Annotation, rows)
        through = Annotation.tags.through
        tag_rows = [
            through(annotation_id=row.pk, tag_id=tag.pk)
            for row, chosen in zip(made, row_tags, strict=True)
            for tag in chosen
        ]
        through.objects.bulk_create(tag_rows, batch_size=2000)
        replies = [
            Reply(
                annotation_id=row.pk,
                author=rng.choice(authors),
                body=_harness.sentence(rng),
            )
            for row in made
            if rng.random() < 0.10
            for _ in range(rng.randint(1, 3))
        ]
        Reply.objects.bulk_create(replies, batch_size=2000)
        shared = [
            row
            for row in made
            if row.visibility == Visibility.PROJECT and row.deleted_at is None
        ]
        links = [
            make_link(project, row, shared, documents, relations, rng)
            for row in shared
            if rng.random() < 0.03
        ]
        Link.objects.bulk_create(links, batch_size=2000)
        for document in documents:
            counts[document.pk].save()
        _harness.index_bulk(made, replies)
    _harness.analyze(
        Annotation, through, Reply, Link, Document, DocumentCounters, SearchEntry
    )
    return {
        "annotations": len(made),
        "private": sum(row.visibility == Visibility.PRIVATE for row in made),
        "deleted": sum(row.deleted_at is not None for row in made),
        "tag links": len(tag_rows),
        "replies": len(replies),
        "links": len(links),
    }


def make_link(project, source, shared, documents, relations, rng) -> Link:
    """A link from `source` to another passage (70%), a document or a source."""
    kind = rng.random()
    common = {
        "project": project,
        "source": source,
        "relation": rng.choice(relations),
        "author": source.author,
    }
    if kind < 0.7:
        return Link(**common, target_annotation=rng.choice(shared))
    if kind < 0.85:
        return Link(**common, target_document=rng.choice(documents))
    n = rng.randrange(1000)
    return Link(
        **common,
        target_url=f"https://example.org/reports/{n}",
        target_title=f"Outside report {n}",
    )


# -- What the load test's members need to know ----------------------------------


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def selection(document: Document, rng: random.Random) -> dict[str, str] | None:
    """A selection within one block as annotate.js posts it (UTF-16 offsets)."""
    text = document.text
    blocks = [b for b in document.blocks if b["end"] - b["start"] >= 20]
    if not blocks:
        return None
    block = rng.choice(blocks)
    start = rng.randint(block["start"], block["end"] - 10)
    end = min(block["end"], start + rng.randint(5, 300))
    if not text[start:end].strip():
        return None
    return {
        "sb": str(block["start"]),
        "so": str(utf16_length(text[block["start"] : start])),
        "eb": str(block["start"]),
        "eo": str(utf16_length(text[block["start"] : end])),
        "exact": text[start:end],
    }


def load_plan(
    project: Project, documents: list[Document], users: list, rng: random.Random
) -> dict:
    """Members, documents, selections to annotate and threads to open: what
    the load test's simulated members pick from (they never see the texts)."""
    shared = Annotation.objects.filter(
        project=project, visibility=Visibility.PROJECT, deleted_at__isnull=True
    )
    per_document = dict(
        shared.order_by()
        .values_list("document_id")
        .annotate(count=Count("pk"))
        .values_list("document_id", "count")
    )
    planned = []
    for document in documents:
        threads = list(
            shared.filter(document=document)
            .order_by("?")
            .values_list("pk", flat=True)[:THREADS_PER_DOCUMENT]
        )
        choices = (selection(document, rng) for _ in range(SELECTIONS_PER_DOCUMENT))
        planned.append(
            {
                "pk": document.pk,
                "characters": len(document.text),
                "annotations": per_document.get(document.pk, 0),
                "threads": threads,
                "selections": [choice for choice in choices if choice],
            }
        )
    roles = dict(
        Membership.objects.filter(project=project).values_list("user_id", "role")
    )
    return {
        "project": project.slug,
        "members": [
            {"username": user.get_username(), "role": roles[user.pk]} for user in users
        ],
        "tags": TAGS,
        "search_words": ["river", "heat", "water", "budget", "policy", "zeppelin"],
        "documents": planned,
    }


def build(sizes: Sizes, rng: random.Random) -> Built:
    """The project, its members, documents and annotations; and the load plan."""
    tag = uuid.uuid4().hex[:8]
    users, password = make_members(tag)
    owner = users[0]
    project = services.create_project(name=f"Load test {tag}", owner=owner)
    built = Built(project=project, users=users, password=password)
    Membership.objects.bulk_create(
        [
            Membership(project=project, user=user, role=role)
            for user, role in zip(users[1:], ROLES[1:], strict=True)
        ]
    )
    for tag in Tag.objects.bulk_create(
        [Tag(project=project, name=name) for name in TAGS]
    ):
        search_index.index_tag(tag, new=True)
    started = time.perf_counter()
    documents = import_documents(project, owner, sizes, rng)
    total = sum(len(document.original) for document in documents)
    built.counts["documents"] = len(documents)
    built.counts["bytes"] = total
    built.counts["import seconds"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    authors = [
        user for user, role in zip(users, ROLES, strict=True) if role != "viewer"
    ]
    built.counts.update(
        add_annotations(project, documents, authors, sizes.annotations, rng)
    )
    built.counts["annotate seconds"] = round(time.perf_counter() - started, 1)
    built.plan = load_plan(project, documents, users, rng)
    return built


def describe(built: Built) -> str:
    counts = built.counts
    sizes = [len(document.original) for document in built.project.documents.all()]
    return (
        f"project: {counts['documents']} documents "
        f"({min(sizes) / 1000:.0f} KB to {max(sizes) / 1e6:.2f} MB, "
        f"{counts['bytes'] / 1e6:.1f} MB in all), {counts['annotations']:,} "
        f"annotations ({counts['private']:,} private, {counts['deleted']:,} deleted), "
        f"{counts['tag links']:,} tag links, {counts['replies']:,} replies, "
        f"{counts['links']:,} links, {len(built.users)} members "
        f"(1 owner, 3 curators, 12 annotators, 4 viewers)"
    )


def clean_up(built: Built | None) -> None:
    """Remove the project from a DATABASE_URL database; links first, as they
    PROTECT the relation types the project's deletion would take."""
    if built is None:
        return
    if _harness.own_database():
        Link.objects.filter(project=built.project).delete()
    _harness.clean_up(projects=[built.project], users=built.users)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--keep",
        action="store_true",
        help="leave the project in DATABASE_URL's database and print the password",
    )
    args = _harness.parse_args(parser, {})
    sizes = SMOKE if args.smoke else FULL
    started = time.perf_counter()
    _harness.prepare_database()
    print(f"set-up (migrate, static files): {time.perf_counter() - started:.1f} s")
    built = None
    try:
        started = time.perf_counter()
        built = build(sizes, random.Random(SEED))
        elapsed = time.perf_counter() - started
        print(_harness.machine())
        print(describe(built))
        print(
            f"built in {elapsed:.1f} s: imports {built.counts['import seconds']} s, "
            f"annotations, tags, replies and links {built.counts['annotate seconds']} s"
        )
        if args.keep and _harness.own_database():
            print(f"kept: project {built.project.slug}; password {built.password}")
            built = None
    finally:
        clean_up(built)
    return 0


if __name__ == "__main__":
    _harness.run(main)
