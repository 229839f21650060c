"""Time notes' Markdown rendering at 2,000 and 20,000 characters, adversarial and not.

A note may hold up to 20,000 characters, typed by anyone in the project. For
each pattern the script renders a 2,000-character and a 20,000-character note
and prints both times and their ratio: about 10 is linear, about 100 quadratic.
A pattern is SLOW when the ratio passes 25 (times under 1 ms count as 1 ms, too
quick to time reliably) or the long note takes over a second. Needs no database.

Run: .venv/bin/python bench/bench_markdown.py [--runs N] [--smoke]
     [--render MODULE:FUNCTION]

--smoke renders 200 and 2,000 characters once each (a few seconds, for the
tests); --render times another implementation, for instance the one before a
change copied to /tmp/old: PYTHONPATH=/tmp/old ... --render old:render_markdown.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

SEED = 20261122
# The largest note the forms accept (annotations/forms.py MAX_BODY).
SIZES = (2_000, 20_000)
SMOKE_SIZES = (200, 2_000)
# Linear is about 10 for ten times the size; past this it is worse than linear.
MAX_RATIO = 25
MAX_SECONDS = 1.0
# Below this a render is too quick to time reliably.
TIMING_FLOOR = 0.001
VOCABULARY = """
the river council planted plane trees along embankment shade survey residents
reported summer heat canopy cover roots budget officials drought water café
naïve façade Zürich São Paulo — “quoted” words 2019 42% municipal tender
"""
WORDS = VOCABULARY.split()


def repeat(unit: str) -> Callable[[int, random.Random], str]:
    def generate(size: int, rng: random.Random) -> str:
        return (unit * (size // len(unit) + 1))[:size]

    return generate


def staircase(line: Callable[[int], str]) -> Callable[[int, random.Random], str]:
    """Lines line(0), line(1), ... up to `size` characters."""

    def generate(size: int, rng: random.Random) -> str:
        lines, length, depth = [], 0, 0
        while length < size:
            lines.append(line(depth) + "\n")
            length += len(lines[-1])
            depth += 1
        return "".join(lines)[:size]

    return generate


def nested(opener: str, middle: str, closer: str):
    def generate(size: int, rng: random.Random) -> str:
        count = (size - len(middle)) // (len(opener) + len(closer))
        return opener * count + middle + closer * count

    return generate


def long_reference(size: int, rng: random.Random) -> str:
    """One definition with a URL half the note long, then "[x]" to the end."""
    head = "[x]: https://example.org/" + "a" * (size // 2) + "\n\n"
    return head + repeat("[x] ")(size - len(head), rng)


def words(rng: random.Random, low: int, high: int) -> str:
    return " ".join(rng.choices(WORDS, k=rng.randint(low, high)))


def ordinary_note(size: int, rng: random.Random) -> str:
    """What annotators write: paragraphs with some markup, lists, quotes, code."""
    parts: list[str] = []
    length = 0
    while length < size:
        kind = rng.random()
        if kind < 0.55:
            part = (
                f"{words(rng, 5, 20).capitalize()} *{words(rng, 1, 3)}* "
                f"{words(rng, 5, 20)} [{words(rng, 1, 4)}]"
                f"(https://example.org/{rng.randrange(10_000)}) "
                f"**{words(rng, 1, 3)}** `{rng.choice(WORDS)}`."
            )
        elif kind < 0.75:
            part = "\n".join(f"- {words(rng, 3, 12)}" for _ in range(rng.randint(2, 5)))
        elif kind < 0.9:
            part = "> " + words(rng, 10, 30)
        else:
            part = "```\n" + words(rng, 5, 15) + "\n```"
        parts.append(part)
        length += len(part) + 2
    return "\n\n".join(parts)[:size]


PATTERNS: dict[str, Callable[[int, random.Random], str]] = {
    "ordinary notes": ordinary_note,
    "open brackets [": repeat("["),
    "close-open ](": repeat("]("),
    "unclosed links [a](": repeat("[a]("),
    "unclosed links [a](b": repeat("[a](b"),
    "link openers [a": repeat("[a"),
    "brackets across lines \\n[": repeat("\n["),
    "close-open-open ]([\\n": repeat("]([\n"),
    "image openers ![": repeat("!["),
    "brackets and stars [*": repeat("[*"),
    "brackets and underscores [ a_": repeat("[ a_"),
    "nested brackets [[a]]": nested("[", "a", "]"),
    "stars *": repeat("*"),
    "underscores _": repeat("_"),
    "strong and emphasis **_": repeat("**_"),
    "emphasis openers _a": repeat("_a "),
    "mismatched emphasis *a_": repeat("*a_ "),
    "nested emphasis *a **a": nested("*a **a ", "b", " a** a*"),
    "backticks `": repeat("`"),
    "backtick runs `a``": repeat("`a``"),
    "blockquote markers > > >": repeat("> "),
    "blockquote staircase": staircase(lambda depth: ">" * depth + " a"),
    "nested list indentation": staircase(lambda depth: "  " * depth + "- a"),
    "numeric entities &#": repeat("&#"),
    "backslashes \\": repeat("\\"),
    "pipes |": repeat("|"),
    "rule of dashes -": repeat("-"),
    "dashes and newlines -\\n": repeat("-\n"),
    "angle brackets <": repeat("<"),
    "unclosed tags <a": repeat("<a "),
    "reference definitions [a]:": repeat("[a]:\n"),
    "long reference used often": long_reference,
}


def fastest(render: Callable[[str], str], source: str, runs: int) -> float:
    """The quickest of `runs` renders, with the collector held off while timing."""
    best = float("inf")
    gc.collect()
    gc.disable()
    try:
        for _ in range(runs):
            began = time.perf_counter()
            render(source)
            best = min(best, time.perf_counter() - began)
            if best > MAX_SECONDS:
                break  # one slow run says enough
    finally:
        gc.enable()
    return best


def load(spec: str) -> Callable[[str], str]:
    module, _, function = spec.partition(":")
    return getattr(importlib.import_module(module), function or "render_markdown")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--smoke", action="store_true", help="small sizes, one run")
    parser.add_argument("--render", default="annotations.markdown:render_markdown")
    args = parser.parse_args(argv)
    render = load(args.render)
    render(ordinary_note(SMOKE_SIZES[0], random.Random(SEED)))  # warm up
    small, large = SMOKE_SIZES if args.smoke else SIZES
    runs = 1 if args.smoke else args.runs
    print(f"{args.render}: fastest of {runs} runs, {small:,} and {large:,} characters")
    slow = []
    for name, generate in PATTERNS.items():
        small_note = generate(small, random.Random(SEED))
        large_note = generate(large, random.Random(SEED))
        small_seconds = fastest(render, small_note, runs)
        large_seconds = fastest(render, large_note, runs)
        ratio = large_seconds / small_seconds
        floored = large_seconds / max(small_seconds, TIMING_FLOOR)
        verdict = "ok"
        if floored > MAX_RATIO or large_seconds > MAX_SECONDS:
            verdict = "SLOW"
            slow.append(name)
        print(
            f"{name:<32} {small_seconds * 1e3:9.2f} ms {large_seconds * 1e3:10.2f} ms"
            f"  x{ratio:5.1f}  {verdict}"
        )
    print(f"{len(PATTERNS) - len(slow)} of {len(PATTERNS)} patterns linear")
    return 0


if __name__ == "__main__":
    sys.exit(main())
