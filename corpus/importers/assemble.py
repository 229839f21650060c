"""Turn parsed blocks into an ImportedText: offsets, links, word count, language."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field, replace

from corpus.importers.base import Block, ImportedText, LinkSpan
from corpus.importers.language import detect_language

WORD_RE = re.compile(r"\w+(?:['’.-]\w+)*")


@dataclass
class RawBlock:
    """A block before assembly; `links` are (start, end, url) within `text`."""

    kind: str
    text: str
    level: int = 0
    links: list[tuple[int, int, str]] = field(default_factory=list)


def count_words(text: str) -> int:
    """Words as a reader counts them: "well-known" and "U.S." are one word each."""
    return len(WORD_RE.findall(text))


def clean_inline(text: str) -> str:
    """Collapse every run of whitespace (newlines included) to one space, strip."""
    return " ".join(text.split())


def join_segments(segments: Iterable[tuple[str, str | None]]) -> RawBlock:
    """Concatenate (text, url) pieces into one clean line, tracking link offsets."""
    out: list[str] = []
    links: list[tuple[int, int, str]] = []
    length = 0
    need_space = False
    for piece, url in segments:
        cleaned = " ".join(piece.split())
        if not cleaned:
            need_space = need_space or bool(piece)
            continue
        if length and (need_space or piece[0].isspace()):
            out.append(" ")
            length += 1
        start = length
        out.append(cleaned)
        length += len(cleaned)
        need_space = piece[-1].isspace()
        if url:
            links.append((start, length, url))
    return RawBlock("paragraph", "".join(out), links=links)


def assemble(
    raw_blocks: Iterable[RawBlock], *, format: str, encoding: str, **metadata
) -> ImportedText:
    """Lay the blocks out as text joined by blank lines, with code-point offsets."""
    parts: list[str] = []
    blocks: list[Block] = []
    links: list[LinkSpan] = []
    pos = 0
    for raw in raw_blocks:
        text, raw_links = _nfc(raw.text, raw.links)
        if not text:
            continue
        if parts:
            pos += 2
        parts.append(text)
        blocks.append(Block(raw.kind, pos, pos + len(text), raw.level))
        links.extend(
            LinkSpan(pos + start, pos + end, url)
            for start, end, url in raw_links
            if 0 <= start < end <= len(text)
        )
        pos += len(text)
    text = "\n\n".join(parts)
    metadata.setdefault("language", detect_language(text))
    return ImportedText(
        text=text,
        blocks=blocks,
        format=format,
        encoding=encoding,
        word_count=count_words(text),
        links=links,
        **metadata,
    )


def _nfc(
    text: str, links: list[tuple[int, int, str]]
) -> tuple[str, list[tuple[int, int, str]]]:
    """NFC again after markup removal, which can leave an accent by its letter."""
    if unicodedata.is_normalized("NFC", text):
        return text, links
    moved = [
        (
            len(unicodedata.normalize("NFC", text[:start])),
            len(unicodedata.normalize("NFC", text[:end])),
            url,
        )
        for start, end, url in links
    ]
    return unicodedata.normalize("NFC", text).strip(), moved


def drop_blocks(imported: ImportedText, indices: Iterable[int]) -> ImportedText:
    """A copy of `imported` without the given blocks, offsets recomputed."""
    dropped = set(indices)
    kept: list[RawBlock] = []
    renumber: dict[int, int] = {}
    for index, block in enumerate(imported.blocks):
        if index in dropped:
            continue
        renumber[index] = len(kept)
        block_links = [
            (link.start - block.start, link.end - block.start, link.url)
            for link in imported.links
            if block.start <= link.start and link.end <= block.end
        ]
        kept.append(
            RawBlock(
                block.kind,
                imported.text[block.start : block.end],
                block.level,
                block_links,
            )
        )
    rebuilt = assemble(
        kept,
        format=imported.format,
        encoding=imported.encoding,
        language=imported.language,
    )
    return replace(
        imported,
        text=rebuilt.text,
        blocks=rebuilt.blocks,
        links=rebuilt.links,
        word_count=rebuilt.word_count,
        boilerplate=[renumber[i] for i in imported.boilerplate if i in renumber],
        warnings=list(imported.warnings),
        authors=list(imported.authors),
        keywords=list(imported.keywords),
    )
