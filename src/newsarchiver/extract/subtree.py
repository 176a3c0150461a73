"""An element's subtree read out of the parsed tree once, flat, in document order.

The body finder and the renderer ask many questions of the same few hundred elements:
the text of this one, how much of it sits in links, what its parent is. Asked of the
parsed tree, each is a walk (``text()``, ``css("a")``); here each element is an index,
its descendants the indexes up to ``ends[i]`` and its text the text nodes from
``text_starts[i]`` to ``text_ends[i]``, so lengths are differences of running sums.
A removal is recorded here (the text of a removed element becomes empty) and made in
the parsed tree as well.
"""

from __future__ import annotations

from itertools import accumulate
from typing import Final

from selectolax.lexbor import LexborHTMLParser, LexborNode


def _node_kind(html: str) -> int:
    node = LexborHTMLParser(html).css_first("p")
    child = node.child if node is not None else None
    if child is None:
        raise RuntimeError("lexbor parsed a fixed snippet unexpectedly")
    return child.tag_id


#: Lexbor's tag id of text nodes (``text()`` collects exactly these).
TEXT_NODE: Final = _node_kind("<p>x</p>")


class Subtree:
    """The elements and text nodes under (and including) one element.

    Element ``i`` has tag ``tags[i]``, parent ``parents[i]`` (-1 for the root: its parent
    lies outside), descendants ``i + 1`` to ``ends[i] - 1`` and text ``texts[k]`` for
    ``text_starts[i] <= k < text_ends[i]``. ``worded`` holds the elements with text
    other than whitespace of their own (in a text node that is their child), as read.
    """

    __slots__ = (
        "_children",
        "_link_sums",
        "_text_sums",
        "ends",
        "nodes",
        "parents",
        "removed",
        "tags",
        "text_ends",
        "text_starts",
        "texts",
        "worded",
    )

    def __init__(self, root: LexborNode) -> None:
        # Tag names by lexbor tag id; None for the ids of other nodes (comments).
        names: dict[int, str | None] = {}
        nodes = [root]
        tags = [root.tag or ""]
        parents = [-1]
        text_starts = [0]
        ends = [0]
        text_ends = [0]
        texts: list[str] = []
        worded: set[int] = set()
        # Depth first, without recursion (pages nest tens of thousands deep), from
        # sibling to sibling: for each open element, the index of its parent and the
        # node the walk goes on with there (the element's next sibling).
        open_parents: list[int] = []
        open_next: list[LexborNode | None] = []
        parent, child = 0, root.first_child
        while True:
            while child is not None:
                text = child.text_content  # None but for text nodes
                if text is not None:
                    texts.append(text)
                    if text and not text.isspace():
                        worded.add(parent)
                    child = child.next
                    continue
                kind = child.tag_id
                if kind in names:
                    name = names[kind]
                else:
                    name = names[kind] = (child.tag or "") if child.is_element_node else None
                if name is None:
                    if kind == TEXT_NODE:
                        texts.append("")  # a text node without data
                    child = child.next
                    continue
                index = len(nodes)
                nodes.append(child)
                tags.append(name)
                parents.append(parent)
                text_starts.append(len(texts))
                ends.append(0)
                text_ends.append(0)
                open_parents.append(parent)
                open_next.append(child.next)
                parent, child = index, child.first_child
            # The element ``parent`` is closed: its descendants and text end here.
            ends[parent] = len(nodes)
            text_ends[parent] = len(texts)
            if not open_parents:
                break
            parent, child = open_parents.pop(), open_next.pop()
        count = len(nodes)
        self.nodes = nodes
        self.tags = tags
        self.parents = parents
        self.ends = ends
        self.text_starts = text_starts
        self.text_ends = text_ends
        self.texts = texts
        self.worded = worded
        self.removed = [False] * count
        self._text_sums: list[int] | None = None
        self._link_sums: list[int] | None = None
        self._children: list[int] | None = None

    def __len__(self) -> int:
        return len(self.nodes)

    def text(self, i: int) -> str:
        """What ``text()`` of element ``i`` gives, less what was removed."""
        return "".join(self.texts[self.text_starts[i]:self.text_ends[i]])

    def own_text(self, i: int) -> str:
        """What ``text(deep=False)`` gives: the text nodes that are children of ``i``,
        found between the children that are elements."""
        texts, starts, text_ends = self.texts, self.text_starts, self.text_ends
        parts = []
        cursor = starts[i]
        for child in self.children(i):
            parts.extend(texts[cursor:starts[child]])
            cursor = text_ends[child]
        parts.extend(texts[cursor:text_ends[i]])
        return "".join(parts)

    def text_length(self, i: int) -> int:
        """``len(self.text(i))``."""
        sums = self._text_sums
        if sums is None:
            sums = self._text_sums = [0, *accumulate(map(len, self.texts))]
        return sums[self.text_ends[i]] - sums[self.text_starts[i]]

    def link_length(self, i: int) -> int:
        """The characters of ``<a>`` elements in ``i`` (``i`` itself included), each
        counted in full: ``sum(len(a.text()) for a in node.css("a"))``."""
        sums = self._link_sums
        if sums is None:
            length = self.text_length
            sums = self._link_sums = self.running_sums(
                {j: length(j) for j, tag in enumerate(self.tags) if tag == "a"}
            )
        return sums[self.ends[i]] - sums[i]

    def running_sums(self, values: dict[int, int]) -> list[int]:
        """``sums`` such that ``sums[ends[i]] - sums[i]`` is the sum of the values of
        element ``i`` and its descendants (missing values count as 0)."""
        placed = [0] * len(self.nodes)
        for i, value in values.items():
            placed[i] = value
        return [0, *accumulate(placed)]

    def element_children(self, i: int) -> int:
        """How many elements are children of ``i``."""
        counts = self._children
        if counts is None:
            counts = [0] * len(self.nodes)
            for parent in self.parents[1:]:
                counts[parent] += 1
            self._children = counts
        return counts[i]

    def children(self, i: int) -> list[int]:
        """The elements that are children of ``i``, in order."""
        found = []
        child, end, ends = i + 1, self.ends[i], self.ends
        while child < end:
            found.append(child)
            child = ends[child]
        return found

    def remove(self, i: int) -> None:
        """Remove element ``i`` with all it holds."""
        self.nodes[i].remove()
        end = self.ends[i]
        self.removed[i:end] = [True] * (end - i)
        start, stop = self.text_starts[i], self.text_ends[i]
        self.texts[start:stop] = [""] * (stop - start)
        self._text_sums = self._link_sums = None


class SubtreeSums:
    """Values of elements summed over each element and its descendants."""

    __slots__ = ("_ends", "_sums")

    def __init__(self, tree: Subtree, values: dict[int, int]) -> None:
        self._ends = tree.ends
        self._sums = tree.running_sums(values)

    def get(self, i: int, default: int = 0) -> int:
        """The sum for element ``i`` (``default`` when it is 0)."""
        return self._sums[self._ends[i]] - self._sums[i] or default

