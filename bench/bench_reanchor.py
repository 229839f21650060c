"""Time carrying 10,000 passages across a revision of a 1 MB text (issue 14's
core, annotations.reanchor): one paragraph corrected, and 60 scattered edits.

Run: .venv/bin/python bench/bench_reanchor.py [--runs N] [--smoke]

The text is made of the five seed texts (../shared/seeds, or $APPARATUS_SEEDS),
read at run time and never copied: their paragraphs shuffled again and again
until the size is reached, so that paragraphs repeat, as the hardest case for
a diff. Passages of 5 to 80 characters at random places, each with 32
characters of context on each side, as the app stores them. Prints how many
passages each fate took. This times the pure step alone; the whole save (the
rows, the history, the redraw) is the app's, measured once it exists.

--smoke: 50 KB, 500 passages, 6 edits, 2 runs (a second or so, for the tests).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from annotations.reanchor import Fate, Passage, carry  # noqa: E402

SEED = 20261129
CONTEXT = 32


@dataclass(frozen=True)
class Sizes:
    text_chars: int
    passages: int
    scattered_edits: int
    runs: int


FULL = Sizes(text_chars=1_000_000, passages=10_000, scattered_edits=60, runs=5)
SMOKE = Sizes(text_chars=50_000, passages=500, scattered_edits=6, runs=2)


def seed_text(size: int, rng: random.Random) -> str:
    folder = Path(os.environ.get("APPARATUS_SEEDS", ROOT.parent / "shared" / "seeds"))
    paragraphs = [
        paragraph
        for path in sorted(folder.iterdir())
        for paragraph in path.read_text(encoding="utf-8").split("\n\n")
        if paragraph.strip()
    ]
    pieces, length = [], 0
    while length < size:
        rng.shuffle(paragraphs)
        pieces += paragraphs
        length += sum(len(paragraph) + 2 for paragraph in paragraphs)
    return "\n\n".join(pieces)[:size]


def passages_of(text: str, count: int, rng: random.Random) -> list[Passage]:
    made = []
    for _ in range(count):
        start = rng.randrange(0, len(text) - 100)
        end = start + rng.randint(5, 80)
        made.append(
            Passage(
                start,
                end,
                text[max(0, start - CONTEXT) : start],
                text[end : end + CONTEXT],
            )
        )
    return made


def one_paragraph(text: str) -> str:
    """A paragraph in the middle with three letters and a word corrected."""
    start = text.index("\n\n", len(text) // 2) + 2
    end = text.index("\n\n", start)
    paragraph = text[start:end].replace("e", "é", 3).replace(" the ", " thé ", 1)
    return text[:start] + paragraph + text[end:]


def scattered(text: str, count: int, rng: random.Random) -> str:
    """`count` words anywhere put in capitals (an OCR pass's corrections)."""
    words = text.split(" ")
    chosen = set(rng.sample(range(len(words)), count))
    return " ".join(
        word.upper() if n in chosen else word for n, word in enumerate(words)
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int)
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args()
    sizes = SMOKE if args.smoke else FULL
    runs = args.runs or sizes.runs
    rng = random.Random(SEED)
    old = seed_text(sizes.text_chars, rng)
    passages = passages_of(old, sizes.passages, rng)
    print(f"text: {len(old):,} characters; {len(passages):,} passages; {runs} runs")
    for name, new in (
        ("one paragraph corrected", one_paragraph(old)),
        (
            f"{sizes.scattered_edits} scattered edits",
            scattered(old, sizes.scattered_edits, rng),
        ),
    ):
        times = []
        for _ in range(runs):
            started = time.perf_counter()
            outcomes = carry(old, new, passages)
            times.append(time.perf_counter() - started)
        fates = Counter(outcome.fate for outcome in outcomes)
        told = ", ".join(f"{fates[fate]:,} {fate}" for fate in Fate)
        print(
            f"{name}: median {statistics.median(times) * 1000:.0f} ms "
            f"(fastest {min(times) * 1000:.0f} ms); {told}"
        )
        assert sum(fates.values()) == len(passages)
    return 0


if __name__ == "__main__":
    sys.exit(main())
