"""Discovery: article URLs from RSS/Atom feeds and XML sitemaps. Pure: no I/O, no clock.

The only module of the project that imports feedparser. Feeds are handed to
feedparser as an in-memory stream, so it never opens a URL or a file. Sitemaps
(``urlset`` and ``sitemapindex``, gzipped or not, Google News extensions) are read
with the standard library's pull parser after a prolog check that refuses any
DOCTYPE declaring entities; gzip is inflated under a size cap.

Section pages are read by :func:`newsarchiver.extract.links.find_links`;
:func:`select_links` then normalises, filters and deduplicates what all of these found.
"""

from __future__ import annotations

import io
import re
import time
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urljoin
from xml.etree.ElementTree import Element, ParseError, XMLPullParser
from xml.parsers import expat

import feedparser

from newsarchiver.errors import (
    ContentEncodingError,
    DiscoveryError,
    InvalidURL,
    ResponseTooLarge,
)
from newsarchiver.models import DiscoveredLink
from newsarchiver.urls import DEFAULT_TRACKING_PARAMS, normalize_url

#: Cap on a sitemap's size after gunzip (the sitemap protocol allows 50 MB).
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
_GZIP_MAGIC = b"\x1f\x8b"
_CHUNK = 64 * 1024


@dataclass(frozen=True, slots=True)
class SitemapPage:
    """What one sitemap file lists: article links (``urlset``) or child sitemaps (index)."""

    links: tuple[DiscoveredLink, ...] = ()
    sitemaps: tuple[str, ...] = ()


# --- feeds ----------------------------------------------------------------------------


def parse_feed(body: bytes, base_url: str) -> tuple[DiscoveredLink, ...]:
    """Article links of an RSS or Atom feed, in feed order, relative links resolved.

    ``updated`` is the entry's updated date, else its published date, in UTC.
    Raise :class:`DiscoveryError` when ``body`` is not a feed at all; a feed that
    is only slightly broken yields what feedparser could read of it.
    """
    result: Any = feedparser.parse(
        io.BytesIO(body), response_headers={"content-location": base_url}
    )
    entries = result.get("entries") or []
    if not result.get("version") and not entries:
        problem = result.get("bozo_exception")
        detail = f": {problem}" if problem else ""
        raise DiscoveryError(f"not an RSS or Atom feed{detail}", url=base_url)
    links: list[DiscoveredLink] = []
    for entry in entries:
        href = (entry.get("link") or "").strip()
        if not href:
            continue
        try:
            url = urljoin(base_url, href)
        except ValueError:
            continue
        # dict.get: FeedParserDict.get maps a missing "updated" to "published" with a warning
        updated = _struct_to_utc(
            dict.get(entry, "updated_parsed") or dict.get(entry, "published_parsed")
        )
        title = (entry.get("title") or "").strip() or None
        links.append(DiscoveredLink(url=url, updated=updated, title=title))
    return tuple(links)


def _struct_to_utc(value: time.struct_time | None) -> datetime | None:
    """feedparser's dates are UTC ``struct_time``; make them aware datetimes."""
    if value is None:
        return None
    try:
        return datetime(*value[:6], tzinfo=UTC)
    except (TypeError, ValueError):
        return None


# --- sitemaps -------------------------------------------------------------------------


def parse_sitemap(
    body: bytes, base_url: str, *, max_bytes: int = MAX_SITEMAP_BYTES
) -> SitemapPage:
    """Read a sitemap (``urlset``) or sitemap index (``sitemapindex``), gzipped or not.

    ``updated`` is ``<lastmod>``, else Google News ``<news:publication_date>``;
    ``title`` is ``<news:title>``. Raise :class:`ResponseTooLarge` past ``max_bytes``
    after gunzip, :class:`ContentEncodingError` for a corrupt gzip stream and
    :class:`DiscoveryError` for malformed XML, a DOCTYPE declaring entities or a
    document that is not a sitemap.
    """
    if body.startswith(_GZIP_MAGIC):
        body = _gunzip(body, max_bytes, base_url)
    elif len(body) > max_bytes:
        raise ResponseTooLarge(f"sitemap over {max_bytes} bytes", url=base_url)
    _refuse_entity_declarations(body, base_url)
    links: list[DiscoveredLink] = []
    sitemaps: dict[str, None] = {}  # ordered set
    for kind, item in _sitemap_items(body, base_url):
        loc = _child_text(item, "loc")
        if not loc:
            continue
        try:
            url = urljoin(base_url, loc)
        except ValueError:
            continue
        if kind == "sitemapindex":
            sitemaps.setdefault(url)
            continue
        news = _child(item, "news")
        updated = _parse_w3c_date(_child_text(item, "lastmod"))
        if updated is None and news is not None:
            updated = _parse_w3c_date(_child_text(news, "publication_date"))
        title = _child_text(news, "title") if news is not None else None
        links.append(DiscoveredLink(url=url, updated=updated, title=title or None))
    return SitemapPage(links=tuple(links), sitemaps=tuple(sitemaps))


def _gunzip(body: bytes, max_bytes: int, url: str) -> bytes:
    """Inflate a (possibly multi-member) gzip body, never holding more than the cap."""
    out = bytearray()
    data = body
    while data:
        inflater = zlib.decompressobj(16 + zlib.MAX_WBITS)
        try:
            while True:
                out += inflater.decompress(data, max_bytes + 1 - len(out))
                if len(out) > max_bytes:
                    raise ResponseTooLarge(
                        f"gzipped sitemap inflates past {max_bytes} bytes", url=url
                    )
                data = inflater.unconsumed_tail
                if inflater.eof or not data:
                    break
        except zlib.error as exc:
            raise ContentEncodingError(f"corrupt gzip stream: {exc}", url=url) from None
        if not inflater.eof:
            raise ContentEncodingError("gzip stream ends early", url=url)
        data = inflater.unused_data
        if data and not data.startswith(_GZIP_MAGIC):
            break  # trailing garbage after the last member is ignored, as gzip(1) does
    return bytes(out)


class _RootReached(Exception):
    """Internal: the prolog check has seen the first element."""


def _refuse_entity_declarations(body: bytes, url: str) -> None:
    """Parse only the prolog; refuse a DOCTYPE that declares any entity."""
    checker = expat.ParserCreate()

    def on_entity(*_: object) -> None:
        raise DiscoveryError("XML DOCTYPE declares entities; refused", url=url)

    def on_root(*_: object) -> None:
        raise _RootReached

    checker.EntityDeclHandler = on_entity
    checker.StartElementHandler = on_root
    try:
        for start in range(0, len(body), _CHUNK):
            checker.Parse(body[start : start + _CHUNK], False)
        checker.Parse(b"", True)
    except _RootReached:
        return
    except expat.ExpatError as exc:
        raise DiscoveryError(f"malformed XML: {exc}", url=url) from None


def _sitemap_items(body: bytes, url: str) -> Iterator[tuple[str, Element]]:
    """Yield (root name, each complete child of the root), clearing them as it goes."""
    parser: XMLPullParser[Element] = XMLPullParser(events=("start", "end"))
    root_name = ""
    depth = 0
    try:
        for start in range(0, len(body) or 1, _CHUNK):
            parser.feed(body[start : start + _CHUNK])
            for item in parser.read_events():
                event, elem = item[0], item[-1]
                if not isinstance(elem, Element):
                    continue
                if event == "start":
                    depth += 1
                    if depth == 1:
                        root_name = _local(elem.tag)
                        if root_name not in ("urlset", "sitemapindex"):
                            raise DiscoveryError(
                                f"not a sitemap: root element <{root_name}>", url=url
                            )
                    continue
                depth -= 1
                if depth == 1 and _local(elem.tag) in ("url", "sitemap"):
                    yield root_name, elem
                    elem.clear()
        parser.close()
    except ParseError as exc:
        raise DiscoveryError(f"malformed XML: {exc}", url=url) from None
    if not root_name:
        raise DiscoveryError("empty sitemap document", url=url)


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]


def _child(elem: Element, name: str) -> Element | None:
    for child in elem:
        if _local(child.tag) == name:
            return child
    return None


def _child_text(elem: Element, name: str) -> str | None:
    child = _child(elem, name)
    text = (child.text or "").strip() if child is not None else ""
    return text or None


_YEAR_MONTH = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def _parse_w3c_date(text: str | None) -> datetime | None:
    """W3C datetime (any precision), as UTC; a date without zone is taken as UTC."""
    if not text:
        return None
    value: datetime | None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        value = None
    if value is None and (m := _YEAR_MONTH.match(text)):
        value = datetime(int(m.group(1)), int(m.group(2) or 1), 1)
    if value is None:
        try:
            value = parsedate_to_datetime(text)  # RFC 822 dates, wrong but seen in the wild
        except (TypeError, ValueError, IndexError):
            return None
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


# --- selection ------------------------------------------------------------------------


def select_links(
    links: Iterable[DiscoveredLink],
    *,
    include: Sequence[str],
    exclude: Sequence[str],
    tracking_params: Sequence[str],
) -> tuple[DiscoveredLink, ...]:
    """Normalise, filter and deduplicate discovered links, keeping first-seen order.

    Links that are not archivable web URLs (``javascript:``, ``mailto:``, ``data:``,
    anything :func:`normalize_url` rejects) are dropped. A URL must match one of the
    ``include`` regexes (when any are given) and none of ``exclude`` (``re.search``
    on the normalised URL). When a URL is listed more than once, the newest
    ``updated`` wins and the first title found is kept.
    """
    includes = [re.compile(p) for p in include]
    # None selects normalize_url's precompiled default matcher (four times faster)
    params = None if tuple(tracking_params) == DEFAULT_TRACKING_PARAMS else tuple(tracking_params)
    excludes = [re.compile(p) for p in exclude]
    chosen: dict[str, DiscoveredLink] = {}
    for link in links:
        try:
            url = normalize_url(link.url, tracking_params=params)
        except InvalidURL:
            continue
        if includes and not any(p.search(url) for p in includes):
            continue
        if any(p.search(url) for p in excludes):
            continue
        seen = chosen.get(url)
        if seen is None:
            chosen[url] = DiscoveredLink(url=url, updated=link.updated, title=link.title)
        else:
            chosen[url] = DiscoveredLink(
                url=url,
                updated=_newest(seen.updated, link.updated),
                title=seen.title or link.title,
            )
    return tuple(chosen.values())


def _newest(a: datetime | None, b: datetime | None) -> datetime | None:
    if a is None or b is None:
        return a or b
    return max(a, b)


__all__ = ["MAX_SITEMAP_BYTES", "SitemapPage", "parse_feed", "parse_sitemap", "select_links"]
