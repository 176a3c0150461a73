"""The ``newsarchiver`` command: a thin layer over the pipeline and the archive.

Exit codes: 0 the command completed (single-URL failures are reported, not fatal);
1 nothing could be archived, or the thing asked for is not in the archive;
2 usage or configuration errors. This is the only place errors become messages.
"""

from __future__ import annotations

import json
import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar
from urllib.parse import unquote, urlsplit

import click

from newsarchiver import __version__
from newsarchiver.config import DEFAULT_DATABASE, load_settings, parse_duration
from newsarchiver.diff.render import VersionDiff, render_html, render_json, render_text
from newsarchiver.errors import ConfigError, InvalidURL, NewsArchiverError, NotFound
from newsarchiver.models import Article, RunReport, Settings, UrlReport, Version
from newsarchiver.pipeline import (
    PassOptions,
    Target,
    archive_targets,
    extract_target,
    run_pass,
)
from newsarchiver.store import Archive, upgrade
from newsarchiver.urls import normalize_url

P = ParamSpec("P")
R = TypeVar("R")
DEFAULT_CONFIG = Path("config/sources.toml")
log = logging.getLogger("newsarchiver")


class Context:
    """What every command needs: settings, the database URL, and the clock."""

    def __init__(self, config: str | None, db: str | None) -> None:
        path = config or os.environ.get("NEWSARCHIVER_CONFIG")
        if path is None and DEFAULT_CONFIG.is_file():
            path = str(DEFAULT_CONFIG)
        self.config_path = path
        self.settings: Settings = load_settings(path)
        self.db = database_url(db or os.environ.get("NEWSARCHIVER_DB")
                               or self.settings.database or DEFAULT_DATABASE)

    @staticmethod
    def now() -> datetime:
        return datetime.now(UTC)

    @contextmanager
    def archive(self) -> Iterator[Archive]:
        from newsarchiver.diff import word_delta

        with Archive.open(self.db, word_delta=word_delta) as archive:
            yield archive


def database_url(value: str) -> str:
    """A SQLAlchemy URL; a bare path means a SQLite file."""
    return value if "://" in value else f"sqlite:///{value}"


def common_options(fn: Callable[P, R]) -> Callable[P, R]:
    """``--config`` and ``--db`` on every command, handled in one place."""
    fn = click.option("--db", metavar="URL", help="Database URL or SQLite path "
                      "[env NEWSARCHIVER_DB; default ./newsarchiver.db].")(fn)
    fn = click.option("--config", metavar="PATH", help="sources.toml "
                      "[env NEWSARCHIVER_CONFIG; default ./config/sources.toml].")(fn)
    return fn


def handle_errors(fn: Callable[P, R]) -> Callable[P, R]:
    """Turn project errors into a message on stderr and an exit code."""

    @wraps(fn)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return fn(*args, **kwargs)
        except (ConfigError, InvalidURL) as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(2)
        except NewsArchiverError as exc:
            click.echo(f"error: {exc}", err=True)
            sys.exit(1)

    return wrapper


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | set):
        return list(value)
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def emit_json(doc: Any) -> None:
    click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=_json_default))


def _setup_logging(verbose: int) -> None:
    level = logging.DEBUG if verbose > 1 else logging.INFO
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s",
                        stream=sys.stderr)
    if verbose < 2:
        for noisy in ("httpx", "httpcore", "alembic"):
            logging.getLogger(noisy).setLevel(logging.WARNING)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="newsarchiver")
@click.option("-v", "--verbose", count=True, help="More log output (-vv for debug).")
def main(verbose: int) -> None:
    """Archive news articles as versioned snapshots and diff their edits.

    \b
    Example:
        newsarchiver run                      # archive the sources in config/sources.toml
        newsarchiver history https://example.com/news/story
    """
    _setup_logging(verbose)


@contextmanager
def _progress(total: int | None) -> Iterator[Callable[[UrlReport], None] | None]:
    """A progress bar on a terminal; None (plain log lines) otherwise, e.g. under cron."""
    if not sys.stderr.isatty() or (total is not None and total < 2):
        yield None
        return
    pipeline_log = logging.getLogger("newsarchiver.pipeline")
    previous = pipeline_log.level
    pipeline_log.setLevel(logging.WARNING)  # the bar replaces per-URL info lines
    try:
        if total is None:  # a pass: the number of due articles is not known up front
            done = [0]

            def count(_: UrlReport) -> None:
                done[0] += 1
                click.echo(f"\rarchiving: {done[0]} pages", nl=False, err=True)

            yield count
            click.echo("", err=True)
        else:
            with click.progressbar(length=total, label="archiving", file=sys.stderr,
                                   show_pos=True) as bar:
                yield lambda _: bar.update(1)
    finally:
        pipeline_log.setLevel(previous)


def _finish(report: RunReport, as_json: bool) -> None:
    counts = report.counts
    summary = ", ".join(f"{n} {k.replace('_', ' ')}" for k, n in counts.items())
    log.info("run finished: %s", summary)
    if as_json:
        emit_json({
            "started_at": report.started_at, "finished_at": report.finished_at,
            "counts": counts,
            "results": [
                {"url": r.url, "outcome": r.outcome.value, "version": r.version,
                 "error_class": r.error_class, "error": r.error_message}
                for r in report.results
            ],
        })
    else:
        for r in report.results:
            if r.error_class:
                click.echo(f"{r.outcome.value}: {r.url}: {r.error_class}: {r.error_message}",
                           err=True)
        click.echo(summary)
    if report.results and not report.archived_any:
        sys.exit(1)


def _duration(text: str, option: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def worker_name() -> str:
    """Identifies this process in leases: host and pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@main.command()
@common_options
@click.option("--source", "sources", multiple=True, metavar="NAME",
              help="Only this source (repeatable).")
@click.option("--budget", type=click.IntRange(min=0), default=1000, show_default=True,
              help="Due articles fetched in this pass, at most (most overdue first).")
@click.option("--lease", default="10m", show_default=True, metavar="DURATION",
              help="How long a claimed article stays reserved for this run.")
@click.option("--json", "as_json", is_flag=True, help="Print the run summary as JSON.")
@handle_errors
def run(config: str | None, db: str | None, sources: tuple[str, ...], budget: int,
        lease: str, as_json: bool) -> None:
    """One safe, idempotent pass: discover new articles, fetch what is due, exit.

    Meant for cron. Overlapping runs, on one machine or many sharing a PostgreSQL
    archive, never fetch the same article twice.

    \b
    Example (crontab, every 15 minutes):
        */15 * * * *  cd /srv/news && newsarchiver run >> run.log 2>&1
    """
    ctx = Context(config, db)
    if ctx.config_path is None:
        raise ConfigError("no configuration: pass --config or create config/sources.toml")
    known = {s.name for s in ctx.settings.sources}
    for name in sources:
        if name not in known:
            raise ConfigError(f"no source named {name!r}; the configured sources are: "
                              f"{', '.join(sorted(known)) or 'none'}", path=ctx.config_path)
    options = PassOptions(worker=worker_name(), budget=budget, sources=sources,
                          lease=_duration(lease, "--lease"))
    with ctx.archive() as arc, _progress(None) as step:
        report = run_pass(ctx.settings, arc, ctx.now, options, progress=step)
    _finish(report, as_json)


@main.command()
@common_options
@click.option("--tick", default="1m", show_default=True, metavar="DURATION",
              help="How often to look for due articles.")
@click.option("--budget", type=click.IntRange(min=1), default=1000, show_default=True,
              help="Due articles fetched per tick, at most.")
@handle_errors
def daemon(config: str | None, db: str | None, tick: str, budget: int) -> None:
    """Run as a scheduler: discovery per source on its schedule, re-checks every tick.

    Stops gracefully on SIGTERM or SIGINT.

    \b
    Example:
        newsarchiver daemon --config config/sources.toml --db postgresql+psycopg://archiver@db/news
    """
    from newsarchiver.daemon import Daemon

    ctx = Context(config, db)
    if ctx.config_path is None:
        raise ConfigError("no configuration: pass --config or create config/sources.toml")
    interval = _duration(tick, "--tick")
    with ctx.archive() as arc:
        Daemon(ctx.settings, arc, worker=worker_name(), tick=interval, budget=budget,
               clock=ctx.now).run_forever()


@main.command()
@common_options
@click.option("--window", default="1d", show_default=True, metavar="DURATION",
              help="How far back the failure rate looks.")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
@handle_errors
def status(config: str | None, db: str | None, window: str, as_json: bool) -> None:
    """Per source: last run, articles per re-check tier, what is due, failure rate.

    \b
    Example:
        newsarchiver status --window 6h
    """
    from newsarchiver.schedule import tier_bounds

    ctx = Context(config, db)
    span = _duration(window, "--window")
    now = ctx.now()
    with ctx.archive() as arc:
        rows = arc.status(now=now, tier_ages=tier_bounds(ctx.settings.recheck),
                          window=span)
    if as_json:
        emit_json([{
            "source": r.name, "last_run_at": r.last_run_at,
            "tiers": {t.tier: t.articles for t in r.tiers}, "due_now": r.due_now,
            "oldest_due_at": r.oldest_due_at,
            "late_seconds": (now - r.oldest_due_at).total_seconds() if r.oldest_due_at else 0,
            "recent_fetches": r.recent_fetches, "recent_failures": r.recent_failures,
            "failure_rate": round(r.failure_rate, 4),
        } for r in rows])
        return
    for r in rows:
        late = f"{now - r.oldest_due_at}".split(".")[0] if r.oldest_due_at else "-"
        tiers = "  ".join(f"{t.tier}: {t.articles}" for t in r.tiers) or "no articles"
        last = f"{r.last_run_at:%Y-%m-%d %H:%M}Z" if r.last_run_at else "never"
        click.echo(f"{r.name}\n  last run: {last}   due now: {r.due_now} "
                   f"(oldest late by {late})\n  tiers: {tiers}\n"
                   f"  failures: {r.recent_failures}/{r.recent_fetches} "
                   f"({r.failure_rate:.0%}) in the last {window}")


def _local_path(value: str) -> Path | None:
    """The file named by a path or file:// URL, or None for a web URL."""
    if value.startswith("file:"):
        return Path(unquote(urlsplit(value).path))
    if "://" in value:
        return None
    return Path(value)


def _targets_from_args(items: tuple[str, ...], url: str | None) -> list[Target]:
    local = [_local_path(i) for i in items]
    if url is not None and (len(items) != 1 or local[0] is None):
        raise click.UsageError("--url names the original address of exactly one saved page")
    targets = []
    for item, path in zip(items, local, strict=True):
        if path is None:
            _article_url(item)  # a malformed URL is a usage error, before any work
            targets.append(Target(item, user_supplied=True))
        elif not path.is_file():
            raise click.BadParameter(f"no such file: {path}", param_hint="URL_OR_FILE")
        else:
            targets.append(Target(url, local_path=path, user_supplied=True))
    return targets


@main.command()
@common_options
@click.argument("items", metavar="URL_OR_FILE...", nargs=-1, required=True)
@click.option("--url", metavar="URL", help="Original address of a saved page given as FILE.")
@click.option("--json", "as_json", is_flag=True, help="Print the summary as JSON.")
@handle_errors
def archive(config: str | None, db: str | None, items: tuple[str, ...], url: str | None,
            as_json: bool) -> None:
    """Archive these pages now: web URLs, or saved pages (a path or file:// URL).

    \b
    Examples:
        newsarchiver archive https://www.npr.org/2021/08/08/1025934001/taliban-kunduz
        newsarchiver archive saved/story.html --url https://example.com/news/story
    """
    ctx = Context(config, db)
    targets = _targets_from_args(items, url)
    with ctx.archive() as arc, _progress(len(targets)) as step:
        report = archive_targets(targets, settings=ctx.settings, archive=arc, clock=ctx.now,
                                 progress=step)
    _finish(report, as_json)


def _article_url(value: str) -> str:
    try:
        return normalize_url(value)
    except InvalidURL as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None


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
        versions = arc.history(_article_url(url))
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
@handle_errors
def show(config: str | None, db: str | None, url: str, number: int | None,
         as_json: bool) -> None:
    """Print one version of an article: its metadata and clean body.

    \b
    Example:
        newsarchiver show https://example.com/news/story --version 2
    """
    ctx = Context(config, db)
    with ctx.archive() as arc:
        v = arc.version(_article_url(url), number)
    if as_json:
        emit_json(_version_doc(v, body=True))
        return
    click.echo(_describe(v.title, v.url, v.canonical_url, v.authors, v.published, v.modified,
                         v.language, extra=[f"version: {v.number} of first seen "
                                            f"{_iso(v.first_seen)}, seen {v.times_seen}x"]))
    click.echo(v.body)


def _describe(title: str | None, url: str | None, canonical: str | None,
              authors: tuple[str, ...], published: datetime | None,
              modified: datetime | None, language: str | None, extra: list[str]) -> str:
    lines = [f"# {title or '(untitled)'}", ""]
    fields = [("url", url), ("canonical", canonical), ("authors", ", ".join(authors) or None),
              ("published", _iso(published)), ("modified", _iso(modified)),
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
        key = _article_url(url)
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
    (target,) = _targets_from_args((item,), url)
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


@main.group()
def db() -> None:
    """Manage the archive database."""


@db.command("upgrade")
@common_options
@handle_errors
def db_upgrade(config: str | None, db: str | None) -> None:
    """Apply the schema migrations (a fresh SQLite database needs none of this).

    \b
    Example:
        newsarchiver db upgrade --db postgresql+psycopg://archiver@dbhost/news
    """
    ctx = Context(config, db)
    upgrade(ctx.db)
    click.echo(f"database is at the latest schema: {ctx.db.split('@')[-1]}")
