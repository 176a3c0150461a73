"""Section-page link picking (newsarchiver.extract.links)."""

from __future__ import annotations

from pathlib import Path

import pytest

from newsarchiver.errors import ExtractionError
from newsarchiver.extract.links import find_links

SECTION = (Path(__file__).parent / "fixtures" / "discovery" / "section.html").read_text()
PAGE = "https://news.example.com/politics/"
SITE = "https://news.example.com"
DATED = r"/\d{4}/\d{2}/\d{2}/"


def test_all_links_in_document_order_without_repeats_or_non_web_schemes() -> None:
    assert find_links(SECTION, PAGE) == (
        f"{SITE}/",
        f"{SITE}/politics/",
        f"{SITE}/world/",
        f"{SITE}/politics/2024/05/01/budget-passes",  # and its #comments link, once
        f"{SITE}/politics/2024/05/01/minister-resigns",
        f"{SITE}/opinion/2024/05/02/budget-means?ref=section",
        f"{SITE}/politics/2024/04/29/coalition",
        f"{SITE}/politics/2024/04/28/polls",  # whitespace around the href stripped
        f"{SITE}/about/",
        "https://twitter.com/exampledaily",
    )


def test_selector_on_anchors() -> None:
    assert find_links(SECTION, PAGE, selector="a.headline") == (
        f"{SITE}/politics/2024/05/01/budget-passes",
        f"{SITE}/politics/2024/05/01/minister-resigns",
        f"{SITE}/opinion/2024/05/02/budget-means?ref=section",
    )


def test_selector_on_containers_takes_their_links() -> None:
    assert find_links(SECTION, PAGE, selector="section.more") == (
        f"{SITE}/politics/2024/04/29/coalition",
        f"{SITE}/politics/2024/04/28/polls",
    )
    assert find_links(SECTION, PAGE, selector="article.teaser") == find_links(
        SECTION, PAGE, selector="a.headline"
    )


def test_pattern_is_searched_in_the_absolute_url() -> None:
    assert find_links(SECTION, PAGE, pattern=DATED) == (
        f"{SITE}/politics/2024/05/01/budget-passes",
        f"{SITE}/politics/2024/05/01/minister-resigns",
        f"{SITE}/opinion/2024/05/02/budget-means?ref=section",
        f"{SITE}/politics/2024/04/29/coalition",
        f"{SITE}/politics/2024/04/28/polls",
    )
    assert find_links(SECTION, PAGE, pattern=r"^https://twitter\.com/") == (
        "https://twitter.com/exampledaily",
    )


def test_selector_and_pattern_together() -> None:
    politics = r"^https://news\.example\.com/politics/"
    assert find_links(SECTION, PAGE, selector="main", pattern=politics) == (
        f"{SITE}/politics/2024/05/01/budget-passes",
        f"{SITE}/politics/2024/05/01/minister-resigns",
        f"{SITE}/politics/2024/04/29/coalition",
        f"{SITE}/politics/2024/04/28/polls",
    )


def test_base_href_wins_over_the_page_url() -> None:
    # The fixture's <base href> points at /politics/ although it is served elsewhere.
    links = find_links(SECTION, "https://mirror.example.org/some/where.html", pattern=DATED)
    assert links[0] == f"{SITE}/politics/2024/05/01/budget-passes"


def test_relative_base_href_and_page_url_resolution() -> None:
    html = (
        '<base href="/news/"><a href="a">A</a><a href="../b">B</a>'
        '<a href="//cdn.example.com/c">C</a>'
    )
    assert find_links(html, "https://site.example/x/y.html") == (
        "https://site.example/news/a",
        "https://site.example/b",
        "https://cdn.example.com/c",
    )
    no_base = '<a href="a">A</a><a href="?page=2">next</a>'
    assert find_links(no_base, "https://site.example/x/y.html") == (
        "https://site.example/x/a",
        "https://site.example/x/y.html?page=2",
    )


def test_javascript_mailto_data_and_broken_links_are_dropped() -> None:
    html = (
        '<a href="javascript:void(0)">x</a><a href="JavaScript:alert(1)">x</a>'
        '<a href="mailto:a@b.c">x</a><a href="data:text/html,hi">x</a>'
        '<a href="tel:123">x</a><a href="ftp://f.example/x">x</a><a href="http://[::1">x</a>'
        '<a href="">x</a><a href="#">x</a><a>x</a>'
        '<a href="https://ok.example/">ok</a>'
    )
    assert find_links(html, "https://site.example/") == ("https://ok.example/",)


def test_empty_or_linkless_pages() -> None:
    assert find_links("", "https://site.example/") == ()
    assert find_links("<p>nothing</p>", "https://site.example/", selector="nav") == ()


def test_bad_selector_raises_extraction_error() -> None:
    with pytest.raises(ExtractionError) as info:
        find_links(SECTION, PAGE, selector="a[[")
    assert info.value.url == PAGE
