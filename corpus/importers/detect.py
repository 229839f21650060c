"""Pick the format of a decoded text from its file name and its shape."""

from __future__ import annotations

import re
from pathlib import PurePath

from corpus.importers.article import has_article_header
from corpus.importers.textutil import ends_sentence

EXTENSION_FORMATS = {
    ".md": "markdown",
    ".markdown": "markdown",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
}
TEXT_EXTENSIONS = frozenset({".txt", ".text", ""}) | set(EXTENSION_FORMATS)
_HTML_START_RE = re.compile(
    r"^\s*(?:<\?xml[^>]*>\s*)?<(?:!doctype\s+html|html)\b", re.I
)
_MD_HEADING_RE = re.compile(r"^#{1,6} \S", re.M)
_MD_LINK_RE = re.compile(r"!?\[[^\]\n]+\]\([^)\s]*\)")
_SAMPLE_LINES = 400


def extension(filename: str) -> str:
    return PurePath(filename).suffix.lower() if filename else ""


def detect_format(text: str, filename: str = "") -> str:
    """The importer format for `text`: by extension first, then by content."""
    by_extension = EXTENSION_FORMATS.get(extension(filename))
    if by_extension:
        return by_extension
    if _HTML_START_RE.match(text[:2000]):
        return "html"
    lines = text.lstrip("\n").split("\n", _SAMPLE_LINES)[:_SAMPLE_LINES]
    if has_article_header(lines):
        return "article"
    sample = "\n".join(lines)
    if _MD_HEADING_RE.search(sample) or _MD_LINK_RE.search(sample):
        return "markdown"
    if looks_hard_wrapped(lines):
        return "pdf_text"
    return "plain"


def looks_hard_wrapped(lines: list[str]) -> bool:
    """Many lines of a similar middling width, most not ending a sentence."""
    filled = [line.strip() for line in lines if line.strip()]
    if len(filled) < 10:
        return False
    lengths = sorted(len(line) for line in filled)
    median = lengths[len(lengths) // 2]
    near = sum(1 for n in lengths if abs(n - median) <= 15) / len(lengths)
    unfinished = sum(1 for line in filled if not ends_sentence(line)) / len(filled)
    return 30 <= median <= 90 and near >= 0.6 and unfinished >= 0.6
