"""Render a diff between two versions as text, JSON or one self-contained HTML page.

Text marks deletions ``[-like this-]`` and insertions ``{+like this+}`` (as
``git diff --word-diff`` does) or, on a terminal, in red and green. HTML escapes
every archived character, so an archived ``<script>`` is shown, never run.
"""

from __future__ import annotations

import html
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from newsarchiver.diff import Chunk, TextDiff, diff_texts, normalize_paragraph
from newsarchiver.models import Version

_RED, _GREEN, _DIM, _RESET = "\x1b[31m", "\x1b[32m", "\x1b[2m", "\x1b[0m"


@dataclass(frozen=True, slots=True)
class VersionDiff:
    """A diff between two versions of one article: headline and body."""

    old: Version
    new: Version
    title: TextDiff
    body: TextDiff

    @classmethod
    def of(cls, old: Version, new: Version) -> VersionDiff:
        return cls(old, new, diff_texts(old.title or "", new.title or ""),
                   diff_texts(old.body, new.body))

    @property
    def title_changed(self) -> bool:
        return normalize_paragraph(self.old.title or "") != normalize_paragraph(
            self.new.title or "")


def _stamp(v: Version) -> str:
    return f"version {v.number} (first seen {v.first_seen.isoformat(timespec='seconds')})"


def _inline(chunks: Iterable[Chunk], color: bool) -> str:
    parts = []
    for c in chunks:
        if c.op == "equal":
            parts.append(c.text)
        elif color:
            parts.append(f"{_RED if c.op == 'delete' else _GREEN}{c.text}{_RESET}")
        else:
            parts.append(f"[-{c.text}-]" if c.op == "delete" else f"{{+{c.text}+}}")
    return "".join(parts)


def render_text(d: VersionDiff, *, color: bool = False) -> str:
    """Changed paragraphs only, each with its position; a header names both versions."""
    lines = [f"--- {d.old.url} {_stamp(d.old)}", f"+++ {d.new.url} {_stamp(d.new)}"]
    if d.title_changed:
        title = [c for p in d.title.paragraphs for c in p.chunks]
        lines += ["", "headline: " + _inline(title, color)]
    changed = d.body.changed
    for p in changed:
        marker = f"@@ paragraph {p.index + 1} @@"
        lines += ["", f"{_DIM}{marker}{_RESET}" if color else marker, _inline(p.chunks, color)]
    if not changed and not d.title_changed:
        lines += ["", "(no differences)"]
    lines += ["", f"{d.body.words_added} words added, {d.body.words_removed} words removed"]
    return "\n".join(lines) + "\n"


def _version_json(v: Version) -> dict[str, Any]:
    return {
        "number": v.number,
        "first_seen": v.first_seen.isoformat(),
        "last_seen": v.last_seen.isoformat(),
        "title": v.title,
        "content_hash": v.content_hash,
    }


def render_json(d: VersionDiff) -> str:
    """Both versions' metadata, word counts and the changed paragraphs as chunks."""
    doc = {
        "url": d.new.url,
        "from": _version_json(d.old),
        "to": _version_json(d.new),
        "title_changed": d.title_changed,
        "words_added": d.body.words_added,
        "words_removed": d.body.words_removed,
        "title": [{"op": c.op, "text": c.text} for p in d.title.paragraphs for c in p.chunks],
        "paragraphs": [
            {"index": p.index, "chunks": [{"op": c.op, "text": c.text} for c in p.chunks]}
            for p in d.body.changed
        ],
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


_CSS = """
body{font:17px/1.55 Georgia,serif;max-width:46em;margin:2em auto;padding:0 1em;color:#222}
header{font:14px/1.4 system-ui,sans-serif;color:#555;border-bottom:1px solid #ddd;
  margin-bottom:1.5em}
h1{font-size:1.5em;line-height:1.25}
ins{background:#d7f5dd;text-decoration:none}
del{background:#fadbd8;color:#8a1c12}
p{margin:0 0 1em}
p.same{color:#777}
.stats{font:13px system-ui,sans-serif;color:#555}
"""


def _html_chunks(chunks: Iterable[Chunk]) -> str:
    out = []
    for c in chunks:
        text = html.escape(c.text, quote=False)
        tag = {"equal": "", "delete": "del", "insert": "ins"}[c.op]
        out.append(f"<{tag}>{text}</{tag}>" if tag else text)
    return "".join(out)


def render_html(d: VersionDiff) -> str:
    """One self-contained page (inline CSS, no scripts, no external resources)."""
    esc = html.escape
    title = _html_chunks(c for p in d.title.paragraphs for c in p.chunks)
    body = "\n".join(
        f'<p class="{"changed" if p.changed else "same"}" dir="auto">{_html_chunks(p.chunks)}</p>'
        for p in d.body.paragraphs
    )
    return (
        "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\">"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'\">"
        f"<title>{esc(d.new.title or d.new.url)} — diff</title><style>{_CSS}</style></head>\n"
        f"<body><header><div>{esc(d.new.url)}</div>"
        f"<div>{esc(_stamp(d.old))} → {esc(_stamp(d.new))}</div>"
        f"<div class=\"stats\">{d.body.words_added} words added, "
        f"{d.body.words_removed} words removed</div></header>\n"
        f"<h1 dir=\"auto\">{title}</h1>\n{body}\n</body></html>\n"
    )
