"""CSS selection with one selector engine per thread, kept from page to page.

``node.css(query)`` makes a selector engine for each parsed page on its first use;
making it and touching its fresh memory cost about as much as a whole walk of a page.
The extractor's own selectors go through :func:`select` instead. Selectors written by
users (site rules) keep ``node.css``: an engine that failed on a bad selector is not
reused.
"""

from __future__ import annotations

import threading

from selectolax.lexbor import LexborCSSSelector, LexborHTMLParser, LexborNode

_engines = threading.local()


def select(where: LexborNode | LexborHTMLParser, query: str) -> list[LexborNode]:
    """What ``where.css(query)`` gives, for a selector known to be valid."""
    node = where.root if isinstance(where, LexborHTMLParser) else where
    if node is None:
        return []
    engine: LexborCSSSelector | None = getattr(_engines, "engine", None)
    if engine is None:
        engine = _engines.engine = LexborCSSSelector()  # type: ignore[no-untyped-call]
    return engine.find(query, node)
