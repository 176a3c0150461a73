"""JSON-LD in a page: lenient decoding and the choice of the object that is the article.

Decoding forgives what publishers ship: HTML comments and CDATA markers around the
JSON, raw control characters inside strings, trailing commas, several objects in
one script. It is bounded: scripts over :data:`MAX_SCRIPT_CHARS` are skipped, at most
:data:`MAX_NODES` objects are visited, nesting deeper than :data:`MAX_DEPTH` is not
followed. Nothing here raises on bad input.

The article is, in order:

1. an article-kind object whose ``url``, ``@id`` or ``mainEntityOfPage`` is exactly
   one of the page's URLs (so a live-blog item's own page picks its
   ``liveBlogUpdate`` rather than the whole blog);
2. one whose URL matches ignoring scheme, ``www.``, query, fragment and trailing slash;
3. the shallowest news or article object (``NewsArticle``, ``LiveBlogPosting`` ...),
   then the shallowest page object (``WebPage`` ...) that carries an ``articleBody``.

Top-level values, the items of top-level lists and of ``@graph`` are at depth 0.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Final
from urllib.parse import urlsplit

MAX_SCRIPT_CHARS: Final = 2_000_000
MAX_NODES: Final = 20_000
MAX_DEPTH: Final = 12
#: Most top-level values read from one script.
MAX_VALUES: Final = 1_000

#: schema.org types taken as an article whatever their content.
ARTICLE_TYPES: Final = frozenset({
    "Article", "NewsArticle", "ReportageNewsArticle", "AnalysisNewsArticle",
    "OpinionNewsArticle", "BackgroundNewsArticle", "ReviewNewsArticle",
    "AskPublicNewsArticle", "SatiricalArticle", "LiveBlogPosting", "BlogPosting",
    "SocialMediaPosting", "DiscussionForumPosting", "Report", "ScholarlyArticle",
    "TechArticle", "Review", "Recipe", "HowTo",
})
#: schema.org types taken as an article only when they carry an ``articleBody``.
PAGE_TYPES: Final = frozenset({
    "WebPage", "ItemPage", "AboutPage", "FAQPage", "QAPage", "MedicalWebPage",
    "CollectionPage", "WebContent", "CreativeWork",
})
ORGANIZATION_TYPES: Final = frozenset({
    "Organization", "NewsMediaOrganization", "Corporation", "GovernmentOrganization",
    "NGO", "EducationalOrganization", "WebSite", "Brand", "OnlineBusiness",
})

JsonObject = dict[str, Any]

_WRAPPERS: Final = re.compile(r"<!--|-->|<!\[CDATA\[|\]\]>")
_LINE_COMMENT: Final = re.compile(r"^[ \t]*//[^\n]*$", re.MULTILINE)
_COMMENT_LINE_START: Final = re.compile(r"\n[ \t]*//")
_TRAILING_COMMA: Final = re.compile(r",(\s*[}\]])")
_SEPARATORS: Final = " \t\r\n,;\ufeff"


@dataclass(frozen=True, slots=True)
class JsonLdIndex:
    """Every JSON-LD object of a page, walked once."""

    #: Article candidates as (depth, object), shallowest first, then in page order.
    articles: tuple[tuple[int, JsonObject], ...] = ()
    #: Every object in walk order.
    objects: tuple[JsonObject, ...] = ()
    #: Objects by ``@id``, to resolve references such as ``{"@id": "#author"}``.
    by_id: dict[str, JsonObject] | None = None

    def resolve(self, value: Any) -> Any:
        """``value`` itself, or the object its bare ``@id`` reference points to."""
        if isinstance(value, dict) and self.by_id and set(value) <= {"@id", "@type"}:
            ref = value.get("@id")
            if isinstance(ref, str) and ref in self.by_id:
                return self.by_id[ref]
        return value


def decode_lenient(text: str) -> list[Any]:
    """The JSON values in one ``<script type="application/ld+json">``; [] if none."""
    if not text or len(text) > MAX_SCRIPT_CHARS:
        return []
    # Each pattern is only applied where it can match: both would scan every character.
    if "<!" in text or "-->" in text or "]]>" in text:
        text = _WRAPPERS.sub("", text)
    if text.lstrip(" \t").startswith("//") or _COMMENT_LINE_START.search(text):
        text = _LINE_COMMENT.sub("", text)
    best, complete = _decode_all(text)
    if not complete:
        # Only a script the strict reading stopped short in can gain from the repair.
        values, _ = _decode_all(_TRAILING_COMMA.sub(r"\1", text))
        if len(values) > len(best):
            best = values
    return best


#: Control characters inside strings are let through (pages hold raw newlines there).
#: A decoder keeps no state between calls: one serves every page.
_DECODER: Final = json.JSONDecoder(strict=False)


def _decode_all(text: str) -> tuple[list[Any], bool]:
    """The JSON values of ``text`` in order, and whether the whole text was read."""
    decoder = _DECODER
    values: list[Any] = []
    pos, end = 0, len(text)
    while pos < end and len(values) < MAX_VALUES:
        while pos < end and text[pos] in _SEPARATORS:
            pos += 1
        if pos >= end:
            break
        try:
            value, pos = decoder.raw_decode(text, pos)
        except (ValueError, RecursionError):
            return values, False
        values.append(value)
    return values, pos >= end or len(values) >= MAX_VALUES


def types_of(obj: JsonObject) -> frozenset[str]:
    """The bare schema.org type names of ``obj`` (``schema:NewsArticle`` -> ``NewsArticle``)."""
    raw = obj.get("@type")
    if isinstance(raw, str):
        return _type_names(raw)
    names = raw if isinstance(raw, list) else [raw]
    return frozenset(_bare_type(name) for name in names if isinstance(name, str))


_TYPE_PREFIX: Final = re.compile(r"[/:#]")


@lru_cache(maxsize=1024)
def _type_names(name: str) -> frozenset[str]:
    return frozenset((_bare_type(name),))


def _bare_type(name: str) -> str:
    return _TYPE_PREFIX.split(name.strip())[-1]


def index_json_ld(values: Iterable[Any]) -> JsonLdIndex:
    """Walk decoded JSON-LD values breadth first, within the node and depth bounds."""
    queue: deque[tuple[int, Any]] = deque((0, v) for v in values)
    articles: list[tuple[int, JsonObject]] = []
    objects: list[JsonObject] = []
    by_id: dict[str, JsonObject] = {}
    visited = 0
    while queue and visited < MAX_NODES:
        depth, value = queue.popleft()
        visited += 1
        if isinstance(value, list):
            queue.extend((depth, item) for item in value)
            continue
        if not isinstance(value, dict):
            continue
        objects.append(value)
        ref = value.get("@id")
        if isinstance(ref, str) and len(value) > 2:
            by_id.setdefault(ref, value)
        if _is_article(value):
            articles.append((depth, value))
        if depth >= MAX_DEPTH:
            continue
        for key, child in value.items():
            if isinstance(child, dict | list):
                queue.append((depth if key == "@graph" else depth + 1, child))
    return JsonLdIndex(tuple(articles), tuple(objects), by_id)


def choose_article(index: JsonLdIndex, page_urls: Sequence[str | None]) -> JsonObject | None:
    """The object that describes the page's article, by the order in the module doc."""
    if not index.articles:
        return None
    exact = {u.strip() for u in page_urls if u and u.strip()}
    loose = {_loose_url(u) for u in exact} - {""}
    for _, obj in index.articles:
        if exact & _urls_of(obj):
            return obj
    for _, obj in index.articles:
        if loose & {_loose_url(u) for u in _urls_of(obj)}:
            return obj
    ranked = sorted(
        enumerate(index.articles),
        key=lambda item: (not (types_of(item[1][1]) & ARTICLE_TYPES), item[1][0], item[0]),
    )
    return ranked[0][1][1]


def _is_article(obj: JsonObject) -> bool:
    kinds = types_of(obj)
    if kinds & ARTICLE_TYPES:
        return True
    return bool(kinds & PAGE_TYPES) and isinstance(obj.get("articleBody"), str | list)


def _urls_of(obj: JsonObject) -> set[str]:
    urls: set[str] = set()
    for key in ("url", "@id", "mainEntityOfPage"):
        value = obj.get(key)
        if isinstance(value, dict):
            value = value.get("@id") or value.get("url")
        values = value if isinstance(value, list) else [value]
        urls.update(v.strip() for v in values if isinstance(v, str) and v.strip())
    return urls


def _loose_url(url: str) -> str:
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    host = (parts.hostname or "").lower().removeprefix("www.")
    if not host:
        return ""
    return f"{host}{parts.path.rstrip('/')}"
