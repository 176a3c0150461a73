"""Hostile and broken input: extraction returns an Article or raises a NewsArchiverError.

Any other exception is a bug. Each case is built to run in well under a few seconds.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from pathlib import Path

import pytest
from selectolax.lexbor import LexborHTMLParser

from newsarchiver.errors import NewsArchiverError
from newsarchiver.extract import extract
from newsarchiver.extract.metadata import PageMetadata, read_metadata
from newsarchiver.models import Article

FIXTURES = Path(__file__).parent / "fixtures"
URL = "https://news.example.com/2024/05/03/story"

PARAGRAPH = (
    "<p>The council met on Tuesday evening to discuss the new bus timetable, which "
    "changes the times of most routes serving the northern estates from next month.</p>"
)
ARTICLE = (
    "<!DOCTYPE html><html lang='en'><head><title>Bus timetable changes</title></head><body>"
    "<nav><a href='/'>Home</a> <a href='/news'>News</a></nav><article><h1>Bus timetable "
    "changes</h1>" + PARAGRAPH * 6 + "</article><footer>© Example</footer></body></html>"
)


def npr_page() -> str:
    return (FIXTURES / "npr-taliban-provincial-capitals.html").read_text("utf-8")


def outcome(html: str, url: str | None = URL) -> Article | NewsArchiverError:
    """What extraction makes of ``html``: an Article or a project error, nothing else."""
    try:
        article = extract(html, url)
    except NewsArchiverError as exc:
        assert str(exc)
        return exc
    assert isinstance(article, Article)
    assert isinstance(article.body, str)
    return article


def metadata_of(html: str) -> PageMetadata:
    return read_metadata(LexborHTMLParser(html), URL)


def truncated_mid_tag() -> str:
    page = npr_page()
    return page[: page.index("<p>", page.index("The U.S. withdrawal is getting closer")) + 2]


def truncated_mid_entity() -> str:
    return ARTICLE[: ARTICLE.index("</article>")] + "<p>Fish &amp chips &#x1F6"


def truncated_in_script() -> str:
    return ARTICLE.replace("<article>", "<script>var a = '<article>") + "<p>unfinished"


def malformed_nesting() -> str:
    return (
        "<html><body><p>First <b>bold <i>both</b> italic</i> text</p></div></span>"
        "<table><tr><p>Paragraph inside a table row</p><td>cell</table>"
        "<li>Orphan item<li>Another<article><p>" + PARAGRAPH * 5 + "</html></body><p>after end"
    )


def unclosed_everything() -> str:
    return "<html><body><article>" + "<div><p>The council met on Tuesday evening" * 200


def attribute_soup() -> str:
    return (
        '<html><body <<<><article class="a"b"c" id=\'x\' data-x=><p title="unterminated>'
        + PARAGRAPH * 5 + '<a href="javascript:alert(1)" """>x</a></article></body></html>'
    )


def comment_and_cdata_mess() -> str:
    return "<!-- never closed <article>" + ARTICLE + "<![CDATA[ junk ]]><!--->"


def only_text() -> str:
    return "Just a sentence of plain text, no markup at all. " * 40


def binary_junk() -> str:
    rng = random.Random(20240503)
    return bytes(rng.randrange(256) for _ in range(200_000)).decode("latin-1")


def binary_with_markup() -> str:
    rng = random.Random(7)
    junk = bytes(rng.randrange(256) for _ in range(20_000)).decode("utf-8", "replace")
    return junk + ARTICLE + junk


def nul_bytes_everywhere() -> str:
    return "\x00".join(ARTICLE)


def nul_bytes_in_text() -> str:
    return ARTICLE.replace("council", "coun\x00cil").replace("<p>", "<p>\x00\x00")


def lone_surrogates() -> str:
    return ARTICLE.replace("council", "coun\ud800cil\udfff")


def control_characters() -> str:
    return ARTICLE.replace(" ", "\x01 \x0b\x1b")


def deep_nesting() -> str:
    depth = 50_000
    return "<html><body>" + "<div>" * depth + PARAGRAPH * 5 + "</div>" * depth + "</body></html>"


def deep_unclosed_inline() -> str:
    return "<html><body><article>" + "<span><b><i>" * 17_000 + PARAGRAPH * 5


def huge_page() -> str:
    filler = "<div class='item'><a href='/x'>More news</a> <span>filler text</span></div>\n"
    page = ARTICLE.replace("</footer>", "</footer>" + filler * (20_000_000 // len(filler)))
    assert len(page) >= 20_000_000
    return page


def huge_single_text_node() -> str:
    return "<html><body><article><p>" + "word " * 4_000_000 + "</p></article></body></html>"


def many_json_ld_scripts() -> str:
    script = (
        '<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H",}</script>'
    )
    return ARTICLE.replace("</head>", script * 2_000 + "</head>")


def deep_json_ld() -> str:
    deep = '{"a":' * 50_000 + "1" + "}" * 50_000
    return ARTICLE.replace("</head>", f'<script type="application/ld+json">{deep}</script></head>')


def huge_json_ld() -> str:
    body = json.dumps({"@type": "NewsArticle", "articleBody": "x" * 3_000_000})
    return ARTICLE.replace("</head>", f'<script type="application/ld+json">{body}</script></head>')


def svg_and_math_only() -> str:
    return "<html><body><svg><text>Chart</text></svg><math><mi>x</mi></math></body></html>"


def frameset() -> str:
    return "<html><frameset><frame src='/a'><frame src='/b'></frameset></html>"


def xml_declaration_and_xhtml() -> str:
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ARTICLE.replace(
        "<html lang='en'>", "<html xmlns='http://www.w3.org/1999/xhtml' xml:lang='en'>"
    )


CASES: dict[str, Callable[[], str]] = {
    "empty": lambda: "",
    "whitespace": lambda: " \n\t\r " * 100,
    "truncated_mid_tag": truncated_mid_tag,
    "truncated_mid_entity": truncated_mid_entity,
    "truncated_in_script": truncated_in_script,
    "truncated_doctype": lambda: "<!DOCTYPE htm",
    "truncated_after_head": lambda: ARTICLE[: ARTICLE.index("<body>")],
    "malformed_nesting": malformed_nesting,
    "unclosed_everything": unclosed_everything,
    "attribute_soup": attribute_soup,
    "comment_and_cdata_mess": comment_and_cdata_mess,
    "only_text": only_text,
    "binary_junk": binary_junk,
    "binary_with_markup": binary_with_markup,
    "nul_bytes_everywhere": nul_bytes_everywhere,
    "nul_bytes_in_text": nul_bytes_in_text,
    "only_nul_bytes": lambda: "\x00" * 10_000,
    "lone_surrogates": lone_surrogates,
    "control_characters": control_characters,
    "deep_nesting_50000": deep_nesting,
    "deep_unclosed_inline": deep_unclosed_inline,
    "huge_page_20mb": huge_page,
    "huge_single_text_node": huge_single_text_node,
    "many_json_ld_scripts": many_json_ld_scripts,
    "deep_json_ld": deep_json_ld,
    "huge_json_ld": huge_json_ld,
    "svg_and_math_only": svg_and_math_only,
    "frameset": frameset,
    "xml_declaration_and_xhtml": xml_declaration_and_xhtml,
}


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_extract_returns_article_or_project_error(make: Callable[[], str]) -> None:
    outcome(make())


@pytest.mark.parametrize("make", CASES.values(), ids=CASES.keys())
def test_metadata_never_raises(make: Callable[[], str]) -> None:
    html = make()
    tree = LexborHTMLParser(html)
    assert isinstance(read_metadata(tree, URL), PageMetadata)
    assert isinstance(read_metadata(tree, None), PageMetadata)


def test_no_url_and_odd_urls() -> None:
    for url in (None, "", "not a url", "http://[::1", "javascript:alert(1)", "file:///etc/passwd"):
        outcome(ARTICLE.replace("</head>", '<link rel="canonical" href="/c"></head>'), url)


def test_sane_article_survives_hostile_neighbours() -> None:
    for html in (nul_bytes_in_text(), control_characters(), comment_and_cdata_mess()):
        result = outcome(html)
        if isinstance(result, Article):
            assert "\x00" not in result.body


def test_empty_page_is_a_project_error() -> None:
    assert isinstance(outcome(""), NewsArchiverError)


def test_clean_article_extracts() -> None:
    result = outcome(ARTICLE)
    assert isinstance(result, Article)
    assert "northern estates" in result.body
    assert metadata_of(ARTICLE).title == "Bus timetable changes"


def test_article_that_is_truncated_keeps_what_arrived() -> None:
    result = outcome(truncated_mid_tag())
    assert isinstance(result, Article)
    assert result.body.startswith("The Taliban seized two provincial capitals")
    assert "The U.S. withdrawal is getting closer" in result.body


def test_huge_page_is_cut_and_says_so() -> None:
    result = outcome(huge_page())
    assert isinstance(result, Article)
    assert "northern estates" in result.body
    assert len(result.notes) == 1 and result.notes[0].startswith("page cut after")

