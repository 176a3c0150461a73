"""Load and validate ``sources.toml`` into frozen :class:`~newsarchiver.models.Settings`.

Validation is strict: an unknown key, a wrong type, a bad URL, a bad regular
expression or a bad schedule raises :class:`~newsarchiver.errors.ConfigError`
naming the file, the key path (``sources[2].feeds[0]``) and what was expected.
See ``config/sources.toml`` for every option with its default.
"""

from __future__ import annotations

import ipaddress
import re
import tomllib
from collections.abc import Callable, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, TypeVar

from newsarchiver.errors import ConfigError, InvalidURL
from newsarchiver.models import (
    FetchSettings,
    RecheckPolicy,
    SectionPage,
    Settings,
    SiteRules,
    Source,
    Tier,
)
from newsarchiver.urls import normalize_url

DEFAULT_DATABASE = "sqlite:///newsarchiver.db"


# --- parsing helpers -------------------------------------------------------------------

T = TypeVar("T")
_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|m|h|d|w)\s*$")
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_CRON_RANGES = ((0, 59), (0, 23), (1, 31), (1, 12), (0, 7))
_CRON_NAMES = {
    3: ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"],
    4: ["sun", "mon", "tue", "wed", "thu", "fri", "sat"],
}


def parse_duration(text: str) -> timedelta:
    """``"15m"`` -> 15 minutes; units s, m, h, d, w."""
    m = _DURATION.match(text)
    if not m:
        raise ValueError(f"expected a duration such as '90s', '15m', '3h' or '7d', got {text!r}")
    return timedelta(seconds=float(m.group(1)) * _UNITS[m.group(2)])


def _check_cron_field(text: str, index: int) -> None:
    lo, hi = _CRON_RANGES[index]
    names = _CRON_NAMES.get(index, [])
    for part in text.split(","):
        base, _, step = part.partition("/")
        if step and not step.isdigit():
            raise ValueError(f"bad step {step!r}")
        if base == "*":
            continue
        for bound in base.split("-", 1):
            value = names.index(bound.lower()) + (index == 3) if bound.lower() in names else None
            if value is None:
                if not bound.isdigit():
                    raise ValueError(f"bad value {bound!r}")
                value = int(bound)
            if not lo <= value <= hi:
                raise ValueError(f"{value} is outside {lo}-{hi}")


def check_schedule(text: str) -> str:
    """Accept ``"every <duration>"`` or a five-field cron expression; return it stripped."""
    text = " ".join(text.split())
    if text.startswith("every "):
        if parse_duration(text[6:]) <= timedelta(0):
            raise ValueError("the interval must be positive")
        return text
    fields = text.split(" ")
    if len(fields) != 5:
        raise ValueError(
            f"expected 'every <duration>' or a 5-field cron expression, got {text!r}"
        )
    for i, f in enumerate(fields):
        try:
            _check_cron_field(f, i)
        except ValueError as exc:
            name = ("minute", "hour", "day of month", "month", "day of week")[i]
            raise ValueError(f"cron {name} field {f!r}: {exc}") from None
    return text


class _Reader:
    """Walks a TOML table, checking types and remembering the key path for errors."""

    def __init__(self, data: Mapping[str, Any], key: str, path: str | None) -> None:
        self.data = data
        self.key = key
        self.path = path
        self.seen: set[str] = set()

    def error(self, name: str | None, message: str) -> ConfigError:
        key = f"{self.key}.{name}" if self.key and name else (name or self.key)
        return ConfigError(message, path=self.path, key=key)

    def get(self, name: str, kind: type[T] | tuple[type, ...], default: T,
            what: str | None = None) -> T:
        self.seen.add(name)
        if name not in self.data:
            return default
        value = self.data[name]
        kinds = kind if isinstance(kind, tuple) else (kind,)
        ok = isinstance(value, kinds) and not (isinstance(value, bool) and bool not in kinds)
        if not ok:
            raise self.error(name, f"expected {what or _kind_name(kinds)}, got {value!r}")
        return value  # type: ignore[no-any-return]

    def convert(self, name: str, value: Any, fn: Callable[[Any], T]) -> T:
        try:
            return fn(value)
        except (ValueError, TypeError, InvalidURL, re.error) as exc:
            raise self.error(name, str(exc)) from None

    def strings(self, name: str, check: Callable[[str], str] | None = None) -> tuple[str, ...]:
        values = self.get(name, list, [], "a list of strings")
        out = []
        for i, v in enumerate(values):
            if not isinstance(v, str):
                raise self.error(f"{name}[{i}]", f"expected a string, got {v!r}")
            out.append(self.convert(f"{name}[{i}]", v, check) if check else v)
        return tuple(out)

    def table(self, name: str) -> _Reader:
        value = self.get(name, dict, {}, "a table")
        return _Reader(value, f"{self.key}.{name}" if self.key else name, self.path)

    def finish(self) -> None:
        unknown = sorted(set(self.data) - self.seen)
        if unknown:
            expected = ", ".join(sorted(self.seen))
            raise self.error(unknown[0], f"unknown key; expected one of {expected}")


def _kind_name(kinds: tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _web_url(text: str) -> str:
    return normalize_url(text, tracking_params=())


def _regex(text: str) -> str:
    re.compile(text)
    return text


def _network(text: str) -> str:
    return str(ipaddress.ip_network(text, strict=False))


def _positive(r: _Reader, name: str, default: float, kind: type = float) -> Any:
    kinds: tuple[type, ...] = (int, float) if kind is float else (int,)
    what = "a positive number" if kind is float else "a positive integer"
    value = r.get(name, kinds, default, what)
    if value <= 0 and not (name in ("max_retries", "per_host_delay") and value == 0):
        raise r.error(name, f"expected a positive number, got {value!r}")
    return float(value) if kind is float else int(value)


def _fetch_settings(r: _Reader) -> FetchSettings:
    d = FetchSettings()
    s = FetchSettings(
        user_agent=r.get("user_agent", str, d.user_agent),
        timeout=_positive(r, "timeout", d.timeout),
        connect_timeout=_positive(r, "connect_timeout", d.connect_timeout),
        max_bytes=_positive(r, "max_bytes", d.max_bytes, int),
        concurrency=_positive(r, "concurrency", d.concurrency, int),
        per_host_concurrency=_positive(r, "per_host_concurrency", d.per_host_concurrency, int),
        per_host_delay=_positive(r, "per_host_delay", d.per_host_delay),
        max_retries=_positive(r, "max_retries", d.max_retries, int),
        max_retry_after=_positive(r, "max_retry_after", d.max_retry_after),
        max_redirects=_positive(r, "max_redirects", d.max_redirects, int),
        obey_robots=r.get("obey_robots", bool, d.obey_robots),
        allow_private_networks=r.get("allow_private_networks", bool, d.allow_private_networks),
        allowed_networks=r.strings("allowed_networks", _network),
        tracking_params=r.strings("tracking_params") if "tracking_params" in r.data
        else d.tracking_params,
    )
    r.finish()
    return s


def _recheck(r: _Reader, default: RecheckPolicy) -> RecheckPolicy:
    if not r.data:
        return default
    tiers = default.tiers
    if "tiers" in r.data:
        items = r.get("tiers", list, [], "a list of {age, every} tables")
        parsed: list[Tier] = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise r.error(f"tiers[{i}]", f"expected a table {{age, every}}, got {item!r}")
            t = _Reader(item, f"{r.key}.tiers[{i}]", r.path)
            age = t.convert("age", t.get("age", str, "", "a duration such as '3h'"), parse_duration)
            every = t.convert("every", t.get("every", str, "", "a duration such as '15m'"),
                              parse_duration)
            t.finish()
            if parsed and age <= parsed[-1].age:
                raise r.error(f"tiers[{i}].age", "tiers must be in increasing order of age")
            parsed.append(Tier(age, every))
        tiers = tuple(parsed)
    after_text = r.get("after", str, "", "a duration, or 'never'")
    after = default.after
    if after_text:
        after = None if after_text == "never" else r.convert("after", after_text, parse_duration)
    r.finish()
    return RecheckPolicy(tiers=tiers, after=after)


def _source(r: _Reader, default_recheck: RecheckPolicy) -> Source:
    name = r.get("name", str, "", "a non-empty string")
    if not name.strip():
        raise r.error("name", "every source needs a non-empty name")
    sections = []
    for i, item in enumerate(r.get("sections", list, [], "a list of tables")):
        if not isinstance(item, dict):
            raise r.error(f"sections[{i}]",
                          f"expected a table {{url, links, pattern}}, got {item!r}")
        t = _Reader(item, f"{r.key}.sections[{i}]", r.path)
        url = t.convert("url", t.get("url", str, "", "a URL"), _web_url)
        links = t.get("links", str, "") or None
        pattern = t.get("pattern", str, "") or None
        if pattern:
            t.convert("pattern", pattern, _regex)
        t.finish()
        sections.append(SectionPage(url=url, links=links, pattern=pattern))
    schedule = r.get("schedule", str, "", "'every <duration>' or a cron expression") or None
    source = Source(
        name=name.strip(),
        articles=r.strings("articles", _web_url),
        feeds=r.strings("feeds", _web_url),
        sitemaps=r.strings("sitemaps", _web_url),
        sections=tuple(sections),
        include=r.strings("include", _regex),
        exclude=r.strings("exclude", _regex),
        rules=SiteRules(
            body_selector=r.get("body_selector", str, "") or None,
            remove_selectors=r.strings("remove_selectors"),
        ),
        schedule=r.convert("schedule", schedule, check_schedule) if schedule else None,
        obey_robots=r.get("obey_robots", bool, True),
        recheck=_recheck(r.table("recheck"), default_recheck),
    )
    r.finish()
    return source


def parse_settings(data: Mapping[str, Any], path: str | None = None) -> Settings:
    """Validate a parsed TOML document (see module docstring)."""
    root = _Reader(data, "", path)
    archive = root.table("archive")
    database = archive.get("database", str, "", "a database URL") or None
    archive.finish()
    fetch = _fetch_settings(root.table("fetch"))
    recheck = _recheck(root.table("recheck"), RecheckPolicy())
    sources = []
    names: set[str] = set()
    for i, item in enumerate(root.get("sources", list, [], "an array of [[sources]] tables")):
        if not isinstance(item, dict):
            raise root.error(f"sources[{i}]", "expected a [[sources]] table")
        source = _source(_Reader(item, f"sources[{i}]", path), recheck)
        if source.name in names:
            raise root.error(f"sources[{i}].name", f"duplicate source name {source.name!r}")
        names.add(source.name)
        sources.append(source)
    root.finish()
    return Settings(database=database, fetch=fetch, recheck=recheck,
                    sources=tuple(sources), path=path)


def load_settings(path: str | Path | None) -> Settings:
    """Read and validate a sources.toml; ``None`` gives the defaults with no sources."""
    if path is None:
        return Settings()
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=str(p)) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=str(p)) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"invalid TOML: {exc}", path=str(p)) from None
    return parse_settings(data, str(p))
