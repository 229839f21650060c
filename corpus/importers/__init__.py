"""Importers: turn an uploaded file into document text, blocks and metadata.

`import_bytes()` is the one entry point; it decodes, picks the format (or takes
the one given) and calls that format's pure parser. Nothing here touches Django.
"""

from __future__ import annotations

from corpus.importers.article import parse_article
from corpus.importers.assemble import RawBlock, assemble, count_words, drop_blocks
from corpus.importers.base import Block, ImportedText, ImportRefused, LinkSpan
from corpus.importers.detect import TEXT_EXTENSIONS, detect_format, extension
from corpus.importers.encoding import decode, decode_raw, describe, looks_binary
from corpus.importers.html import parse_html
from corpus.importers.markdown import parse_markdown
from corpus.importers.pdf_text import parse_pdf_text
from corpus.importers.plain import parse_plain
from corpus.importers.textutil import title_from_filename, title_from_text

__all__ = [
    "FORMATS",
    "Block",
    "ImportRefused",
    "ImportedText",
    "LinkSpan",
    "check_bytes",
    "count_words",
    "detect_format",
    "drop_blocks",
    "import_bytes",
    "import_text",
]

FORMATS = {
    "markdown": "Markdown",
    "pdf_text": "Text extracted from a PDF",
    "article": "Article with a metadata header",
    "plain": "Plain text",
    "html": "HTML page",
}
_MB = 1024 * 1024


def import_bytes(
    data: bytes,
    *,
    filename: str = "",
    format: str | None = None,
    max_bytes: int | None = None,
) -> ImportedText:
    """Decode and parse an upload; raise ImportRefused with a reason if it cannot be."""
    name = describe(filename)
    if format is not None and format not in FORMATS:
        raise ImportRefused(
            f"Unsupported format “{format}” for {name}; choose one of "
            f"{', '.join(FORMATS)}."
        )
    _check_file(data, filename, max_bytes)
    text, encoding = decode(data, filename)
    if not text.strip():
        raise ImportRefused(f"{name} is empty (it holds only white space).")
    if looks_binary(text):
        raise ImportRefused(f"{name} looks like a binary file, not text.")
    imported = import_text(text, filename=filename, format=format, encoding=encoding)
    if not imported.blocks:
        raise ImportRefused(f"{name} has no text that could be imported.")
    if encoding not in ("utf-8", "ascii"):
        imported.warnings.append(f"{name} was read as {encoding} text.")
    return imported


def check_bytes(
    data: bytes, *, filename: str = "", max_bytes: int | None = None
) -> None:
    """Refuse at once what import_bytes() would refuse before parsing.

    The file's type, size and emptiness, and whether it decodes to text the
    database can store that does not look binary: quick enough (about 0.1 s for
    5 MB) for the upload request, whose large files are parsed later.
    """
    _check_file(data, filename, max_bytes)
    name = describe(filename)
    text, _ = decode_raw(data, filename)
    if not text.strip():
        raise ImportRefused(f"{name} is empty (it holds only white space).")
    if looks_binary(text):
        raise ImportRefused(f"{name} looks like a binary file, not text.")


def _check_file(data: bytes, filename: str, max_bytes: int | None) -> None:
    name = describe(filename)
    suffix = extension(filename)
    if suffix not in TEXT_EXTENSIONS:
        raise ImportRefused(
            f"{name}: {suffix} files are not supported. Upload plain text (.txt), "
            "Markdown (.md) or HTML (.html); save other documents as text first."
        )
    if max_bytes is not None and len(data) > max_bytes:
        raise ImportRefused(
            f"{name} is {len(data) / _MB:.1f} MB, over the {max_bytes / _MB:.1f} MB "
            "limit for one file."
        )
    if not data.strip():
        raise ImportRefused(f"{name} is empty.")


def import_text(
    text: str, *, filename: str = "", format: str | None = None, encoding: str = ""
) -> ImportedText:
    """Parse already-decoded, normalised text in the given or detected format."""
    format = format or detect_format(text, filename)
    meta: dict = {}
    warnings: list[str] = []
    boilerplate: list[int] = []
    if format == "markdown":
        blocks, meta = parse_markdown(text)
    elif format == "pdf_text":
        blocks, warnings = parse_pdf_text(text)
    elif format == "article":
        blocks, meta = parse_article(text)
    elif format == "html":
        blocks, meta = parse_html(text)
    else:
        blocks, boilerplate = parse_plain(text)
    declared = meta.pop("declared_word_count", None)
    meta = {key: value for key, value in meta.items() if value not in (None, "", [])}
    if not meta.get("title"):
        meta["title"] = _fallback_title(blocks, filename)
    imported = assemble(
        blocks,
        format=format,
        encoding=encoding,
        boilerplate=boilerplate,
        warnings=warnings,
        **meta,
    )
    if declared and abs(imported.word_count - declared) > max(20, declared // 10):
        imported.warnings.append(
            f"The header says {declared} words; {imported.word_count} were imported."
        )
    return imported


def _fallback_title(blocks: list[RawBlock], filename: str) -> str:
    """A heading that opens the text, the file name's words, or the first sentence."""
    if blocks and blocks[0].kind == "heading":
        return blocks[0].text
    return title_from_filename(filename) or (
        title_from_text(blocks[0].text) if blocks else ""
    )
