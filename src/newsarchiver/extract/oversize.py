"""Huge pages, made small enough to be parsed in bounded time and memory.

Lexbor's tree costs about 500 bytes an element on top of the page itself, so a 20 MB
page of tiny elements would take over 400 MB. A page of more than
:data:`HUGE_PAGE_CHARS` characters is therefore slimmed before it is parsed: HTML
comments and the contents of ``<script>`` (but JSON-LD), ``<style>``, ``<noscript>``
and ``<svg>`` elements go, as none of them reaches the article (pages of normal size
keep them: they are parsed as they are). If the markup left still has more than
:data:`MAX_TAGS` tags (start and end tags, counted by their ``<``), the page is cut
before the first tag over that budget, and in any case after
:data:`HUGE_PAGE_CHARS` characters: the article comes early in a page, the comments
and teaser lists that make pages huge come after it.
"""

from __future__ import annotations

import re
from typing import Final

#: Pages longer than this are slimmed before they are parsed, and cut to this length.
HUGE_PAGE_CHARS: Final = 4_000_000
#: Tags (start and end) parsed at most: about 75,000 elements, 40 MB of tree.
MAX_TAGS: Final = 150_000

_BULKY: Final = re.compile(
    r"<(script|style|noscript|svg)\b([^>]*)>.*?</\1\s*>|<!--.*?-->", re.DOTALL | re.IGNORECASE
)


def _emptied(match: re.Match[str]) -> str:
    tag, attributes = match.group(1), match.group(2)
    if tag is None:
        return ""  # a comment
    if tag.lower() == "script" and "ld+json" in attributes.lower():
        return match.group(0)
    return f"<{tag}{attributes}></{tag}>"


def bound_page(html: str) -> tuple[str, tuple[str, ...]]:
    """``html`` as it is when it is not huge; else slimmed and, when its markup is
    over the budget, cut; with a note on what was done."""
    if len(html) <= HUGE_PAGE_CHARS:
        return html, ()
    html = _BULKY.sub(_emptied, html)
    tags = html.count("<")
    if tags > MAX_TAGS:
        cut = -1
        for _ in range(MAX_TAGS + 1):
            cut = html.find("<", cut + 1)
        note = f"page cut after its first {MAX_TAGS:,} tags, of {tags:,}"
        html = html[:cut]
        if len(html) <= HUGE_PAGE_CHARS:
            return html, (note,)
    if len(html) <= HUGE_PAGE_CHARS:
        return html, ()
    note = f"page cut after {HUGE_PAGE_CHARS:,} characters, of {len(html):,} without scripts"
    return html[:HUGE_PAGE_CHARS], (note,)
