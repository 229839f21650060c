"""Time the link picker's search and the curation queue over 50,000 annotations.

Targets (from the issue):
  - link picker search over a project with 50,000 annotations: < 100 ms median
    server time, for every kind of query;
  - curation queue page with 50,000 annotations: < 150 ms median server time,
    paginated, with the same number of SQL queries as with 50 annotations.

Set-up: five generated Markdown texts (1 MB down to 50 KB, distinct titles) are
imported into two projects with the same 20 annotating members, a curator and
20 tags. One project gets 50,000 annotations, the other 50, bulk-created (the
service works one at a time) with the same generator: spread over the
documents (the longest holds the most) and the authors (a few write most),
created over the past year; 80% submitted, 10% approved, 6% needs revision,
4% rejected; 5% private, 1% deleted; ~35% with 1-3 tags; ~8% with 1-3
replies; a rare word in about 1 note in 2,000. Requests go through Django's
test client as the signed-in curator (DEBUG off, manifest static files):
"server time" is the whole request through middleware, view, ORM and
template, without a network. Each case: 3 warm-ups, then --runs timed GETs.
On PostgreSQL the tables are ANALYZEd after the bulk load, as autovacuum
would soon do; SQLite has no statistics (the app never runs ANALYZE there).
The queue's deep page (?page=400) is timed for information, not against the
target: OFFSET pagination reads every row before the page.

Run: .venv/bin/python bench/bench_curation.py [--runs N] [--profile] [--explain]
     [--smoke]

--smoke takes the same steps with texts of 50 KB down to 2.5 KB and 500
annotations, 2 GETs per case (a few seconds, for the tests); it judges the
query counts, not the times.

It uses a throw-away SQLite database in a temporary directory, or the database
named by DATABASE_URL, where it removes the rows it made when it finishes.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta

import _harness
from _harness import expect, percentile, queries_of, timed, verdict
from django.contrib.auth import get_user_model
from django.db import transaction
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from annotations.models import (
    Annotation,
    Reply,
    SearchEntry,
    Status,
    Tag,
    Visibility,
)
from annotations.services import anchored, audience_of
from annotations.services.revisions import BulkCounts
from corpus import importers, services
from corpus.models import Document, Project
from corpus.roles import Role


@dataclass(frozen=True)
class Sizes:
    document_bytes: tuple[int, ...]  # one for each of TITLES
    annotations: int  # in the big project
    few: int  # in the small one
    deep_page: int  # the queue's page timed for information


SEED = 20261122
FULL = Sizes(
    document_bytes=(1_000_000, 400_000, 200_000, 100_000, 50_000),
    annotations=50_000,
    few=50,
    deep_page=400,
)
SMOKE = Sizes(
    document_bytes=(50_000, 20_000, 10_000, 5_000, 2_500),
    annotations=500,
    few=50,
    deep_page=5,
)
SMOKE_RUNS = {"runs": 2, "warmup": 1}
PICKER_TARGET_MS = 100
QUEUE_TARGET_MS = 150
# Distinct words in the titles, none of them in the texts' vocabulary.
TITLES = [
    "Arboretum inventory 2024",
    "Minutes of the planning committee",
    "Hydrological assessment of the riverbank",
    "Residents' consultation responses",
    "Contractor correspondence",
]
DOCUMENT_WEIGHTS = [40, 25, 15, 12, 8]
AUTHORS = [
    "amara", "bruno", "chiara", "dmitri", "elif", "farid", "greta", "hiroshi",
    "ines", "jonas", "kofi", "lucia", "mateo", "nadia", "oskar", "priya",
    "quentin", "rosa", "sven", "tamsin",
]  # fmt: skip
TAGS = [
    "evidence", "claim", "contested", "method", "statistic", "quote",
    "background", "source needed", "cost", "timeline", "health", "biodiversity",
    "legal", "procurement", "follow up", "translation", "photo", "map",
    "interview", "correction",
]  # fmt: skip
STATUSES = {
    Status.SUBMITTED: 80,
    Status.APPROVED: 10,
    Status.NEEDS_REVISION: 6,
    Status.REJECTED: 4,
}
RARE_WORD = "zeppelin"
HX = {"HX-Request": "true"}
PLUMBING = _harness.plumbing("bench_curation.py")


def zipf(count: int) -> list[float]:
    """Weights where the first few take most: 1, 1/2, 1/3..."""
    return [1 / (rank + 1) for rank in range(count)]


# -- The data ------------------------------------------------------------------


def passage(text: str, rng: random.Random) -> tuple[int, int]:
    """A random range of 5-400 characters that is not only white space."""
    while True:
        start = rng.randrange(len(text) - 5)
        end = min(len(text), start + rng.randint(5, 400))
        if text[start:end].strip():
            return start, end


@dataclass
class Site:
    """A project with its documents, in TITLES order, and its annotations."""

    project: Project
    documents: list[Document]
    count: int
    source: Annotation | None = None  # what the picker links from
    stats: dict[str, int] = field(default_factory=dict)


def add_annotations(site: Site, authors: list, rng: random.Random) -> None:
    """Bulk-create `site.count` annotations with tags, replies, dates, statuses.

    The first 20 (the oldest) are shared and submitted, one per author, tag and
    document in turn, the first with the rare word, so every filter and search
    the benchmark uses finds rows in the small project too, and its query counts
    compare like with like.
    """
    project, documents, count = site.project, site.documents, site.count
    tags = {tag.name: tag for tag in Tag.objects.filter(project=project)}
    tag_list = [tags[name] for name in TAGS]
    now = timezone.now()
    # Created over the past year, in primary-key order as they would have been.
    created = sorted(
        now - timedelta(seconds=rng.randrange(365 * 86400)) for _ in range(count)
    )
    # The documents' counters, moved as services.revisions moves them.
    counts = {document.pk: BulkCounts(document) for document in documents}
    rows, row_tags = [], []
    for n, at in enumerate(created):
        covering = n < len(AUTHORS)
        if covering:
            document, author = documents[n % len(documents)], authors[n]
            status, private, deleted = Status.SUBMITTED, False, False
        else:
            document = rng.choices(documents, DOCUMENT_WEIGHTS)[0]
            author = rng.choices(authors, zipf(len(authors)))[0]
            status = rng.choices(list(STATUSES), list(STATUSES.values()))[0]
            private, deleted = rng.random() < 0.05, rng.random() < 0.01
        text = document.text
        start, end = passage(text, rng)
        body = _harness.sentence(rng) if rng.random() < 0.6 else ""
        if n == 0 or rng.random() < 1 / 2000:
            body = f"{body} A {RARE_WORD} over the embankment?".strip()
        chosen = set()
        if rng.random() < 0.35:
            weights = zipf(len(tag_list))
            chosen = set(rng.choices(tag_list, weights, k=rng.randint(1, 3)))
        if covering:
            chosen.add(tag_list[n % len(tag_list)])
        row_tags.append(chosen)
        visibility = Visibility.PRIVATE if private else Visibility.PROJECT
        columns = counts[document.pk].stamp(
            audience_of(
                visibility=visibility,
                status=status,
                premoderation=project.premoderation,
            ),
            author.pk,
            end - start,
        )
        rows.append(
            Annotation(
                project=project,
                document=document,
                author=author,
                **anchored(text, start, end),
                body=body,
                visibility=visibility,
                status=status,
                created_at=at,
                deleted_at=at + timedelta(days=1) if deleted else None,
                deleted_by=author if deleted else None,
                **columns,
            )
        )
    with transaction.atomic():
        made = _harness.bulk_create_dated(Annotation, rows)
        pks = [annotation.pk for annotation in made]
        through = Annotation.tags.through
        tag_rows = [
            through(annotation_id=pk, tag_id=tag.pk)
            for pk, chosen in zip(pks, row_tags, strict=True)
            for tag in chosen
        ]
        through.objects.bulk_create(tag_rows, batch_size=2000)
        replies = [
            Reply(
                annotation_id=pk,
                author=rng.choice(authors),
                body=_harness.sentence(rng),
            )
            for pk in pks
            if rng.random() < 0.08
            for _ in range(rng.randint(1, 3))
        ]
        Reply.objects.bulk_create(replies, batch_size=2000)
        _harness.index_bulk(made, replies)
        for document in documents:
            counts[document.pk].save()
    site.stats = {
        "tag links": len(tag_rows),
        "replies": len(replies),
        "private": sum(row.visibility == Visibility.PRIVATE for row in rows),
        "deleted": sum(row.deleted_at is not None for row in rows),
        "with the rare word": sum(RARE_WORD in row.body for row in rows),
    }


def build(
    tag: str, owner, curator, authors: list, rng: random.Random, sizes: Sizes
) -> list[Site]:
    """Two projects, the same texts, members and tags; 50,000 and 50 annotations."""
    texts = [
        _harness.make_markdown(size, rng, title=title).encode()
        for title, size in zip(TITLES, sizes.document_bytes, strict=True)
    ]
    imported = [
        importers.import_bytes(data, filename=f"document-{n}.md")
        for n, data in enumerate(texts)
    ]
    sites = []
    for name, count in (("many", sizes.annotations), ("few", sizes.few)):
        project = services.create_project(
            name=f"Bench curation {name} {tag}", owner=owner
        )
        services.add_member(project=project, user=curator, role=Role.CURATOR)
        for author in authors:
            services.add_member(project=project, user=author, role=Role.ANNOTATOR)
        Tag.objects.bulk_create([Tag(project=project, name=name) for name in TAGS])
        documents = []
        for title, data, parsed in zip(TITLES, texts, imported, strict=True):
            document = services.save_document(
                project=project,
                imported=parsed,
                original=data,
                filename=f"{title}.md",
                imported_by=owner,
            )
            if document.title != title:
                document.title = title
                document.save(update_fields=["title"])
            documents.append(document)
        sites.append(Site(project=project, documents=documents, count=count))
    return sites


# -- The cases -----------------------------------------------------------------


@dataclass
class Case:
    group: str  # "picker" or "queue"
    name: str
    requests: dict[str, Callable[[], object]]  # {"many": ..., "few": ...}
    times: list[float] = field(default_factory=list)
    queries: dict[str, int] = field(default_factory=dict)
    shown: str = ""

    @property
    def timed_against_target(self) -> bool:
        # A deep page is shown for information: OFFSET pagination reads every
        # row before it, so its cost grows with the page number.
        return "deep" not in self.name


def picker_cases(sites: dict[str, Site], client: Client) -> list[Case]:
    queries = [
        ("empty query", "", 1),
        ("common word “river”", "river", 1),
        (f"rare word “{RARE_WORD}”", RARE_WORD, 1),
        ("no match “xylophone”", "xylophone", 1),
        (f"author “{AUTHORS[0]}”", AUTHORS[0], 1),
        (f"tag “{TAGS[2]}”", TAGS[2], 1),
        ("document title “hydrological”", "hydrological", 1),
        ("common word, page 3 (More results)", "river", 3),
    ]

    def request(site: Site, query: str, page: int):
        url = reverse(
            "annotations:link_search_hx", args=[site.project.slug, site.source.pk]
        )
        params = {"q": query, "page": page} if page > 1 else {"q": query}
        return lambda: expect(200, client.get(url, params, headers=HX))

    return [
        Case(
            "picker",
            name,
            {label: request(site, query, page) for label, site in sites.items()},
        )
        for name, query, page in queries
    ]


def queue_cases(
    sites: dict[str, Site], client: Client, authors: list, sizes: Sizes
) -> list[Case]:
    largest = _harness.size_label(sizes.document_bytes[0])
    smallest = _harness.size_label(sizes.document_bytes[-1])

    def filters(site: Site) -> list[tuple[str, dict]]:
        # What the filter form sends when one filter moves off its default.
        form = {"status": "submitted", "document": "", "tag": "", "author": ""}
        first, last = site.documents[0].pk, site.documents[-1].pk
        most, least = authors[0].username, authors[-1].username
        return [
            ("default (submitted), first page", {}),
            ("status approved", {**form, "status": "approved"}),
            ("any status", {**form, "status": ""}),
            (f"document (the {largest} one)", {**form, "document": first}),
            (f"document (the {smallest} one)", {**form, "document": last}),
            (f"tag “{TAGS[0]}” (most used)", {**form, "tag": TAGS[0]}),
            (f"tag “{TAGS[-1]}” (least used)", {**form, "tag": TAGS[-1]}),
            (f"author {AUTHORS[0]} (most active)", {**form, "author": most}),
            (f"author {AUTHORS[-1]} (least)", {**form, "author": least}),
            # As the Next link sends them: the default status, submitted.
            ("?page=2", {"page": 2}),
            (f"?page={sizes.deep_page} (deep)", {"page": sizes.deep_page}),
        ]

    def request(site: Site, params: dict, htmx: bool):
        url = reverse("annotations:curation_queue", args=[site.project.slug])
        headers = HX if htmx else {}
        return lambda: expect(200, client.get(url, params, headers=headers))

    many, few = sites["many"], sites["few"]
    cases = []
    for (name, params), (_, few_params) in zip(
        filters(many), filters(few), strict=True
    ):
        for htmx in (False, True):
            requests = {
                "many": request(many, params, htmx),
                "few": request(few, few_params, htmx),
            }
            label = f"{name}, {'htmx' if htmx else 'plain'}"
            cases.append(Case("queue", label, requests))
    return cases


def shown(case: Case) -> str:
    """What the 50,000 page shows: result or row counts, for the table."""
    html = case.requests["many"]().content.decode()
    if case.group == "picker":
        found = html.count('id="candidate-')
        return f"{found} results{', more' if 'More results' in html else ''}"
    total = re.search(r'<p class="meta">([\d,]+) annotation', html)
    rows = html.count('<tr id="q-')
    page = re.search(r"Page (\d+) of (\d+)", html)
    where = f", page {page[1]}/{page[2]}" if page else ""
    return f"{rows} of {total[1] if total else '?'}{where}"


# -- The run -------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=30, help="timed GETs per case")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--profile", action="store_true", help="cProfile the slowest")
    parser.add_argument(
        "--explain", action="store_true", help="print the annotation queries' plans"
    )
    args = _harness.parse_args(parser, SMOKE_RUNS)
    sizes = SMOKE if args.smoke else FULL

    started = time.perf_counter()
    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    User = get_user_model()
    owner = User.objects.create_user(f"bench-owner-{tag}")
    curator = User.objects.create_user(f"bench-curator-{tag}")
    authors = [User.objects.create_user(f"{name}-{tag}") for name in AUTHORS]
    sites: list[Site] = []
    try:
        rng = random.Random(SEED)
        sites = build(tag, owner, curator, authors, rng, sizes)
        elapsed = time.perf_counter() - started
        print(
            f"set-up (migrate, static files, members, 2 x 5 imports): {elapsed:.1f} s"
        )
        started = time.perf_counter()
        for site in sites:
            add_annotations(site, authors, rng)
        _harness.analyze(
            Annotation, Annotation.tags.through, Reply, Tag, Document, SearchEntry
        )
        elapsed = time.perf_counter() - started
        print(
            f"bulk-created {sizes.annotations:,} + {sizes.few:,} annotations "
            f"in {elapsed:.1f} s"
        )
        return run(
            args,
            sizes,
            dict(zip(("many", "few"), sites, strict=True)),
            curator,
            authors,
        )
    finally:
        _harness.clean_up(
            projects=[site.project for site in sites], users=[owner, curator, *authors]
        )


def run(args, sizes: Sizes, sites: dict[str, Site], curator, authors: list) -> int:
    many = sites["many"]
    # Figures' names: "50,000" annotations, "50k" in the verdicts and the table.
    many_label, few_label = f"{sizes.annotations:,}", f"{sizes.few:,}"
    many_short = _harness.count_label(sizes.annotations)
    for site in sites.values():
        site.source = (
            Annotation.objects.filter(
                project=site.project,
                deleted_at__isnull=True,
                visibility=Visibility.PROJECT,
            )
            .order_by("-created_at")
            .first()
        )
    print(_harness.machine())
    print(
        "documents: "
        + "; ".join(
            f"{document.title} ({len(document.text):,} characters)"
            for document in many.documents
        )
    )
    statuses = dict.fromkeys(STATUSES, 0)
    for status in Annotation.objects.filter(project=many.project).values_list(
        "status", flat=True
    ):
        statuses[status] += 1
    by_status = ", ".join(
        f"{n:,} {Status(s).label.lower()}" for s, n in statuses.items()
    )
    print(
        f"annotations: {many_label} by {len(authors)} authors ({by_status}); "
        + ", ".join(f"{n:,} {what}" for what, n in many.stats.items())
    )

    client = Client()
    client.force_login(curator)
    cases = picker_cases(sites, client) + queue_cases(sites, client, authors, sizes)
    for case in cases:
        case.times = timed(case.requests["many"], args.runs, args.warmup)
        # Counted on warm requests, as a worker answers them (relation types
        # come with a new project: no request writes them).
        case.requests["few"]()
        case.queries = {
            label: queries_of(request) for label, request in case.requests.items()
        }
        case.shown = shown(case)

    print(
        f"\n{'':<48} {many_label + ' annotations':>20} {'queries':>9}   "
        f"shown ({many_label})"
        f"\n{'case (' + str(args.runs) + ' GETs each)':<48} {'median':>9} {'p95':>9}"
        f" {many_short + '/' + few_label:>9}"
    )
    for case in cases:
        median, p95 = statistics.median(case.times), percentile(case.times, 0.95)
        print(
            f"{case.group + ': ' + case.name:<48} {median:>6.1f} ms {p95:>6.1f} ms"
            f" {case.queries['many']:>4}/{case.queries['few']:<4}   {case.shown}"
        )

    if args.explain:
        for case in cases:
            if case.group == "picker" or case.name.endswith("plain"):
                print(f"\nEXPLAIN, {case.group}: {case.name}")
                _harness.explain(case.requests["many"], "annotations_annotation")

    if args.profile:
        for group in ("picker", "queue"):
            slowest = max(
                (case for case in cases if case.group == group),
                key=lambda case: statistics.median(case.times),
            )
            _harness.profile(
                f"{group}: {slowest.name}", slowest.requests["many"], 10, PLUMBING
            )

    ok = True
    for group, target in (("picker", PICKER_TARGET_MS), ("queue", QUEUE_TARGET_MS)):
        ours = [case for case in cases if case.group == group]
        slowest = max(
            (case for case in ours if case.timed_against_target),
            key=lambda case: statistics.median(case.times),
        )
        median = statistics.median(slowest.times)
        ok &= verdict(
            f"{group}-{many_short}",
            median < target,
            f"slowest median {median:.1f} ms ({slowest.name}), target < {target} ms"
            + ("; deep pages not counted" if group == "queue" else ""),
            judged=not args.smoke,  # a smoke run's times say nothing
        )
        unequal = [
            case.name for case in ours if case.queries["many"] != case.queries["few"]
        ]
        ok &= verdict(
            f"{group}-queries",
            not unequal,
            f"the same with {few_label} and {many_label} annotations"
            if not unequal
            else "differ for " + "; ".join(unequal),
        )
    return 0 if ok else 1


if __name__ == "__main__":
    _harness.run(main)
