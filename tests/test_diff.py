"""Content fingerprints and word-level diffs."""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import UTC, datetime

from newsarchiver.diff import (
    content_hash,
    count_words,
    diff_texts,
    fingerprint,
    normalize_text,
    paragraphs,
    word_count,
    word_delta,
)
from newsarchiver.diff.render import VersionDiff, render_html, render_json, render_text
from newsarchiver.models import Article, Version

BODY = (
    "The fighters had been contained at the gates of Tاليقان since June.\n\n"
    "By sunset, the Taliban had seized the police headquarters.\n\n"
    "Mr. Rustaqi added that government forces were ambushed along the way."
)


def _version(number: int, body: str, title: str = "Headline") -> Version:
    t = datetime(2021, 8, 8, 12, number, tzinfo=UTC)
    return Version(url="https://example.com/a", number=number, first_seen=t, last_seen=t,
                   times_seen=1, content_hash=str(number), body=body, title=title)


def test_invisible_differences_hash_equal() -> None:
    a = Article(body=BODY, title="Headline")
    variants = [
        BODY.replace(" ", "  ").replace("\n\n", "\n \n\n"),
        unicodedata.normalize("NFD", BODY),
        BODY.replace("gates", "ga\u00adtes").replace("June", "Ju\u200bne"),
        "\n\n" + BODY + "\n",
        BODY.replace(" ", "\u00a0"),
    ]
    for body in variants:
        assert content_hash(Article(body=body, title="Headline")) == content_hash(a), body


def test_visible_differences_hash_differ() -> None:
    a = Article(body=BODY, title="Headline")
    assert content_hash(Article(body=BODY, title="Headline 2")) != content_hash(a)
    assert content_hash(Article(body=BODY.replace("June", "July"), title="Headline")) != \
        content_hash(a)
    # Zero-width non-joiner shapes Persian text: it is not invisible.
    assert content_hash(Article(body=BODY.replace("Tاليقان", "Tالي\u200cقان"),
                                title="Headline")) != content_hash(a)


def test_normalize_keeps_characters() -> None:
    assert "Tاليقان".encode() in normalize_text(BODY).encode()


def test_one_sentence_changed() -> None:
    new = BODY.replace("the police headquarters", "the police headquarters and the prison")
    d = diff_texts(BODY, new)
    (changed,) = d.changed
    assert changed.index == 1
    inserted = [c.text.strip() for c in changed.chunks if c.op == "insert"]
    assert inserted == ["and the prison"]
    assert not [c for c in changed.chunks if c.op == "delete"]
    assert word_delta(BODY, new) == (3, 0)


def test_paragraph_added_and_removed() -> None:
    paras = BODY.split("\n\n")
    new = "\n\n".join([paras[0], "A new paragraph here.", paras[2]])
    d = diff_texts(BODY, new)
    assert d.words_added == 4
    assert d.words_removed == len(paras[1].split())


def test_render_text_plain_and_color() -> None:
    d = VersionDiff.of(_version(1, BODY), _version(2, BODY.replace("June", "July")))
    plain = render_text(d, color=False)
    assert "[-June-]{+July+}." in plain
    assert "\x1b[" not in plain
    assert "@@ paragraph 1 @@" in plain
    assert "police headquarters" not in plain  # unchanged paragraphs are not shown
    colored = render_text(d, color=True)
    assert "\x1b[31mJune\x1b[0m" in colored and "\x1b[32mJuly\x1b[0m" in colored


def test_render_json_and_title_change() -> None:
    d = VersionDiff.of(_version(1, BODY, "Old"), _version(2, BODY, "New"))
    doc = json.loads(render_json(d))
    assert doc["title_changed"] is True
    assert doc["paragraphs"] == []
    assert {"op": "insert", "text": "New"} in doc["title"]


def test_render_html_escapes_everything() -> None:
    hostile = BODY + "\n\n<script>alert('x')</script> & <img src=x onerror=alert(1)>"
    d = VersionDiff.of(_version(1, BODY, "<b>t</b>"), _version(2, hostile, "<b>t</b>"))
    page = render_html(d)
    assert "<script>" not in page
    assert "&lt;script&gt;alert('x')&lt;/script&gt;" in page
    assert "<img" not in page and "&lt;b&gt;t&lt;/b&gt;" in page
    assert "Tاليقان" in page
    assert "http" not in page.split("<body>")[0].replace("http-equiv", "")  # no external refs


def test_a_first_version_adds_every_word_the_diff_counts() -> None:
    body = ("## Head-line\n\nIt's a rock'n'roll\u200bstory, Tاليقان fell.\n\n"
            "- one item\n\n> “Quoted” — said   she\u00ad.")
    diff = diff_texts("", body)
    assert word_count(body) == diff.words_added == 12
    assert word_delta("", body) == (diff.words_added, diff.words_removed)
    article = Article(title="A  title\u200b", body=body)
    assert fingerprint(article) == (content_hash(article), 12)


def test_text_already_in_normal_form_is_recognised() -> None:
    texts = ["Plain words.\n\nTwo paragraphs.", "One\n\n\nthree newlines", " lead",
             "trail ", "two  spaces", "tab\there", "nbsp\u00a0here", "Not\u00adfall",
             "e\u0301 decomposed", "é composed", "line\nbreak", "", "\n\n", "Tاليقان ok",
             "zw\u200bsp", "a\n\n\u2060\n\nb", "x \n\ny"]
    for text in texts:
        assert normalize_text(text) == "\n\n".join(paragraphs(text)), text


def test_words_are_runs_of_word_characters_joined_by_inner_apostrophes() -> None:
    pattern = re.compile(r"\w+(?:['’]\w+)*")
    texts = ["don't", "a'b'c", "’tis", "rock'n'roll", "_under_score", "x__y", "٣٤٥ x²",
             "Tاليقان", "e.g. U.S.", "well-known", "½ cup", "' '", "''a''", "a''b",
             "“Quoted” — said she.", "日本語の文章", "tab\tand\u00a0nbsp", ""]
    for text in texts:
        assert count_words(text) == len(pattern.findall(text)), text
