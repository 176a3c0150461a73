"""Turning the chosen body elements into paragraphs: plain and lightly marked."""

from __future__ import annotations

import re
from dataclasses import dataclass

from selectolax.lexbor import LexborNode

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.body import link_density
from newsarchiver.extract.clean import class_weight

# Markers inserted into the tree around blocks: Unicode noncharacters, reserved for
# internal use, so they cannot be confused with published text.
BREAK = "\ufdd0"
HEADING = "\ufdd1"
ITEM = "\ufdd2"
QUOTE = "\ufdd3"
KINDS = (HEADING, ITEM, QUOTE)
PREFIX = {HEADING: "## ", ITEM: "- ", QUOTE: "> ", "": ""}

_BLOCK_SELECTOR = ",".join(sel.BLOCK_TAGS)
_QUOTED_SELECTOR = ",".join(f"blockquote {t}" for t in ("p", "div", "li", "h2", "h3", "h4"))
#: Whitespace collapsed inside a paragraph (ASCII, no-break and typographic spaces).
_SPACES = re.compile(r"[ \t\n\r\f\v\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+")
#: Characters Python counts as whitespace that are kept as published (control characters).
_NOT_SPACES_HERE = re.compile(r"[\x1c-\x1f\x85]")

#: Above this link density a container inside the body is a link list and is dropped.
MAX_LINK_DENSITY = 0.5
#: A container holding this share of the body's article text is never pruned.
KEEP_SHARE = 0.2
#: Above this link density a container with few commas and little text is dropped.
MAX_LINK_DENSITY_SHORT = 0.25
SHORT_CONTAINER_CHARS = 400
#: A container holding this share of the body's text is judged on link density alone.
MAIN_PART_SHARE = 0.5
#: A block holding a <time> and at most this much other text is a dateline.
DATELINE_EXTRA_CHARS = 20
#: A trailer heading ends the article only after this share of its text.
TRAILER_MIN_SHARE = 0.4
TRAILER_HEADING_MAX_CHARS = 60
#: Blocks after a trailer heading shorter than this on average are teasers, not article.
TEASER_MAX_CHARS = 200
#: Short lines checked against the furniture patterns.
FURNITURE_MAX_CHARS = 250


@dataclass(frozen=True, slots=True)
class Block:
    """One output paragraph and what it is."""

    text: str
    kind: str = ""


def _prune(node: LexborNode, article_chars: dict[int, int]) -> None:
    """Drop datelines, link lists and widgets that survived inside the body element."""
    doomed = []
    for time in node.css("time"):
        holder = time.parent
        if holder is not None and holder.mem_id != node.mem_id:
            extra = len(holder.text().strip()) - len(time.text().strip())
            if extra <= DATELINE_EXTRA_CHARS:
                holder.remove()
    for link in node.css(sel.TAG_LINK_SELECTOR):
        holder = link.parent
        if holder is not None and holder.mem_id != node.mem_id and link_density(holder) > 0.5:
            holder.remove()
    held = article_chars.get(node.mem_id, 0)
    body_length = len(node.text().strip())
    last_length = -1
    for el in node.css(sel.CONDITIONAL_SELECTOR):
        if el.mem_id == node.mem_id or article_chars.get(el.mem_id, 0) > held * KEEP_SHARE:
            continue
        text = el.text()
        length = len(text.strip())
        # Nested wrappers around the same text get the same verdict as the outermost.
        if not length or length == last_length:
            continue
        last_length = length
        if class_weight(el) < 0:
            doomed.append(el)
            continue
        density = link_density(el, length)
        if length >= body_length * MAIN_PART_SHARE:
            # Most of the body: a wrapper of the article, not a widget inside it.
            if density > MAX_LINK_DENSITY:
                doomed.append(el)
            continue
        if el.tag == "p":
            if density > MAX_LINK_DENSITY and length < SHORT_CONTAINER_CHARS:
                doomed.append(el)
            continue
        if density > MAX_LINK_DENSITY or (
            density > MAX_LINK_DENSITY_SHORT
            and length < SHORT_CONTAINER_CHARS
            and text.count(",") < 3
        ):
            doomed.append(el)
    for el in doomed:
        el.remove()


def _mark(node: LexborNode, title: str | None) -> None:
    """Insert block markers so that one text() call yields separable paragraphs."""
    quoted: set[int] = set()
    if node.css_first("blockquote") is not None:
        quoted = {n.mem_id for n in node.css(_QUOTED_SELECTOR)}
    norm_title = _collapse(title).casefold() if title else ""
    for el in node.css(_BLOCK_SELECTOR):
        tag = el.tag or ""
        if tag == "h1":
            text = _collapse(el.text()).casefold()
            if not text or (norm_title and (text in norm_title or norm_title in text)):
                el.remove()
                continue
            kind = HEADING
        elif tag in sel.HEADING_TAGS:
            kind = HEADING
        elif tag == "li":
            kind = ITEM
        elif tag == "blockquote" or el.mem_id in quoted:
            kind = QUOTE
        else:
            kind = ""
        if tag in ("br", "hr"):
            el.insert_before(BREAK)
            continue
        el.insert_before(BREAK + kind)
        el.insert_after(BREAK)
    for cell in node.css("td, th"):
        cell.insert_before(" ")


def _collapse(text: str) -> str:
    if _NOT_SPACES_HERE.search(text):
        return _SPACES.sub(" ", text).strip()
    # Faster, and the same: str.split() splits on exactly the characters of _SPACES
    # plus those of _NOT_SPACES_HERE.
    return " ".join(text.split())


def render(
    nodes: list[LexborNode], title: str | None, article_chars: dict[int, int] | None = None
) -> list[Block]:
    """The paragraphs of the given body elements, in order. Elements holding more than
    a fifth of the article text (``article_chars``) are never pruned as link lists."""
    blocks: list[Block] = []
    for node in nodes:
        _prune(node, article_chars or {})
        _mark(node, title)
        pending = ""
        for chunk in node.text().split(BREAK):
            kind = ""
            if chunk and chunk[0] in KINDS:
                kind, chunk = chunk[0], chunk[1:]
            text = _collapse(chunk) if chunk.strip(" \t\n\r") else ""
            if not text:
                pending = pending or kind
                continue
            kind = kind or pending
            pending = ""
            if len(text) <= FURNITURE_MAX_CHARS and sel.FURNITURE_TEXT_RE.match(text):
                continue
            blocks.append(Block(text, kind))
    return _cut_trailer(blocks)


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
