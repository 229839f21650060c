"""Bytes to normalised text: encoding detection, binary sniffing, newlines, NFC."""

from __future__ import annotations

import codecs
import re
import unicodedata

from charset_normalizer import from_bytes

from corpus.importers.base import ImportRefused

# (signature, what it probably is) checked against the first bytes.
BINARY_SIGNATURES = [
    (b"%PDF", "PDF"),
    (b"PK\x03\x04", "ZIP archive or Word/OpenDocument file"),
    (b"\x89PNG", "PNG image"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF8", "GIF image"),
    (b"\xd0\xcf\x11\xe0", "old Microsoft Office file"),
    (b"\x1f\x8b", "gzip archive"),
    (b"{\\rtf", "RTF document"),
]
BOMS = [
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
]
# Single-byte guesses that cp1252 decodes just as well; cp1252 gets the smart
# quotes and dashes of Word-made files right, which is what this corpus holds.
WESTERN_GUESSES = frozenset(
    [
        "cp1250",
        "cp1252",
        "cp1254",
        "cp1257",
        "latin_1",
        "iso8859_1",
        "iso8859_2",
        "iso8859_9",
        "iso8859_15",
        "iso8859_16",
        "mac_roman",
        "mac_latin2",
        "ascii",
    ]
)
_SPACE_LIKE = str.maketrans(
    {"\u00a0": " ", "\u2007": " ", "\u202f": " ", "\t": " ", "\ufeff": ""}
)
_LINE_BREAKS_RE = re.compile(r"\r\n?|[\x0b\x0c\x1c-\x1e\x85\u2028\u2029]")
_CONTROL_RE = re.compile(r"[\x00-\x08\x0e-\x1b\x1f\x7f]")
_UNSTORABLE_RE = re.compile("[\x00\ud800-\udfff]")


def describe(filename: str) -> str:
    return f"“{filename}”" if filename else "The file"


def decode(data: bytes, filename: str = "") -> tuple[str, str]:
    """Decode an upload; return (normalised text, encoding name) or refuse it."""
    text, encoding = decode_raw(data, filename)
    return normalise(text), encoding


def decode_raw(data: bytes, filename: str = "") -> tuple[str, str]:
    """Decode an upload without normalising it; refuse what cannot be stored.

    Quick (the codecs run in C): the upload view calls it for every file, so a
    file that would be refused later is refused at once.
    """
    text, encoding = _decode(data, filename)
    refuse_unstorable(text, filename)
    return text, encoding


def refuse_unstorable(text: str, filename: str = "") -> None:
    """Refuse text holding characters the database cannot store, wherever they are.

    PostgreSQL's text and JSON types cannot hold U+0000, and no UTF-8 column
    can hold a lone surrogate; one such character would make the save fail.
    """
    found = _UNSTORABLE_RE.search(text)
    if found is None:
        return
    line = text.count("\n", 0, found.start()) + 1
    what = (
        "a NUL character (a zero byte)"
        if found.group() == "\x00"
        else "a character that is not valid Unicode (a lone surrogate)"
    )
    raise ImportRefused(
        f"{describe(filename)} contains {what} on line {line:,}, which a text "
        "cannot hold; the file is damaged or is not plain text. Remove the "
        "character (or save the file again as UTF-8 text) and upload it again."
    )


def _decode(data: bytes, filename: str) -> tuple[str, str]:
    name = describe(filename)
    for bom, encoding in BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding.replace("-sig", "")
            except UnicodeDecodeError:
                raise ImportRefused(
                    f"{name} starts with a {encoding} marker but is not valid "
                    f"{encoding} text."
                ) from None
    for signature, kind in BINARY_SIGNATURES:
        if data.startswith(signature):
            raise ImportRefused(
                f"{name} looks like a binary file ({kind}?), not text. "
                "Save or export it as plain text, Markdown or HTML first."
            )
    if b"\x00" in data[:4096]:
        encoding = _utf16_without_bom(data)
        if encoding is None:
            raise ImportRefused(f"{name} looks like a binary file, not text.")
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            raise ImportRefused(f"{name} looks like a binary file, not text.") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    encoding = _guess_single_byte(data)
    if encoding is None:
        raise ImportRefused(
            f"{name} could not be decoded: it is not UTF-8 and its encoding could "
            "not be recognised. Save it as UTF-8 text and try again."
        )
    return data.decode(encoding), encoding


def _utf16_without_bom(data: bytes) -> str | None:
    """UTF-16 text of Latin script has a NUL in every other byte."""
    sample = data[:4096]
    even, odd = sample[0::2].count(0), sample[1::2].count(0)
    half = len(sample) // 2 or 1
    if odd / half > 0.6 and even == 0:
        return "utf-16-le"
    if even / half > 0.6 and odd == 0:
        return "utf-16-be"
    return None


def _guess_single_byte(data: bytes) -> str | None:
    best = from_bytes(data).best()
    if best is None:
        return None
    guess = best.encoding
    if guess in WESTERN_GUESSES:
        try:
            data.decode("cp1252")
        except UnicodeDecodeError:
            return guess
        return "cp1252"
    return guess


def normalise(text: str) -> str:
    """NFC, "\\n" newlines only, no-break and odd spaces as plain spaces."""
    text = _LINE_BREAKS_RE.sub("\n", text).translate(_SPACE_LIKE)
    return unicodedata.normalize("NFC", text)


def looks_binary(text: str) -> bool:
    """True if control characters make up a noticeable part of decoded text."""
    controls = len(_CONTROL_RE.findall(text[:20000]))
    return controls > max(2, len(text[:20000]) // 200)
