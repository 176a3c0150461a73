"""What counts as a change, and word-level diffs between versions.

``content_hash`` fingerprints what a reader sees: the headline and the body,
normalised so that invisible differences (Unicode normalisation form, runs of
whitespace, zero-width spaces, soft hyphens) never make a new version. The stored
text itself is never altered.

``diff_texts`` aligns paragraphs first, then words inside the paragraphs that
changed, so an edit reads as the sentence that changed, not as a reshuffle.
Renderers for text (optionally coloured), JSON and self-contained HTML are in
:mod:`newsarchiver.diff.render`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from difflib import SequenceMatcher
from itertools import filterfalse
from typing import Literal

from newsarchiver.models import Article

#: Characters that render as nothing: zero-width space, word joiner, BOM, soft hyphen.
#: ZWJ and ZWNJ are kept: they change how Persian, Arabic and Indic text is shaped.
_INVISIBLE_CHARACTERS = "\u200b\u2060\ufeff\u00ad\u180e"
_INVISIBLE = dict.fromkeys(map(ord, _INVISIBLE_CHARACTERS), None)
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
#: Words and single punctuation marks, each with the whitespace after it: diffs
#: compare these, so spaces never match on their own and split an edit apart.
_TOKEN = re.compile(r"\w+(?:['’]\w+)*\s*|[^\w\s]\s*|\s+")

Op = Literal["equal", "insert", "delete"]


def normalize_paragraph(text: str) -> str:
    """NFC, invisible characters dropped, all whitespace runs as one space."""
    return " ".join(unicodedata.normalize("NFC", text).translate(_INVISIBLE).split())


def paragraphs(text: str) -> list[str]:
    """The non-empty, normalised paragraphs of a body (blank-line separated)."""
    return [p for p in map(normalize_paragraph, _PARAGRAPH_BREAK.split(text)) if p]


def normalize_text(text: str) -> str:
    """The form that content hashes and diffs compare."""
    if _in_normal_form(text):
        return text  # most extracted bodies: checking is several times cheaper
    return "\n\n".join(paragraphs(text))


def _in_normal_form(text: str) -> bool:
    """Whether ``text`` is what :func:`normalize_text` makes of it: NFC, no invisible
    characters, paragraphs separated by one blank line, words by single spaces."""
    if not unicodedata.is_normalized("NFC", text):
        return False
    if any(character in text for character in _INVISIBLE_CHARACTERS):
        return False
    return all(p and " ".join(p.split()) == p for p in text.split("\n\n"))


def content_hash(article: Article) -> str:
    """SHA-256 of the normalised headline and body: equal hashes mean no real edit."""
    return _content_hash(article.title, normalize_text(article.body))


def fingerprint(article: Article) -> tuple[str, int]:
    """The article's content hash and :func:`word_count`, normalising its body once."""
    body = normalize_text(article.body)
    return _content_hash(article.title, body), count_words(body)


def _content_hash(title: str | None, normalized_body: str) -> str:
    payload = f"{normalize_paragraph(title or '')}\n\n\n{normalized_body}"
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def count_words(text: str) -> int:
    """The words of ``text``: runs of word characters, joined by inner apostrophes."""
    # A word never spans whitespace, and a token of word characters alone is one word:
    # only the other tokens need the pattern.
    tokens = text.split()
    others = list(filterfalse(str.isalnum, tokens))
    return len(tokens) - len(others) + len(_WORD.findall(" ".join(others)))


def word_count(body: str) -> int:
    """Words in a body as diffs count them: what its first version adds."""
    return count_words(normalize_text(body))


@dataclass(frozen=True, slots=True)
class Chunk:
    """A run of text that is equal in both versions, inserted, or deleted."""

    op: Op
    text: str


@dataclass(frozen=True, slots=True)
class ParagraphDiff:
    """One paragraph of the new text (or a removed one), as chunks."""

    index: int  # position in the new text (for a wholly deleted paragraph: where it was)
    chunks: tuple[Chunk, ...]

    @property
    def changed(self) -> bool:
        return any(c.op != "equal" for c in self.chunks)


@dataclass(frozen=True, slots=True)
class TextDiff:
    """A word-level diff of two texts, paragraph by paragraph."""

    paragraphs: tuple[ParagraphDiff, ...]

    @property
    def words_added(self) -> int:
        return sum(count_words(c.text) for p in self.paragraphs for c in p.chunks
                   if c.op == "insert")

    @property
    def words_removed(self) -> int:
        return sum(count_words(c.text) for p in self.paragraphs for c in p.chunks
                   if c.op == "delete")

    @property
    def changed(self) -> tuple[ParagraphDiff, ...]:
        return tuple(p for p in self.paragraphs if p.changed)


def _merge(chunks: list[Chunk]) -> tuple[Chunk, ...]:
    out: list[Chunk] = []
    for c in chunks:
        if not c.text:
            continue
        if out and out[-1].op == c.op:
            out[-1] = Chunk(c.op, out[-1].text + c.text)
        else:
            out.append(c)
    return tuple(out)


def _word_chunks(old: str, new: str) -> tuple[Chunk, ...]:
    a, b = _TOKEN.findall(old), _TOKEN.findall(new)
    # Tokens match on their text alone: "said" before a space or before "." is one word.
    keys_a, keys_b = [t.rstrip() for t in a], [t.rstrip() for t in b]
    ops = SequenceMatcher(None, keys_a, keys_b, autojunk=False).get_opcodes()
    # A lone token left equal between two edits ("the", ",") is folded into them,
    # so a rewritten sentence reads as one change rather than a word salad.
    spans: list[tuple[str, list[str], list[str]]] = []
    for k, (tag, i1, i2, j1, j2) in enumerate(ops):
        lone = (tag == "equal" and i2 - i1 == 1 and 0 < k < len(ops) - 1)
        if tag != "equal" or lone:
            if spans and spans[-1][0] == "change":
                spans[-1][1].extend(a[i1:i2])
                spans[-1][2].extend(b[j1:j2])
            else:
                spans.append(("change", a[i1:i2], b[j1:j2]))
        else:
            spans.append(("equal", a[i1:i2], b[j1:j2]))
    chunks: list[Chunk] = []
    for kind, old_tokens, new_tokens in spans:
        if kind == "equal":
            chunks.append(Chunk("equal", "".join(new_tokens)))
        else:
            chunks += _split_change("".join(old_tokens), "".join(new_tokens))
    return _merge(chunks)


def _split_change(old: str, new: str) -> list[Chunk]:
    """A deletion then an insertion, with trailing whitespace they share kept equal."""
    tail = len(old) - len(old.rstrip())
    shared = min(tail, len(new) - len(new.rstrip()))
    space = old[len(old) - shared:] if shared else ""
    old, new = old[: len(old) - shared], new[: len(new) - shared]
    return [Chunk("delete", old), Chunk("insert", new), Chunk("equal", space)]


def _replaced_block(old: list[str], new: list[str], start: int) -> Iterator[ParagraphDiff]:
    """Pair up paragraphs of a replaced block and diff each pair word by word."""
    for k in range(max(len(old), len(new))):
        o = old[k] if k < len(old) else ""
        n = new[k] if k < len(new) else ""
        yield ParagraphDiff(start + min(k, max(len(new) - 1, 0)), _word_chunks(o, n))


def diff_texts(old: str, new: str) -> TextDiff:
    """Word-level diff of two bodies, aligned paragraph by paragraph."""
    a, b = paragraphs(old), paragraphs(new)
    matcher = SequenceMatcher(None, a, b, autojunk=False)
    out: list[ParagraphDiff] = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            out.extend(ParagraphDiff(j1 + k, (Chunk("equal", p),)) for k, p in enumerate(b[j1:j2]))
        elif tag == "insert":
            out.extend(ParagraphDiff(j1 + k, (Chunk("insert", p),)) for k, p in enumerate(b[j1:j2]))
        elif tag == "delete":
            out.extend(ParagraphDiff(j1, (Chunk("delete", p),)) for p in a[i1:i2])
        else:
            out.extend(_replaced_block(a[i1:i2], b[j1:j2], j1))
    return TextDiff(tuple(out))


def word_delta(old: str, new: str) -> tuple[int, int]:
    """(words added, words removed) going from ``old`` to ``new``."""
    if not old:
        return word_count(new), 0
    d = diff_texts(old, new)
    return d.words_added, d.words_removed
