"""Commands that read the archive: history, show, diff, extract."""

from __future__ import annotations

import sys
from datetime import datetime
from typing import Any

import click

from newsarchiver.cli.archiving import targets_from_args
from newsarchiver.cli.base import (
    Context,
    common_options,
    emit_json,
    handle_errors,
    iso,
    main,
    url_argument,
)
from newsarchiver.diff.render import VersionDiff, render_html, render_json, render_text
from newsarchiver.errors import NotFound
from newsarchiver.models import Article, Version
from newsarchiver.pipeline import (
    extract_target,
)


def _version_doc(v: Version, *, body: bool) -> dict[str, Any]:
    doc: dict[str, Any] = {
        "url": v.url, "version": v.number, "first_seen": v.first_seen, "last_seen": v.last_seen,
        "times_seen": v.times_seen, "title": v.title, "content_hash": v.content_hash,
        "words_added": v.words_added, "words_removed": v.words_removed,
    }
    if body:
        doc.update({
            "canonical_url": v.canonical_url, "authors": v.authors, "published": v.published,
            "modified": v.modified, "language": v.language, "site_name": v.site_name,
            "description": v.description, "raw_sha256": v.raw_sha256, "body": v.body,
            "structured": v.structured,
        })
    return doc


@main.command()
@common_options
@click.argument("url")
@click.option("--json", "as_json", is_flag=True, help="Print the versions as JSON.")
@handle_errors
def history(config: str | None, db: str | None, url: str, as_json: bool) -> None:
    """List the versions of an article.

    \b
    Example:
        newsarchiver history https://example.com/news/story --json
    """
    ctx = Context(config, db)
    with ctx.archive() as arc:
        versions = arc.history(url_argument(url))
    if as_json:
        emit_json([_version_doc(v, body=False) for v in versions])
        return
    click.echo(f"{'ver':>3}  {'first seen':<20}  {'last seen':<20}  {'seen':>4}  "
               f"{'+words':>6}  {'-words':>6}  {'hash':<12}  title")
    for v in versions:
        click.echo(
            f"{v.number:>3}  {v.first_seen:%Y-%m-%d %H:%M:%S}Z  {v.last_seen:%Y-%m-%d %H:%M:%S}Z  "
            f"{v.times_seen:>4}  {v.words_added:>6}  {v.words_removed:>6}  "
            f"{v.content_hash[:12]:<12}  {v.title or ''}"
        )


@main.command()
@common_options
@click.argument("url")
@click.option("--version", "number", type=click.IntRange(min=1), help="Version number "
              "(default: the latest).")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@click.option("--raw", is_flag=True, help="Print the page this version was extracted from, "
              "byte for byte as it was fetched.")
@handle_errors
def show(config: str | None, db: str | None, url: str, number: int | None,
         as_json: bool, raw: bool) -> None:
    """Print one version of an article: its metadata and clean body.

    \b
    Examples:
        newsarchiver show https://example.com/news/story --version 2
        newsarchiver show https://example.com/news/story --version 1 --raw > v1.html
    """
    ctx = Context(config, db)
    with ctx.archive() as arc:
        v = arc.version(url_argument(url), number)
        if raw:
            if v.raw_sha256 is None:
                raise NotFound("no raw page is stored for this version", url=v.url,
                               version=v.number)
            click.echo(arc.raw_page(v.raw_sha256).body, nl=False)  # bytes, unchanged
            return
    if as_json:
        emit_json(_version_doc(v, body=True))
        return
    click.echo(_describe(v.title, v.url, v.canonical_url, v.authors, v.published, v.modified,
                         v.language, extra=[f"version: {v.number}, first seen "
                                            f"{iso(v.first_seen)}, seen {v.times_seen} times"]))
    click.echo(v.body)


def _describe(title: str | None, url: str | None, canonical: str | None,
              authors: tuple[str, ...], published: datetime | None,
              modified: datetime | None, language: str | None, extra: list[str]) -> str:
    lines = [f"# {title or '(untitled)'}", ""]
    fields = [("url", url), ("canonical", canonical), ("authors", ", ".join(authors) or None),
              ("published", iso(published)), ("modified", iso(modified)),
              ("language", language)]
    lines += [f"{k}: {v}" for k, v in fields if v]
    lines += extra
    return "\n".join(lines) + "\n"


@main.command()
@common_options
@click.argument("url")
@click.option("--from", "old", type=click.IntRange(min=1), help="Old version (default: "
              "the one before --to).")
@click.option("--to", "new", type=click.IntRange(min=1), help="New version (default: latest).")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "html"]), default="text",
              show_default=True)
@click.option("--color/--no-color", default=None, help="Colour text output "
              "(default: when stdout is a terminal).")
@handle_errors
def diff(config: str | None, db: str | None, url: str, old: int | None, new: int | None,
         fmt: str, color: bool | None) -> None:
    """Show a word-level diff between two versions (the latest two by default).

    \b
    Examples:
        newsarchiver diff https://example.com/news/story
        newsarchiver diff https://example.com/news/story --from 1 --to 3 --format html > d.html
    """
    ctx = Context(config, db)
    with ctx.archive() as arc:
        key = url_argument(url)
        to_v = arc.version(key, new)
        from_n = old if old is not None else to_v.number - 1
        if from_n < 1:
            raise NotFound("only one version is archived; nothing to compare", url=key,
                           version=to_v.number)
        from_v = arc.version(key, from_n)
    d = VersionDiff.of(from_v, to_v)
    if fmt == "json":
        click.echo(render_json(d), nl=False)
    elif fmt == "html":
        click.echo(render_html(d), nl=False)
    else:
        use_color = sys.stdout.isatty() if color is None else color
        click.echo(render_text(d, color=use_color), nl=False)


@main.command("extract")
@common_options
@click.argument("item", metavar="FILE_OR_URL")
@click.option("--url", metavar="URL", help="Original address of a saved page.")
@click.option("--json", "as_json", is_flag=True, help="Print the article as JSON.")
@handle_errors
def extract_cmd(config: str | None, db: str | None, item: str, url: str | None,
                as_json: bool) -> None:
    """Extract the article from a page and print it; nothing is stored.

    \b
    Examples:
        newsarchiver extract saved/story.html --url https://example.com/news/story --json
        newsarchiver extract https://example.com/news/story
    """
    ctx = Context(config, None)
    (target,) = targets_from_args((item,), url)
    result, a = extract_target(target, ctx.settings)
    if as_json:
        emit_json(article_doc(a, url or (result.final_url if target.local_path is None
                                         else target.url)))
        return
    click.echo(_describe(a.title, a.url, a.canonical_url, a.authors, a.published, a.modified,
                         a.language, extra=[]))
    click.echo(a.body)


def article_doc(a: Article, url: str | None) -> dict[str, Any]:
    return {
        "url": url, "canonical_url": a.canonical_url, "title": a.title, "authors": a.authors,
        "published": a.published, "modified": a.modified, "language": a.language,
        "site_name": a.site_name, "description": a.description, "body": a.body,
        "structured": a.structured, "notes": a.notes,
    }


