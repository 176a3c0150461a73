"""Turning the chosen body elements into paragraphs: plain and lightly marked.

The elements are read from a :class:`~.subtree.Subtree`: widgets are pruned from it,
then its text is put together with a marker where each block starts and ends, and
cut at the markers into paragraphs.
"""

from __future__ import annotations

import re
from typing import Final, NamedTuple

from selectolax.lexbor import LexborNode

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.body import link_density
from newsarchiver.extract.clean import class_weight
from newsarchiver.extract.select import has_ancestor, select, selected_chars
from newsarchiver.extract.subtree import Subtree, SubtreeSums

# Markers put in the text around blocks: Unicode noncharacters, reserved for
# internal use, so they cannot be confused with published text.
BREAK: Final = "\ufdd0"
HEADING: Final = "\ufdd1"
ITEM: Final = "\ufdd2"
QUOTE: Final = "\ufdd3"
KINDS: Final = (HEADING, ITEM, QUOTE)
PREFIX: Final = {HEADING: "## ", ITEM: "- ", QUOTE: "> ", "": ""}

_BLOCK_TAGS: Final = frozenset(sel.BLOCK_TAGS)
#: Blocks inside a <blockquote> that are quoted paragraphs.
_QUOTED_TAGS: Final = frozenset({"p", "div", "li", "h2", "h3", "h4"})
_CONDITIONAL_TAGS: Final = frozenset(t.strip() for t in sel.CONDITIONAL_SELECTOR.split(","))
#: Whitespace collapsed inside a paragraph (ASCII, no-break and typographic spaces).
_SPACES: Final = re.compile(
    r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+"
)
#: Characters Python counts as whitespace that are kept as published (control characters).
_NOT_SPACES_HERE: Final = "\x1c\x1d\x1e\x1f\x85"
#: Longer paragraphs are collapsed by _SPACES, not split into words (one string a word).
_SPLIT_MAX_CHARS: Final = 100_000

#: Above this link density a container inside the body is a link list and is dropped.
MAX_LINK_DENSITY: Final = 0.5
#: A container holding this share of the body's article text is never pruned.
KEEP_SHARE: Final = 0.2
#: Above this link density a container with few commas and little text is dropped.
MAX_LINK_DENSITY_SHORT: Final = 0.25
SHORT_CONTAINER_CHARS: Final = 400
#: A container holding this share of the body's text is judged on link density alone.
MAIN_PART_SHARE: Final = 0.5
#: A block holding a <time> and at most this much other text is a dateline.
DATELINE_EXTRA_CHARS: Final = 20
#: A trailer heading ends the article only after this share of its text.
TRAILER_MIN_SHARE: Final = 0.4
TRAILER_HEADING_MAX_CHARS: Final = 60
#: Blocks after a trailer heading shorter than this on average are teasers, not article.
TEASER_MAX_CHARS: Final = 200
#: Short lines checked against the furniture patterns.
FURNITURE_MAX_CHARS: Final = 250


class Block(NamedTuple):
    """One output paragraph and what it is."""

    text: str
    kind: str = ""


def _outside_density(node: LexborNode) -> float:
    """Link density of an element outside the subtree being rendered."""
    text_len = len(node.text())
    if not text_len:
        return 0.0
    return min(1.0, selected_chars(node, "a") / text_len)


def _prune(tree: Subtree, i: int, article_chars: SubtreeSums) -> None:
    """Drop datelines, link lists and widgets that survived inside body element ``i``.
    A dateline or tag list that is ``i`` itself takes its parent, and ``i``, with it."""
    tags, parents, removed = tree.tags, tree.parents, tree.removed
    end = tree.ends[i]
    for time in range(i, end):
        if tags[time] != "time" or removed[time]:
            continue
        holder = parents[time]
        if holder == i:
            continue
        time_len = len(tree.text(time).strip())
        if holder < 0:
            outside = tree.nodes[0].parent
            if outside is not None and len(outside.text().strip()) - time_len <= (
                DATELINE_EXTRA_CHARS
            ):
                outside.remove()
                tree.remove(0)
                return
        elif len(tree.text(holder).strip()) - time_len <= DATELINE_EXTRA_CHARS:
            tree.remove(holder)
    links = select(tree.nodes[i], sel.TAG_LINK_SELECTOR)
    if links:
        index = {tree.nodes[j].mem_id: j for j in range(i, end) if tags[j] == "a"}
        for link in links:
            j = index.get(link.mem_id)
            if j is None or removed[j] or (holder := parents[j]) == i:
                continue
            if holder < 0:
                outside = tree.nodes[0].parent
                if outside is not None and _outside_density(outside) > 0.5:
                    outside.remove()
                    tree.remove(0)
                    return
            elif link_density(tree, holder) > 0.5:
                tree.remove(holder)
    kept = article_chars.get(i, 0) * KEEP_SHARE
    body_length = len(tree.text(i).strip())
    last_length = -1
    doomed = []
    for el in range(i + 1, end):
        if tags[el] not in _CONDITIONAL_TAGS or removed[el] or article_chars.get(el, 0) > kept:
            continue
        text = tree.text(el)
        length = len(text.strip())
        # Nested wrappers around the same text get the same verdict as the outermost.
        if not length or length == last_length:
            continue
        last_length = length
        if class_weight(tree.nodes[el]) < 0:
            doomed.append(el)
            continue
        if length >= body_length * MAIN_PART_SHARE:
            # Most of the body: a wrapper of the article, not a widget inside it.
            if link_density(tree, el, length) > MAX_LINK_DENSITY:
                doomed.append(el)
            continue
        if tags[el] == "p":
            if length < SHORT_CONTAINER_CHARS and link_density(tree, el, length) > (
                MAX_LINK_DENSITY
            ):
                doomed.append(el)
            continue
        density = link_density(tree, el, length)
        if density > MAX_LINK_DENSITY or (
            density > MAX_LINK_DENSITY_SHORT
            and length < SHORT_CONTAINER_CHARS
            and text.count(",") < 3
        ):
            doomed.append(el)
    for el in doomed:
        if not removed[el]:
            tree.remove(el)


def _in_blockquote(tree: Subtree, i: int) -> bool:
    """Whether element ``i`` has a ``<blockquote>`` ancestor, in the subtree or above it."""
    tags, parents = tree.tags, tree.parents
    parent = parents[i]
    while parent >= 0:
        if tags[parent] == "blockquote":
            return True
        parent = parents[parent]
    return has_ancestor(tree.nodes[0], "blockquote")


def _marked_text(tree: Subtree, i: int, title: str | None) -> str:
    """The text of element ``i`` with a marker where each block starts (and its kind)
    and ends: a ``<td>``/``<th>`` is preceded by a space."""
    tags, parents, removed, ends = tree.tags, tree.parents, tree.removed, tree.ends
    end = ends[i]
    quoted: set[int] = set()
    if any(tags[j] == "blockquote" and not removed[j] for j in range(i, end)):
        inside = {i: _in_blockquote(tree, i)}
        for j in range(i + 1, end):
            parent = parents[j]
            inside[j] = inside[parent] or tags[parent] == "blockquote"
            if inside[j] and tags[j] in _QUOTED_TAGS:
                quoted.add(j)
    norm_title = _collapse(title).casefold() if title else ""
    before: dict[int, str] = {}
    after: set[int] = set()
    for el in range(i, end):
        tag = tags[el]
        if removed[el]:
            continue
        if tag == "h1":
            text = _collapse(tree.text(el)).casefold()
            if not text or (norm_title and (text in norm_title or norm_title in text)):
                tree.remove(el)
                continue
        if el == i:
            continue  # markers around the element itself fall outside its text
        if tag in _BLOCK_TAGS:
            if tag in ("br", "hr"):
                before[el] = BREAK
                continue
            if tag == "h1" or tag in sel.HEADING_TAGS:
                kind = HEADING
            elif tag == "li":
                kind = ITEM
            elif tag == "blockquote" or el in quoted:
                kind = QUOTE
            else:
                kind = ""
            before[el] = BREAK + kind
            after.add(el)
        elif tag in ("td", "th"):
            before[el] = " "
    if removed[i]:
        return ""
    # The text nodes in order, with each marker where the element it belongs to
    # starts or ends.
    texts, starts, text_ends = tree.texts, tree.text_starts, tree.text_ends
    out: list[str] = []
    cursor = starts[i]
    open_elements = [i]
    for el in range(i + 1, end):
        while ends[open_elements[-1]] <= el:
            closed = open_elements.pop()
            out.extend(texts[cursor:text_ends[closed]])
            cursor = text_ends[closed]
            if closed in after and not removed[closed]:
                out.append(BREAK)
        out.extend(texts[cursor:starts[el]])
        cursor = starts[el]
        marker = before.get(el)
        if marker is not None and not removed[el]:
            out.append(marker)
        open_elements.append(el)
    while open_elements:
        closed = open_elements.pop()
        out.extend(texts[cursor:text_ends[closed]])
        cursor = text_ends[closed]
        if closed in after and not removed[closed]:
            out.append(BREAK)
    return "".join(out)


def _holds_kept_spaces(text: str) -> bool:
    """Whether ``text`` holds a character of :data:`_NOT_SPACES_HERE` (one scan each:
    much faster than a regular expression's character class)."""
    return any(char in text for char in _NOT_SPACES_HERE)


def _collapse(text: str) -> str:
    if len(text) >= _SPLIT_MAX_CHARS or _holds_kept_spaces(text):
        return _SPACES.sub(" ", text).strip()
    return collapse_spaces(text)


def collapse_spaces(text: str) -> str:
    """``text`` with each run of whitespace made one space, stripped: what
    ``re.sub(r"\\s+", " ", text).strip()`` gives. For a text without the characters of
    :data:`_NOT_SPACES_HERE`, what ``_SPACES`` gives (\\s matches exactly its characters
    and those)."""
    stripped = text.strip()
    # Printable: no whitespace but the space (every other is a separator or a control
    # character), so with no two spaces in a row there is nothing to collapse.
    if stripped.isprintable() and "  " not in stripped:
        return stripped
    return " ".join(stripped.split())


def render(
    tree: Subtree, nodes: list[int], title: str | None,
    article_chars: SubtreeSums | None = None,
) -> list[Block]:
    """The paragraphs of the given elements of ``tree``, in order. Elements holding
    more than a fifth of the article text (``article_chars``) are never pruned as link
    lists."""
    blocks: list[Block] = []
    held = article_chars or SubtreeSums(tree, {})
    for i in nodes:
        if tree.removed[i]:
            continue  # went with the dateline or tag list of an element before it
        _prune(tree, i, held)
        _add_blocks(blocks, _marked_text(tree, i, title))
    return _cut_trailer(blocks)


def render_elements(nodes: list[LexborNode], title: str | None) -> list[Block]:
    """The paragraphs of the given elements (chosen by a site's body selector)."""
    blocks: list[Block] = []
    for node in nodes:
        if node.parent is None:
            continue  # went with the dateline or tag list of an element before it
        tree = Subtree(node)
        _prune(tree, 0, SubtreeSums(tree, {}))
        _add_blocks(blocks, _marked_text(tree, 0, title))
    return _cut_trailer(blocks)


def _add_blocks(blocks: list[Block], text: str) -> None:
    """Add the paragraphs of a marked text (see :func:`_marked_text`)."""
    # Without the characters _collapse treats apart, each chunk collapses by split().
    plain = not _holds_kept_spaces(text)
    pending = ""
    for chunk in text.split(BREAK):
        if not chunk:
            continue
        kind = ""
        if chunk[0] in KINDS:
            kind, chunk = chunk[0], chunk[1:]
        if plain and len(chunk) < _SPLIT_MAX_CHARS:
            paragraph = collapse_spaces(chunk)
        else:
            paragraph = _collapse(chunk) if chunk.strip(" \t\n\r") else ""
        if not paragraph:
            pending = pending or kind
            continue
        kind = kind or pending
        pending = ""
        if len(paragraph) <= FURNITURE_MAX_CHARS and _is_furniture(paragraph):
            continue
        blocks.append(Block(paragraph, kind))


def _is_furniture(text: str) -> bool:
    """Whether a short paragraph is furniture wherever it appears (copyright lines,
    "Share", "Advertisement", a lone byline)."""
    if sel.FURNITURE_TEXT_RE.match(text):
        return True
    # The phrase ends the text: only its last characters are searched.
    found = sel.RIGHTS_RESERVED_RE.search(text, max(0, len(text) - sel.RIGHTS_RESERVED_CHARS))
    if found is None:
        return False
    start = found.start()
    return start <= sel.RIGHTS_RESERVED_AFTER and "\n" not in text[:start]


def _cut_trailer(blocks: list[Block]) -> list[Block]:
    """Drop inline "read also" teasers, and everything from a late "related stories" /
    "about the author" / "comments" heading on when what follows it is short items (a
    list of links), not more of the article."""
    kept: list[Block] = []
    total = sum(len(b.text) for b in blocks)
    seen = 0
    skip_next = False
    for i, block in enumerate(blocks):
        text = block.text
        if skip_next:
            skip_next = False
            if len(text) <= TEASER_MAX_CHARS:
                continue
        if len(text) <= TRAILER_HEADING_MAX_CHARS and i:
            if sel.READ_ALSO_RE.match(text):
                skip_next = True
                continue
            if seen >= total * TRAILER_MIN_SHARE and sel.TRAILER_HEADING_RE.match(text):
                rest = blocks[i + 1 :]
                if not rest or sum(len(b.text) for b in rest) <= TEASER_MAX_CHARS * len(rest):
                    return kept
        seen += len(text)
        kept.append(block)
    return kept


def body_text(blocks: list[Block]) -> str:
    return "\n\n".join(b.text for b in blocks)


def structured_text(blocks: list[Block]) -> str:
    return "\n\n".join(PREFIX[b.kind] + b.text for b in blocks)
