"""Commands that archive: run, archive, daemon, status, db upgrade."""

from __future__ import annotations

import logging
import os
import socket
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import unquote, urlsplit

import click

from newsarchiver.cli.base import (
    Context,
    common_options,
    duration_option,
    emit_json,
    handle_errors,
    log,
    main,
    url_argument,
)
from newsarchiver.errors import ConfigError
from newsarchiver.models import RunReport, UrlReport
from newsarchiver.pipeline import (
    PassOptions,
    Target,
    archive_targets,
    run_pass,
)
from newsarchiver.store import upgrade


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
    summary = report.summary
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
                          lease=duration_option(lease, "--lease"))
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
    interval = duration_option(tick, "--tick")
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
    span = duration_option(window, "--window")
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


def targets_from_args(items: tuple[str, ...], url: str | None) -> list[Target]:
    local = [_local_path(i) for i in items]
    if url is not None and (len(items) != 1 or local[0] is None):
        raise click.UsageError("--url names the original address of exactly one saved page")
    targets = []
    for item, path in zip(items, local, strict=True):
        if path is None:
            url_argument(item)  # a malformed URL is a usage error, before any work
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
    targets = targets_from_args(items, url)
    with ctx.archive() as arc, _progress(len(targets)) as step:
        report = archive_targets(targets, settings=ctx.settings, archive=arc, clock=ctx.now,
                                 progress=step)
    _finish(report, as_json)



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

