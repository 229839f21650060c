"""An article with a metadata header (URL, title, keywords, date, word count)."""

from __future__ import annotations

import re

from corpus.importers.assemble import RawBlock, clean_inline
from corpus.importers.dates import find_date

_URL_RE = re.compile(r"^https?://\S+$")
_COUNT_RE = re.compile(r"^\d[\d,]*$")
# Title suffixes like "… - The New York Times" name the publisher.
_PUBLISHER_RE = re.compile(r"^(?P<title>.+?)\s+[-|–—]\s+(?P<publisher>[^-|–—]{2,60})$")
# A sentence end glued to the next sentence: `soil.Even`, `years.”But`, `summer.“It`.
_GLUED_RE = re.compile(r"[.?!][’'\s]*[”\"]?(?=[A-Z“‘\"])")
_ABBREVIATIONS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "dr",
        "st",
        "jr",
        "sr",
        "gen",
        "sen",
        "rep",
        "gov",
        "lt",
        "col",
        "capt",
        "sgt",
        "prof",
        "vs",
        "etc",
        "inc",
        "co",
        "corp",
        "ltd",
        "jan",
        "feb",
        "mar",
        "apr",
        "jun",
        "jul",
        "aug",
        "sep",
        "sept",
        "oct",
        "nov",
        "dec",
        "ft",
        "mt",
        "ave",
    ]
)
_WORD_BEFORE_RE = re.compile(r"(\w+)$")


def has_article_header(lines: list[str]) -> bool:
    """True if the text opens with a URL line, a title and header fields."""
    head = [line.strip() for line in lines[:6]]
    if len(head) < 4 or not _URL_RE.match(head[0]) or not head[1]:
        return False
    fields = sum(
        (
            "," in head[2] and len(head[2]) < 500,
            find_date(head[3]) is not None,
            bool(_COUNT_RE.match(head[4])) if len(head) > 4 else False,
        )
    )
    return fields >= 2


def parse_article(text: str) -> tuple[list[RawBlock], dict]:
    """Body paragraphs and the header's metadata."""
    lines = text.split("\n")
    if not has_article_header(lines):
        return [RawBlock("paragraph", clean_inline(p)) for p in lines if p.strip()], {}
    head = [line.strip() for line in lines[:5]]
    meta: dict = {"source_url": head[0], "title": head[1]}
    publisher = _PUBLISHER_RE.match(head[1])
    if publisher:
        meta["title"] = publisher.group("title")
        meta["publisher"] = publisher.group("publisher")
    body_start = 2
    if "," in head[2] or find_date(head[2]) is None:
        meta["keywords"] = [clean_inline(k) for k in head[2].split(",") if k.strip()]
        body_start = 3
    date = find_date(lines[body_start]) if body_start < len(lines) else None
    if date is not None:
        meta["published_date"] = date
        body_start += 1
    if body_start < len(lines) and _COUNT_RE.match(lines[body_start].strip()):
        meta["declared_word_count"] = int(lines[body_start].strip().replace(",", ""))
        body_start += 1
    blocks = []
    for line in lines[body_start:]:
        blocks.extend(RawBlock("paragraph", clean_inline(p)) for p in split_glued(line))
    return [b for b in blocks if b.text], meta


def split_glued(text: str) -> list[str]:
    """Split a paragraph where a sentence end runs into the next without a space."""
    pieces, start = [], 0
    quotes, counted_to = 0, 0
    for match in _GLUED_RE.finditer(text):
        stop, end = match.start(), match.end()
        if text[end - 1 : end].isspace() or not _sentence_really_ends(text, stop):
            continue
        quote = text.find('"', stop, end + 1)
        if quote != -1:
            # A straight quote after an even number of them opens a quotation.
            quotes += text.count('"', counted_to, quote)
            counted_to = quote
            end = quote if quotes % 2 == 0 else quote + 1
            if not text[end : end + 1].isupper() and text[end : end + 1] not in '"“‘':
                continue
        pieces.append(text[start:end])
        start = end
    pieces.append(text[start:])
    return [p.strip() for p in pieces if p.strip()]


def _sentence_really_ends(text: str, stop: int) -> bool:
    """False for the full stops of "U.S.", "Mr.", "a.m." and initials."""
    if text[stop] != ".":
        return True
    # Look back a little only: searching from the start would be quadratic.
    word = _WORD_BEFORE_RE.search(text[max(0, stop - 40) : stop])
    if word is None:
        return True
    token = word.group(1)
    return len(token) > 1 and token.lower() not in _ABBREVIATIONS
