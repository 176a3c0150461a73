"""Page metadata: title, authors, dates, language, canonical URL, site name.

:func:`read_metadata` only reads the parsed tree (it runs before chrome is
stripped) and never raises on odd input. Each field takes the first usable value
from its sources, in this order:

- **title**: JSON-LD ``headline`` (or ``name``) of the article object; ``og:title``;
  ``twitter:title``; ``parsely-title``, ``sailthru.title``, ``dc.title``,
  ``citation_title``; the first ``<h1>``; ``<title>``. A trailing `` | Site`` or
  `` - Site`` is removed when the site name is known. A JSON-LD headline cut
  short with an ellipsis gives way to the full ``og:title``.
- **authors**: JSON-LD ``author`` (people; organisations are a last resort);
  meta ``author``, ``byl``, ``article:author`` (a name, not a profile URL),
  ``parsely-author``, ``sailthru.author``, ``dc.creator``, ``citation_author``;
  visible bylines (``[itemprop=author]``, ``[rel=author]``, ``.byline``).
  The first source that yields a name wins; names are cleaned by
  :func:`~newsarchiver.extract.bylines.split_authors` and the site's own name is never an author.
- **published**: JSON-LD ``datePublished``; ``article:published_time``; meta
  ``parsely-pub-date``, ``sailthru.date``, ``dc.date.issued``, ``dc.date``,
  ``citation_publication_date``, ``pubdate``, ``date``; ``itemprop=datePublished``;
  ``<time datetime>`` (``pubdate`` ones first, then inside ``<article>``, then any).
- **modified**: JSON-LD ``dateModified``; ``article:modified_time``;
  ``og:updated_time``; ``dc.date.modified``; ``itemprop=dateModified``.
- **language**: JSON-LD ``inLanguage``; ``<html lang>`` / ``xml:lang``;
  ``content-language``; ``og:locale``; ``dc.language``.
- **canonical_url**: ``<link rel=canonical>``; ``og:url``; JSON-LD ``url`` /
  ``mainEntityOfPage``; resolved against the page URL, http(s) only.
- **site_name**: ``og:site_name``; JSON-LD ``publisher.name``; JSON-LD
  ``WebSite`` name; ``application-name``.
- **description**: JSON-LD ``description``; ``og:description``; ``description``;
  ``twitter:description``.

JSON-LD is decoded leniently (see :mod:`newsarchiver.extract.jsonld`). Dates are
parsed by :func:`~newsarchiver.extract.dates.parse_date`; a time written without
an offset takes the offset of another date on the same page when one has it
(``article:published_time`` often does when JSON-LD does not), else UTC.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from itertools import chain
from typing import Any, Final
from urllib.parse import urljoin, urlsplit

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsarchiver.extract.bylines import byline_names, looks_like_url, split_authors
from newsarchiver.extract.dates import offset_of, parse_date
from newsarchiver.extract.jsonld import (
    ORGANIZATION_TYPES,
    JsonLdIndex,
    JsonObject,
    choose_article,
    decode_lenient,
    index_json_ld,
    types_of,
)
from newsarchiver.extract.select import has_ancestor, select


@dataclass(frozen=True, slots=True)
class PageMetadata:
    """What a page says about its article, apart from the body text."""

    title: str | None = None
    authors: tuple[str, ...] = ()
    published: datetime | None = None
    modified: datetime | None = None
    language: str | None = None
    canonical_url: str | None = None
    site_name: str | None = None
    description: str | None = None
    #: JSON-LD ``articleBody`` of the article object, as the page wrote it.
    json_ld_body: str | None = None


_MAX_FIELD: Final = 2_000
_LANGUAGE: Final = re.compile(r"^[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*$")
_TITLE_SEPARATORS: Final = (" | ", " - ", " – ", " — ", " :: ", " · ", " : ", " / ")
_ELLIPSIS: Final = ("…", "...")
#: The attributes of an element, as selectolax gives them.
Attributes = dict[str, str | None]


def read_metadata(tree: LexborHTMLParser, url: str | None) -> PageMetadata:
    """Read the metadata of the page in ``tree`` (fetched from ``url``) without changing it."""
    meta_tags, scripts, links = _elements(tree)
    itemprops = _Itemprops(tree)
    metas = _meta_index(meta_tags)
    index = index_json_ld(_json_ld_values(scripts))
    link_canonical = _first(
        _absolute_http(href, url) for href in [*_canonical_links(links), *metas.get("og:url", [])]
    )
    article = choose_article(index, [url, link_canonical]) or {}
    canonical = link_canonical or _first(
        _absolute_http(u, url) for u in _json_strings(article, "url", "mainEntityOfPage")
    )
    site_name = _first_text([
        *metas.get("og:site_name", []), *_publisher_names(index, article),
        *metas.get("application-name", []),
    ])
    page_tz = _page_offset(metas, article)
    return PageMetadata(
        title=_title(tree, metas, article, site_name),
        authors=_authors(tree, metas, index, article, site_name, itemprops),
        published=_dates(metas, article, tree, itemprops, page_tz, published=True),
        modified=_dates(metas, article, tree, itemprops, page_tz, published=False),
        language=_language(tree, metas, article),
        canonical_url=canonical,
        site_name=site_name,
        description=_first_text([
            *_json_strings(article, "description"), *metas.get("og:description", []),
            *metas.get("description", []), *metas.get("twitter:description", []),
        ]),
        json_ld_body=_article_body(article),
    )


def clean_title(title: str, site_name: str | None) -> str:
    """``title`` without a trailing " | Site" / " - Site" naming ``site_name``."""
    if site_name:
        for separator in _TITLE_SEPARATORS:
            suffix = separator + site_name
            tail = title[-len(suffix):]
            if len(title) > len(suffix) and tail.casefold() == suffix.casefold():
                return title[: -len(suffix)].rstrip()
    return title


def normalize_language(value: str | None) -> str | None:
    """A BCP-47-ish tag (``en``, ``en-US``, ``zh-Hant-TW``) or None."""
    if not value:
        return None
    tag = value.split(",")[0].split(";")[0].strip().replace("_", "-")
    if not _LANGUAGE.match(tag):
        return None
    primary, *subtags = tag.split("-")
    if primary.lower() in {"und", "mul", "zxx", "mis"}:
        return None
    parts = [primary.lower()]
    for sub in subtags:
        if len(sub) == 2 and sub.isalpha():
            parts.append(sub.upper())
        elif len(sub) == 4 and sub.isalpha():
            parts.append(sub.title())
        else:
            parts.append(sub.lower())
    return "-".join(parts)


def _collapse(text: str | None) -> str | None:
    if not text:
        return None
    collapsed = " ".join(text[:_MAX_FIELD].split())
    return collapsed or None


def _first(values: Iterable[str | None]) -> str | None:
    return next((v for v in values if v), None)


def _first_text(values: Iterable[str | None]) -> str | None:
    return _first(_collapse(v) for v in values)


#: The elements :func:`_elements` reads: every ``<meta content>``, and the scripts and
#: links whose attributes may make them JSON-LD or canonical (a few more than those that
#: are, which the readers of each pass over).
_ELEMENTS_SELECTOR: Final = 'meta[content],script[type*="ld+json" i],link[rel*=canonical i][href]'


def _elements(
    tree: LexborHTMLParser,
) -> tuple[list[Attributes], list[tuple[LexborNode, Attributes]], list[Attributes]]:
    """The ``<meta content>`` elements, the ``<script>`` elements whose type may be
    JSON-LD and the ``<link>`` elements that may be canonical, in document order (the
    attributes of each; the node too for scripts), found in one walk."""
    metas: list[Attributes] = []
    scripts: list[tuple[LexborNode, Attributes]] = []
    links: list[Attributes] = []
    for node in select(tree, _ELEMENTS_SELECTOR):
        tag, attrs = node.tag, node.attributes
        if tag == "meta":
            if "content" in attrs:
                metas.append(attrs)
        elif tag == "script":
            if "type" in attrs:
                scripts.append((node, attrs))
        elif "rel" in attrs and "href" in attrs:
            links.append(attrs)
    return metas, scripts, links


class _Itemprops:
    """The elements of ``[itemprop=value]`` for any value: one walk, when first asked."""

    def __init__(self, tree: LexborHTMLParser) -> None:
        self.tree = tree
        self.by_value: dict[str | None, list[LexborNode]] | None = None

    def __call__(self, value: str) -> list[LexborNode]:
        if self.by_value is None:
            by_value: dict[str | None, list[LexborNode]] = {}
            for node in select(self.tree, "[itemprop]"):
                by_value.setdefault(node.attributes.get("itemprop"), []).append(node)
            self.by_value = by_value
        return self.by_value.get(value, [])


def _meta_index(metas: list[Attributes]) -> dict[str, list[str]]:
    index: dict[str, list[str]] = {}
    for attrs in metas:
        content = attrs.get("content")
        if content is None:
            continue
        for key in ("property", "name", "itemprop", "http-equiv"):
            name = attrs.get(key)
            if name:
                index.setdefault(name.strip().lower(), []).append(content)
    return index


def _json_ld_values(scripts: list[tuple[LexborNode, Attributes]]) -> Iterator[Any]:
    for node, attrs in scripts:
        kind = (attrs.get("type") or "").split(";")[0].strip().lower()
        if kind == "application/ld+json":
            yield from decode_lenient(node.text(deep=True) or "")


def _canonical_links(links: list[Attributes]) -> Iterator[str]:
    for attrs in links:
        rels = (attrs.get("rel") or "").lower().split()
        href = attrs.get("href")
        if "canonical" in rels and href:
            yield href


#: An absolute http(s) URL that ``urljoin`` gives back as it is and whose host
#: ``urlsplit`` finds: no query, fragment, parameters, whitespace or non-ASCII host.
_PLAIN_ABSOLUTE: Final = re.compile(r"https?://[A-Za-z0-9.-]+(?::[0-9]{1,5})?(?:/[^\s?#;]*)?")


def _absolute_http(href: str | None, base: str | None) -> str | None:
    href = (href or "").strip()
    if not href or len(href) > _MAX_FIELD:
        return None
    if _PLAIN_ABSOLUTE.fullmatch(href):
        return href  # what the general case below gives, without its cost
    try:
        resolved = urljoin(base, href) if base else href
        parts = urlsplit(resolved)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return resolved


def _json_strings(obj: JsonObject, *keys: str) -> list[str]:
    found: list[str] = []
    for key in keys:
        value = obj.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        values = value if isinstance(value, list) else [value]
        found.extend(html.unescape(v) for v in values if isinstance(v, str))
    return found


def _names_of(value: Any, index: JsonLdIndex, depth: int = 0) -> Iterator[str]:
    value = index.resolve(value)
    if isinstance(value, list):
        if depth < 3:
            for item in value[:50]:
                yield from _names_of(item, index, depth + 1)
    elif isinstance(value, str):
        yield html.unescape(value)
    elif isinstance(value, dict):
        name = value.get("name")
        if not isinstance(name, str):
            given, family = value.get("givenName"), value.get("familyName")
            name = " ".join(n for n in (given, family) if isinstance(n, str)) or None
        if name:
            yield html.unescape(name)


def _publisher_names(index: JsonLdIndex, article: JsonObject) -> list[str]:
    others = (obj for _, obj in index.articles if obj is not article)
    names = [n for obj in (article, *others) for n in _names_of(obj.get("publisher"), index)]
    names.extend(
        name for obj in index.objects if "WebSite" in types_of(obj)
        for name in _names_of(obj.get("name"), index)
    )
    return names


def _title(
    tree: LexborHTMLParser, metas: dict[str, list[str]], article: JsonObject, site: str | None
) -> str | None:
    headline = _first_text(_json_strings(article, "headline", "name"))
    og_title = _first_text(metas.get("og:title", []))
    if headline and og_title and headline.endswith(_ELLIPSIS):
        stem = headline.rstrip(".…").rstrip()
        if og_title.startswith(stem):
            headline = og_title
    keys = ("twitter:title", "parsely-title", "sailthru.title", "dc.title", "citation_title")
    title = headline or og_title or _first_text(v for k in keys for v in metas.get(k, []))
    if not title:
        title = _first(
            t for t in (_collapse(_node_text(h)) for h in select(tree, "h1")[:20])
            if t and len(t) < 400
        )
    if not title:
        title = _first_text(_node_text(n) for n in select(tree, "title")
                             if not has_ancestor(n, "svg", limit=30))
    return clean_title(title, site) if title else None


def _authors(
    tree: LexborHTMLParser, metas: dict[str, list[str]], index: JsonLdIndex,
    article: JsonObject, site: str | None, itemprops: _Itemprops,
) -> tuple[str, ...]:
    people: list[str] = []
    organisations: list[str] = []
    for raw in _as_list(index.resolve(article.get("author"))):
        author = index.resolve(raw)
        is_org = isinstance(author, dict) and bool(types_of(author) & ORGANIZATION_TYPES)
        for name in _names_of(author, index):
            (organisations if is_org else people).extend(split_authors(name))
    sources: list[Iterable[str]] = [people]
    meta_keys = ("author", "byl", "article:author", "parsely-author", "sailthru.author",
                 "dc.creator", "citation_author")
    sources.append(
        n for k in meta_keys for v in metas.get(k, []) if not looks_like_url(v)
        for n in split_authors(v)
    )
    sources.append(byline_names(tree, itemprops))
    sources.append(organisations)
    excluded = site.casefold() if site else None
    for source in sources:
        names: list[str] = []
        seen: set[str] = set()
        for name in source:
            key = name.casefold()
            if key != excluded and key not in seen:
                seen.add(key)
                names.append(name)
        if names:
            return tuple(names)
    return ()


def _dates(
    metas: dict[str, list[str]], article: JsonObject, tree: LexborHTMLParser,
    itemprops: _Itemprops, page_tz: tzinfo, *, published: bool,
) -> datetime | None:
    """The first date of the page's sources that parses (a time without an offset
    taking ``page_tz``)."""
    keys: tuple[str, ...]
    if published:
        keys = ("article:published_time", "og:published_time", "parsely-pub-date",
                "sailthru.date", "dc.date.issued", "dc.date", "citation_publication_date",
                "pubdate", "publish-date", "date", "datepublished")
        from_json = _json_strings(article, "datePublished", "dateCreated")
    else:
        keys = ("article:modified_time", "og:updated_time", "dc.date.modified",
                "last-modified", "datemodified")
        from_json = _json_strings(article, "dateModified")
    # Lazily: the <time> elements are only searched when nothing before them parses.
    candidates = chain(from_json, (v for k in keys for v in metas.get(k, [])),
                       _time_values(tree, itemprops, published))
    for candidate in candidates:
        moment = parse_date(candidate, page_tz)
        if moment is not None:
            return moment
    return None


def _page_offset(metas: dict[str, list[str]], article: JsonObject) -> tzinfo:
    values = [
        *_json_strings(article, "datePublished", "dateModified"),
        *metas.get("article:published_time", []), *metas.get("article:modified_time", []),
    ]
    return next((tz for tz in map(offset_of, values) if tz is not None), UTC)


def _time_values(
    tree: LexborHTMLParser, itemprops: _Itemprops, published: bool
) -> Iterator[str]:
    for node in itemprops("datePublished" if published else "dateModified")[:5]:
        attrs = node.attributes
        value = attrs.get("datetime") or attrs.get("content")
        if value:
            yield value
    if not published:
        return
    # One walk for the <time> elements; then, in turn, those of "time[pubdate][datetime]",
    # "article time[datetime]", "time[datetime]" and "time".
    times = [(node, node.attributes) for node in select(tree, "time")]
    dated = [(node, attrs) for node, attrs in times if "datetime" in attrs]
    for group in (
        [(node, attrs) for node, attrs in dated if "pubdate" in attrs],
        [(node, attrs) for node, attrs in dated if has_ancestor(node, "article")],
        dated,
    ):
        for _, attrs in group[:5]:
            value = attrs.get("datetime")
            if value:
                yield value
    for node, _ in times[:5]:
        yield _node_text(node)


def _language(
    tree: LexborHTMLParser, metas: dict[str, list[str]], article: JsonObject
) -> str | None:
    root = tree.root
    root_attrs = root.attributes if root is not None else {}
    candidates = [
        *_json_strings(article, "inLanguage"), root_attrs.get("lang"), root_attrs.get("xml:lang"),
        *metas.get("content-language", []), *metas.get("og:locale", []),
        *metas.get("dc.language", []), *metas.get("language", []),
    ]
    return _first(normalize_language(c) for c in candidates)


def _article_body(article: JsonObject) -> str | None:
    body = article.get("articleBody")
    if isinstance(body, list):
        body = "\n\n".join(part for part in body if isinstance(part, str))
    return body if isinstance(body, str) and body.strip() else None


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    return value[:50] if isinstance(value, list) else [value]


def _node_text(node: LexborNode) -> str:
    return node.text(deep=True) or ""


__all__ = ["PageMetadata", "clean_title", "normalize_language", "read_metadata"]
