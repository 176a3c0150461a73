"""Finding elements: CSS selection with one selector engine per thread, kept from page
to page, and what the extractor asks of a selection or of a node's ancestors.

``node.css(query)`` makes a selector engine for each parsed page on its first use;
making it and touching its fresh memory cost about as much as a whole walk of a page.
The extractor's own selectors go through :func:`select` instead. Selectors written by
users (site rules) keep ``node.css``: an engine that failed on a bad selector is not
reused.
"""

from __future__ import annotations

import threading
from typing import Final

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

_engines: Final = threading.local()


def select(where: LexborNode | LexborHTMLParser, query: str) -> list[LexborNode]:
    """What ``where.css(query)`` gives, for a selector known to be valid."""
    node = where.root if isinstance(where, LexborHTMLParser) else where
    if node is None:
        return []
    engine: LexborCSSSelector | None = getattr(_engines, "engine", None)
    if engine is None:
        engine = _engines.engine = LexborCSSSelector()  # type: ignore[no-untyped-call]
    return engine.find(query, node)


def distinct(nodes: list[LexborNode]) -> tuple[list[LexborNode], list[int]]:
    """Each node of a selection once, and how many times each came: lexbor returns a
    node once for each selector of a list that it matches, one time after the other."""
    once: list[LexborNode] = []
    times: list[int] = []
    end = len(nodes)
    i = 0
    while i < end:
        node = nodes[i]
        key = node.mem_id
        j = i + 1
        while j < end and nodes[j].mem_id == key:
            j += 1
        once.append(node)
        times.append(j - i)
        i = j
    return once, times


def selected_chars(node: LexborNode, query: str) -> int:
    """The characters of the elements under ``node`` (itself included) that ``query``
    selects, each counted in full: ``sum(len(n.text()) for n in node.css(query))``."""
    return sum(len(found.text()) for found in select(node, query))


def has_ancestor(node: LexborNode, tag: str, limit: int | None = None) -> bool:
    """Whether an ancestor of ``node`` (up to ``limit`` levels up, if given) is a
    ``tag`` element."""
    parent = node.parent
    levels = 0
    while parent is not None and (limit is None or levels < limit):
        if parent.tag == tag:
            return True
        parent = parent.parent
        levels += 1
    return False
