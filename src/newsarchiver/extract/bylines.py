"""Author names out of bylines: "By A, B and C" -> [A, B, C].

Bylines come from meta tags, JSON-LD and visible page elements; all are cleaned
the same way: the leading "By" (or "Von", "Par", "Por") and credits such as
"Interview by" go, names are split on
commas, semicolons, "and" / "&" (and its German, French, Italian, Spanish, Dutch
and Scandinavian spellings), e-mail addresses, URLs and @handles are dropped, a
role or bio after the name ("Jane Doe, Staff Writer", "X is a reporter ...") is cut,
and parts that are not plausibly a person's name (digits, agency words, too long)
are skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsarchiver.extract.select import distinct, select

_MAX_BYLINE: Final = 300
_BYLINE_SELECTORS: Final = (
    "[itemprop=author]", "a[rel~=author]", ".byline", "[class*=byline]",
    "[class*=author]", "[class*=autor]", "[class*=auteur]",
)
#: The selectors of classes above start here (".byline"): one walk with
#: _CLASS_CANDIDATES finds all they match (and a few more), sorted to them by the class.
_FIRST_CLASS_SELECTOR: Final = 2
_CLASS_CANDIDATES: Final = "[class*=byline i],[class*=aut]"
_CLASS_PARTS: Final = ("byline", "author", "autor", "auteur")
#: Whitespace between the names of a class value, for CSS.
_CSS_SPACE: Final = re.compile(r"[ \t\n\r\f]+")
_BY: Final = re.compile(r"^\s*(?:by|von|par|por)\b\s*:?\s*", re.IGNORECASE)
_EMAIL: Final = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_URL: Final = re.compile(r"(?:https?://|www\.)\S+", re.IGNORECASE)
_HANDLE: Final = re.compile(r"(?<!\w)@\w+")
_NAME_SEPARATORS: Final = re.compile(
    r"\s*(?:[,;|/•·]|\s(?:and|und|et|e|y|og|en|&)\s)\s*", re.IGNORECASE
)
_CREDIT_PREFIX: Final = re.compile(r"^.*?\bby\s+", re.IGNORECASE)
_LEADING_CONJUNCTION: Final = re.compile(r"^(?:and|und|et|e|y|og|en|&)\s+", re.IGNORECASE)
_NAME_CUT: Final = re.compile(
    r"\s+(?:is|was|for|who|in|at|of|–|—|-)\s+.*$|\s*[(\[].*$", re.IGNORECASE
)
_NOT_NAME_WORDS: Final = frozenset({
    "staff", "writer", "writers", "reporter", "reporters", "correspondent",
    "editor", "editors", "contributor", "contributors", "columnist", "photographer",
    "press", "agency", "bureau", "newsroom", "desk", "wire", "updated", "published",
    "posted", "associated", "reuters", "afp", "admin", "administrator", "anonymous",
    "unknown", "guest", "team", "redaktion", "rédaction", "more", "read", "follow",
    "email", "share", "comments", "minutes", "min", "ago", "subscriber", "subscribers",
    "content", "exclusive", "premium", "sponsored", "photographs", "photos", "photo",
    "pictures", "text", "words", "interview", "illustration", "illustrations", "video",
    "graphics", "analysis", "opinion", "view", "profile",
})


def looks_like_url(value: str) -> bool:
    """True for a profile URL given where a name was expected."""
    return bool(_URL.match(value.strip()))


def split_authors(text: str) -> list[str]:
    """Person names in a byline: "By A, B and C" -> [A, B, C], without roles or contacts."""
    text = _URL.sub(" ", _EMAIL.sub(" ", text[:_MAX_BYLINE]))
    text = _HANDLE.sub(" ", " ".join(text.split()))
    names: list[str] = []
    for part in _NAME_SEPARATORS.split(_BY.sub("", text)):
        part = _CREDIT_PREFIX.sub("", _LEADING_CONJUNCTION.sub("", part))
        name = _clean_name(part)
        if name:
            names.append(name)
    return names


def byline_names(
    tree: LexborHTMLParser, itemprop: Callable[[str], list[LexborNode]] | None = None
) -> Iterator[str]:
    """Names in the visible bylines: the first selector that yields any wins.
    ``itemprop(value)`` gives the elements of ``[itemprop=value]``, if known."""
    # A byline's [itemprop=name] elements are the page's: none on the page, none to look for.
    named = itemprop is None or bool(itemprop("name"))
    for nodes in _byline_matches(tree, itemprop):
        found = False
        for node in nodes[:20]:
            targets = select(node, "[itemprop=name]")[:20] if named else None
            for target in targets or [node]:
                text = target.attributes.get("content") or target.text(deep=True, separator=" ")
                if not text or len(text) > _MAX_BYLINE:
                    continue
                for name in split_authors(text):
                    found = True
                    yield name
        if found:
            return


def _byline_matches(
    tree: LexborHTMLParser, itemprop: Callable[[str], list[LexborNode]] | None
) -> Iterator[list[LexborNode]]:
    """The matches of each of :data:`_BYLINE_SELECTORS` in turn."""
    yield itemprop("author") if itemprop is not None else select(tree, _BYLINE_SELECTORS[0])
    for selector in _BYLINE_SELECTORS[1:_FIRST_CLASS_SELECTOR]:
        yield select(tree, selector)
    by_class = _by_class(select(tree, _CLASS_CANDIDATES))
    if by_class is None:
        for selector in _BYLINE_SELECTORS[_FIRST_CLASS_SELECTOR:]:
            yield select(tree, selector)
    else:
        yield from by_class


def _by_class(candidates: list[LexborNode]) -> list[list[LexborNode]] | None:
    """The matches of ".byline", "[class*=byline]" and so on, in document order; None
    when a class name is "byline" in other letter case (which ".byline" matches in
    quirks mode only)."""
    byline: list[LexborNode] = []
    parts: list[list[LexborNode]] = [[] for _ in _CLASS_PARTS]
    for node in distinct(candidates)[0]:  # a node matching both selectors comes twice
        value = node.attributes.get("class") or ""
        names = _CSS_SPACE.split(value)
        if "byline" in names:
            byline.append(node)
        elif any(name.lower() == "byline" for name in names):
            return None
        for found, part in zip(parts, _CLASS_PARTS, strict=True):
            if part in value:
                found.append(node)
    return [byline, *parts]


def _clean_name(part: str) -> str | None:
    name = _NAME_CUT.sub("", part).strip(" \t.,:;-–—'\"“”")
    name = " ".join(name.split())
    words = name.split()
    if not words or len(name) > 60 or len(words) > 6:
        return None
    if any(ch.isdigit() for ch in name) or not any(ch.isalpha() for ch in name):
        return None
    if any(word.strip(".,").casefold() in _NOT_NAME_WORDS for word in words):
        return None
    if name.isupper() and len(name) > 3:
        name = name.title()
    return name


__all__ = ["byline_names", "looks_like_url", "split_authors"]
