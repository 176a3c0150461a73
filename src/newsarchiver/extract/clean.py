"""Removing page furniture from a parsed tree before the body is looked for."""

from __future__ import annotations

from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.select import distinct, select, selected_chars

#: The most frequent tags that are not dropped, most frequent first. Selecting every
#: element that is none of these (and those with the dropped attributes) and sorting
#: them by tag takes a third of the time of a selector listing the dropped tags: lexbor
#: tries each selector of a list on every element, but stops a :not() list at a match.
#: Ten tags: with fewer, more elements come back to be sorted; with more, lexbor tries
#: more of them on each of the rest.
_FREQUENT_TAGS: Final = ("div", "a", "li", "span", "p", "ul", "td", "br", "path", "i")
_DROP_TAGS: Final = frozenset(sel.DROP_TAGS)
if (_DROP_TAGS | sel.CHROME_TAGS) & set(_FREQUENT_TAGS):
    raise ValueError("a dropped or chrome tag is listed as a frequent kept one")
_DROP_CANDIDATES: Final = f":not({','.join(_FREQUENT_TAGS)}),[itemprop],[rel=author]"
#: Chrome by attribute, with the paragraphs (chrome by tag comes from the walk of
#: :func:`drop_tags`: those tags are none of the frequent ones).
_PARAGRAPH_OR_CHROME_SELECTOR: Final = ",".join(("p", *sel.CHROME_ATTRIBUTE_SELECTORS))
#: Chrome by tag, for :func:`drop_furniture` called without the list of :func:`drop_tags`.
_CHROME_TAG_SELECTOR: Final = ",".join(sorted(sel.CHROME_TAGS))

#: A furniture-looking node holding more than this share of the page's paragraph text
#: is a wrapper of the article (e.g. ``<div class="page has-sidebar">``) and is kept.
STRONG_MAX_SHARE: Final = 0.5
WEAK_MAX_SHARE: Final = 0.3
#: A weak furniture word next to a positive word ("article-meta") still marks furniture
#: when the node holds less text than this.
WEAK_POSITIVE_MAX_CHARS: Final = 300
#: ... unless it is prose of at least this many characters (a lead paragraph).
WEAK_POSITIVE_PROSE_CHARS: Final = 120
#: A box labelled as furniture by its first heading is removed unless it holds this much.
LABELLED_MAX_SHARE: Final = 0.9
#: A node marked by a weak word only is kept when it has this much text and this few links.
PROSE_MIN_CHARS: Final = 200
PROSE_MAX_LINK_DENSITY: Final = 0.05


#: Signals of single lower-case tokens, filled as tokens are met (bounded).
_TOKEN_SIGNALS: Final[dict[str, int]] = {}
_TOKEN_CACHE_MAX: Final = 100_000


def _token_signals(token: str) -> int:
    found = _TOKEN_SIGNALS.get(token)
    if found is not None:
        return found
    found = sel.WHOLE_SIGNALS.get(token, 0)
    for word, bit in sel.PREFIX_SIGNALS.get(token[: sel.MIN_PREFIX_WORD], ()):
        if token.startswith(word):
            found |= bit
    if len(_TOKEN_SIGNALS) < _TOKEN_CACHE_MAX:
        _TOKEN_SIGNALS[token] = found
    return found


#: Tokens that change how the next token is read.
_PAIRING: Final = sel.FIRST_PARTS | sel.MODIFIERS
#: Signals of single class names, filled as names are met (bounded).
_NAME_SIGNALS: Final[dict[str, int]] = {}


#: Signals of whole class or id values, filled as values are met (bounded).
_VALUE_SIGNALS: Final[dict[str, int]] = {}


def signals(raw: str) -> int:
    """The signals (:data:`~.selectors.STRONG` | ``WEAK`` | ``GOOD`` bits) of one class
    or id value: those of its space-separated names together. Values and names repeat
    across a page and between pages, so both are cached; class and id are judged
    separately so that unique ids do not defeat the cache."""
    found = _VALUE_SIGNALS.get(raw)
    if found is None:
        found = _value_signals(raw)
        if len(_VALUE_SIGNALS) < _TOKEN_CACHE_MAX:
            _VALUE_SIGNALS[raw] = found
    return found


def _value_signals(raw: str) -> int:
    names = raw.split()
    if len(names) == 1:
        return _name_signals(names[0])  # cached as the value
    found = 0
    for name in names:
        bits = _NAME_SIGNALS.get(name)
        if bits is None:
            bits = _name_signals(name)
            if len(_NAME_SIGNALS) < _TOKEN_CACHE_MAX:
                _NAME_SIGNALS[name] = bits
        found |= bits
    return found


def name_tokens(name: str) -> list[str]:
    """The tokens of a class name (:data:`~.selectors.TOKEN_RE`), in lower case."""
    if name.isascii() and name.lower() == name:
        # No capital letter: the tokens are the runs of letters and digits. Most names
        # are such, split by hyphens and underscores only: no pattern to run.
        plain = name.replace("_", "-")
        if plain.replace("-", "").isalnum():
            return [token for token in plain.split("-") if token]
    tokens = sel.TOKEN_RE.findall(name)
    return " ".join(tokens).lower().split(" ") if tokens else []


def _name_signals(name: str) -> int:
    """The signals of one class name: its words, a two-token word ("most-read"), and no
    word after a modifier ("has-sidebar")."""
    tokens = name_tokens(name)
    if len(tokens) <= 1:
        return _token_signals(tokens[0]) if tokens else 0
    found = 0
    pairing = False
    for token in tokens:
        if token in _PAIRING:
            pairing = True
            break
        bits = _TOKEN_SIGNALS.get(token)
        found |= _token_signals(token) if bits is None else bits
    if not pairing:
        # No modifier and no first token of a two-token word: just the tokens' words.
        return found
    found = 0
    skip = False
    last = len(tokens) - 1
    first_parts, modifiers = sel.FIRST_PARTS, sel.MODIFIERS
    for i, token in enumerate(tokens):
        if skip:
            skip = False
            continue
        pair = 0
        if token in first_parts and i < last:
            pair = _token_signals(f"{token}-{tokens[i + 1]}")
        if token in modifiers and i < last and not pair:
            skip = True
            continue
        found |= _token_signals(token) | pair
    return found


def node_signals(node: LexborNode) -> int:
    """The signals of a node's class and id together."""
    attrs = node.attributes
    found = 0
    for value in (attrs.get("class"), attrs.get("id")):
        if value:
            found |= signals(value)
    return found


def furniture_limit(found: int) -> float:
    """For the signals of a node: the share of page text under which a node so marked
    is furniture (0 when not furniture; negative: a weak mark next to a positive one)."""
    if found & sel.STRONG:
        return STRONG_MAX_SHARE
    if found & sel.WEAK:
        return -WEAK_MAX_SHARE if found & sel.GOOD else WEAK_MAX_SHARE
    return 0.0


def class_weight(node: LexborNode) -> int:
    """Readability-style weight of a node's class/id: +25 positive, -25 negative."""
    found = node_signals(node)
    return (25 if found & sel.GOOD else 0) - (25 if found & sel.STRONG else 0)


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


def _held(
    node: LexborNode, text_len: int, paragraph_total: int, total: int, limit: float
) -> bool:
    """Whether ``node`` (of ``text_len`` characters) holds no more than ``limit`` of the
    page's paragraph text (or of all its text when the page has no paragraphs)."""
    if not paragraph_total:
        return text_len <= limit * total
    if text_len <= limit * paragraph_total:
        return True
    return selected_chars(node, "p") <= limit * paragraph_total


def _is_prose(node: LexborNode, text: str, min_chars: int = 0) -> bool:
    """Whether a node (whose text is ``text``) holds a good deal of text and almost no
    links (an ingredient list, a fact box, a lead): a weak furniture word ("list",
    "media") does not outweigh that."""
    text_len = len(text.strip())
    if text_len < (min_chars or PROSE_MIN_CHARS):
        return False
    return selected_chars(node, "a") <= PROSE_MAX_LINK_DENSITY * text_len


def _is_chrome(node: LexborNode) -> bool:
    """Whether a node found by the chrome attribute selectors is chrome: those select
    any [role], which is chrome only for the roles of :data:`~.selectors.CHROME_ROLES`."""
    attrs = node.attributes
    role = attrs.get("role")
    if role is None or role in sel.CHROME_ROLES:
        return True
    if "hidden" in attrs or attrs.get("aria-hidden") == "true":
        return True
    return bool(sel.HIDDEN_STYLE_RE.search(attrs.get("style") or ""))


def _labelled_box(heading: LexborNode) -> LexborNode | None:
    """The container a heading is the first child of: a "related posts" title labels
    the whole box of teasers under it."""
    box = heading.parent
    if box is None or box.tag in ("body", "html", "main"):
        return None
    child = box.child
    while child is not None and not child.is_element_node:
        child = child.next
    return box if child is not None and child.mem_id == heading.mem_id else None


def drop_tags(root: LexborNode) -> list[LexborNode]:
    """Remove the elements that never hold article text: those of
    :data:`~.selectors.DROP_TAGS` and those with the attribute values of
    ``DROP_ITEMPROPS`` and ``DROP_RELS``. Return the elements of
    :data:`~.selectors.CHROME_TAGS`, in document order, for :func:`drop_furniture` (the
    same walk finds them)."""
    chrome: list[LexborNode] = []
    for node, times in zip(*distinct(select(root, _DROP_CANDIDATES)), strict=True):
        # An infrequent tag that comes once has neither attribute.
        tag = node.tag
        if tag in _DROP_TAGS or ((times > 1 or tag in _FREQUENT_TAGS) and _dropped_by(node)):
            node.remove()
        elif tag in sel.CHROME_TAGS:
            chrome.append(node)
    return chrome


def _dropped_by(node: LexborNode) -> bool:
    attrs = node.attributes
    rel = attrs.get("rel")
    return attrs.get("itemprop") in sel.DROP_ITEMPROPS or (
        rel is not None and rel.lower() in sel.DROP_RELS
    )


def drop_chrome(
    root: LexborNode, chrome_tagged: list[LexborNode] | None = None
) -> tuple[int, int] | None:
    """Remove the page chrome (by tag: ``chrome_tagged``, selected here if not given; by
    attribute) that holds no more than :data:`STRONG_MAX_SHARE` of the page's text.
    Return the characters of the page's paragraphs and, on a page without any, of all
    its text; None for a page without text."""
    if chrome_tagged is None:
        chrome_tagged = select(root, _CHROME_TAG_SELECTOR)
    # One walk finds the paragraphs (to measure the page) and the chrome by attribute. A
    # paragraph that comes once matched "p" only: it has no chrome attribute.
    paragraph_total = 0
    attributed: list[LexborNode] = []
    nodes, counts = distinct(select(root, _PARAGRAPH_OR_CHROME_SELECTOR))
    for node, times in zip(nodes, counts, strict=True):
        tag = node.tag
        if tag == "p":
            paragraph_total += len(node.text())
            if times == 1:
                continue
        if tag not in sel.CHROME_TAGS and tag not in ("html", "body") and _is_chrome(node):
            attributed.append(node)
    # All the text counts only on pages without paragraphs.
    total = 0 if paragraph_total else len(root.text())
    if not paragraph_total and not total:
        return None
    # Each element is judged on all the text it holds, as in document order: chrome by
    # attribute is judged first and goes last; chrome by tag, in document order, goes at
    # once (what is inside it is then skipped).
    doomed = [node for node in attributed if _chrome_goes(node, paragraph_total, total)]
    for node in chrome_tagged:
        if node.parent is not None and _chrome_goes(node, paragraph_total, total):
            node.remove()
    for node in doomed:
        if node.parent is not None:
            node.remove()
    return paragraph_total, total


def _chrome_goes(node: LexborNode, paragraph_total: int, total: int) -> bool:
    return _held(node, len(node.text()), paragraph_total, total, STRONG_MAX_SHARE)


def drop_furniture(root: LexborNode, chrome_tagged: list[LexborNode] | None = None) -> None:
    """Remove page chrome and class/id-marked furniture (after :func:`drop_tags`, whose
    list of chrome elements by tag is ``chrome_tagged``; selected here if not given)."""
    measured = drop_chrome(root, chrome_tagged)
    if measured is None:
        return
    paragraph_total, total = measured
    # Chrome went first: what it held need not be judged by class/id. A node judged by
    # its class/id that goes goes at once.
    removed = False
    for node in select(root, sel.CLASSED_SELECTOR):
        if removed and node.parent is None:
            continue
        found = node_signals(node)
        if not found or found == sel.GOOD or node.tag in ("body", "main"):
            continue
        share = furniture_limit(found)
        text = node.text()
        if share < 0:
            if len(text) <= WEAK_POSITIVE_MAX_CHARS and not _is_prose(
                node, text, WEAK_POSITIVE_PROSE_CHARS
            ):
                node.remove()
                removed = True
        elif _held(node, len(text), paragraph_total, total, share) and not (
            share == WEAK_MAX_SHARE and _is_prose(node, text)
        ):
            box = None
            if share == STRONG_MAX_SHARE and node.tag in sel.LABEL_TAGS:
                box = _labelled_box(node)
                if box is not None and not _held(
                    box, len(box.text()), paragraph_total, total, LABELLED_MAX_SHARE
                ):
                    box = None
            node.remove()
            if box is not None:
                box.remove()
            removed = True
