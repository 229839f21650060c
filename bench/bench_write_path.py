"""Time the write path: one action, one request, with 10,000 annotations on 1 MB.

Targets (issue 11), each action's whole answer in one request (the thread,
the redrawn blocks, the margin's news, the counts, the next token):
  - create a note, reply, decide: median server time < 8 ms on SQLite,
    < 12 ms on PostgreSQL (Django's test client: middleware, view, ORM and
    templates, no network);
  - the answer to a note on a passage within one paragraph < 10 KB;
  - over HTTP, against gunicorn with one sync worker in production mode, the
    same actions' medians as the client sees them (for information: they add
    the HTTP round trip and gunicorn's own work).
It also prints what compressing the reading page costs (gzip levels 1 and 6:
time and bytes), for docs/performance.md's "Compression".

Set-up: bench_annotations' 1 MB text and 10,000 annotations (tags, replies,
overlaps), an annotator who writes notes and replies, a curator who decides.
Each request carries the reading page's state as the browser sends it
(`reader`: the token and count from the previous answer), so each answer is
what a page that is up to date receives.

Run: .venv/bin/python bench/bench_write_path.py [--runs N] [--smoke]

--smoke takes the same steps on a ~50 KB text with 300 annotations and a few
requests of each kind, over HTTP too (seconds); it judges the answers, not the
times.
"""

from __future__ import annotations

import argparse
import functools
import gzip
import random
import re
import statistics
import time
import uuid
from urllib.parse import urlencode

import _harness
import _serving
from _harness import expect, queries_of, summary, timed, verdict
from bench_annotations import FULL, SMOKE, TAGS, WORDS, add_annotations, sentence
from bench_worker_start import Session
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import Client
from django.urls import reverse

from annotations.models import (
    Annotation,
    DocumentCounters,
    Reply,
    Status,
    Tag,
    Visibility,
)
from corpus import services
from corpus.roles import Role

SEED = 20261129
SMOKE_RUNS = {"runs": 4, "warmup": 1}
TARGET_MS = {"sqlite": 8, "postgresql": 12}
ANSWER_TARGET_BYTES = 10_000
HX = {"HX-Request": "true"}
FORM = "application/x-www-form-urlencoded"
TOKEN = re.compile(rb'id="reader-token" name="since" value="([0-9.]+)"')
COUNT = re.compile(rb'<span id="annotation-count"[^>]*>\((\d+)\)</span>')
PASSWORD = "bench-" + uuid.uuid4().hex


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


@functools.cache
def _long_blocks(document) -> list[dict]:
    return [b for b in document.blocks if b["end"] - b["start"] >= 40]


def paragraph_selection(document, rng: random.Random) -> dict[str, str]:
    """A passage of 5-300 characters within one paragraph, as annotate.js
    posts it (block starts and UTF-16 offsets)."""
    text = document.text
    blocks = _long_blocks(document)
    while True:
        block = rng.choice(blocks)
        start = rng.randint(block["start"], block["end"] - 10)
        end = min(block["end"], start + rng.randint(5, 300))
        if text[start:end].strip():
            break
    return {
        "sb": str(block["start"]),
        "so": str(utf16(text[block["start"] : start])),
        "eb": str(block["start"]),
        "eo": str(utf16(text[block["start"] : end])),
        "exact": text[start:end],
        "body": sentence(rng) if rng.random() < 0.7 else "",
        "tags": "",
        "visibility": "project",
    }


class Page:
    """A member's reading page: the token its writes send and receive."""

    def __init__(self, send, document):
        self.send = send  # send(method, path, data) -> (status, bytes)
        self.document = document
        self.sizes: list[int] = []
        self.open()

    def open(self) -> None:
        """(Re)load the page: its token is then the latest."""
        status, content = self.send("GET", self.document.get_absolute_url(), None)
        assert status == 200, status
        self.token = TOKEN.search(content).group(1).decode()
        self.count = int(COUNT.search(content).group(1))

    def post(self, path: str, data: dict) -> bytes:
        state = {"since": self.token, "count": self.count}
        data = {**data, "reader": urlencode(state)}
        status, content = self.send("POST", path, data)
        assert status == 200, (status, content[:500])
        found = TOKEN.search(content)
        assert found, "the answer brings no token: the page would poll for it"
        self.token = found.group(1).decode()
        self.count = int(COUNT.search(content).group(1))
        self.sizes.append(len(content))
        return content


def actions(page: Page, curator_page: Page, rng: random.Random, ids: list[int]):
    """The three writes, each a callable that makes one."""
    document = page.document
    slug = document.project.slug
    create_url = reverse("annotations:annotation_create", args=[slug, document.pk])
    statuses = [Status.APPROVED, Status.REJECTED]

    def create():
        content = page.post(create_url, paragraph_selection(document, rng))
        assert b"<li data-news=" in content, "no margin entry in the answer"

    def reply():
        url = reverse("annotations:reply_create", args=[slug, rng.choice(ids)])
        page.post(url, {"body": sentence(rng)})

    def decide():
        url = reverse("annotations:annotation_status", args=[slug, rng.choice(ids)])
        curator_page.post(
            url,
            {"status": rng.choice(statuses), "reason": "Checked against the source."},
        )

    return {"create a note": create, "reply": reply, "decide": decide}


def client_sender(client: Client):
    def send(method, path, data):
        if method == "GET":
            response = client.get(path)
        else:
            # Form-encoded, as htmx sends a form (the test client's default,
            # multipart, costs the server more to parse).
            response = client.post(path, urlencode(data), content_type=FORM, headers=HX)
        return response.status_code, response.content

    return send


def http_sender(session: Session):
    def send(method, path, data):
        if method == "GET":
            status, content, _ms = session.request("GET", path)
            return status, content
        status, content, _ms = session.request(
            "POST",
            path,
            urlencode(data),
            {
                **HX,
                "Content-Type": FORM,
                "X-CSRFToken": session.cookies["csrftoken"],
                "Origin": f"https://127.0.0.1:{session.port}",
            },
        )
        return status, content

    return send


def compression(client: Client, document) -> list[str]:
    """What gzip costs on the reading page, per level."""
    page = expect(200, client.get(document.get_absolute_url())).content
    lines = [f"reading page: {len(page):,} bytes uncompressed"]
    for level in (1, 6):
        times = []
        for _ in range(5):
            started = time.perf_counter()
            packed = gzip.compress(page, compresslevel=level, mtime=0)
            times.append((time.perf_counter() - started) * 1000)
        lines.append(
            f"  gzip level {level}: {len(packed):,} bytes "
            f"({100 * len(packed) / len(page):.1f}%), "
            f"median {statistics.median(times):.1f} ms to compress"
        )
    return lines


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=40, help="requests per action")
    parser.add_argument("--warmup", type=int, default=5)
    args = _harness.parse_args(parser, SMOKE_RUNS)
    _harness.prepare_database()
    tag = uuid.uuid4().hex[:8]
    User = get_user_model()
    owner = User.objects.create_user(f"bench-w-owner-{tag}")
    annotator = User.objects.create_user(f"bench-w-annotator-{tag}", password=PASSWORD)
    curator = User.objects.create_user(f"bench-w-curator-{tag}", password=PASSWORD)
    projects = []
    try:
        project = services.create_project(name=f"Bench writes {tag}", owner=owner)
        projects.append(project)
        services.add_member(project=project, user=annotator, role=Role.ANNOTATOR)
        services.add_member(project=project, user=curator, role=Role.CURATOR)
        Tag.objects.bulk_create(
            [Tag(project=project, name=f"tag {n:02d}") for n in range(TAGS)]
        )
        return run(args, project, owner, annotator, curator)
    finally:
        _harness.clean_up(projects=projects, users=[owner, annotator, curator])


def run(args, project, owner, annotator, curator) -> int:
    sizes = SMOKE if args.smoke else FULL
    judged = not args.smoke
    rng = random.Random(SEED)
    data = _harness.make_markdown(sizes.text_bytes, rng, WORDS).encode()
    document = services.import_file(
        project=project, data=data, filename="bench.md", imported_by=owner
    )
    members = [owner, annotator, curator]
    add_annotations(
        document,
        members,
        list(Tag.objects.filter(project=project)),
        sizes.annotations,
        rng,
    )
    # PostgreSQL's planner gets its statistics, as autovacuum gives them within
    # a minute of a bulk load (otherwise they come in the middle of the run).
    _harness.analyze(Annotation, Annotation.tags.through, Reply, DocumentCounters)
    # Shared and live: what every member may reply to and a curator decide on.
    ids = list(
        Annotation.objects.filter(
            document=document, visibility=Visibility.PROJECT, deleted_at__isnull=True
        ).values_list("pk", flat=True)
    )
    vendor = connection.vendor
    print(_harness.machine())
    print(
        f"document: {len(data):,} bytes, {len(document.text):,} characters; "
        f"{sizes.annotations:,} annotations"
    )

    writer, decider = Client(), Client()
    writer.force_login(annotator)
    decider.force_login(curator)
    page = Page(client_sender(writer), document)
    curator_page = Page(client_sender(decider), document)
    done = actions(page, curator_page, rng, ids)
    medians, ok = {}, True
    for name, action in done.items():
        who = curator_page if name == "decide" else page
        who.open()  # up to date, as a member who works on the page is
        who.sizes.clear()
        times = timed(action, args.runs, args.warmup)
        medians[name] = statistics.median(times)
        print(
            f"{name} (test client), {args.runs} after {args.warmup} warm-ups: "
            f"{summary(times)}; {queries_of(action)} queries; answer median "
            f"{statistics.median(who.sizes):,.0f} bytes, largest {max(who.sizes):,}"
        )
        if name == "create a note":
            answers = list(who.sizes)
    for line in compression(writer, document):
        print(line)

    with _serving.gunicorn("write-path", APPARATUS_WORKERS="1") as server:
        session = Session(server.port)
        session.sign_in(annotator.get_username(), PASSWORD)
        deciding = Session(server.port)
        deciding.sign_in(curator.get_username(), PASSWORD)
        http_page = Page(http_sender(session), document)
        http_curator = Page(http_sender(deciding), document)
        for name, action in actions(http_page, http_curator, rng, ids).items():
            times = timed(action, args.runs, args.warmup)
            print(
                f"{name} over HTTP (gunicorn, 1 sync worker), {args.runs} after "
                f"{args.warmup} warm-ups: {summary(times)}"
            )
        problems = _serving.server_errors(server)
        ok &= verdict("http-errors", not problems, f"{len(problems)} error lines")

    target = TARGET_MS.get(vendor, TARGET_MS["postgresql"])
    for name, median in medians.items():
        ok &= verdict(
            name.split()[0],
            median < target,
            f"median {median:.1f} ms, target < {target} ms on {vendor}",
            judged,
        )
    ok &= verdict(
        "answer-size",
        statistics.median(answers) < ANSWER_TARGET_BYTES,
        f"a note's answer: median {statistics.median(answers):,.0f} bytes, "
        f"95th percentile {_harness.percentile(answers, 0.95):,.0f}, "
        f"target < {ANSWER_TARGET_BYTES:,}",
    )
    return 0 if ok else 1


if __name__ == "__main__":
    _harness.run(main)
