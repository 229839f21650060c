"""The importer contract: refusals, encodings, detection, invariants, drop_blocks."""

from __future__ import annotations

import codecs
import json
import re
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from corpus.importers import (
    FORMATS,
    ImportedText,
    ImportRefused,
    check_bytes,
    count_words,
    detect_format,
    drop_blocks,
    import_bytes,
)
from corpus.importers import html as html_importer
from corpus.importers.html import MAX_TAGS_FOR_EXTRACTION
from corpus.models import DocumentFormat

KINDS = {"heading", "paragraph", "list_item"}
TOKEN_RE = re.compile(r"[^\W_]+")

SAMPLES = {
    "markdown": "# Report\n\nSome *text* with [a link](https://example.org/x).\n\n"
    "- first item\n- second item\n",
    "pdf_text": "The committee met on Tuesday to discuss the new\n"
    "budget for the coming year, and members argued\n"
    "for hours about the cost of the bridge that the\n"
    "town has wanted to build across the river since\n"
    "the flood of the previous spring destroyed the\n"
    "old crossing near the mill. The mayor said the\n"
    "work would start in the summer if the state\n"
    "paid its share of the money, which it promised\n"
    "in a letter sent to the council in March, and\n"
    "the contractor was ready to begin at once.\n"
    "\n"
    " Not everyone agreed with the plan, however.\n",
    "article": "https://example.org/a\nA Title - The Paper\nOne,Two\nJan. 5, 2016\n"
    "12\nFirst sentence here.Second sentence there.",
    "plain": "A first paragraph of plain text.\nA second one.\n",
    "html": "<!doctype html><html><head><title>Page</title></head><body><article>"
    "<h1>Page heading</h1><p>A paragraph of the page that is long enough to be "
    "kept by the extractor as main text of the article.</p></article></body></html>",
}


def assert_invariants(imported: ImportedText) -> None:
    """Every promise of the ImportedText contract, checked on one result."""
    text = imported.text
    assert unicodedata.is_normalized("NFC", text)
    assert "\r" not in text and "\u00a0" not in text and "\t" not in text
    assert imported.format in FORMATS
    pieces = [text[b.start : b.end] for b in imported.blocks]
    assert text == "\n\n".join(pieces)
    previous_end = -2
    for block, piece in zip(imported.blocks, pieces, strict=True):
        assert block.start == previous_end + 2
        assert block.start < block.end
        assert piece == piece.strip() and "\n" not in piece
        assert block.kind in KINDS
        assert (1 <= block.level <= 6) if block.kind == "heading" else block.level == 0
        previous_end = block.end
    for link in imported.links:
        linked = text[link.start : link.end]
        assert linked and linked == linked.strip() and "\n" not in linked
        assert link.url.startswith(("http://", "https://", "mailto:"))
    assert imported.word_count == count_words(text)
    assert all(0 <= i < len(imported.blocks) for i in imported.boilerplate)


def test_formats_match_the_document_model_choices():
    assert set(FORMATS) == set(DocumentFormat.values)


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_every_importer_keeps_the_invariants(format):
    imported = import_bytes(SAMPLES[format].encode(), format=format)
    assert imported.format == format
    assert imported.blocks
    assert_invariants(imported)


@pytest.mark.parametrize("format", sorted(FORMATS))
def test_sample_is_detected_as_its_own_format(format):
    assert detect_format(SAMPLES[format]) == format


@pytest.mark.parametrize(
    ("filename", "expected"),
    [
        ("brief.md", "markdown"),
        ("brief.markdown", "markdown"),
        ("page.HTML", "html"),
        ("page.htm", "html"),
    ],
)
def test_extension_decides_the_format(filename, expected):
    assert detect_format("Just a line of text.", filename) == expected


def test_html_is_detected_by_its_opening_tag_without_extension():
    assert detect_format("  <!DOCTYPE html>\n<html><p>x</p></html>") == "html"
    assert detect_format("<html lang='en'><body>x</body></html>") == "html"


def test_manual_format_overrides_detection():
    data = b"# Not a heading here\n\nJust text."
    assert import_bytes(data, format="plain").text.startswith("# Not a heading")
    assert import_bytes(data).text.startswith("Not a heading")


@pytest.mark.parametrize("data", [b"", b"   \n\t\r\n  ", "\ufeff \n".encode()])
def test_empty_or_blank_file_is_refused(data):
    with pytest.raises(ImportRefused, match=r"“notes.txt” is empty"):
        import_bytes(data, filename="notes.txt")


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "PDF"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "PNG image"),
        (b"PK\x03\x04\x14\x00\x06\x00", "ZIP archive"),
    ],
)
def test_binary_file_is_refused_with_its_likely_kind(data, kind):
    with pytest.raises(ImportRefused) as refused:
        import_bytes(data, filename="scan.txt")
    message = str(refused.value)
    assert "“scan.txt” looks like a binary file" in message
    assert kind in message and "not text" in message


def test_bytes_with_nul_characters_are_refused_as_binary():
    with pytest.raises(ImportRefused, match="looks like a binary file"):
        import_bytes(b"abc\x00\x01\x02\x00\xff\xfe\x00\x10data" * 20, filename="x.txt")


def test_undecodable_bytes_are_refused():
    data = bytes(range(0x80, 0x100)) * 4 + b"\x81\x8d\x8f\x90\x9d" * 50
    with pytest.raises(ImportRefused, match="“odd.txt” could not be decoded"):
        import_bytes(data, filename="odd.txt")


def test_file_over_the_limit_is_refused_naming_size_and_limit():
    data = b"word " * (3 * 1024 * 1024 // 5)
    with pytest.raises(ImportRefused) as refused:
        import_bytes(data, filename="big.txt", max_bytes=2 * 1024 * 1024)
    message = str(refused.value)
    assert "“big.txt” is 3.0 MB" in message and "2.0 MB limit" in message


def test_unknown_format_name_is_refused():
    with pytest.raises(ImportRefused, match="Unsupported format “docx”"):
        import_bytes(b"text", filename="a.txt", format="docx")


@pytest.mark.parametrize("filename", ["report.docx", "scan.PDF", "photo.png"])
def test_unsupported_extension_is_refused_before_reading(filename):
    with pytest.raises(ImportRefused, match="files are not supported"):
        import_bytes(b"Plain words that would decode.", filename=filename)


PHRASE = "Café “quoted” — naïve façade, don’t"


@pytest.mark.parametrize(
    ("data", "encoding"),
    [
        (PHRASE.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + PHRASE.encode("utf-8"), "utf-8"),
        (PHRASE.encode("utf-16"), "utf-16"),
        (codecs.BOM_UTF16_BE + PHRASE.encode("utf-16-be"), "utf-16"),
        (codecs.BOM_UTF16_LE + PHRASE.encode("utf-16-le"), "utf-16"),
        (PHRASE.encode("cp1252"), "cp1252"),
    ],
)
def test_encodings_are_detected_and_decoded(data, encoding):
    imported = import_bytes(data, format="plain")
    assert imported.text == PHRASE
    assert imported.encoding == encoding


def test_latin1_text_is_decoded_as_western():
    text = "Le garçon a mangé à la crêpe du marché près de l’église."
    imported = import_bytes(text.replace("’", "'").encode("latin-1"), format="plain")
    assert imported.text == text.replace("’", "'")
    assert imported.warnings and "cp1252" in imported.warnings[-1]


def test_utf16_without_bom_is_recognised():
    imported = import_bytes("Plain words.\nMore words.".encode("utf-16-le"))
    assert imported.text == "Plain words.\n\nMore words."


def test_newlines_and_no_break_spaces_are_normalised():
    data = "One\u00a0line.\r\nTwo\rThree\u202fend.".encode()
    assert import_bytes(data, format="plain").text == "One line.\n\nTwo\n\nThree end."


def test_text_is_nfc_normalised():
    decomposed = unicodedata.normalize("NFD", "Guzmán and Peña.")
    assert import_bytes(decomposed.encode(), format="plain").text == "Guzmán and Peña."


def test_drop_blocks_removes_blocks_and_recomputes_offsets_and_links():
    data = (
        b"# Title\n\nDropped paragraph.\n\nKept [link](https://example.org/) here.\n\n"
        b"- an item\n"
    )
    imported = import_bytes(data, format="markdown")
    imported.boilerplate = [1, 3]
    smaller = drop_blocks(imported, [1])
    assert_invariants(smaller)
    assert smaller.text == "Title\n\nKept link here.\n\nan item"
    (link,) = smaller.links
    assert smaller.text[link.start : link.end] == "link"
    assert smaller.boilerplate == [2]
    assert smaller.word_count == 6
    assert imported.text.startswith("Title\n\nDropped")


def test_drop_blocks_can_drop_every_block():
    imported = import_bytes(b"One.\nTwo.", format="plain")
    emptied = drop_blocks(imported, range(len(imported.blocks)))
    assert emptied.text == "" and emptied.blocks == [] and emptied.word_count == 0


def test_count_words_counts_hyphenated_words_and_abbreviations_once():
    assert count_words("A well-known U.S. agency—the DEA—don’t 3.5 times.") == 9


# Characters that stress normalisation: CR, NBSP, tabs, combining marks, astral.
_ALPHABET = st.sampled_from(
    list('abcXYZ .,!?-—–#*_[]()\n\n\r\t\u00a0\u202f\u0301é•0123"“”’')
    + ["\r\n", "😀", "𝔘", "ﬁ", "  • ", "\n# ", "[a](https://x.org)", "U.S."]
)
_TEXTS = st.lists(_ALPHABET, min_size=1, max_size=300).map("".join)


@pytest.mark.parametrize("format", sorted(set(FORMATS) - {"html"}))
@settings(max_examples=150)
@given(text=_TEXTS)
def test_property_any_text_imports_with_invariants_or_is_refused(format, text):
    try:
        imported = import_bytes(text.encode("utf-8"), format=format)
    except ImportRefused:
        # Only markup (which Markdown removes) or no letters at all is refused.
        assert format == "markdown" or not TOKEN_RE.search(text)
        return
    assert_invariants(imported)


@settings(max_examples=40)
@given(text=_TEXTS)
def test_property_html_import_keeps_invariants(text):
    page = f"<html><body><p>{text}</p></body></html>"
    try:
        imported = import_bytes(page.encode("utf-8"), format="html")
    except ImportRefused:
        return
    assert_invariants(imported)


@pytest.mark.parametrize("format", ["plain", "pdf_text"])
@settings(max_examples=150)
@given(text=_TEXTS)
def test_property_plain_and_pdf_text_lose_no_word(format, text):
    try:
        imported = import_bytes(text.encode("utf-8"), format=format)
    except ImportRefused:
        return
    expected = unicodedata.normalize("NFC", text)
    assert sorted(TOKEN_RE.findall(imported.text)) == sorted(TOKEN_RE.findall(expected))


@settings(max_examples=100)
@given(text=_TEXTS, data=st.data())
def test_property_drop_blocks_keeps_invariants_and_the_other_blocks(text, data):
    try:
        imported = import_bytes(text.encode("utf-8"), format="markdown")
    except ImportRefused:
        return
    count = len(imported.blocks)
    dropped = data.draw(st.sets(st.integers(0, count - 1)))
    smaller = drop_blocks(imported, dropped)
    assert_invariants(smaller)
    kept = [
        imported.text[b.start : b.end]
        for i, b in enumerate(imported.blocks)
        if i not in dropped
    ]
    assert smaller.text == "\n\n".join(kept)
    assert len(smaller.links) == sum(
        1
        for link in imported.links
        if not any(
            b.start <= link.start < b.end
            for i, b in enumerate(imported.blocks)
            if i in dropped
        )
    )


# -- What the database cannot store, anywhere in the file --------------------------


@pytest.mark.parametrize(
    ("encode", "name"),
    [
        (lambda text: text.encode("utf-8"), "utf-8"),
        (lambda text: codecs.BOM_UTF16_LE + text.encode("utf-16-le"), "utf-16"),
        (lambda text: text.encode("cp1252"), "cp1252"),
    ],
    ids=["utf-8", "utf-16", "cp1252"],
)
def test_a_nul_anywhere_is_refused_with_its_line(encode, name):
    lines = [f"Line {n}: café and naïve words, nothing odd." for n in range(3000)]
    lines[2500] = "A line with a NUL \x00 in the middle."
    data = encode("\n".join(lines))
    assert data.find(b"\x00", 0) > 4096 or name == "utf-16"
    for check in (import_bytes, check_bytes):
        with pytest.raises(ImportRefused, match="NUL character .* on line 2,501"):
            check(data, filename="notes.txt")


def test_check_bytes_accepts_what_import_bytes_accepts():
    for format, sample in SAMPLES.items():
        filename = "page.html" if format == "html" else "sample.txt"
        check_bytes(sample.encode(), filename=filename)
        import_bytes(sample.encode(), filename=filename)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "is empty"),
        (b"  \n ", "is empty"),
        (b"%PDF-1.4 x", "PDF"),
        (b"\x00\x01binary\x00" * 40, "binary"),
        (b"x" * 2000, "over the"),
    ],
)
def test_check_bytes_refuses_what_import_bytes_refuses_before_parsing(data, reason):
    for check in (import_bytes, check_bytes):
        with pytest.raises(ImportRefused, match=reason):
            check(data, filename="a.txt", max_bytes=1000)


def test_a_parse_result_survives_its_json_round_trip(seeds_dir):
    for path in sorted(seeds_dir.glob("*.txt")):
        imported = import_bytes(path.read_bytes(), filename=path.name)
        stored = json.loads(json.dumps(imported.as_dict()))
        assert ImportedText.from_dict(stored) == imported


# -- Large inputs ------------------------------------------------------------------


def test_a_huge_html_page_is_read_without_trafilatura_and_keeps_its_main_text(
    monkeypatch,
):
    # trafilatura's extraction grows faster than the page (a minute for 300,000
    # paragraphs): such pages must not reach it.
    def quadratic(*args, **kwargs):
        raise AssertionError("bare_extraction called for a huge page")

    monkeypatch.setattr(html_importer.trafilatura, "bare_extraction", quadratic)
    paragraphs = "".join(
        f"<p>Note {n} on <a href='https://example.org/{n}'>trees</a>.</p>"
        for n in range(MAX_TAGS_FOR_EXTRACTION)
    )
    page = (
        "<!doctype html><html><head><title>Field notes</title>"
        "<meta name='author' content='Ana Ruiz'></head><body>"
        "<nav><a href='/'>Home</a></nav><header><p>Site banner</p></header>"
        f"<main><h1>Field notes</h1>{paragraphs}</main>"
        "<footer><p>Copyright</p></footer></body></html>"
    )
    imported = import_bytes(page.encode(), filename="notes.html")
    assert_invariants(imported)
    assert imported.format == "html"
    assert len(imported.blocks) == MAX_TAGS_FOR_EXTRACTION + 1
    assert imported.blocks[0].kind == "heading"
    assert imported.text.startswith("Field notes\n\nNote 0 on trees.")
    assert "Home" not in imported.text and "Site banner" not in imported.text
    assert "Copyright" not in imported.text
    assert (imported.title, imported.authors) == ("Field notes", ["Ana Ruiz"])
    assert len(imported.links) == MAX_TAGS_FOR_EXTRACTION


def test_a_text_of_short_lines_offers_no_boilerplate():
    lines = [f"Item {n}" for n in range(200)]
    imported = import_bytes("\n".join(lines).encode(), format="plain")
    assert len(imported.blocks) == 200
    assert imported.boilerplate == []
