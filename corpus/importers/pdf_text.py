"""Text extracted from a PDF: hard-wrapped lines joined back into paragraphs."""

from __future__ import annotations

from dataclasses import dataclass, field

from corpus.importers.assemble import RawBlock
from corpus.importers.textutil import ends_sentence, looks_like_heading

# A line shorter than this share of the usual width ends its paragraph when it
# also ends a sentence: the rest of the line was left empty.
SHORT_LINE = 0.7


@dataclass
class _Chunk:
    lines: list[str] = field(default_factory=list)
    heading: bool = False

    @property
    def text(self) -> str:
        return join_wrapped(self.lines)


def join_wrapped(lines: list[str]) -> str:
    """Join hard-wrapped lines; a line-end dash or hyphen joins without a space."""
    parts: list[str] = []
    for line in lines:
        line = " ".join(line.split())
        if parts and parts[-1][-1:] in "-‐—–" and parts[-1][-2:-1].isalpha():
            # Keep the hyphen: "well-" + "known" is "well-known", and dropping a
            # hyphen that belonged there would change the text.
            parts[-1] += line
        else:
            parts.append(line)
    return " ".join(parts)


def line_width(lines: list[str]) -> int:
    """The usual width of the wrapped lines (their 80th percentile length)."""
    lengths = sorted(len(line.strip()) for line in lines if line.strip())
    if not lengths:
        return 0
    return lengths[int(len(lengths) * 0.8)]


def parse_pdf_text(text: str) -> tuple[list[RawBlock], list[str]]:
    """Paragraph and heading blocks, plus warnings about repaired column order."""
    lines = text.split("\n")
    width = line_width(lines)
    chunks = _chunks(lines, width)
    warnings = []
    moved = _repair_column_order(chunks)
    if moved:
        warnings.append(
            f"{moved} passage(s) seemed out of column order and were moved to "
            "finish the sentence they continue; please check them."
        )
    blocks = [
        RawBlock("heading", chunk.text, 2)
        if chunk.heading
        else RawBlock("paragraph", chunk.text)
        for chunk in chunks
    ]
    return [b for b in blocks if b.text], warnings


def _chunks(lines: list[str], width: int) -> list[_Chunk]:
    """Split lines where a paragraph, a heading or a column break starts."""
    chunks: list[_Chunk] = []
    current = _Chunk()

    def close():
        nonlocal current
        if current.lines:
            chunks.append(current)
        current = _Chunk()

    index = 0
    while index < len(lines):
        line = lines[index]
        stripped = line.strip()
        index += 1
        if not stripped:
            close()
            continue
        heading = _heading_at(lines, index - 1)
        if heading:
            close()
            chunks.append(_Chunk([lines[i].strip() for i in heading], heading=True))
            index = heading[-1] + 1
            continue
        previous = current.lines[-1].strip() if current.lines else ""
        indented = line[:1].isspace()
        if (
            previous
            and (
                ends_sentence(previous)
                and (indented or len(previous) < width * SHORT_LINE)
                # An indented capital after an unfinished line is where a column
                # was cut; indented lower-case lines are only ragged wrapping.
                or indented
                and stripped[:1].isupper()
            )
        ):
            close()
        current.lines.append(line)
    close()
    return chunks


def _heading_at(lines: list[str], index: int) -> list[int]:
    """Indices of the heading's lines if a heading starts at `index`, else []."""
    line = lines[index]
    stripped = line.strip()
    if not looks_like_heading(stripped, max_chars=60):
        return []
    # A heading stands after a blank line, or indented where a column breaks.
    if not (_blank(lines, index - 1) or line[:1].isspace()):
        return []
    if _blank(lines, index + 1):
        return [index]
    # A heading may wrap onto a second short line ("The Revolving Door of" /
    # "the Mexican Justice System") before its blank line.
    following = lines[index + 1].strip()
    if (
        _blank(lines, index + 2)
        and not ends_sentence(stripped)
        and looks_like_heading(f"{stripped} {following}", max_chars=80)
    ):
        return [index, index + 1]
    return []


def _blank(lines: list[str], index: int) -> bool:
    return index < 0 or index >= len(lines) or not lines[index].strip()


def _is_dangling(chunk: _Chunk) -> bool:
    return not chunk.heading and not ends_sentence(chunk.lines[-1])


def _is_orphan(chunk: _Chunk) -> bool:
    first = chunk.lines[0].strip()
    return not chunk.heading and (first[:1].islower() or first[:1] in ",;:)")


def _repair_column_order(chunks: list[_Chunk]) -> int:
    """Join each unfinished paragraph to the passage that continues it; count moves."""
    for i in range(len(chunks) - 1, 0, -1):
        if _is_dangling(chunks[i - 1]) and _is_orphan(chunks[i]):
            chunks[i - 1].lines.extend(chunks.pop(i).lines)
    dangling = [c for c in chunks if _is_dangling(c)]
    orphans = [c for c in chunks if _is_orphan(c)]
    if chunks and _is_dangling(chunks[-1]):
        dangling.pop()
    moved = 0
    # Columns that came out of order leave as many sentence heads without
    # tails as tails without heads; pairing them in reading order mends most.
    if dangling and len(dangling) == len(orphans):
        for head, tail in zip(dangling, orphans, strict=True):
            if head is tail:
                continue
            head.lines.extend(tail.lines)
            chunks.remove(tail)
            moved += 1
    # Whatever is still unfinished runs on into the next paragraph.
    i = 0
    while i < len(chunks) - 1:
        if _is_dangling(chunks[i]) and not chunks[i + 1].heading:
            chunks[i].lines.extend(chunks.pop(i + 1).lines)
        else:
            i += 1
    return moved
