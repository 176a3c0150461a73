"""Cross-checking a JSON-LD ``articleBody`` against the page before using it."""

from __future__ import annotations

import re
from typing import Final

from newsarchiver.extract import selectors as sel
from newsarchiver.extract.render import Block, collapse_spaces

#: The JSON-LD body replaces the extracted one only when it is this much longer.
MIN_GAIN: Final = 1.5
#: Share of the JSON-LD paragraphs that must be found in the page's own text.
MIN_FOUND_SHARE: Final = 0.8
#: Characters of each paragraph looked up in the page text.
PROBE_CHARS: Final = 80

_MARKUP: Final = re.compile(r"<[a-zA-Z/][^>]*>")


def plausible_json_ld_blocks(
    json_ld_body: str, blocks: list[Block], page_text: str
) -> list[Block] | None:
    """Paragraphs of the JSON-LD body if it is clearly more complete than ``blocks``
    and its text is really on the page; otherwise None."""
    if _MARKUP.search(json_ld_body):
        return None
    paragraphs = [p for p in (collapse_spaces(x) for x in json_ld_body.split("\n")) if p]
    if not paragraphs:
        return None
    length = sum(len(p) for p in paragraphs)
    ours = sum(len(b.text) for b in blocks)
    if length < sel.MIN_BODY_CHARS or length < ours * MIN_GAIN:
        return None
    page = collapse_spaces(page_text)
    # Fewer than MIN_FOUND_SHARE of them found is more than the rest missing: known at
    # the first miss past that.
    misses_allowed = len(paragraphs) - MIN_FOUND_SHARE * len(paragraphs)
    missed = 0
    for paragraph in paragraphs:
        if paragraph[:PROBE_CHARS] not in page:
            missed += 1
            if missed > misses_allowed:
                return None
    return [Block(p) for p in paragraphs]
