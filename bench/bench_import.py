"""Time import_bytes on every format at 0.5 MB and 5 MB: seconds per MB, and linearity.

An upload may be up to 5 MB (APPARATUS_MAX_UPLOAD_BYTES). For each shape of
input the script generates about 0.5 MB and 5 MB of it, times
`corpus.importers.import_bytes` (no database; the process's CPU time, best of
--runs, so that a busy machine disturbs the figures little) and prints the
seconds per MB at 5 MB and the ratio of the two times: about 10 is linear,
about 100 quadratic. A shape is SLOW when the ratio passes 20 or the 5 MB file takes
over MAX_SECONDS_PER_MB per MB. The shapes are the hard cases of each format:
an HTML page of 300,000 short paragraphs, Markdown with a heading every few
lines, PDF text of many short hard-wrapped lines, an article whose paragraph
breaks were lost, plain text one paragraph per line, and an ordinary HTML page.

Run: .venv/bin/python bench/bench_import.py [--runs N] [--smoke] [--only NAME]

--smoke generates 20 KB and 200 KB once each (a few seconds, for the tests);
the verdicts are printed but only a ratio past SMOKE_MAX_RATIO fails it, as
times that small are mostly fixed costs.
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.importers import import_bytes  # noqa: E402

SEED = 1234
MB = 1024 * 1024
SIZES = (MB // 2, 5 * MB)
SMOKE_SIZES = (20 * 1024, 200 * 1024)
MAX_RATIO = 20
SMOKE_MAX_RATIO = 40
MAX_SECONDS_PER_MB = 2.0
# Below this an import is too quick to time reliably.
TIMING_FLOOR = 0.005

SUBJECTS = ["The agency", "Mr. Ruiz", "The U.S. team", "Officials", "The cartel"]
VERBS = ["reported", "denied", "confirmed", "questioned", "announced"]
OBJECTS = [
    "a tunnel under the border",
    "the “new” extradition rules",
    "a well-known smuggling route",
    "$3.5 million in seized cash",
    "the court’s ruling—again",
]
TAILS = ["on Monday", "after a long delay", "in Mexico City", "at 9 a.m.", "last year"]
SHORT_WORDS = ["river", "shade", "trees", "canopy", "heat", "street", "survey", "café"]


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(TAILS)}."
    )


def paragraphs(rng: random.Random, size: int, sentences=(3, 9)):
    """Yield varied paragraphs until about `size` characters were produced."""
    produced = 0
    while produced < size:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(*sentences)))
        produced += len(paragraph) + 2
        yield paragraph


def fill(parts: list[str], size: int, more: Callable[[int], list[str]]) -> str:
    """Append more(n) for n = 0, 1, ... until the UTF-8 text reaches `size` bytes."""
    length, n = sum(len(p.encode()) + 1 for p in parts), 0
    while length < size:
        for part in more(n):
            parts.append(part)
            length += len(part.encode()) + 1
        n += 1
    return "\n".join(parts)


def make_html_short_paragraphs(rng: random.Random, size: int) -> str:
    """A saved page of one-or-two-word paragraphs: 300,000 of them at 5 MB."""
    head = [
        "<!doctype html><html><head><title>Field notes | Example</title></head>",
        "<body><main>",
    ]
    page = fill(
        head, size - 24, lambda n: [f"<p>{rng.choice(SHORT_WORDS)} {n % 1000}</p>"]
    )
    return page + "\n</main></body></html>"


def make_html(rng: random.Random, size: int) -> str:
    parts = ["<!doctype html><html><head><title>Generated | Example</title></head>"]
    parts.append("<body><nav><a href='/'>Home</a></nav><article><h1>Generated</h1>")
    for n, paragraph in enumerate(paragraphs(rng, size - 200)):
        if n % 12 == 0:
            parts.append(f"<h2>Section {n}</h2>")
        parts.append(f"<p>{paragraph.replace('tunnel', '<b>tunnel</b>')}</p>")
    parts.append("</article><footer>Copyright</footer></body></html>")
    return "\n".join(parts)


def make_markdown(rng: random.Random, size: int) -> str:
    """A heading every three lines, links, lists and escapes."""
    head = ["# Briefs", "", "A Generated Title for Benchmarking", ""]

    def more(n: int) -> list[str]:
        lines = [f"{'#' * (2 + n % 4)} Section {n}", ""]
        if n % 5 == 0:
            lines += [f"- item *{n}* with [a link](https://example.org/{n})", ""]
        text = " ".join(sentence(rng) for _ in range(rng.randint(1, 3)))
        return [*lines, text.replace("tunnel", "[tunnel](#)").replace("$", "\\$"), ""]

    return fill(head, size, more)


def make_pdf_text(rng: random.Random, size: int) -> str:
    """Lines hard-wrapped at 55 characters, a few headings and blank lines."""

    def more(n: int) -> list[str]:
        lines = []
        if n % 15 == 0:
            lines += ["", "A Heading Between Columns", ""]
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 9)))
        wrapped = textwrap.wrap(paragraph, 55, break_on_hyphens=False)
        wrapped[0] = " " + wrapped[0]
        lines += wrapped
        if n % 4 == 0:
            lines.append("")
        return lines

    return fill([], size, more)


def make_article(rng: random.Random, size: int) -> str:
    """A metadata header, then a body whose paragraph breaks were lost."""
    body = "".join(paragraphs(rng, size - 200))
    header = [
        "https://news.example.org/2016/01/12/generated.html",
        "A Generated Headline - The Example Times",
        "Mexico,Extradition,Smuggling",
        "Jan. 11, 2016",
        str(len(body.split())),
    ]
    return "\n".join([*header, body])


def make_plain(rng: random.Random, size: int) -> str:
    lines = list(paragraphs(rng, size - 100))
    lines += ["You are reading a free article.", "  • More By Someone"]
    return "\n".join(lines)


# name: (generator, file name, the format it must be detected as)
SHAPES: dict[str, tuple[Callable[[random.Random, int], str], str, str]] = {
    "html, 300,000 short paragraphs": (
        make_html_short_paragraphs,
        "notes.html",
        "html",
    ),
    "html, article page": (make_html, "page.html", "html"),
    "markdown, many headings": (make_markdown, "brief.md", "markdown"),
    "pdf_text, hard-wrapped lines": (make_pdf_text, "report.txt", "pdf_text"),
    "article, glued paragraphs": (make_article, "article.txt", "article"),
    "plain, a paragraph per line": (make_plain, "essay.txt", "plain"),
}


def _size(size: int) -> str:
    return f"{size / MB:g} MB" if size >= MB // 2 else f"{size // 1024} KB"


def time_import(data: bytes, filename: str, format: str, runs: int) -> float:
    """The least CPU time of `runs` imports (this process's, so that other work
    on a shared machine does not count; the least, as the least disturbed)."""
    times = []
    for _ in range(runs):
        gc.collect()
        start = time.process_time()
        imported = import_bytes(data, filename=filename)
        times.append(time.process_time() - start)
        if imported.format != format:
            raise SystemExit(f"{filename} was read as {imported.format}, not {format}")
    return min(times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3, help="runs per size (best)")
    parser.add_argument("--smoke", action="store_true", help="small sizes, one run")
    parser.add_argument("--only", help="shapes whose name contains this")
    args = parser.parse_args()
    small, large = SMOKE_SIZES if args.smoke else SIZES
    runs = 1 if args.smoke else args.runs
    max_ratio = SMOKE_MAX_RATIO if args.smoke else MAX_RATIO
    print(
        f"import_bytes at {_size(small)} and {_size(large)}, CPU seconds, "
        f"best of {runs} run(s)"
    )
    print(
        f"{'shape':<32} {'large':>8} {'blocks':>8} {'small s':>8} "
        f"{'large s':>8} {'s/MB':>6} {'ratio':>6}"
    )
    slow = []
    for name, (make, filename, format) in SHAPES.items():
        if args.only and args.only not in name:
            continue
        times, sizes = [], []
        for size in (small, large):
            data = make(random.Random(SEED), size).encode("utf-8")
            sizes.append(len(data))
            times.append(time_import(data, filename, format, runs))
        blocks = len(import_bytes(data, filename=filename).blocks)
        ratio = max(times[1], TIMING_FLOOR) / max(times[0], TIMING_FLOOR)
        per_mb = times[1] / (sizes[1] / MB)
        too_slow = ratio > max_ratio or (not args.smoke and per_mb > MAX_SECONDS_PER_MB)
        print(
            f"{name:<32} {sizes[1] / MB:>6.2f}MB {blocks:>8,} {times[0]:>8.3f} "
            f"{times[1]:>8.3f} {per_mb:>6.2f} {ratio:>5.1f}x"
            + ("  SLOW" if too_slow else "")
        )
        if too_slow:
            slow.append(name)
    if slow:
        print(f"SLOW (ratio over {max_ratio} or over {MAX_SECONDS_PER_MB} s/MB):")
        print("  " + "; ".join(slow))
        return 1
    print("all shapes near-linear")
    return 0


if __name__ == "__main__":
    sys.exit(main())
