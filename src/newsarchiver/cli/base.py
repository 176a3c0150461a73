"""Shared plumbing of the ``newsarchiver`` command: context, options, errors, output.

Exit codes: 0 the command completed (single-URL failures are reported, not fatal);
1 nothing could be archived, or the thing asked for is not in the archive;
2 usage or configuration errors. This is the only place errors become messages.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from newsarchiver import __version__
from newsarchiver.config import DEFAULT_DATABASE, load_settings, parse_duration
from newsarchiver.errors import ConfigError, InvalidURL, NewsArchiverError
from newsarchiver.models import Settings
from newsarchiver.store import Archive
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


def iso(value: datetime | None) -> str | None:
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



def duration_option(text: str, option: str) -> timedelta:
    try:
        return parse_duration(text)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint=option) from None


def url_argument(value: str) -> str:
    try:
        return normalize_url(value)
    except InvalidURL as exc:
        raise click.BadParameter(str(exc), param_hint="URL") from None


