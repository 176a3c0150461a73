"""The extractor's fast paths give what they stand for.

Where the extractor answers a question without asking lexbor in the obvious way (one
walk sorted in Python instead of a walk per selector, lengths read from a flat copy of
the tree instead of ``text()``), the answer must be the same: each fast path is checked
here against the plain lexbor call on every fixture page and on markup built to trip it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import pytest
from selectolax.lexbor import LexborHTMLParser, LexborNode

from newsarchiver.extract import bylines, clean, metadata, oversize
from newsarchiver.extract import selectors as sel
from newsarchiver.extract.extractor import _not_article_phrase
from newsarchiver.extract.render import Block, _is_furniture, collapse_spaces
from newsarchiver.extract.select import distinct, has_ancestor, select
from newsarchiver.extract.structured_data import MIN_FOUND_SHARE, plausible_json_ld_blocks
from newsarchiver.extract.subtree import Subtree

FIXTURES = Path(__file__).parent / "fixtures"
PAGES = sorted(FIXTURES.rglob("*.html"))
TRICKY = (
    "<body itemprop=author><div itemprop='author' rel='AUTHOR'><span rel=Author>x</span>"
    "<img itemprop=author><q itemprop=dateModified>y</q><q>z</q><q rel='author x'>w</q>"
    "<div itemprop=Author>v</div><svg><path itemprop=author/></svg><a rel>u</a>"
    "<b class='author-x byline AUTHOR autorx'>x</b><i class='BYLINE-x'>y</i>"
    "<u class='x\u00a0byline'>z</u><s class>q</s><p class='auto Autor'>w</p>"
    "<div class='byline\tfoo'><span class=' byline '>a</span></div>"
    "<time datetime='2024-05-03' pubdate>Friday</time>"
    "<article><div><time datetime='2024-05-02'>Thursday</time></div></article>"
    "<a rel='nofollow tag' href='/t'>tag</a> tail <!-- note --><br>text"
    "<meta content><meta name=x><script type>1</script><script>2</script><link rel href>"
    "<link rel=canonical><link href=/x><link rel='alternate CANONICAL' href=/c>"
    "<p hidden>h</p><p style='DISPLAY: NONE'>s</p><p role=note aria-hidden=true>r</p>"
    "<p class=x style='color: red'>c</p><link rel='noncanonical' href=/d>"
    "<script type=' Application/LD+JSON ; x'>{\"a\": 1}"
    "</script><script type=text/javascript>{\"b\": 2}</script></div></body>"
)


def _trees() -> list[LexborHTMLParser]:
    pages = [p.read_text("utf-8", "replace") for p in PAGES]
    return [LexborHTMLParser(html) for html in (*pages, TRICKY, "<!DOCTYPE html>" + TRICKY)]


def _keys(nodes: Sequence[LexborNode]) -> list[int]:
    return [n.mem_id for n in nodes]


def test_drop_tags_removes_what_the_drop_selectors_select() -> None:
    assert not set(clean._FREQUENT_TAGS) & set(sel.DROP_TAGS)
    selector = ",".join((
        *sel.DROP_TAGS,
        *(f"[itemprop={v}]" for v in sorted(sel.DROP_ITEMPROPS)),
        *(f"[rel={v}]" for v in sorted(sel.DROP_RELS)),
    ))
    for html in (*(p.read_text("utf-8", "replace") for p in PAGES), TRICKY):
        expected, actual = LexborHTMLParser(html), LexborHTMLParser(html)
        root, other = expected.body or expected.root, actual.body or actual.root
        assert root is not None and other is not None
        for node in root.css(selector):
            node.remove()
        clean.drop_tags(other)
        assert actual.html == expected.html


def _chrome_in_document_order(root: LexborNode) -> None:
    """The chrome stage as one walk in document order, each element removed as soon as
    it is judged (so what is inside a removed one is skipped, detached)."""
    selector = ",".join(("p", *sorted(sel.CHROME_TAGS), *sel.CHROME_ATTRIBUTE_SELECTORS))
    nodes, counts = distinct(root.css(selector))
    paragraph_total = sum(len(n.text()) for n in nodes if n.tag == "p")
    total = 0 if paragraph_total else len(root.text())
    if not paragraph_total and not total:
        return
    for node, times in zip(nodes, counts, strict=True):
        tag = node.tag
        if (tag == "p" and times == 1) or tag in ("html", "body") or node.parent is None:
            continue
        if tag not in sel.CHROME_TAGS and not clean._is_chrome(node):
            continue
        if clean._held(node, len(node.text()), paragraph_total, total, clean.STRONG_MAX_SHARE):
            node.remove()


#: Chrome inside chrome, where judging the inner one first would change the verdict on
#: the outer one (the outer holds over half the paragraph text only with the inner).
NESTED_CHROME = (
    "<div aria-hidden=true><nav><p>{inner}</p></nav><p>{short}</p></div><p>{outer}</p>",
    "<header><div role=navigation><p>{inner}</p></div><p>{short}</p></header><p>{outer}</p>",
    "<nav><div hidden><aside>a</aside></div><p>x</p></nav><button><nav>b",
)


def _dropped(html: str) -> tuple[LexborHTMLParser, LexborNode, list[LexborNode]]:
    """A page parsed, its body, and the chrome by tag its drop walk found."""
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    assert root is not None
    return tree, root, clean.drop_tags(root)


def test_chrome_by_tag_is_found_by_the_drop_walk_and_judged_as_in_document_order() -> None:
    chrome_tags = ",".join(sorted(sel.CHROME_TAGS))
    # The inner chrome holds 46% of the paragraph text and goes; the outer holds 62%.
    words = {"inner": "word " * 60, "short": "word " * 20, "outer": "word " * 50}
    nested = [h.format(**words) for h in NESTED_CHROME]
    for html in (*(p.read_text("utf-8", "replace") for p in PAGES), TRICKY, *nested):
        walked, root, chrome = _dropped(html)
        alive = [node for node in chrome if node.parent is not None]
        assert _keys(alive) == _keys(root.css(chrome_tags))
        clean.drop_chrome(root, chrome)
        ordered, other, _ = _dropped(html)
        _chrome_in_document_order(other)
        assert walked.html == ordered.html, html[:80]
        # Without the drop walk's list, drop_furniture selects the same chrome.
        listed, root, chrome = _dropped(html)
        selected, other, _ = _dropped(html)
        clean.drop_furniture(root, chrome)
        clean.drop_furniture(other)
        assert listed.html == selected.html


def test_the_shared_selector_engine_selects_as_each_page_s_own() -> None:
    queries = (clean._DROP_CANDIDATES, sel.CLASSED_SELECTOR, "p", "[itemprop]", "time")
    trees = _trees()
    for tree in trees + trees:  # one engine, page after page and back
        root = tree.body or tree.root
        assert root is not None
        for query in queries:
            assert _keys(select(tree, query)) == _keys(tree.css(query))
            assert _keys(select(root, query)) == _keys(root.css(query))


@pytest.mark.parametrize("base", [
    "https://example.com/news/a", "http://example.com/", "HTTPS://Example.com", "ftp://x/", "",
])
def test_plain_absolute_urls_are_those_urljoin_gives_back(base: str) -> None:
    hrefs = [
        "https://b.com", "https://b.com/", "http://b.com/a/../b", "https://b.com//a",
        "https://b.com:8080/x", "https://b.com/ü/x", "https://b.com/a:b/c%20d",
        "https://b.com/a?x=1", "https://b.com/a?", "https://b.com/a#", "https://b.com/a;p",
        "HTTPS://b.com/a", "https://b.com/a\tb", "https://[::1]/a", "https://bü.com/a",
        "https://user@b.com/a", "https:///a", "https://b.com/a b", "https://b.com/\x00",
    ]
    for path in PAGES:
        tree = LexborHTMLParser(path.read_text("utf-8", "replace"))
        hrefs.extend(n.attributes.get("href") or "" for n in tree.css("[href]"))
    fast = 0
    for href in hrefs:
        if metadata._PLAIN_ABSOLUTE.fullmatch(href):
            fast += 1
            assert (urljoin(base, href) if base else href) == href
            parts = urlsplit(href)
            assert parts.scheme in ("http", "https") and parts.hostname
        found = metadata._absolute_http(href, base or None)
        assert found is None or urlsplit(found).scheme.lower() in ("http", "https")
    assert fast > 10


def test_paragraphs_that_come_twice_are_those_with_chrome_attributes() -> None:
    attributes = ",".join(sel.CHROME_ATTRIBUTE_SELECTORS)
    for tree in _trees():
        root = tree.body or tree.root
        assert root is not None
        found = root.css(clean._PARAGRAPH_OR_CHROME_SELECTOR)
        twice = {
            node.mem_id for before, node in pairwise(found)
            if node.tag == "p" and before.mem_id == node.mem_id
        }
        assert twice == set(_keys(root.css(f"p:is({attributes})")))


def test_class_bylines_are_those_of_their_selectors() -> None:
    sorted_out = 0
    for tree in _trees():
        found = bylines._by_class(tree.css(bylines._CLASS_CANDIDATES))
        if found is None:
            continue  # a "Byline" class: the selectors are then walked one by one
        sorted_out += 1
        selectors = bylines._BYLINE_SELECTORS[bylines._FIRST_CLASS_SELECTOR:]
        assert [_keys(nodes) for nodes in found] == [_keys(tree.css(s)) for s in selectors]
    assert sorted_out >= len(PAGES)


def test_bylines_read_through_the_itemprop_index_are_those_read_by_selectors() -> None:
    named = 0
    for html in (
        TRICKY,
        "<div class=byline>By <span itemprop=name>Ann Lee</span> and Bo Roe</div>",
        "<p class=author>Cy Ode</p><i itemprop=name>Di Fay</i>",
    ):
        tree = LexborHTMLParser(html)
        itemprops = metadata._Itemprops(tree)
        named += bool(itemprops("name"))
        found = list(bylines.byline_names(tree, itemprops))
        assert found == list(bylines.byline_names(tree)), html
    for tree in _trees():
        itemprops = metadata._Itemprops(tree)
        assert list(bylines.byline_names(tree, itemprops)) == list(bylines.byline_names(tree))
    assert named == 2


def test_itemprops_and_times_are_those_of_their_selectors() -> None:
    for tree in _trees():
        itemprops = metadata._Itemprops(tree)
        for value in ("author", "datePublished", "dateModified", "name"):
            assert _keys(itemprops(value)) == _keys(tree.css(f"[itemprop={value}]"))
        times = tree.css("time")
        dated = [n for n in times if "datetime" in n.attributes]
        assert _keys(dated) == _keys(tree.css("time[datetime]"))
        assert _keys([n for n in dated if "pubdate" in n.attributes]) == _keys(
            tree.css("time[pubdate][datetime]")
        )
        assert _keys([n for n in dated if has_ancestor(n, "article")]) == _keys(
            tree.css("article time[datetime]")
        )


def test_metadata_elements_are_those_of_their_selectors() -> None:
    for tree in _trees():
        metas, scripts, links = metadata._elements(tree)
        assert metas == [n.attributes for n in tree.css("meta[content]")]
        # Scripts and links are picked out by a narrower selector: what is read of them
        # is what is read of all those with a type, or with rel and href.
        typed = [(n, n.attributes) for n in tree.css("script[type]")]
        assert list(metadata._json_ld_values(scripts)) == list(metadata._json_ld_values(typed))
        linked = [n.attributes for n in tree.css("link[rel][href]")]
        assert list(metadata._canonical_links(links)) == list(metadata._canonical_links(linked))


@pytest.mark.parametrize("html", [
    *(p.read_text("utf-8", "replace") for p in PAGES), TRICKY,
    "<body>a<!-- c --><p>b<!-- d --></p><div><!----></div><template><p>t</p></template>e",
], ids=[*(p.stem for p in PAGES), "tricky", "comments"])
def test_subtree_lengths_are_those_of_the_tree(html: str) -> None:
    tree = LexborHTMLParser(html)
    root = tree.body or tree.root
    assert root is not None
    sub = Subtree(root)
    assert _keys(sub.nodes) == _keys(root.css("*"))
    for i, node in enumerate(sub.nodes):
        assert sub.text(i) == node.text()
        assert sub.own_text(i) == node.text(deep=False)
        assert sub.text_length(i) == len(node.text())
        assert sub.link_length(i) == sum(len(a.text()) for a in node.css("a"))
        assert (i in sub.worded) == bool(node.text(deep=False).strip())
        children = [c for c in node.iter() if c.is_element_node]
        assert [sub.nodes[c].mem_id for c in sub.children(i)] == _keys(children)
        assert sub.element_children(i) == len(children)
    # A removal is made in the tree too, and the lengths follow it.
    doomed = [i for i, tag in enumerate(sub.tags) if tag in ("ul", "figure", "table")]
    for i in doomed:
        if not sub.removed[i]:
            sub.remove(i)
    for i, node in enumerate(sub.nodes):
        if not sub.removed[i]:
            assert sub.text(i) == node.text()
            assert sub.link_length(i) == sum(len(a.text()) for a in node.css("a"))


@pytest.mark.parametrize("text", [
    "", " ", "plain words", "  lead and trail  ", "two  spaces", "tab\there", "line\nbreak",
    "no\u00a0break", "thin\u2009space", "\u3000ideographic", "sep\u2028line",
    "kept\x1ccontrol", "next\x85line", "soft\u00adhyphen", "zero\u200bwidth",
    "rtl \u200fmark", "T\u0627\u0644\u064a\u0642\u0627\u0646 falls", "emoji \U0001f600 ok",
    "\ufdd0marker", " \n\t mixed \u00a0 \r\n runs \x0b\x0c ",
])
def test_collapsed_spaces_are_those_of_the_pattern(text: str) -> None:
    assert collapse_spaces(text) == re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("name", [
    "", "-", "_", "--x__", "main", "post-7950", "author_bio-box", "lg:col-8", "a.b/c",
    "relatedArticles", "storyBody", "URLList", "HTML5Video", "ABC", "x2Y", "9lives",
    "caf\u00e9-menu", "\u00e9t\u00e9", "\u0130tem", "\u212aelvin", "\u017fhare", "nav\u00a0bar",
    "ad--slot", "Ad-Slot", "has-sidebar", "\u0627\u0644\u0645\u0642\u0627\u0644-body",
])
def test_class_name_tokens_are_those_of_the_pattern(name: str) -> None:
    assert clean.name_tokens(name) == [t.lower() for t in sel.TOKEN_RE.findall(name)]


@pytest.mark.parametrize(("count", "found"), [(5, 4), (5, 3), (10, 8), (10, 7), (7, 6), (7, 5)])
def test_json_ld_body_is_taken_with_the_share_of_paragraphs_found(count: int, found: int) -> None:
    paragraphs = [f"Paragraph {i} of the article body, long enough to count." for i in range(count)]
    # The missing paragraphs come first: the check stops at the first miss too many.
    page = " ".join(paragraphs[count - found:])
    blocks = plausible_json_ld_blocks("\n".join(paragraphs), [Block("x")], page)
    assert (blocks is not None) == (found >= MIN_FOUND_SHARE * count)


def test_every_not_article_phrase_holds_a_word_looked_for() -> None:
    pattern = sel.NOT_ARTICLE_RE.pattern
    depth, start, phrases = 0, 0, []
    for i, char in enumerate(pattern):
        depth += {"(": 1, ")": -1}.get(char, 0)
        if char == "|" and depth == 0:
            phrases.append(pattern[start:i])
            start = i + 1
    phrases.append(pattern[start:])
    assert len(phrases) > 10
    for phrase in phrases:
        literal = re.sub(r"\(\?:|[()?]", "", phrase)
        assert any(word in literal for word in sel.NOT_ARTICLE_WORDS), phrase


@pytest.mark.parametrize("text", [
    "We use cookies to improve your experience.", "Please enable JavaScript.",
    "Page not found", "Error 404", "WE USE COOKIES", "We uſe cookies", "Accept all cookies",
    "A report on the council meeting about cookies and consent forms.", "Nothing here.",
])
def test_not_article_phrases_are_found_as_the_pattern_finds_them(text: str) -> None:
    expected = sel.NOT_ARTICLE_RE.search(text)
    found = _not_article_phrase(text)
    assert (found and found.group(0)) == (expected and expected.group(0))


@pytest.mark.parametrize("text", [
    "© 2024 Example News. All rights reserved.", "Example Ltd. All Rights Reserved",
    "x" * 119 + " all rights reserved", "x" * 121 + " all rights reserved.",
    "Share", "By Jane Doe", "The rights reserved to the council were all spent.",
    "ball rights reserved", "All rights reserved.\n", "Example. ALL RIGHTS RESERVED.",
    "All rightſ reserved.", "x all rights reserved. ",
])
def test_furniture_lines_are_those_of_one_pattern(text: str) -> None:
    whole = re.compile(
        sel.FURNITURE_TEXT_RE.pattern.replace(
            "^(?:", r"^(?:.{0,120}\ball rights reserved\.?|", 1
        ),
        re.IGNORECASE,
    )
    assert _is_furniture(text) == bool(whole.match(text))


def test_pages_of_normal_size_are_parsed_as_they_are() -> None:
    html = (FIXTURES / "npr-taliban-provincial-capitals.html").read_text("utf-8")
    assert oversize.bound_page(html) == (html, ())


def test_huge_pages_are_slimmed_and_cut_to_the_tag_budget() -> None:
    head = (
        '<html><head><script type="application/ld+json">{"@type": "NewsArticle"}</script>'
        "<script>var x = '<p>not markup</p>';</script><style>p { color: red }</style>"
        "</head><body><!-- a comment --><svg><path d='M0'/></svg><article><p>Lead.</p>"
    )
    filler = "<li>item</li>" * (oversize.HUGE_PAGE_CHARS // 13 + 1)
    html, notes = oversize.bound_page(head + filler + "</article></body></html>")
    assert html.count("<") == oversize.MAX_TAGS
    assert '{"@type": "NewsArticle"}' in html and "not markup" not in html
    assert "color: red" not in html and "a comment" not in html and "<path" not in html
    assert html.startswith(head[: head.index("<script>var")]) and "<p>Lead.</p>" in html
    assert len(notes) == 1
    assert notes[0].startswith(f"page cut after its first {oversize.MAX_TAGS:,} tags, of ")


def test_huge_pages_of_text_are_cut_to_the_character_budget() -> None:
    html = "<html><body><article><p>" + "word " * (oversize.HUGE_PAGE_CHARS // 4)
    cut, notes = oversize.bound_page(html)
    assert cut == html[: oversize.HUGE_PAGE_CHARS]
    assert notes and notes[0].startswith(f"page cut after {oversize.HUGE_PAGE_CHARS:,} characters")


def test_distinct_gives_each_node_once_with_its_count() -> None:
    for tree in _trees():
        found = select(tree, "p,[class],[id],div")
        nodes, counts = distinct(found)
        assert _keys(nodes) == list(dict.fromkeys(_keys(found)))
        assert counts == [_keys(found).count(key) for key in _keys(nodes)]


def test_has_ancestor_looks_up_no_further_than_its_limit() -> None:
    tree = LexborHTMLParser("<svg>" + "<g>" * 3 + "<title>t</title>" + "</g>" * 3 + "</svg>")
    title = select(tree, "title")[0]
    assert has_ancestor(title, "svg") and has_ancestor(title, "svg", limit=4)
    assert not has_ancestor(title, "svg", limit=3)
    assert not has_ancestor(title, "article")
