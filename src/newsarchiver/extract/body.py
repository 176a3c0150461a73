"""Finding the element(s) that hold the article: paragraph scores, link density, siblings."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from selectolax.lexbor import LexborNode

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.clean import class_weight
from newsarchiver.extract.subtree import Subtree, SubtreeSums

_PARAGRAPH_TAGS: Final = frozenset(t.strip() for t in sel.PARAGRAPH_SELECTOR.split(","))
_CONTAINER_TAGS: Final = frozenset(t.strip() for t in sel.TEXT_CONTAINER_SELECTOR.split(","))
#: Where the climb from a paragraph stops: the page's body (or html) element.
_TOP_TAGS: Final = ("body", "html", "#document")

#: Paragraphs shorter than this carry no score.
MIN_PARAGRAPH_CHARS: Final = 25
#: How many ancestors of a paragraph share its score, and the divisor at each level.
SCORE_DIVISORS: Final = (1.0, 2.0, 6.0)
TAG_SCORES: Final = {
    "div": 5, "article": 8, "main": 3, "section": 2, "pre": 3, "td": 3, "blockquote": 3,
    "address": -3, "ol": -3, "ul": -3, "dl": -3, "dd": -3, "dt": -3, "li": -3, "form": -3,
    "h1": -5, "h2": -5, "h3": -5, "h4": -5, "h5": -5, "h6": -5, "th": -5,
}
#: A sibling of the best node joins the body when it scores this share of the best.
SIBLING_SHARE: Final = 0.2
SIBLING_MIN_SCORE: Final = 10.0
#: Paragraphs at least this long, with few links, count as article text when deciding
#: how far up the tree the article reaches.
GOOD_PARAGRAPH_CHARS: Final = 80
GOOD_MAX_LINK_DENSITY: Final = 0.3
#: List items count as article text only with (almost) no links: teaser lists link.
ITEM_MAX_LINK_DENSITY: Final = 0.1
#: The body grows to an ancestor that holds this much more article text.
CLIMB_GAIN: Final = 1.25


def link_density(tree: Subtree, i: int, text_len: int | None = None) -> float:
    """Share of the text of element ``i`` (``text_len`` characters, if given) that sits
    inside links."""
    if text_len is None:
        text_len = tree.text_length(i)
    if not text_len:
        return 0.0
    return min(1.0, tree.link_length(i) / text_len)


class _Candidates:
    """Scores of candidate containers, by element. A score is the paragraph scores
    credited to the element, scaled down by its link density."""

    def __init__(self, tree: Subtree) -> None:
        self.tree = tree
        #: Credited scores, before link density, in the order first credited.
        self.raw: dict[int, float] = {}
        #: Scores with link density, measured so far.
        self.scores: dict[int, float] = {}
        #: Characters of each well-formed paragraph (long, few links).
        self.paragraphs: dict[int, int] = {}
        #: ... and summed over each element (:meth:`count_good`).
        self.good = SubtreeSums(tree, {})

    def count_good(self) -> None:
        self.good = SubtreeSums(self.tree, self.paragraphs)

    def add(self, i: int, score: float) -> None:
        if i not in self.raw:
            tree = self.tree
            self.raw[i] = TAG_SCORES.get(tree.tags[i], 0) + class_weight(tree.nodes[i])
        self.raw[i] += score

    def score(self, i: int) -> float | None:
        return self._final(i) if i in self.raw else None

    def _final(self, i: int) -> float:
        found = self.scores.get(i)
        if found is None:
            found = self.scores[i] = self.raw[i] * (1.0 - link_density(self.tree, i))
        return found

    def best(self) -> int | None:
        """The candidate with the highest score (the first credited of equals). A score
        is at most its credit (or 0 when that is negative), so candidates are measured
        from the highest credit down until no other can reach the best."""
        raw = self.raw
        if not raw:
            return None
        order = {i: n for n, i in enumerate(raw)}
        best: float | None = None
        tied: list[int] = []
        for i in sorted(raw, key=lambda i: -max(raw[i], 0.0)):
            if best is not None and max(raw[i], 0.0) < best:
                break
            final = self._final(i)
            if best is None or final > best:
                best, tied = final, [i]
            elif final == best:
                tied.append(i)
        return min(tied, key=order.__getitem__)


def _paragraph_score(text: str) -> float:
    return 1.0 + text.count(",") + text.count("،") + text.count("，") + min(len(text) // 100, 3)


def _credit(found: _Candidates, i: int, text: str, *, own: bool = False) -> None:
    """Credit a paragraph's score to its ancestors (to element ``i`` itself first when
    its text is written straight into it, e.g. paragraphs split by ``<br>``)."""
    score = _paragraph_score(text)
    tags, parents = found.tree.tags, found.tree.parents
    node = i if own else parents[i]
    for divisor in SCORE_DIVISORS:
        if node < 0 or tags[node] in _TOP_TAGS:
            break
        found.add(node, score / divisor)
        node = parents[node]
    _count_good(found, i, text, deep=not own)


def _count_good(
    found: _Candidates,
    i: int,
    text: str,
    *,
    deep: bool = True,
    max_density: float = GOOD_MAX_LINK_DENSITY,
) -> None:
    length = len(text)
    if length < GOOD_PARAGRAPH_CHARS:
        return
    tree = found.tree
    if link_density(tree, i, length if deep else None) > max_density:
        return
    found.paragraphs[i] = length


def _score_paragraphs(tree: Subtree) -> _Candidates:
    found = _Candidates(tree)
    # The text of an element is put together only when it is long enough unstripped.
    length = tree.text_length
    for i, tag in enumerate(tree.tags):
        if tag in _PARAGRAPH_TAGS:
            if length(i) < MIN_PARAGRAPH_CHARS:
                continue
            text = tree.text(i).strip()
            if len(text) >= MIN_PARAGRAPH_CHARS:
                _credit(found, i, text)
        elif tag == "li":
            # Long list items (recipe steps, explainer points) are article text, but
            # carry no score: navigation and link lists are made of list items too.
            if length(i) < GOOD_PARAGRAPH_CHARS:
                continue
            text = tree.text(i).strip()
            if len(text) >= GOOD_PARAGRAPH_CHARS:
                _count_good(found, i, text, max_density=ITEM_MAX_LINK_DENSITY)
        elif tag in _CONTAINER_TAGS and i in tree.worded:
            # Text written straight into a container (paragraphs split by <br>, or
            # <div>s used as paragraphs) counts as a paragraph of that container.
            text = tree.own_text(i).strip()
            if len(text) >= MIN_PARAGRAPH_CHARS:
                _credit(found, i, text, own=True)
    found.count_good()
    return found


def _best(found: _Candidates) -> int | None:
    top = found.best()
    if top is None:
        return None
    tree = found.tree
    tags, parents = tree.tags, tree.parents
    # Climb while the parent holds at least as much of the article.
    last = found.scores[top]
    parent = parents[top]
    while parent >= 0 and tags[parent] not in _TOP_TAGS:
        parent_score = found.score(parent)
        if parent_score is None:
            parent = parents[parent]
            continue
        if parent_score < last / 3:
            break
        if parent_score > last:
            top = parent
            break
        last = parent_score
        parent = parents[parent]
    # Grow to the ancestor holding the article's other parts (sections split by figures).
    good = found.good
    held = good.get(top, 0)
    node = parents[top]
    while node >= 0 and tags[node] not in _TOP_TAGS:
        more = good.get(node, 0)
        if held and more >= held * CLIMB_GAIN:
            top, held = node, more
        node = parents[node]
    # A lone child says nothing its parent would not.
    while True:
        parent = parents[top]
        if parent < 0 or tags[parent] in _TOP_TAGS or tree.element_children(parent) != 1:
            break
        top = parent
    return top


def _join_siblings(top: int, found: _Candidates) -> list[int]:
    tree = found.tree
    parent = tree.parents[top]
    top_score = found.score(top) or 0.0
    if parent < 0 or tree.tags[parent] in ("html", "#document"):
        return [top]
    threshold = max(SIBLING_MIN_SCORE, top_score * SIBLING_SHARE)
    top_class = tree.nodes[top].attributes.get("class")
    picked: list[int] = []
    seen_top = False
    for sibling in tree.children(parent):
        if sibling == top:
            picked.append(sibling)
            seen_top = True
            continue
        node = tree.nodes[sibling]
        score = found.score(sibling)
        same_class = top_class and node.attributes.get("class") == top_class
        bonus = top_score * 0.2 if same_class else 0.0
        if score is not None and score + bonus >= threshold:
            picked.append(sibling)
        elif (
            not seen_top
            and found.good.get(sibling, 0) >= GOOD_PARAGRAPH_CHARS
            and class_weight(node) >= 0
        ):
            # A lead in a box of its own, before the body: well-formed paragraphs.
            picked.append(sibling)
        elif tree.tags[sibling] == "p":
            text = tree.text(sibling).strip()
            density = link_density(tree, sibling, len(text))
            if (len(text) > 80 and density < 0.25) or (
                0 < len(text) <= 80 and density == 0 and text.endswith((".", "!", "?", "。"))
            ):
                picked.append(sibling)
    return picked


@dataclass(frozen=True, slots=True)
class BodyChoice:
    """The element(s) holding the article, and how much article text each element holds."""

    tree: Subtree
    #: The chosen elements of ``tree``, in document order.
    nodes: list[int]
    #: Characters of well-formed paragraphs under each element of ``tree``.
    article_chars: SubtreeSums


def find_body(root: LexborNode) -> BodyChoice:
    """The element(s) under the page's body (or html) element ``root`` that hold the
    article, in document order; ``[root]`` if unsure."""
    tree = Subtree(root)
    found = _score_paragraphs(tree)
    top = _best(found)
    if top is None:
        return BodyChoice(tree, [0], found.good)
    return BodyChoice(tree, _join_siblings(top, found), found.good)
