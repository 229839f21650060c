"""Importers: turn an uploaded file into document text, blocks and metadata.

`import_bytes()` is the one entry point; it decodes, picks the format (or takes
the one given) and calls that format's pure parser. Nothing here touches Django.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable

from corpus.importers.base import Block, ImportedText, ImportRefused, LinkSpan

__all__ = [
    "FORMATS",
    "Block",
    "ImportRefused",
    "ImportedText",
    "LinkSpan",
    "drop_blocks",
    "import_bytes",
]

FORMATS = {
    "markdown": "Markdown",
    "pdf_text": "Text extracted from a PDF",
    "article": "Article with a metadata header",
    "plain": "Plain text",
    "html": "HTML page",
}


def import_bytes(
    data: bytes, *, filename: str = "", format: str | None = None,
    max_bytes: int | None = None,
) -> ImportedText:
    """Decode and parse an upload; raise ImportRefused with a reason if it cannot be."""
    # Placeholder until the format importers land: plain paragraphs only.
    if max_bytes is not None and len(data) > max_bytes:
        raise ImportRefused(f"{filename or 'The file'} is larger than the limit.")
    if not data.strip():
        raise ImportRefused(f"{filename or 'The file'} is empty.")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ImportRefused(f"{filename or 'The file'} is not UTF-8 text.") from None
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n"))
    paragraphs = [p.strip() for p in re.split(r"\n+", text) if p.strip()]
    out, blocks, pos = [], [], 0
    for paragraph in paragraphs:
        blocks.append(Block("paragraph", pos, pos + len(paragraph)))
        out.append(paragraph)
        pos += len(paragraph) + 2
    joined = "\n\n".join(out)
    return ImportedText(
        text=joined, blocks=blocks, format=format or "plain", encoding="utf-8",
        title=paragraphs[0][:120], word_count=len(joined.split()),
    )


def drop_blocks(imported: ImportedText, indices: Iterable[int]) -> ImportedText:
    """A copy of `imported` without the given blocks, offsets recomputed."""
    raise NotImplementedError
