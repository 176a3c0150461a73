"""The extractor: :func:`extract`, the stages of the package docstring in turn."""

from __future__ import annotations

import re
from typing import Final

from selectolax.lexbor import LexborDocumentOptions, LexborHTMLParser, LexborNode

from newsarchiver.errors import ExtractionError, NoArticle
from newsarchiver.extract import selectors as sel
from newsarchiver.extract.body import find_body
from newsarchiver.extract.clean import drop_furniture, drop_tags, remove_selectors
from newsarchiver.extract.metadata import PageMetadata, read_metadata
from newsarchiver.extract.oversize import bound_page
from newsarchiver.extract.render import (
    Block,
    body_text,
    render,
    render_elements,
    structured_text,
)
from newsarchiver.extract.structured_data import plausible_json_ld_blocks
from newsarchiver.models import Article, SiteRules

#: Pages longer than this are cut before anything else (see also :mod:`.oversize`).
MAX_HTML_CHARS: Final = 30_000_000
#: A body this short next to a not-an-article phrase (consent, bot check, 404) is no article.
NOT_ARTICLE_MAX_CHARS: Final = 1500
#: Parsed without DOM mutation events: they only fill <selectedcontent> (inside <select>,
#: which is dropped) and cost a little on every inserted node.
_PARSE_OPTIONS: Final = LexborDocumentOptions.WO_EVENTS.value


def _parse(html: str, url: str | None, notes: list[str]) -> LexborHTMLParser:
    if not isinstance(html, str):
        raise ExtractionError(f"expected HTML text, got {type(html).__name__}", url=url)
    if not html or html.isspace():
        raise NoArticle("empty page", url=url)
    if len(html) > MAX_HTML_CHARS:
        html = html[:MAX_HTML_CHARS]
    html, cuts = bound_page(html)
    notes.extend(cuts)
    try:
        tree = LexborHTMLParser(html, options=_PARSE_OPTIONS)
    except Exception as exc:  # selectolax raises bare exceptions on parser failure
        raise ExtractionError(f"HTML could not be parsed: {exc}", url=url) from exc
    if tree.root is None:
        raise ExtractionError("HTML could not be parsed: no document element", url=url)
    return tree


def _site_body(
    tree: LexborHTMLParser, rules: SiteRules, notes: list[str]
) -> list[LexborNode] | None:
    selector = rules.body_selector
    if not selector:
        return None
    try:
        nodes = tree.css(selector)
    except Exception:  # lexbor raises plain exceptions for bad selectors
        notes.append(f"body_selector {selector!r} is not valid CSS; used the generic extractor")
        return None
    if not nodes:
        notes.append(f"body_selector {selector!r} matched nothing; used the generic extractor")
        return None
    # Keep only the outermost matches so nested ones are not rendered twice.
    ids = {n.mem_id for n in nodes}
    outer = []
    for node in nodes:
        parent = node.parent
        while parent is not None and parent.mem_id not in ids:
            parent = parent.parent
        if parent is None:
            outer.append(node)
    return outer


def _not_article_phrase(text: str) -> re.Match[str] | None:
    """The first not-an-article phrase in ``text`` (:data:`~.selectors.NOT_ARTICLE_RE`)."""
    # One scan of the text for each folding character: a set's isdisjoint() would look
    # each character of the text up in the set.
    if not any(char in text for char in sel.ASCII_FOLDING):
        lowered = text.lower()
        if not any(word in lowered for word in sel.NOT_ARTICLE_WORDS):
            return None
    return sel.NOT_ARTICLE_RE.search(text)


def _check_article(blocks: list[Block], url: str | None) -> None:
    # The length of the paragraphs joined by spaces; joined only when short.
    length = sum(len(b.text) for b in blocks) + max(len(blocks) - 1, 0)
    if length < sel.MIN_BODY_CHARS:
        raise NoArticle("too little text for an article", url=url)
    if length < NOT_ARTICLE_MAX_CHARS:
        found = _not_article_phrase(" ".join(b.text for b in blocks))
        if found:
            raise NoArticle(f"the page says {found.group(0)!r}", url=url)


def extract(html: str, url: str | None = None, rules: SiteRules | None = None) -> Article:
    """Return the article in ``html``; raise :class:`~newsarchiver.errors.NoArticle`
    when the page holds none and :class:`~newsarchiver.errors.ExtractionError` when it
    cannot be parsed."""
    notes: list[str] = []
    tree = _parse(html, url, notes)
    meta: PageMetadata = read_metadata(tree, url)
    root = tree.body or tree.root
    if root is None:
        raise ExtractionError("HTML could not be parsed: no document element", url=url)
    # Scripts, styles, images, captions and bylines go whichever way the body is found;
    # the JSON-LD body is checked against the text left (not against the JSON-LD).
    chrome = drop_tags(root)
    page_text = root.text() if meta.json_ld_body else ""
    if rules is not None:
        notes.extend(remove_selectors(tree, rules.remove_selectors))
    nodes = _site_body(tree, rules, notes) if rules is not None else None
    if nodes is None:
        drop_furniture(root, chrome)
        choice = find_body(root)
        blocks = render(choice.tree, choice.nodes, meta.title, choice.article_chars)
    else:
        blocks = render_elements(nodes, meta.title)
    if meta.json_ld_body:
        better = plausible_json_ld_blocks(meta.json_ld_body, blocks, page_text)
        if better is not None:
            blocks = better
    _check_article(blocks, url)
    return Article(
        body=body_text(blocks),
        structured=structured_text(blocks),
        url=url,
        canonical_url=meta.canonical_url,
        title=meta.title,
        authors=meta.authors,
        published=meta.published,
        modified=meta.modified,
        language=meta.language,
        site_name=meta.site_name,
        description=meta.description,
        notes=tuple(notes),
    )

