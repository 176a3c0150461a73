"""Removing page furniture from a parsed tree before the body is looked for."""

from __future__ import annotations

from functools import lru_cache

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsarchiver.extract import selectors as sel

_DROP_SELECTOR = ",".join(sel.DROP_TAGS + sel.DROP_SELECTORS)
_CHROME_SELECTOR = ",".join(sel.CHROME_SELECTORS)

#: A furniture-looking node holding more than this share of the page's paragraph text
#: is a wrapper of the article (e.g. ``<div class="page has-sidebar">``) and is kept.
STRONG_MAX_SHARE = 0.5
WEAK_MAX_SHARE = 0.3
#: A weak furniture word next to a positive word ("article-meta") still marks furniture
#: when the node holds less text than this.
WEAK_POSITIVE_MAX_CHARS = 300


@lru_cache(maxsize=8192)
def _tokens(raw: str) -> str:
    tokens = sel.SEPARATOR_RE.sub("-", sel.CAMEL_RE.sub(r"\1-\2", raw).lower()).strip("-")
    return sel.MODIFIER_RE.sub("", tokens)


def class_tokens(node: LexborNode) -> str:
    """The node's class and id as one lower-case, hyphen-joined token string."""
    attrs = node.attrs
    return _tokens(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")


@lru_cache(maxsize=8192)
def furniture_limit(raw: str) -> float:
    """For a raw "class id" string: the share of page text under which a node so
    marked is furniture (0 when the marks are not furniture)."""
    tokens = _tokens(raw)
    if sel.NEGATIVE_STRONG_RE.search(tokens):
        return STRONG_MAX_SHARE
    if sel.NEGATIVE_WEAK_RE.search(tokens):
        return -WEAK_MAX_SHARE if sel.POSITIVE_RE.search(tokens) else WEAK_MAX_SHARE
    return 0.0


@lru_cache(maxsize=8192)
def _weight(raw: str) -> int:
    tokens = _tokens(raw)
    weight = 0
    if sel.POSITIVE_RE.search(tokens):
        weight += 25
    if sel.NEGATIVE_STRONG_RE.search(tokens):
        weight -= 25
    return weight


def class_weight(node: LexborNode) -> int:
    """Readability-style weight of a node's class/id: +25 positive, -25 negative."""
    attrs = node.attrs
    return _weight(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")


def remove_selectors(tree: LexborHTMLParser, selectors: tuple[str, ...]) -> list[str]:
    """Remove every node matching the given CSS selectors; return notes on bad ones."""
    notes: list[str] = []
    for selector in selectors:
        try:
            nodes = tree.css(selector)
        except Exception:  # lexbor raises plain exceptions for bad selectors
            notes.append(f"remove_selector {selector!r} is not valid CSS; ignored")
            continue
        for node in nodes:
            node.remove()
    return notes


def _held(node: LexborNode, paragraph_total: int, total: int, limit: float) -> bool:
    """Whether ``node`` holds no more than ``limit`` of the page's paragraph text (or
    of all its text when the page has no paragraphs)."""
    text_len = len(node.text())
    if not paragraph_total:
        return text_len <= limit * total
    if text_len <= limit * paragraph_total:
        return True
    return sum(len(p.text()) for p in node.css("p")) <= limit * paragraph_total


def drop_furniture(root: LexborNode) -> None:
    """Remove tags that never hold article text, page chrome and class/id-marked furniture."""
    for node in root.css(_DROP_SELECTOR):
        node.remove()
    total = len(root.text())
    if not total:
        return
    paragraph_total = sum(len(p.text()) for p in root.css("p"))
    doomed: list[LexborNode] = [
        node
        for node in root.css(_CHROME_SELECTOR)
        if node.tag not in ("html", "body")
        and _held(node, paragraph_total, total, STRONG_MAX_SHARE)
    ]
    for node in root.css("[class],[id]"):
        attrs = node.attrs
        share = furniture_limit(f"{attrs.get('class') or ''} {attrs.get('id') or ''}")
        if not share or node.tag in ("body", "main"):
            continue
        if share < 0:
            if len(node.text()) <= WEAK_POSITIVE_MAX_CHARS:
                doomed.append(node)
        elif _held(node, paragraph_total, total, share):
            doomed.append(node)
    for node in doomed:
        node.remove()
