"""Time import_bytes on ~1 MB of generated text per format; target < 1 s each.

Run: .venv/bin/python bench/bench_import.py [--runs N]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import textwrap
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from corpus.importers import import_bytes  # noqa: E402

TARGET_BYTES = 1024 * 1024
TARGET_SECONDS = 1.0
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


def sentence(rng: random.Random) -> str:
    return (
        f"{rng.choice(SUBJECTS)} {rng.choice(VERBS)} {rng.choice(OBJECTS)} "
        f"{rng.choice(TAILS)}."
    )


def paragraphs(rng: random.Random, size: int):
    """Yield varied paragraphs until about `size` characters were produced."""
    produced = 0
    while produced < size:
        paragraph = " ".join(sentence(rng) for _ in range(rng.randint(3, 9)))
        produced += len(paragraph) + 2
        yield paragraph


def make_markdown(rng):
    parts = ["# Briefs", "", "A Generated Title for Benchmarking", ""]
    for n, paragraph in enumerate(paragraphs(rng, TARGET_BYTES)):
        if n % 12 == 0:
            parts += [f"## Section {n}", ""]
        if n % 7 == 0:
            parts += [f"- item *{n}* with [a link](https://example.org/{n})", ""]
        parts += [paragraph.replace("tunnel", "[tunnel](#)").replace("$", "\\$"), ""]
    return "\n".join(parts)


def make_pdf_text(rng):
    parts = []
    for n, paragraph in enumerate(paragraphs(rng, TARGET_BYTES)):
        if n % 15 == 0:
            parts += ["", "A Heading Between Columns", ""]
        lines = textwrap.wrap(paragraph, 55, break_on_hyphens=False)
        lines[0] = " " + lines[0]
        parts += lines
        if n % 4 == 0:
            parts.append("")
    return "\n".join(parts)


def make_article(rng):
    body = "".join(paragraphs(rng, TARGET_BYTES))
    header = [
        "https://news.example.org/2016/01/12/generated.html",
        "A Generated Headline - The Example Times",
        "Mexico,Extradition,Smuggling",
        "Jan. 11, 2016",
        str(len(body.split())),
    ]
    return "\n".join([*header, body])


def make_plain(rng):
    lines = list(paragraphs(rng, TARGET_BYTES))
    lines += ["You are reading a free article.", "  • More By Someone"]
    return "\n\n".join(lines)


def make_html(rng):
    parts = ["<!doctype html><html><head><title>Generated | Example</title></head>"]
    parts.append("<body><nav><a href='/'>Home</a></nav><article><h1>Generated</h1>")
    for n, paragraph in enumerate(paragraphs(rng, TARGET_BYTES)):
        if n % 12 == 0:
            parts.append(f"<h2>Section {n}</h2>")
        parts.append(f"<p>{paragraph.replace('tunnel', '<b>tunnel</b>')}</p>")
    parts.append("</article><footer>Copyright</footer></body></html>")
    return "\n".join(parts)


MAKERS = {
    "markdown": (make_markdown, "bench.md"),
    "pdf_text": (make_pdf_text, "bench.txt"),
    "article": (make_article, "bench.txt"),
    "plain": (make_plain, "bench.txt"),
    "html": (make_html, "bench.html"),
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    rng = random.Random(1234)
    slow = []
    print(f"{'format':<10} {'size':>9} {'blocks':>7} {'median':>8}  per MB")
    for format, (make, filename) in MAKERS.items():
        data = make(rng).encode("utf-8")
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            imported = import_bytes(data, filename=filename)
            times.append(time.perf_counter() - start)
        assert imported.format == format, (format, imported.format)
        median = statistics.median(times)
        per_mb = median / (len(data) / TARGET_BYTES)
        print(
            f"{format:<10} {len(data) / 1e6:>7.2f}MB {len(imported.blocks):>7} "
            f"{median:>7.3f}s  {per_mb:.3f}s"
        )
        if per_mb > TARGET_SECONDS:
            slow.append(format)
    if slow:
        print(f"Slower than {TARGET_SECONDS}s per MB: {', '.join(slow)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
