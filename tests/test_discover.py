"""Feeds, sitemaps and link selection (newsarchiver.discover)."""

from __future__ import annotations

import gzip
import time
import zlib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from newsarchiver.discover import (
    MAX_SITEMAP_BYTES,
    SitemapPage,
    parse_feed,
    parse_sitemap,
    select_links,
)
from newsarchiver.errors import ContentEncodingError, DiscoveryError, ResponseTooLarge
from newsarchiver.models import DiscoveredLink
from newsarchiver.urls import DEFAULT_TRACKING_PARAMS
from tests.localserver import LocalServer

DISCOVERY = Path(__file__).parent / "fixtures" / "discovery"
SITE = "https://news.example.com"


def fixture_bytes(name: str) -> bytes:
    return (DISCOVERY / name).read_bytes()


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


# --- feeds ----------------------------------------------------------------------------


def test_rss_items_with_relative_links_zones_and_missing_dates() -> None:
    links = parse_feed(fixture_bytes("rss.xml"), f"{SITE}/politics/rss.xml")
    assert links == (
        DiscoveredLink(
            f"{SITE}/politics/2024/05/01/budget-passes?utm_source=rss",
            utc(2024, 5, 1, 12, 30),  # 14:30 +0200
            "Parliament passes the budget",
        ),
        DiscoveredLink(
            f"{SITE}/politics/2024/05/01/minister-resigns",
            utc(2024, 5, 1, 9, 15),
            "Minister resigns",
        ),
        DiscoveredLink(f"{SITE}/politics/live/election-night", None, "Live: election night"),
        DiscoveredLink(  # a permalink guid stands in for a missing <link>
            f"{SITE}/opinion/2024/05/02/budget-means",
            utc(2024, 5, 2, 11, 0),  # 06:00 -0500
            "Opinion: what the budget means",
        ),
    )
    assert all(link.updated is None or link.updated.tzinfo is UTC for link in links)


def test_atom_entries_resolve_xml_base_and_prefer_updated_over_published() -> None:
    links = parse_feed(fixture_bytes("atom.xml"), f"{SITE}/world/atom.xml")
    assert links == (
        DiscoveredLink(
            f"{SITE}/world/2024/05/03/ceasefire-talks",
            utc(2024, 5, 3, 5, 45),  # <updated> 07:45 +02:00, not <published>
            "Ceasefire talks resume",
        ),
        DiscoveredLink(
            f"{SITE}/world/2024/05/02/floods", utc(2024, 5, 2, 10), "Floods in the north"
        ),
        DiscoveredLink(f"{SITE}/world/explainers/trade-deal", None, "Explainer: the trade deal"),
    )


def test_empty_feed_is_not_an_error() -> None:
    body = b'<?xml version="1.0"?><rss version="2.0"><channel><title>t</title></channel></rss>'
    assert parse_feed(body, f"{SITE}/rss") == ()


@pytest.mark.parametrize(
    "body",
    [
        b"<html><body><p>Not a feed</p></body></html>",
        b"",
        b"https://news.example.com/rss.xml",  # never fetched
        str(DISCOVERY / "rss.xml").encode(),  # never opened as a file name
    ],
)
def test_non_feeds_raise_discovery_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_feed(body, f"{SITE}/rss")
    assert info.value.url == f"{SITE}/rss"


def test_feed_with_entity_bomb_is_not_expanded() -> None:
    doctype = fixture_bytes("billion_laughs.xml").split(b"<urlset")[0].replace(b"urlset", b"rss")
    bomb = doctype + (
        b'<rss version="2.0"><channel><title>t</title><item><title>&lol9;</title>'
        b"<link>https://news.example.com/a</link></item></channel></rss>"
    )
    started = time.perf_counter()
    (link,) = parse_feed(bomb, f"{SITE}/rss")
    assert time.perf_counter() - started < 1.0
    assert link.url == f"{SITE}/a"
    assert len(link.title or "") < 100


# --- sitemaps -------------------------------------------------------------------------


def test_sitemap_index_lists_child_sitemaps_once() -> None:
    page = parse_sitemap(fixture_bytes("sitemap_index.xml"), f"{SITE}/sitemap.xml")
    assert page == SitemapPage(
        links=(),
        sitemaps=(
            f"{SITE}/sitemaps/articles-2024-05.xml",
            f"{SITE}/sitemaps/archive-2024-04.xml.gz",
            f"{SITE}/sitemaps/news.xml",
        ),
    )


def test_urlset_takes_lastmod_and_ignores_image_locs() -> None:
    page = parse_sitemap(fixture_bytes("sitemap_articles.xml"), f"{SITE}/sitemaps/a.xml")
    assert page.sitemaps == ()
    assert page.links == (
        DiscoveredLink(f"{SITE}/politics/2024/05/01/budget-passes", utc(2024, 5, 1, 14)),
        DiscoveredLink(f"{SITE}/world/2024/05/02/floods", utc(2024, 5, 2)),
        DiscoveredLink(f"{SITE}/culture/2024/04/30/festival", None),
    )


def test_google_news_sitemap_titles_and_publication_dates() -> None:
    page = parse_sitemap(fixture_bytes("sitemap_news.xml"), f"{SITE}/sitemaps/news.xml")
    assert page.links == (
        DiscoveredLink(
            f"{SITE}/business/2024/05/03/rates",
            utc(2024, 5, 3, 8, 30),  # publication_date 09:30 +01:00, no lastmod
            "Central bank holds rates",
        ),
        DiscoveredLink(
            f"{SITE}/business/2024/05/03/markets",
            utc(2024, 5, 3, 12),  # lastmod wins over publication_date
            "Markets rally & bonds slip",
        ),
    )


def test_gzipped_sitemap_is_inflated() -> None:
    plain = fixture_bytes("sitemap_archive.xml")
    page = parse_sitemap(gzip.compress(plain), f"{SITE}/sitemaps/archive-2024-04.xml.gz")
    assert page == parse_sitemap(plain, f"{SITE}/sitemaps/archive-2024-04.xml")
    assert page.links == (
        DiscoveredLink(f"{SITE}/politics/2024/04/29/coalition", utc(2024, 4, 29, 8)),
        DiscoveredLink(f"{SITE}/world/2024/04/28/summit", utc(2024, 4, 1)),  # "2024-04"
    )


def test_walking_an_index_reaches_every_article() -> None:
    bodies = {
        f"{SITE}/sitemap.xml": fixture_bytes("sitemap_index.xml"),
        f"{SITE}/sitemaps/articles-2024-05.xml": fixture_bytes("sitemap_articles.xml"),
        f"{SITE}/sitemaps/archive-2024-04.xml.gz": gzip.compress(
            fixture_bytes("sitemap_archive.xml")
        ),
        f"{SITE}/sitemaps/news.xml": fixture_bytes("sitemap_news.xml"),
    }
    queue = [f"{SITE}/sitemap.xml"]
    seen: set[str] = set()
    found: list[str] = []
    while queue:
        url = queue.pop(0)
        if url in seen:
            continue
        seen.add(url)
        page = parse_sitemap(bodies[url], url)
        queue.extend(page.sitemaps)
        found.extend(link.url for link in page.links)
    assert seen == set(bodies)
    assert len(found) == 3 + 2 + 2


def gzip_of_spaces(total: int) -> bytes:
    """A gzip stream that inflates to a sitemap padded with ``total`` spaces."""
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    parts = [packer.compress(b'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">')]
    block = b" " * 1_000_000
    for _ in range(total // len(block)):
        parts.append(packer.compress(block))
    parts += [packer.compress(b"</urlset>"), packer.flush()]
    return b"".join(parts)


def test_gzip_bomb_is_capped_at_the_default_limit() -> None:
    bomb = gzip_of_spaces(MAX_SITEMAP_BYTES + 10_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(ResponseTooLarge) as info:
        parse_sitemap(bomb, f"{SITE}/bomb.xml.gz")
    assert info.value.url == f"{SITE}/bomb.xml.gz"


def test_gzip_cap_is_exact() -> None:
    body = gzip.compress(fixture_bytes("sitemap_archive.xml"))
    size = len(fixture_bytes("sitemap_archive.xml"))
    assert parse_sitemap(body, SITE, max_bytes=size).links
    with pytest.raises(ResponseTooLarge):
        parse_sitemap(body, SITE, max_bytes=size - 1)


def test_corrupt_and_truncated_gzip() -> None:
    body = gzip.compress(fixture_bytes("sitemap_archive.xml"))
    with pytest.raises(ContentEncodingError):
        parse_sitemap(body[:-30], SITE)
    with pytest.raises(ContentEncodingError):
        parse_sitemap(body[:10] + b"\xff" * 40 + body[50:], SITE)


@pytest.mark.parametrize("name", ["billion_laughs.xml", "external_entity.xml"])
def test_doctype_with_entities_is_refused_quickly(name: str) -> None:
    started = time.perf_counter()
    with pytest.raises(DiscoveryError, match="entities"):
        parse_sitemap(fixture_bytes(name), f"{SITE}/sitemap.xml")
    assert time.perf_counter() - started < 0.5


def test_doctype_after_padding_is_still_seen() -> None:
    body = b"<?xml version='1.0'?>" + b"<!-- pad -->" * 20_000 + fixture_bytes(
        "billion_laughs.xml"
    ).split(b"?>", 1)[1]
    with pytest.raises(DiscoveryError, match="entities"):
        parse_sitemap(body, SITE)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"<urlset><url><loc>https://a.example/</loc></url>",  # truncated
        b"<urlset><url><loc>https://a.example/</url></urlset>",  # mismatched tags
        b"\x00\x01\x02 not xml",
        b"<urlset><url><loc>https://a.example/&undefined;</loc></url></urlset>",
        b'<?xml version="1.0"?><rss version="2.0"><channel/></rss>',  # not a sitemap
        b"<html><body>404</body></html>",
    ],
)
def test_malformed_or_foreign_xml_raises_discovery_error(body: bytes) -> None:
    with pytest.raises(DiscoveryError) as info:
        parse_sitemap(body, f"{SITE}/sitemap.xml")
    assert info.value.url == f"{SITE}/sitemap.xml"


def test_utf16_sitemap_with_entities_is_refused() -> None:
    body = fixture_bytes("billion_laughs.xml").replace(b'<?xml version="1.0"?>', b"")
    with pytest.raises(DiscoveryError, match="entities"):
        parse_sitemap(body.decode().encode("utf-16"), SITE)


# --- selection ------------------------------------------------------------------------


def select(links: list[DiscoveredLink], include: tuple[str, ...] = (),
           exclude: tuple[str, ...] = ()) -> tuple[DiscoveredLink, ...]:
    return select_links(
        links, include=include, exclude=exclude, tracking_params=DEFAULT_TRACKING_PARAMS
    )


def test_select_drops_non_web_schemes_and_invalid_urls() -> None:
    links = [
        DiscoveredLink("javascript:alert(1)"),
        DiscoveredLink("mailto:tips@example.com"),
        DiscoveredLink("data:text/html,<b>hi</b>"),
        DiscoveredLink("tel:+15555550100"),
        DiscoveredLink("ftp://files.example.com/a"),
        DiscoveredLink("file:///etc/passwd"),
        DiscoveredLink("http://[::1"),
        DiscoveredLink("relative/path"),
        DiscoveredLink("HTTPS://News.Example.com:443/a?utm_source=x&id=3#top"),
    ]
    assert select(links) == (DiscoveredLink("https://news.example.com/a?id=3"),)


def test_select_include_and_exclude() -> None:
    links = [
        DiscoveredLink(f"{SITE}/politics/2024/05/01/budget"),
        DiscoveredLink(f"{SITE}/politics/live/election"),
        DiscoveredLink(f"{SITE}/world/2024/05/02/floods"),
        DiscoveredLink(f"{SITE}/video/2024/05/02/clip"),
        DiscoveredLink(f"{SITE}/about/"),
    ]
    assert [link.url for link in select(links, include=(r"/\d{4}/\d{2}/\d{2}/", "/live/"),
                                       exclude=("/video/",))] == [
        f"{SITE}/politics/2024/05/01/budget",
        f"{SITE}/politics/live/election",
        f"{SITE}/world/2024/05/02/floods",
    ]
    assert len(select(links, exclude=("^https://news",))) == 0
    assert len(select(links)) == 5


def test_select_dedupes_keeping_newest_update_in_first_seen_order() -> None:
    links = [
        DiscoveredLink(f"{SITE}/a?utm_medium=rss", utc(2024, 5, 1), None),
        DiscoveredLink(f"{SITE}/b", None, "B"),
        DiscoveredLink(f"{SITE}/a#comments", utc(2024, 5, 3), "A"),
        DiscoveredLink(f"{SITE}/A", utc(2024, 5, 9), "other path"),  # paths are case-sensitive
        DiscoveredLink(f"{SITE}/a", utc(2024, 5, 2), "A again"),
        DiscoveredLink(f"{SITE}/b", utc(2024, 4, 1), None),
    ]
    assert select(links) == (
        DiscoveredLink(f"{SITE}/a", utc(2024, 5, 3), "A"),
        DiscoveredLink(f"{SITE}/b", utc(2024, 4, 1), "B"),
        DiscoveredLink(f"{SITE}/A", utc(2024, 5, 9), "other path"),
    )


def test_select_uses_the_given_tracking_params() -> None:
    links = [DiscoveredLink(f"{SITE}/a?ref=rss&id=1")]
    assert select_links(links, include=(), exclude=(), tracking_params=("ref",)) == (
        DiscoveredLink(f"{SITE}/a?id=1"),
    )
    assert select_links(links, include=(), exclude=(), tracking_params=()) == (
        DiscoveredLink(f"{SITE}/a?ref=rss&id=1"),
    )


def test_feed_to_selection() -> None:
    links = parse_feed(fixture_bytes("rss.xml"), f"{SITE}/politics/rss.xml")
    chosen = select(list(links), include=("/politics/",), exclude=("/live/",))
    assert [link.url for link in chosen] == [
        f"{SITE}/politics/2024/05/01/budget-passes",
        f"{SITE}/politics/2024/05/01/minister-resigns",
    ]


def test_multi_member_gzip_and_trailing_garbage() -> None:
    plain = fixture_bytes("sitemap_archive.xml")
    half = len(plain) // 2
    body = gzip.compress(plain[:half]) + gzip.compress(plain[half:]) + b"\x00\x00junk"
    assert parse_sitemap(body, SITE) == parse_sitemap(plain, SITE)


# --- nothing is ever fetched ----------------------------------------------------------


def test_parsers_never_fetch_dtds_or_stylesheets(server: LocalServer) -> None:
    dtd = server.page("/sitemap.dtd", '<!ENTITY x "y">', content_type="application/xml-dtd")
    xsl = server.page("/style.xsl", "<x/>", content_type="text/xsl")
    sitemap = (
        f'<?xml version="1.0"?><?xml-stylesheet type="text/xsl" href="{xsl}"?>'
        f'<!DOCTYPE urlset SYSTEM "{dtd}">'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        "<url><loc>https://news.example.com/a</loc></url></urlset>"
    ).encode()
    assert parse_sitemap(sitemap, SITE).links == (DiscoveredLink(f"{SITE}/a"),)
    with pytest.raises(DiscoveryError):  # an entity the (unfetched) DTD would define
        parse_sitemap(sitemap.replace(b"/a</loc>", b"/&x;</loc>"), SITE)
    feed = (
        f'<?xml version="1.0"?><!DOCTYPE rss SYSTEM "{dtd}">'
        '<rss version="2.0"><channel><title>t</title>'
        f"<item><title>a</title><link>{server.url('/article')}</link></item>"
        "</channel></rss>"
    ).encode()
    assert [link.url for link in parse_feed(feed, server.url("/rss"))] == [
        server.url("/article")
    ]
    assert server.hits == []
