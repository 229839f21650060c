"""The five seed texts: format, metadata, paragraphs, and not one word lost."""

from __future__ import annotations

import datetime
import re
from collections import Counter

import pytest

from corpus.importers import import_bytes
from tests.corpus.test_importers import assert_invariants

SEEDS = {
    "markdown": "000_f680e8277ca77def.txt",
    "pdf_text": "001_2cf028e75483853e.txt",
    "plain_boilerplate": "002_9cafecd9e33cc820.txt",
    "article": "003_5f6357f5e21fa928.txt",
    "plain": "004_6dd3b6e22d44469c.txt",
}
WORD_RE = re.compile(r"\w+(?:[-'’]\w+)*")
# Sentence-final: a stop, maybe closed by quotes or brackets; or a closing
# bracket or quote after a finished clause ("(IN10326)", "7-5229)").
FINISHED_RE = re.compile(r"(?:[.?!][\"”’)]*|[)”])$")


def load(seeds_dir, key: str):
    data = (seeds_dir / SEEDS[key]).read_bytes()
    return data.decode("utf-8"), import_bytes(data, filename=SEEDS[key])


def words(text: str) -> Counter:
    return Counter(WORD_RE.findall(text))


def block_texts(imported, kind: str | None = None) -> list[str]:
    return [
        imported.text[b.start : b.end]
        for b in imported.blocks
        if kind is None or b.kind == kind
    ]


def assert_no_wrapped_fragments(imported, exempt: set[int] = frozenset()) -> None:
    fragments = [
        imported.text[b.start : b.end]
        for i, b in enumerate(imported.blocks)
        if b.kind == "paragraph"
        and i not in exempt
        and not FINISHED_RE.search(imported.text[b.start : b.end])
    ]
    assert fragments == []


@pytest.mark.parametrize(
    ("key", "format"),
    [
        ("markdown", "markdown"),
        ("pdf_text", "pdf_text"),
        ("plain_boilerplate", "plain"),
        ("article", "article"),
        ("plain", "plain"),
    ],
)
def test_seed_is_detected_in_its_format_and_keeps_the_invariants(
    seeds_dir, key, format
):
    _, imported = load(seeds_dir, key)
    assert imported.format == format
    assert imported.encoding == "utf-8"
    assert imported.language == "en"
    assert_invariants(imported)


def test_markdown_seed_metadata_and_blocks(seeds_dir):
    original, imported = load(seeds_dir, "markdown")
    assert imported.title == (
        'U.S.-Mexico Security Cooperation Following "El Chapo" Guzmán\'s Escape'
    )
    assert imported.authors == ["June S. Beittel", "Clare Ribando Seelke"]
    assert imported.published_date == datetime.date(2015, 7, 21)
    assert len(imported.blocks) == 17
    assert block_texts(imported, "heading") == [
        "CRS Insights",
        imported.title,
        "Sinaloa",
        "Kingpin Strategy",
        "U.S.-Mexican Security Cooperation",
    ]
    assert [b.level for b in imported.blocks if b.kind == "heading"] == [1, 1, 2, 2, 2]
    assert_no_wrapped_fragments(imported)
    # Markup gone: no heading hashes, link brackets, escapes or rules.
    for marker in ("#", "](", "\\$", "---", "[", "]"):
        assert marker not in imported.text
    assert "some \\$3.8 million" in original and "some $3.8 million" in imported.text


def test_markdown_seed_keeps_only_real_links(seeds_dir):
    _, imported = load(seeds_dir, "markdown")
    linked = {imported.text[s.start : s.end]: s.url for s in imported.links}
    assert linked == {
        "jbeittel@crs.loc.gov": "mailto:jbeittel@crs.loc.gov",
        "cseelke@crs.loc.gov": "mailto:cseelke@crs.loc.gov",
    }
    assert "country's drug trade" in imported.text


def test_markdown_seed_loses_no_word(seeds_dir):
    original, imported = load(seeds_dir, "markdown")
    # Link targets are markup; their text stays and real ones become LinkSpans.
    without_targets = re.sub(r"\]\([^)]*\)", "]", original)
    assert words(imported.text) == words(without_targets)


def test_pdf_text_seed_joins_wrapped_lines_into_paragraphs(seeds_dir):
    _, imported = load(seeds_dir, "pdf_text")
    assert len(imported.blocks) == 35
    assert block_texts(imported, "heading") == [
        "Takes Two to Tango",
        "Who Actually Governs Mexico?",
        "The Revolving Door of the Mexican Justice System",
        "The Flight of El Chapo",
        "What Can the United States Do Now?",
    ]
    assert_no_wrapped_fragments(imported)
    assert "escape—a mile long tunnel" in imported.text
    assert "cartels are firearms purchased in the United States—where" in (
        imported.text
    )


def test_pdf_text_seed_mends_passages_cut_by_columns(seeds_dir):
    _, imported = load(seeds_dir, "pdf_text")
    assert "until he became, in the estimation of the U.S. Treasury" in imported.text
    assert "our insatiable demand for illegal drugs.” And as it happens" in (
        imported.text
    )
    assert "echelons of the Mexican government." in imported.text
    assert any("out of column order" in w for w in imported.warnings)


def test_pdf_text_seed_loses_no_word(seeds_dir):
    original, imported = load(seeds_dir, "pdf_text")
    joined = re.sub(r"(\w)-\n\s*(\w)", r"\1-\2", original)
    assert words(imported.text) == words(joined)


def test_plain_seed_offers_trailing_boilerplate_without_removing_it(seeds_dir):
    original, imported = load(seeds_dir, "plain_boilerplate")
    assert len(imported.blocks) == 18
    assert imported.boilerplate == list(range(9, 18))
    offered = [block_texts(imported)[i] for i in imported.boilerplate]
    assert offered[0] == "You are reading a free article."
    assert offered[5] == "Subscribe Now"
    assert offered[6].startswith("ROBERT C. BONNER is the former head")
    assert offered[-1] == "More By Gillian Horton"
    assert [imported.blocks[i].kind for i in imported.boilerplate].count(
        "list_item"
    ) == 6
    assert_no_wrapped_fragments(imported, exempt=set(imported.boilerplate))
    assert words(imported.text) == words(original)


def test_plain_seed_title_is_its_first_sentence_shortened(seeds_dir):
    _, imported = load(seeds_dir, "plain_boilerplate")
    assert imported.title == (
        "On the evening of January 19, the day before Donald Trump’s inauguration as…"
    )
    assert "swinging. This is particularly" in imported.text


def test_article_seed_header_becomes_metadata(seeds_dir):
    original, imported = load(seeds_dir, "article")
    assert imported.source_url == (
        "https://www.nytimes.com/2016/01/12/world/americas/"
        "el-chapo-case-draws-mexico-closer-to-us.html"
    )
    assert imported.title == "El Chapo Case Draws Mexico Closer to U.S."
    assert imported.publisher == "The New York Times"
    assert imported.published_date == datetime.date(2016, 1, 11)
    assert imported.keywords[:3] == [
        "Mexico",
        "Guzman Loera Joaquin",
        "Drug Abuse and Traffic",
    ]
    assert len(imported.keywords) == 11
    assert not imported.text.startswith("https://")
    assert "2554" not in imported.text
    # The seed is cut short of the 2,554 words its header announces.
    assert any("2554" in warning for warning in imported.warnings)


def test_article_seed_restores_lost_paragraph_breaks(seeds_dir):
    original, imported = load(seeds_dir, "article")
    paragraphs = block_texts(imported)
    assert len(paragraphs) == 33
    assert paragraphs[0].endswith("tackle the heroin epidemic.")
    assert paragraphs[1].startswith("Even before Joaquín Guzmán Loera")
    assert paragraphs[2].startswith("“It has been complicated")
    assert paragraphs[3].startswith("Mr. Guzmán managed")
    assert paragraphs[10].startswith("Instead of focusing")
    assert_no_wrapped_fragments(imported)
    body = "\n".join(original.split("\n")[5:])
    assert words(imported.text) == words(body)


def test_article_seed_keeps_abbreviations_inside_paragraphs(seeds_dir):
    _, imported = load(seeds_dir, "article")
    assert not any(
        p.startswith(("S.", "Guzmán managed")) for p in block_texts(imported)
    )
    assert "Mr. Peña Nieto" in imported.text


def test_plain_one_per_line_seed(seeds_dir):
    original, imported = load(seeds_dir, "plain")
    assert len(imported.blocks) == 21
    assert all(b.kind == "paragraph" for b in imported.blocks)
    assert imported.title.startswith("The January 2016 recapture of fugitive Sinaloa")
    assert imported.title.endswith("…") and len(imported.title) <= 81
    # The closing author note is offered as boilerplate, like the bio in 002.
    assert imported.boilerplate == [20]
    assert_no_wrapped_fragments(imported)
    assert words(imported.text) == words(original)
