"""Each format's parser on small hand-written inputs."""

from __future__ import annotations

import datetime

import pytest

from corpus.importers import import_bytes
from corpus.importers.article import split_glued
from corpus.importers.dates import find_date
from corpus.importers.html import _fallback_blocks
from corpus.importers.language import detect_language
from corpus.importers.textutil import title_from_filename
from tests.corpus.test_importers import assert_invariants


def blocks_of(imported) -> list[tuple[str, str, int]]:
    return [(b.kind, imported.text[b.start : b.end], b.level) for b in imported.blocks]


def md(source: str):
    imported = import_bytes(source.encode(), format="markdown")
    assert_invariants(imported)
    return imported


def test_markdown_headings_lists_and_rules():
    imported = md(
        "Intro Title\n===========\n\n## Part *one*\n\nText **bold** and _em_.\n\n"
        "---\n\n- first\n* second\n1. third\n   continued\n\n### Deep ###\n"
    )
    assert blocks_of(imported) == [
        ("heading", "Intro Title", 1),
        ("heading", "Part one", 2),
        ("paragraph", "Text bold and em.", 0),
        ("list_item", "first", 0),
        ("list_item", "second", 0),
        ("list_item", "third continued", 0),
        ("heading", "Deep", 3),
    ]
    assert imported.title == "Intro Title"


def test_markdown_links_keep_text_and_only_real_targets():
    imported = md(
        'See [the report](https://example.org/r "T"), [nothing](#), '
        "[mail](mailto:a@b.org), <https://auto.example> and [ref][1].\n\n"
        "[1]: http://ref.example/x\n"
    )
    assert (
        imported.text == "See the report, nothing, mail, https://auto.example and ref."
    )
    spans = [(imported.text[s.start : s.end], s.url) for s in imported.links]
    assert spans == [
        ("the report", "https://example.org/r"),
        ("mail", "mailto:a@b.org"),
        ("https://auto.example", "https://auto.example"),
        ("ref", "http://ref.example/x"),
    ]


def test_markdown_escapes_images_and_code_are_unwrapped():
    imported = md(r"Cost \$5 \*not emphasis\* ![a tunnel map](map.png) `x_y`.")
    assert imported.text == "Cost $5 *not emphasis* a tunnel map x_y."


def test_markdown_leaves_snake_case_and_arithmetic_alone():
    imported = md("Use snake_case_name and 5 * 3 * 2 here.")
    assert imported.text == "Use snake_case_name and 5 * 3 * 2 here."


def test_markdown_short_heading_over_title_line_is_a_series_name():
    imported = md(
        "# Briefs\n\nThe Tunnel Under the Wall\n\nBy Ana Ruiz, Reporter\n\nBody."
    )
    assert imported.title == "The Tunnel Under the Wall"
    assert imported.authors == ["Ana Ruiz"]
    assert imported.blocks[1].kind == "heading"


def test_markdown_long_first_heading_is_the_title():
    imported = md("# A Long Heading That Is Clearly The Title\n\nShort Line\n\nBody.")
    assert imported.title == "A Long Heading That Is Clearly The Title"
    assert imported.blocks[1].kind == "paragraph"


def pdf(source: str):
    imported = import_bytes(source.encode(), format="pdf_text")
    assert_invariants(imported)
    return imported


def test_pdf_text_line_end_dashes_join_without_space_and_keep_the_hyphen():
    imported = pdf(
        "He walked the tunnel—\na mile of it—with a well-\nknown guide and an inter-\n"
        "national team.\n"
    )
    assert imported.text == (
        "He walked the tunnel—a mile of it—with a well-known guide and an "
        "inter-national team."
    )


def test_pdf_text_paragraphs_start_at_blank_lines_and_indents():
    imported = pdf(
        "The first paragraph runs over a couple of lines\nand ends here.\n"
        " An indented line starts the second paragraph,\nwhich also ends.\n\n"
        "A Short Heading\n\nThe third paragraph after the heading.\n"
    )
    assert blocks_of(imported) == [
        (
            "paragraph",
            "The first paragraph runs over a couple of lines and ends here.",
            0,
        ),
        (
            "paragraph",
            "An indented line starts the second paragraph, which also ends.",
            0,
        ),
        ("heading", "A Short Heading", 2),
        ("paragraph", "The third paragraph after the heading.", 0),
    ]


def test_pdf_text_blank_line_inside_a_sentence_does_not_split_it():
    imported = pdf("The sentence is cut by a page\n\nbreak but continues here.\n")
    assert blocks_of(imported) == [
        ("paragraph", "The sentence is cut by a page break but continues here.", 0)
    ]


@pytest.mark.parametrize(
    ("glued", "expected"),
    [
        ("on its soil.Even before", ["on its soil.", "Even before"]),
        ("in years.”But then", ["in years.”", "But then"]),
        ("last summer.“It has", ["last summer.", "“It has"]),
        (
            "the U.S.Army and Mr.Smith at 9 a.m.Then",
            ["the U.S.Army and Mr.Smith at 9 a.m.Then"],
        ),
        ("rose 3.5 percent.Then fell", ["rose 3.5 percent.", "Then fell"]),
        ("by J.R.R.Tolkien", ["by J.R.R.Tolkien"]),
        ('said "no."Then left', ['said "no."', "Then left"]),
        ('He left."Why?" she asked.', ["He left.", '"Why?" she asked.']),
        ("Normal. Spacing stays.", ["Normal. Spacing stays."]),
    ],
)
def test_article_body_splits_only_at_glued_sentence_ends(glued, expected):
    assert split_glued(glued) == expected


def test_article_without_count_line_still_reads_header():
    imported = import_bytes(
        b"https://example.org/x\nHeadline | Daily Paper\nA,B\n2016-02-03\nBody one.Two."
    )
    assert imported.format == "article"
    assert (imported.title, imported.publisher) == ("Headline", "Daily Paper")
    assert imported.keywords == ["A", "B"]
    assert imported.published_date == datetime.date(2016, 2, 3)
    assert imported.text == "Body one.\n\nTwo."


def plain(source: str, filename: str = ""):
    imported = import_bytes(source.encode(), format="plain", filename=filename)
    assert_invariants(imported)
    return imported


def test_plain_blank_line_paragraphs_treat_single_newlines_as_soft_wraps():
    imported = plain(
        "A paragraph wrapped at a fixed width of about sixty\n"
        "characters, continuing here.\n\nA second paragraph.\n"
    )
    assert blocks_of(imported) == [
        (
            "paragraph",
            "A paragraph wrapped at a fixed width of about sixty "
            "characters, continuing here.",
            0,
        ),
        ("paragraph", "A second paragraph.", 0),
    ]


def test_plain_without_blank_lines_is_one_paragraph_per_line():
    imported = plain("Line one is short\nLine two too.\n")
    assert len(imported.blocks) == 2


def test_plain_bullets_become_list_items_and_trailing_offers_are_boilerplate():
    imported = plain(
        "The article body ends with a real sentence.\n\n"
        "Sign up for our newsletter.\n  • Daily briefing\n  • Weekly digest\n"
    )
    assert [b.kind for b in imported.blocks] == [
        "paragraph",
        "paragraph",
        "list_item",
        "list_item",
    ]
    assert imported.boilerplate == [1, 2, 3]
    assert "Sign up" in imported.text


def test_plain_body_that_ends_normally_has_no_boilerplate():
    imported = plain("First paragraph.\n\nThe last paragraph ends the story.\n")
    assert imported.boilerplate == []


def test_plain_title_comes_from_a_wordy_filename():
    imported = plain(
        "Some text without any title.\n", filename="el-chapo_extradition.txt"
    )
    assert imported.title == "El chapo extradition"


@pytest.mark.parametrize("filename", ["002_9cafecd9e33cc820.txt", "scan001.txt", ""])
def test_filename_without_words_gives_no_title(filename):
    assert title_from_filename(filename) == ""


HTML_PAGE = """<!DOCTYPE html>
<html lang="en"><head>
<meta charset="utf-8">
<title>Tunnel Found Under the Border | The Valley Courier</title>
<meta name="author" content="Marta Quintana">
<meta property="og:site_name" content="The Valley Courier">
<meta property="article:published_time" content="2016-03-14T08:00:00Z">
<link rel="canonical" href="https://courier.example.org/2016/03/tunnel">
</head><body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/world">World</a></li></ul></nav>
<div class="advert">Win a cruise! Click here for the offer of the week.</div>
<article>
<h1>Tunnel Found Under the Border</h1>
<p>Investigators found a <a href="https://courier.example.org/map">lit tunnel</a>
running under farmland on Monday, officials from two agencies said.</p>
<p>It was <b>half a mile</b> long and fitted with rails, carts and fans, according
to a report the agencies released on Tuesday morning.</p>
<h2>Who Built It</h2>
<p>Nobody has been charged, and the owners of the warehouse where the tunnel ended
could not be reached for comment, the report said.</p>
<ul><li>Rails along the floor</li><li>Electric lights every few metres</li></ul>
</article>
<footer><p>© 2016 The Valley Courier. All rights reserved.</p></footer>
</body></html>"""


def test_html_main_text_blocks_and_metadata():
    imported = import_bytes(HTML_PAGE.encode(), filename="tunnel.html")
    assert_invariants(imported)
    assert imported.format == "html"
    kinds = [(kind, text[:25]) for kind, text, _ in blocks_of(imported)]
    assert ("heading", "Who Built It") in kinds
    assert ("list_item", "Rails along the floor") in kinds
    assert kinds.count(("paragraph", "Investigators found a lit")) == 1
    for chrome in ("Win a cruise", "Home", "All rights reserved"):
        assert chrome not in imported.text
    assert imported.title == "Tunnel Found Under the Border"
    assert imported.authors == ["Marta Quintana"]
    assert imported.publisher == "The Valley Courier"
    assert imported.published_date == datetime.date(2016, 3, 14)
    assert imported.source_url == "https://courier.example.org/2016/03/tunnel"
    (link,) = imported.links
    assert imported.text[link.start : link.end] == "lit tunnel"
    assert "half a mile long" in imported.text


def test_html_fallback_reads_headings_paragraphs_and_items_without_chrome():
    blocks = _fallback_blocks(
        "<html><body><nav>Menu</nav><h3>Note</h3><p>Short <a href='#'>x</a>.</p>"
        "<ul><li>One</li></ul><footer>Legal</footer></body></html>"
    )
    assert [(b.kind, b.text, b.level) for b in blocks] == [
        ("heading", "Note", 3),
        ("paragraph", "Short x.", 0),
        ("list_item", "One", 0),
    ]
    assert blocks[1].links == []


def test_tiny_html_page_still_imports():
    imported = import_bytes(b"<html><body><p>Short.</p></body></html>")
    assert_invariants(imported)
    assert "Short." in imported.text


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("The cartel and the government of the country were at war for years.", "en"),
        ("El gobierno de México y los carteles de la droga están en guerra.", "es"),
        ("Le gouvernement et les cartels sont dans une guerre pour le pays.", "fr"),
        ("Die Regierung und die Kartelle sind nicht mit dem Land im Krieg.", "de"),
        ("O governo do país e os cartéis estão em guerra com a polícia.", "pt"),
        ("Il governo e i cartelli sono in guerra per il controllo della città.", "it"),
        ("Guzmán Loera Sinaloa CJNG DEA", ""),
    ],
)
def test_language_is_guessed_from_common_words(text, code):
    assert detect_language(text) == code


@pytest.mark.parametrize(
    ("text", "date"),
    [
        ("July 21, 2015 (IN10326)", datetime.date(2015, 7, 21)),
        ("Jan. 11, 2016", datetime.date(2016, 1, 11)),
        ("Published 3 March 2014", datetime.date(2014, 3, 3)),
        ("2016-01-12T10:00", datetime.date(2016, 1, 12)),
        ("Feb. 30, 2016", None),
        ("Mayhem 12, 2016", None),
    ],
)
def test_dates_are_found_in_common_spellings(text, date):
    assert find_date(text) == date
