"""Article links on a section front, picked by CSS selector and/or URL pattern. Pure."""

from __future__ import annotations

import re
from typing import Final
from urllib.parse import urldefrag, urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode, SelectolaxError

from newsarchiver.errors import ExtractionError

_WEB_SCHEMES: Final = frozenset({"http", "https"})
_URL_NOISE: Final = str.maketrans("", "", "\t\n\r")  # browsers drop these inside href values


def find_links(
    html: str, base_url: str, selector: str | None = None, pattern: str | None = None
) -> tuple[str, ...]:
    """Absolute http(s) links of ``html`` in document order, without fragments or repeats.

    ``selector`` (CSS) picks ``<a href>`` elements, or containers whose descendant
    ``<a href>`` are all taken; ``pattern`` is a regex searched in the absolute URL.
    With both, a link must satisfy both; with neither, every link is returned.
    Relative links resolve against ``<base href>`` when the page has one, else
    ``base_url``. Raise :class:`ExtractionError` for a selector that does not parse.
    """
    tree = LexborHTMLParser(html)
    base = _document_base(tree, base_url)
    matcher = re.compile(pattern) if pattern else None
    found: dict[str, None] = {}
    for anchor in _anchors(tree, selector, base_url):
        url = _absolute(anchor.attributes.get("href"), base)
        if url is None or url in found:
            continue
        if matcher is not None and not matcher.search(url):
            continue
        found[url] = None
    return tuple(found)


def _anchors(tree: LexborHTMLParser, selector: str | None, url: str) -> list[LexborNode]:
    try:
        if not selector:
            return list(tree.css("a[href]"))
        anchors: list[LexborNode] = []
        for node in tree.css(selector):
            if node.tag == "a" and node.attributes.get("href") is not None:
                anchors.append(node)
            anchors.extend(node.css("a[href]"))
        return anchors
    except SelectolaxError as exc:
        raise ExtractionError(f"bad link selector {selector!r}: {exc}", url=url) from None


def _document_base(tree: LexborHTMLParser, base_url: str) -> str:
    """The first ``<base href>`` resolved against the page URL, if it is a web URL."""
    node = tree.css_first("base[href]")
    if node is None:
        return base_url
    resolved = _absolute(node.attributes.get("href"), base_url)
    return resolved or base_url


def _absolute(href: str | None, base: str) -> str | None:
    """``href`` made absolute and defragmented; None unless it is an http(s) URL."""
    if href is None:
        return None
    href = href.strip().translate(_URL_NOISE)
    if not href or href.startswith("#"):
        return None
    try:
        url, _ = urldefrag(urljoin(base, href))
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in _WEB_SCHEMES or not parts.netloc:
        return None
    return url


__all__ = ["find_links"]
