"""Time segment_blocks and resolve_selection; target < 30 ms for 2,000 x 10,000.

Run: .venv/bin/python bench/bench_segments.py [--runs N] [--smoke]

--smoke runs the same steps on 100 blocks, 500 spans and 50 KB of text, 3 runs
each (under a second, for the tests); the target applies to the full sizes
only, so a smoke run judges no timing.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from annotations.offsets import resolve_selection  # noqa: E402
from annotations.segments import segment_blocks  # noqa: E402

SEED = 20240611
TARGET_SECONDS = 0.030
# Mostly BMP text with an astral character now and then, as in real sources.
ALPHABET = "abcdefghijklmnopqrstuvwxyz     ,.éü中—" + "😀𝔸𠀀"


@dataclass(frozen=True)
class Sizes:
    blocks: int
    spans: int
    cuts: int
    text_bytes: int
    target: float | None  # seconds, for segment_blocks with every span


FULL = Sizes(
    blocks=2_000,
    spans=10_000,
    cuts=1_000,
    text_bytes=1024 * 1024,
    target=TARGET_SECONDS,
)
SMOKE = Sizes(blocks=100, spans=500, cuts=50, text_bytes=50 * 1024, target=None)
SMOKE_RUNS = 3


def size_label(size: int) -> str:
    mb = 1024 * 1024
    return f"{size // mb} MB" if size >= mb else f"{size // 1024} KB"


def make_blocks(rng: random.Random, count: int) -> list[tuple[int, int]]:
    """Paragraph-sized blocks separated by a blank line ("\\n\\n")."""
    blocks = []
    position = 0
    for _ in range(count):
        length = rng.randint(100, 900)
        blocks.append((position, position + length))
        position += length + 2
    return blocks


def make_spans(
    rng: random.Random, count: int, text_length: int
) -> list[tuple[int, int, int]]:
    """Mostly phrase-sized spans, some whole paragraphs, a few across several."""
    spans = []
    for key in range(count):
        kind = rng.random()
        if kind < 0.80:
            length = rng.randint(3, 120)
        elif kind < 0.95:
            length = rng.randint(120, 1_000)
        else:
            length = rng.randint(1_000, 5_000)
        start = rng.randrange(text_length - length)
        spans.append((start, start + length, key))
    rng.shuffle(spans)
    return spans


def timings(function, runs: int) -> list[float]:
    function()  # warm up
    measured = []
    for _ in range(runs):
        began = time.perf_counter()
        function()
        measured.append(time.perf_counter() - began)
    return measured


def report(label: str, measured: list[float], target: float | None = None) -> None:
    """Print the median, and the fastest run as a hint of a quiet machine."""
    median = statistics.median(measured)
    verdict = ""
    if target is not None:
        verdict = "  ok" if median < target else f"  SLOW (target {target * 1e3:g} ms)"
    print(
        f"{label:<50} median {median * 1e3:7.3f} ms  "
        f"(fastest {min(measured) * 1e3:7.3f} ms){verdict}"
    )


def bench_segments(rng: random.Random, runs: int, sizes: Sizes) -> None:
    blocks = make_blocks(rng, sizes.blocks)
    text_length = blocks[-1][1]
    spans = make_spans(rng, sizes.spans, text_length)
    cuts = [rng.randrange(text_length) for _ in range(sizes.cuts)]
    result = segment_blocks(blocks, spans, cuts)
    segment_count = sum(len(segments) for segments in result)
    deepest = max(len(keys) for segments in result for _, _, keys in segments)
    print(
        f"{sizes.blocks} blocks, {text_length} code points, {sizes.spans} spans, "
        f"{sizes.cuts} cuts -> {segment_count} segments, deepest {deepest} keys"
    )
    report(
        f"segment_blocks {sizes.blocks} blocks x {sizes.spans} spans",
        timings(lambda: segment_blocks(blocks, spans), runs),
        sizes.target,
    )
    report(
        f"segment_blocks {sizes.blocks} blocks x {sizes.spans} spans + cuts",
        timings(lambda: segment_blocks(blocks, spans, cuts), runs),
        sizes.target,
    )
    few_spans = spans[:10]
    report(
        f"segment_blocks {sizes.blocks} blocks x 10 spans",
        timings(lambda: segment_blocks(blocks, few_spans), runs),
    )


def make_text(rng: random.Random, size: int) -> tuple[str, list[tuple[int, int]]]:
    block_texts = []
    produced = 0
    while produced < size:
        block_text = "".join(rng.choices(ALPHABET, k=rng.randint(100, 900)))
        block_texts.append(block_text)
        produced += len(block_text.encode()) + 2
    blocks = []
    position = 0
    for block_text in block_texts:
        blocks.append((position, position + len(block_text)))
        position += len(block_text) + 2
    return "\n\n".join(block_texts), blocks


def utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def bench_resolve(rng: random.Random, runs: int, sizes: Sizes) -> None:
    text, blocks = make_text(rng, sizes.text_bytes)
    first = blocks[len(blocks) // 2]
    last = blocks[len(blocks) // 2 + 3]
    first_units = utf16_length(text[first[0] : first[1]])
    last_units = utf16_length(text[last[0] : last[1]])
    print(
        f"{len(text.encode())} bytes UTF-8, {len(text)} code points, "
        f"{len(blocks)} blocks"
    )
    report(
        "resolve_selection across 4 blocks mid-document",
        timings(
            lambda: resolve_selection(
                text, blocks, first[0], first_units // 2, last[0], last_units - 1
            ),
            runs,
        ),
    )
    # Worst case: the whole document is one block and the selection ends near it.
    whole = [(0, len(text))]
    whole_units = utf16_length(text)
    report(
        f"resolve_selection in one {size_label(sizes.text_bytes)} block, near its end",
        timings(
            lambda: resolve_selection(
                text, whole, 0, whole_units - 200, 0, whole_units - 1
            ),
            runs,
        ),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument(
        "--smoke", action="store_true", help="tiny sizes, 3 runs: for the tests"
    )
    args = parser.parse_args()
    if args.smoke:  # smaller defaults; options given still win
        parser.set_defaults(runs=SMOKE_RUNS)
        args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    rng = random.Random(SEED)
    print(f"{args.runs} runs each")
    bench_segments(rng, args.runs, sizes)
    bench_resolve(rng, args.runs, sizes)


if __name__ == "__main__":
    main()
