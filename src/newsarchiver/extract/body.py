"""Finding the element(s) that hold the article: paragraph scores, link density, siblings."""

from __future__ import annotations

from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.clean import class_weight

_PARAGRAPH_TAGS = frozenset(t.strip() for t in sel.PARAGRAPH_SELECTOR.split(","))
_SCORED_SELECTOR = ",".join((sel.PARAGRAPH_SELECTOR, sel.TEXT_CONTAINER_SELECTOR, "li"))

#: Paragraphs shorter than this carry no score.
MIN_PARAGRAPH_CHARS = 25
#: How many ancestors of a paragraph share its score, and the divisor at each level.
SCORE_DIVISORS = (1.0, 2.0, 6.0)
TAG_SCORES = {
    "div": 5, "article": 8, "main": 3, "section": 2, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
#: A sibling of the best node joins the body when it scores this share of the best.
SIBLING_SHARE = 0.2
SIBLING_MIN_SCORE = 10.0
#: Paragraphs at least this long, with few links, count as article text when deciding
#: how far up the tree the article reaches.
GOOD_PARAGRAPH_CHARS = 80
GOOD_MAX_LINK_DENSITY = 0.3
#: List items count as article text only with (almost) no links: teaser lists link.
ITEM_MAX_LINK_DENSITY = 0.1
#: The body grows to an ancestor that holds this much more article text.
CLIMB_GAIN = 1.25


def link_density(node: LexborNode, text_len: int | None = None) -> float:
    """Share of the node's text that sits inside links."""
    if text_len is None:
        text_len = len(node.text())
    if not text_len:
        return 0.0
    linked = sum(len(a.text()) for a in node.css("a"))
    return min(1.0, linked / text_len)


class _Candidates:
    """Scores of candidate containers, keyed by node identity."""

    def __init__(self) -> None:
        self.nodes: dict[int, LexborNode] = {}
        self.scores: dict[int, float] = {}
        #: Characters of well-formed paragraphs (long, few links) under each ancestor.
        self.good: dict[int, int] = {}
        #: Parent (key and node) of each node met while crediting, or None at the top.
        self.parents: dict[int, tuple[int, LexborNode] | None] = {}

    def add(self, node: LexborNode, score: float) -> None:
        key = node.mem_id
        if key not in self.scores:
            self.nodes[key] = node
            self.scores[key] = TAG_SCORES.get(node.tag or "", 0) + class_weight(node)
        self.scores[key] += score

    def finalise(self) -> None:
        for key, node in self.nodes.items():
            self.scores[key] *= 1.0 - link_density(node)

    def score(self, node: LexborNode) -> float | None:
        return self.scores.get(node.mem_id)


def _paragraph_score(text: str) -> float:
    return 1.0 + text.count(",") + text.count("،") + text.count("，") + min(len(text) // 100, 3)


def _credit(
    found: _Candidates, para: LexborNode, text: str, *, deep: bool = True, own: bool = False
) -> None:
    """Credit a paragraph's score to its ancestors (to ``para`` itself first when its
    text is written straight into it, e.g. paragraphs split by ``<br>``)."""
    score = _paragraph_score(text)
    node = para if own else para.parent
    for divisor in SCORE_DIVISORS:
        if node is None or node.tag in ("html", "#document", "body"):
            break
        found.add(node, score / divisor)
        node = node.parent
    _count_good(found, para, text, deep=deep)


def _count_good(
    found: _Candidates,
    para: LexborNode,
    text: str,
    *,
    deep: bool = True,
    max_density: float = GOOD_MAX_LINK_DENSITY,
) -> None:
    if len(text) < GOOD_PARAGRAPH_CHARS:
        return
    if link_density(para, len(text) if deep else len(para.text())) > max_density:
        return
    good, parents = found.good, found.parents
    length = len(text)
    node = para
    key = para.mem_id
    while True:
        good[key] = good.get(key, 0) + length
        if key in parents:
            up = parents[key]
        else:
            parent = node.parent
            up = parents[key] = (parent.mem_id, parent) if parent is not None else None
        if up is None:
            break
        key, node = up


def _score_paragraphs(root: LexborNode) -> _Candidates:
    found = _Candidates()
    for node in root.css(_SCORED_SELECTOR):
        tag = node.tag
        if tag in _PARAGRAPH_TAGS:
            text = node.text().strip()
            if len(text) >= MIN_PARAGRAPH_CHARS:
                _credit(found, node, text)
        elif tag == "li":
            # Long list items (recipe steps, explainer points) are article text, but
            # carry no score: navigation and link lists are made of list items too.
            text = node.text().strip()
            if len(text) >= GOOD_PARAGRAPH_CHARS:
                _count_good(found, node, text, max_density=ITEM_MAX_LINK_DENSITY)
        else:
            # Text written straight into a container (paragraphs split by <br>, or
            # <div>s used as paragraphs) counts as a paragraph of that container.
            text = node.text(deep=False).strip()
            if len(text) >= MIN_PARAGRAPH_CHARS:
                _credit(found, node, text, deep=False, own=True)
    found.finalise()
    return found


def _best(found: _Candidates) -> LexborNode | None:
    if not found.scores:
        return None
    key = max(found.scores, key=found.scores.__getitem__)
    top = found.nodes[key]
    top_score = found.scores[key]
    # Climb while the parent holds at least as much of the article.
    last = top_score
    parent = top.parent
    while parent is not None and parent.tag not in ("body", "html", "#document"):
        parent_score = found.score(parent)
        if parent_score is None:
            parent = parent.parent
            continue
        if parent_score < last / 3:
            break
        if parent_score > last:
            top = parent
            break
        last = parent_score
        parent = parent.parent
    # Grow to the ancestor holding the article's other parts (sections split by figures).
    good = found.good
    held = good.get(top.mem_id, 0)
    node = top.parent
    while node is not None and node.tag not in ("body", "html", "#document"):
        more = good.get(node.mem_id, 0)
        if held and more >= held * CLIMB_GAIN:
            top, held = node, more
        node = node.parent
    # A lone child says nothing its parent would not.
    while True:
        parent = top.parent
        if parent is None or parent.tag in ("body", "html", "#document"):
            break
        children = [c for c in parent.iter() if c.is_element_node]
        if len(children) != 1:
            break
        top = parent
    return top


def _join_siblings(top: LexborNode, found: _Candidates) -> list[LexborNode]:
    parent = top.parent
    top_score = found.score(top) or 0.0
    if parent is None or parent.tag in ("html", "#document"):
        return [top]
    threshold = max(SIBLING_MIN_SCORE, top_score * SIBLING_SHARE)
    top_class = top.attributes.get("class")
    picked: list[LexborNode] = []
    seen_top = False
    for sibling in parent.iter():
        if sibling.mem_id == top.mem_id:
            picked.append(sibling)
            seen_top = True
            continue
        if not sibling.is_element_node:
            continue
        score = found.score(sibling)
        same_class = top_class and sibling.attributes.get("class") == top_class
        bonus = top_score * 0.2 if same_class else 0.0
        if score is not None and score + bonus >= threshold:
            picked.append(sibling)
        elif (
            not seen_top
            and found.good.get(sibling.mem_id, 0) >= GOOD_PARAGRAPH_CHARS
            and class_weight(sibling) >= 0
        ):
            # A lead in a box of its own, before the body: well-formed paragraphs.
            picked.append(sibling)
        elif sibling.tag == "p":
            text = sibling.text().strip()
            density = link_density(sibling, len(text))
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and text.endswith((".", "!", "?", "。"))
            ):
                picked.append(sibling)
    return picked


@dataclass(frozen=True, slots=True)
class BodyChoice:
    """The element(s) holding the article, and how much article text each element holds."""

    nodes: list[LexborNode]
    #: Characters of well-formed paragraphs under each element, by ``mem_id``.
    article_chars: dict[int, int]


def find_body(root: LexborNode) -> BodyChoice:
    """The element(s) holding the article, in document order; ``[root]`` if unsure."""
    found = _score_paragraphs(root)
    top = _best(found)
    if top is None:
        return BodyChoice([root], found.good)
    return BodyChoice(_join_siblings(top, found), found.good)
