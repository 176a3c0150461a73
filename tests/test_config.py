"""sources.toml validation: every error names the file, the key path and what was expected."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from newsarchiver.config import check_schedule, load_settings, parse_duration
from newsarchiver.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def _load(tmp_path: Path, text: str) -> object:
    p = tmp_path / "sources.toml"
    p.write_text(text, encoding="utf-8")
    return load_settings(p)


def test_shipped_config_is_valid() -> None:
    s = load_settings(ROOT / "config" / "sources.toml")
    assert s.sources, "the shipped config lists example sources"
    assert any(src.feeds for src in s.sources) and any(src.articles for src in s.sources)
    assert "http" in s.fetch.user_agent  # a contact URL in the user agent


@pytest.mark.parametrize(
    ("toml", "key", "expected"),
    [
        ('[[sources]]\nname = "A"\nfeeds = "https://x.org/rss"', "sources[0].feeds",
         "a list of strings"),
        ('[[sources]]\nname = "A"\narticles = ["ftp://x.org/a"]', "sources[0].articles[0]",
         "scheme ftp: is not allowed"),
        ('[[sources]]\nname = "A"\narticles = ["https://"]', "sources[0].articles[0]",
         "no host"),
        ('[[sources]]\nname = "A"\nfeed = []', "sources[0].feed", "unknown key"),
        ('[[sources]]\nname = "A"\nschedule = "every banana"', "sources[0].schedule",
         "duration"),
        ('[[sources]]\nname = "A"\nschedule = "61 * * * *"', "sources[0].schedule",
         "minute"),
        ('[[sources]]\nname = "A"\nexclude = ["("]', "sources[0].exclude[0]",
         "missing )"),
        ('[fetch]\ntimeout = "30"', "fetch.timeout", "a positive number"),
        ('[fetch]\ntimeout = -1', "fetch.timeout", "positive"),
        ('[fetch]\nobey_robots = 1', "fetch.obey_robots", "true or false"),
        ('[fetch]\nallowed_networks = ["10.0.0.0/33"]', "fetch.allowed_networks[0]",
         "10.0.0.0/33"),
        ('[recheck]\ntiers = [{age = "1d", every = "1h"}, {age = "3h", every = "15m"}]',
         "recheck.tiers[1].age", "increasing"),
        ('[[sources]]\nname = "A"\n[[sources]]\nname = "A"', "sources[1].name", "duplicate"),
        ('[[sources]]\narticles = []', "sources[0].name", "non-empty"),
        ("colour = 1", "colour", "unknown key"),
    ],
)
def test_errors_name_file_key_and_expectation(tmp_path: Path, toml: str, key: str,
                                              expected: str) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, toml)
    message = str(info.value)
    assert str(tmp_path / "sources.toml") in message
    assert info.value.key == key
    assert expected in message


def test_bad_toml_and_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="invalid TOML"):
        _load(tmp_path, "[[sources]\n")
    with pytest.raises(ConfigError, match="file not found"):
        load_settings(tmp_path / "nope.toml")


def test_full_source(tmp_path: Path) -> None:
    s = _load(tmp_path, """
[fetch]
per_host_delay = 0
allow_private_networks = true
[[sources]]
name = "Example"
articles = ["HTTPS://Example.ORG/a?utm_source=x#frag"]
sections = [{ url = "https://example.org/world", links = "h2 a", pattern = "/20\\\\d\\\\d/" }]
body_selector = "div.story"
remove_selectors = [".promo"]
schedule = "*/15 6-23 * * mon-fri"
obey_robots = false
[sources.recheck]
tiers = [{ age = "1d", every = "30m" }]
after = "7d"
""")
    src = s.sources[0]  # type: ignore[attr-defined]
    assert src.articles == ("https://example.org/a?utm_source=x",)
    assert src.sections[0].links == "h2 a"
    assert src.rules.body_selector == "div.story"
    assert src.recheck.tiers[0].every == timedelta(minutes=30)
    assert src.recheck.after == timedelta(days=7)
    assert not src.obey_robots
    assert s.fetch.per_host_delay == 0  # type: ignore[attr-defined]


def test_durations_and_schedules() -> None:
    assert parse_duration("90s") == timedelta(seconds=90)
    assert parse_duration("2w") == timedelta(weeks=2)
    assert check_schedule("every  15m") == "every 15m"
    assert check_schedule("0 */2 * * *") == "0 */2 * * *"
    for bad in ("every 0m", "* * *", "0 24 * * *", "0 0 * 13 *", "*/x * * * *"):
        with pytest.raises(ValueError):
            check_schedule(bad)
