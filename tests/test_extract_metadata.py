"""Metadata read from JSON-LD, OpenGraph, meta tags, links and visible bylines."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from selectolax.lexbor import LexborHTMLParser

from newsarchiver.extract.bylines import split_authors
from newsarchiver.extract.dates import parse_date
from newsarchiver.extract.jsonld import decode_lenient
from newsarchiver.extract.metadata import (
    PageMetadata,
    clean_title,
    normalize_language,
    read_metadata,
)

URL = "https://news.example.com/2024/05/03/harbour-bridge-reopens"
EDT = timezone(timedelta(hours=-4))


def page(head: str = "", body: str = "", html_attrs: str = 'lang="en"') -> str:
    return f"<!DOCTYPE html><html {html_attrs}><head>{head}</head><body>{body}</body></html>"


def ld(obj: object) -> str:
    return f'<script type="application/ld+json">{json.dumps(obj)}</script>'


def meta_of(html: str, url: str | None = URL) -> PageMetadata:
    return read_metadata(LexborHTMLParser(html), url)


# --- JSON-LD ----------------------------------------------------------------------


def test_json_ld_graph_with_referenced_author_and_publisher() -> None:
    graph = {
        "@context": "https://schema.org",
        "@graph": [
            {"@type": "WebSite", "@id": "https://news.example.com/#website",
             "name": "Example Gazette", "url": "https://news.example.com/"},
            {"@type": "WebPage", "@id": URL, "url": URL, "name": "Harbour page"},
            {"@type": "NewsArticle", "@id": URL + "#article",
             "mainEntityOfPage": {"@id": URL}, "headline": "Harbour bridge reopens after repairs",
             "author": {"@id": "https://news.example.com/#/schema/person/1"},
             "publisher": {"@id": "https://news.example.com/#org"},
             "datePublished": "2024-05-03T08:15:00+02:00",
             "dateModified": "2024-05-03T10:00:00+02:00",
             "inLanguage": "en-GB", "articleBody": "The bridge reopened on Friday."},
            {"@type": "Person", "@id": "https://news.example.com/#/schema/person/1",
             "name": "Maria Lindqvist"},
            {"@type": "NewsMediaOrganization", "@id": "https://news.example.com/#org",
             "name": "The Example Gazette"},
        ],
    }
    meta = meta_of(page(ld(graph)), None)
    assert meta.title == "Harbour bridge reopens after repairs"
    assert meta.authors == ("Maria Lindqvist",)
    assert meta.site_name == "The Example Gazette"
    assert meta.published == datetime(2024, 5, 3, 6, 15, tzinfo=UTC)
    assert meta.published is not None and meta.published.utcoffset() == timedelta(hours=2)
    assert meta.modified == datetime(2024, 5, 3, 8, 0, tzinfo=UTC)
    assert meta.language == "en-GB"
    assert meta.canonical_url == URL
    assert meta.json_ld_body == "The bridge reopened on Friday."


def test_author_array_of_people_and_strings_deduplicated() -> None:
    obj = {
        "@context": "https://schema.org", "@type": "ReportageNewsArticle", "headline": "H",
        "author": [
            {"@type": "Person", "name": "Ana Souza", "url": "https://x.example/ana"},
            {"@type": "Person", "givenName": "Tom", "familyName": "Okafor"},
            "By Ana Souza and Li Wei",
            {"@type": "Person", "name": "https://news.example.com/authors/li-wei"},
        ],
    }
    assert meta_of(page(ld(obj))).authors == ("Ana Souza", "Tom Okafor", "Li Wei")


def test_organisation_author_only_when_no_person_anywhere() -> None:
    wire = {"@type": "NewsArticle", "headline": "H",
            "author": {"@type": "Organization", "name": "Nordic Wire Service"}}
    assert meta_of(page(ld(wire))).authors == ()
    assert meta_of(page(ld(wire), '<p class="byline">By Jon Berg</p>')).authors == ("Jon Berg",)
    agency = {"@type": "NewsArticle", "headline": "H",
              "author": {"@type": "Organization", "name": "Harbour Times Desk Team"}}
    assert meta_of(page(ld(agency))).authors == ()
    org = {"@type": "NewsArticle", "headline": "H",
           "author": {"@type": "Organization", "name": "Kestrel Labs"}}
    assert meta_of(page(ld(org))).authors == ("Kestrel Labs",)


def test_site_name_is_never_an_author() -> None:
    head = '<meta name="author" content="Example Gazette"><meta property="og:site_name" ' \
           'content="Example Gazette">'
    assert meta_of(page(head)).authors == ()


def test_live_blog_update_matching_page_url_is_the_article() -> None:
    blog = "https://news.example.com/live/2024/05/03/election"
    item = blog + "/turnout-record"
    obj = {
        "@context": "https://schema.org", "@type": "LiveBlogPosting", "url": blog,
        "headline": "Election day: live updates",
        "publisher": {"@type": "Organization", "name": "Example Gazette"},
        "liveBlogUpdate": [
            {"@type": "BlogPosting", "url": blog + "/polls-open", "headline": "Polls open",
             "datePublished": "2024-05-03T06:00:00Z"},
            {"@type": "BlogPosting", "url": item, "headline": "Turnout sets a record",
             "datePublished": "2024-05-03T15:00:00Z", "author": {"name": "Rui Costa"},
             "articleBody": "Turnout reached 81 percent."},
        ],
    }
    on_item = meta_of(page(ld(obj)), item)
    assert on_item.title == "Turnout sets a record"
    assert on_item.authors == ("Rui Costa",)
    assert on_item.published == datetime(2024, 5, 3, 15, 0, tzinfo=UTC)
    assert on_item.site_name == "Example Gazette"
    assert on_item.json_ld_body == "Turnout reached 81 percent."
    on_blog = meta_of(page(ld(obj)), blog)
    assert on_blog.title == "Election day: live updates"


def test_news_article_preferred_over_web_page_and_web_page_needs_body() -> None:
    web_page = {"@type": "WebPage", "name": "Just a page"}
    article = {"@type": "NewsArticle", "headline": "The real headline"}
    assert meta_of(page(ld([web_page, article]))).title == "The real headline"
    assert meta_of(page(ld(web_page))).title is None
    with_body = {"@type": ["WebPage"], "headline": "Page with body", "articleBody": "Text."}
    assert meta_of(page(ld(with_body))).json_ld_body == "Text."
    prefixed = {"@type": "schema:OpinionNewsArticle", "headline": "Prefixed type"}
    assert meta_of(page(ld(prefixed))).title == "Prefixed type"


@pytest.mark.parametrize(
    "script",
    [
        '<!-- {"@type": "NewsArticle", "headline": "Commented",} -->',
        '{"@type": "NewsArticle", "headline": "Commented", "keywords": ["a", "b",],}',
        '//<![CDATA[\n{"@type": "NewsArticle", "headline": "Commented"}\n//]]>',
        '{"@type": "BreadcrumbList"}\n{"@type": "NewsArticle", "headline": "Commented"}',
        '{"@type": "NewsArticle", "headline": "Commented", "articleBody": "line\nbreak"}',
    ],
)
def test_malformed_json_ld_is_read_leniently(script: str) -> None:
    html = page(f'<script type="application/ld+json">{script}</script>')
    assert meta_of(html).title == "Commented"


@pytest.mark.parametrize(
    "script",
    ["{not json at all", "", "[" * 100_000 + "]" * 100_000, '{"@type": 5, "author": {"@id": 3}}',
     "null", '"a string"', '{"@graph": "x", "@type": ["NewsArticle", null]}',
     '{"@type": "NewsArticle", "author": ' + "[" * 900 + '"A B"' + "]" * 900 + "}",
     '{"@type": "NewsArticle", "author": {"@id": "#me"}, "@id": "#me", "name": 7}'],
)
def test_garbage_json_ld_never_raises(script: str) -> None:
    meta_of(page(f'<script type="application/ld+json">{script}</script><title>T</title>'))


def test_huge_json_ld_script_is_skipped() -> None:
    big = json.dumps({"@type": "NewsArticle", "headline": "Huge", "articleBody": "x" * 2_100_000})
    assert decode_lenient(big) == []
    meta = meta_of(page(f'<script type="application/ld+json">{big}</script><title>Small</title>'))
    assert meta.title == "Small"


# --- OpenGraph and meta tags ---------------------------------------------------------


def test_open_graph_and_meta_tags_without_json_ld() -> None:
    head = """
      <title>Harbour bridge reopens | Example Gazette</title>
      <meta property="og:title" content="Harbour bridge reopens">
      <meta property="og:site_name" content="Example Gazette">
      <meta property="og:description" content="  After   two years of repairs. ">
      <meta property="og:url" content="https://news.example.com/harbour">
      <meta property="og:locale" content="en_GB">
      <meta property="article:published_time" content="2024-05-03T08:15:00-04:00">
      <meta property="article:modified_time" content="2024-05-03T09:00:00">
      <meta property="article:author" content="https://news.example.com/people/jo">
      <meta name="parsely-author" content="Jo Hart">
      <meta name="parsely-author" content="Sam Ode">
    """
    meta = meta_of(page(head, html_attrs=""))
    assert meta.title == "Harbour bridge reopens"
    assert meta.site_name == "Example Gazette"
    assert meta.description == "After two years of repairs."
    assert meta.canonical_url == "https://news.example.com/harbour"
    assert meta.language == "en-GB"
    assert meta.authors == ("Jo Hart", "Sam Ode")
    assert meta.published == datetime(2024, 5, 3, 8, 15, tzinfo=EDT)
    # The naive modified time takes the page's offset, not UTC.
    assert meta.modified == datetime(2024, 5, 3, 9, 0, tzinfo=EDT)


def test_article_author_that_is_a_name_and_other_meta_names() -> None:
    assert meta_of(page('<meta property="article:author" content="Lea Roth">')).authors == (
        "Lea Roth",
    )
    assert meta_of(page('<meta name="byl" content="By Amy Chozick and Ken Lu">')).authors == (
        "Amy Chozick", "Ken Lu",
    )
    head = '<meta name="citation_author" content="Okafor, Tom"><meta name="dc.creator" content="X">'
    assert meta_of(page(head)).authors  # something, without raising
    assert meta_of(page('<meta name="sailthru.author" content="Ines Vidal">')).authors == (
        "Ines Vidal",
    )


def test_title_falls_back_to_h1_then_title_without_site_suffix() -> None:
    head = '<title>Harbour bridge reopens - Example Gazette</title>' \
           '<meta property="og:site_name" content="Example Gazette">'
    assert meta_of(page(head, "<h1>  Harbour <em>bridge</em>\n reopens </h1>")).title == (
        "Harbour bridge reopens"
    )
    assert meta_of(page(head)).title == "Harbour bridge reopens"
    assert meta_of(page("<title>Harbour bridge reopens - Somewhere</title>")).title == (
        "Harbour bridge reopens - Somewhere"
    )
    svg = '<svg><title>Logo</title></svg>'
    assert meta_of(page("<title>Real</title>", svg)).title == "Real"


def test_truncated_json_ld_headline_gives_way_to_og_title() -> None:
    full = "A very long headline about the harbour bridge that reopened after two years"
    head = ld({"@type": "NewsArticle", "headline": full[:40] + "…"}) + \
        f'<meta property="og:title" content="{full}">'
    assert meta_of(page(head)).title == full


def test_clean_title() -> None:
    assert clean_title("Story | Site", "Site") == "Story"
    assert clean_title("Story – Site", "site") == "Story"
    assert clean_title("Site", "Site") == "Site"
    assert clean_title("Story | Other", "Site") == "Story | Other"
    assert clean_title("Story | Site", None) == "Story | Site"
    assert clean_title("Straße | Weiß", "WEISS") == "Straße | Weiß"
    assert clean_title("Straße | Weiß", "weiß") == "Straße"


# --- bylines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("byline", "names"),
    [
        ("By Thomas Gibbons-Neff, Najim Rahim and Sharif Hassan",
         ["Thomas Gibbons-Neff", "Najim Rahim", "Sharif Hassan"]),
        ("By Jane Doe and John Roe", ["Jane Doe", "John Roe"]),
        ("BY JANE DOE", ["Jane Doe"]),
        ("by: Ana Souza, Li Wei, and Tom Okafor", ["Ana Souza", "Li Wei", "Tom Okafor"]),
        ("Jane Doe, Staff Writer", ["Jane Doe"]),
        ("Jane Doe | Reuters", ["Jane Doe"]),
        ("Jane Doe (jane.doe@example.com)", ["Jane Doe"]),
        ("Jane Doe jane.doe@example.com @janedoe", ["Jane Doe"]),
        ("Jane Doe https://twitter.com/janedoe", ["Jane Doe"]),
        ("Thomas Gibbons-Neff is a correspondent in the Kabul bureau.", ["Thomas Gibbons-Neff"]),
        ("Von Anna Schmidt und Jonas Weber", ["Anna Schmidt", "Jonas Weber"]),
        ("Par Claire Martin et Luc Bernard", ["Claire Martin", "Luc Bernard"]),
        ("Jane Doe & John Roe", ["Jane Doe", "John Roe"]),
        ("Photographs and text by Oskar Lind", ["Oskar Lind"]),
        ("Interview by Marcus Hale", ["Marcus Hale"]),
        ("Story by Ana Souza and photos by Li Wei", ["Ana Souza", "Li Wei"]),
        ("By Grace Liu · Subscriber content", ["Grace Liu"]),
        ("Abby Derby", ["Abby Derby"]),
        ("Associated Press", []),
        ("Updated 3 minutes ago", []),
        ("", []),
    ],
)
def test_split_authors(byline: str, names: list[str]) -> None:
    assert split_authors(byline) == names


def test_visible_bylines_when_no_metadata() -> None:
    body = """<article><h1>Story</h1>
      <div class="byline">By <a rel="author" href="/p/1">Noor Haddad</a> and
      <a rel="author" href="/p/2">Ilse de Vries</a>, Correspondents</div><p>Text.</p></article>"""
    assert meta_of(page(body=body)).authors == ("Noor Haddad", "Ilse de Vries")
    itemprop = """<div itemprop="author" itemscope><span itemprop="name">Kofi Mensah</span>
      <p>Kofi Mensah is our science editor and writes about climate.</p></div>"""
    assert meta_of(page(body=itemprop)).authors == ("Kofi Mensah",)
    bio = '<div class="byline">' + "A very long author biography sentence. " * 20 + "</div>"
    assert meta_of(page(body=bio)).authors == ()


# --- dates -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2021-08-08T15:32:10.000Z", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("2021-08-08T11:32:10-04:00", datetime(2021, 8, 8, 11, 32, 10, tzinfo=EDT)),
        ("2021-08-08T15:32:10+0000", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("2021-08-08 15:32:10 +0000", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("2021-08-08 15:32:10 UTC", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("2021-08-08", datetime(2021, 8, 8, tzinfo=UTC)),
        ("2021-08-08T15:32:10", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("Sun, 08 Aug 2021 15:32:10 GMT", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("1628436730", datetime(2021, 8, 8, 15, 32, 10, tzinfo=UTC)),
        ("Aug. 8, 2021", datetime(2021, 8, 8, tzinfo=UTC)),
        ("8 August 2021", datetime(2021, 8, 8, tzinfo=UTC)),
        ("  September 30, 2020 ", datetime(2020, 9, 30, tzinfo=UTC)),
    ],
)
def test_parse_date(value: str, expected: datetime) -> None:
    parsed = parse_date(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize(
    "value",
    ["", "yesterday", "2021-13-45", "2021-02-30T10:00:00Z", "0001-01-01T00:00:00Z",
     "1970-01-01T00:00:00Z", "9999-12-31T23:59:59-05:00", "Mayhem 8, 2021", "NaN",
     "2021-08-08T25:61:00", "x" * 10_000, "\x00\x00", "99999999999999999999", None],
)
def test_garbage_dates_give_none(value: str | None) -> None:
    assert parse_date(value) is None


def test_naive_date_uses_given_default_zone() -> None:
    assert parse_date("2021-08-08T10:00:00", EDT) == datetime(2021, 8, 8, 14, 0, tzinfo=UTC)
    assert parse_date("2021-08-08T10:00:00Z", EDT) == datetime(2021, 8, 8, 10, 0, tzinfo=UTC)


def test_naive_json_ld_date_takes_offset_from_open_graph() -> None:
    head = ld({"@type": "NewsArticle", "headline": "H", "datePublished": "2021-08-08T13:58:21"})
    head += '<meta property="article:published_time" content="2021-08-08T13:58:21-04:00">'
    assert meta_of(page(head)).published == datetime(2021, 8, 8, 13, 58, 21, tzinfo=EDT)
    alone = ld({"@type": "NewsArticle", "headline": "H", "datePublished": "2021-08-08T13:58:21"})
    assert meta_of(page(alone)).published == datetime(2021, 8, 8, 13, 58, 21, tzinfo=UTC)


def test_garbage_json_ld_date_falls_through_to_time_element() -> None:
    head = ld({"@type": "NewsArticle", "headline": "H", "datePublished": "not a date"})
    body = '<article><time datetime="2022-01-02T03:04:05Z">Jan. 2</time></article>'
    assert meta_of(page(head, body)).published == datetime(2022, 1, 2, 3, 4, 5, tzinfo=UTC)
    text_only = "<article><time>Aug. 8, 2021</time></article>"
    assert meta_of(page(body=text_only)).published == datetime(2021, 8, 8, tzinfo=UTC)
    pubdate = ('<time datetime="2020-01-01">x</time>'
               '<time pubdate datetime="2021-05-06T07:08:09+01:00">y</time>')
    assert meta_of(page(body=pubdate)).published == datetime(2021, 5, 6, 6, 8, 9, tzinfo=UTC)


def test_itemprop_dates() -> None:
    body = ('<meta itemprop="datePublished" content="2023-03-04T05:06:07Z">'
            '<span itemprop="dateModified" content="2023-03-05T05:06:07Z"></span>')
    meta = meta_of(page(body=body))
    assert meta.published == datetime(2023, 3, 4, 5, 6, 7, tzinfo=UTC)
    assert meta.modified == datetime(2023, 3, 5, 5, 6, 7, tzinfo=UTC)


# --- canonical URL and language -------------------------------------------------------


@pytest.mark.parametrize(
    ("href", "base", "expected"),
    [
        ("/2024/05/03/harbour", URL, "https://news.example.com/2024/05/03/harbour"),
        ("harbour?page=2", "https://news.example.com/a/b", "https://news.example.com/a/harbour?page=2"),
        ("//cdn.example.com/x", URL, "https://cdn.example.com/x"),
        ("https://other.example.org/x", URL, "https://other.example.org/x"),
        ("javascript:void(0)", URL, None),
        ("mailto:desk@example.com", URL, None),
        ("ftp://example.com/x", URL, None),
        ("/relative/only", None, None),
        ("http://[::1", URL, None),
        ("   ", URL, None),
    ],
)
def test_canonical_url(href: str, base: str | None, expected: str | None) -> None:
    html = page(f'<link rel="canonical" href="{href}">')
    assert meta_of(html, base).canonical_url == expected


def test_canonical_link_wins_over_og_url_and_rel_tokens() -> None:
    head = ('<meta property="og:url" content="https://news.example.com/og">'
            '<link rel="Canonical foo" href="/canon">')
    assert meta_of(page(head)).canonical_url == "https://news.example.com/canon"
    bad = '<link rel="canonical" href="javascript:x"><meta property="og:url" content="/og">'
    assert meta_of(page(bad)).canonical_url == "https://news.example.com/og"


@pytest.mark.parametrize(
    ("value", "expected"),
    [("en", "en"), ("EN-us", "en-US"), ("en_GB", "en-GB"), ("fa", "fa"),
     ("zh-hant-tw", "zh-Hant-TW"), ("de-DE, en;q=0.8", "de-DE"), ("und", None),
     ("x-default", None), ("english", None), ("", None), (None, None), ("e", None)],
)
def test_normalize_language(value: str | None, expected: str | None) -> None:
    assert normalize_language(value) == expected


def test_language_sources() -> None:
    assert meta_of(page(html_attrs='lang="fa" dir="rtl"')).language == "fa"
    head = '<meta http-equiv="Content-Language" content="fr-FR">'
    assert meta_of(page(head, html_attrs="")).language == "fr-FR"
    assert meta_of(page(html_attrs="")).language is None


def test_reading_does_not_modify_the_tree() -> None:
    html = page(
        ld({"@type": "NewsArticle", "headline": "H", "author": "By A and B"}),
        '<div class="byline">By A</div><h1>H</h1><article><p>Text</p></article>',
    )
    tree = LexborHTMLParser(html)
    before = tree.html
    read_metadata(tree, URL)
    assert tree.html == before


def test_empty_page() -> None:
    assert meta_of("", None) == PageMetadata()
