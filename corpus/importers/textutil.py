"""Small text helpers shared by the format parsers."""

from __future__ import annotations

import re
from pathlib import PurePath

# Closing quotes and brackets may follow the final stop: `drop.)`, `said.”`.
SENTENCE_END_RE = re.compile(r"[.?!…][\"'”’)\]]*$|[\"”’)]$")
_SENTENCE_SPLIT_RE = re.compile(r"(?<=[.?!])[\"”’)]*\s+(?=[\"“‘(]?[A-Z0-9])")
_SMALL_WORDS = frozenset(
    [
        "a",
        "an",
        "and",
        "as",
        "at",
        "but",
        "by",
        "de",
        "del",
        "for",
        "from",
        "in",
        "into",
        "la",
        "of",
        "on",
        "or",
        "the",
        "to",
        "vs",
        "with",
    ]
)
_STEM_WORD_RE = re.compile(r"[A-Za-z]{3,}")


def ends_sentence(text: str) -> bool:
    """True if `text` ends the way a finished sentence does."""
    return bool(SENTENCE_END_RE.search(text.rstrip()))


def is_title_case(text: str, *, threshold: float = 0.75) -> bool:
    """True if most words that are not small words start with a capital."""
    words = [w.strip("“”\"'‘’()[],:;") for w in text.split()]
    words = [w for w in words if w and w.lower() not in _SMALL_WORDS]
    if not words:
        return False
    capital = sum(1 for w in words if w[0].isupper() or w[0].isdigit())
    return capital / len(words) >= threshold


def looks_like_heading(text: str, *, max_chars: int = 90) -> bool:
    """A short Title Case line with no closing full stop or comma."""
    text = text.strip()
    if not text or len(text) > max_chars or len(text.split()) > 12:
        return False
    if text[-1] in ".,;:" or not text[0].isupper() and not text[0].isdigit():
        return False
    return is_title_case(text)


def title_from_text(text: str, *, limit: int = 80) -> str:
    """The first sentence of `text`, cut at a word boundary if it is long."""
    text = " ".join(text.split())
    first = _SENTENCE_SPLIT_RE.split(text, maxsplit=1)[0]
    if len(first) <= limit + 20:
        return first
    cut = first[:limit].rsplit(" ", 1)[0].rstrip(",;:—–-")
    return cut + "…"


def title_from_filename(filename: str) -> str:
    """A title from a file name made of words ("el-chapo_brief.txt"), else ""."""
    stem = PurePath(filename).stem if filename else ""
    words = re.split(r"[\s_\-.]+", stem)
    real = [w for w in words if _STEM_WORD_RE.fullmatch(w)]
    # Hash- or number-like names ("002_9cafecd9") say nothing about the text.
    if len(real) < 2 or len(real) < len([w for w in words if w]) / 2:
        return ""
    text = " ".join(w for w in words if w)
    return text[:1].upper() + text[1:]
