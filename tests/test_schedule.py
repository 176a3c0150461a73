"""The lifetime re-check policy (newsarchiver.schedule), driven by a simulated clock."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

import pytest

from newsarchiver.config import parse_settings
from newsarchiver.models import RecheckPolicy, Tier
from newsarchiver.schedule import (
    MIN_INTERVAL,
    RecheckDue,
    check_interval,
    format_duration,
    next_check_at,
    plan_recheck,
    tier_name,
)

T0 = datetime(2024, 5, 1, 6, 0, tzinfo=UTC)  # the article is first seen (version 1)
DEFAULT = RecheckPolicy()
MIN = timedelta(minutes=1)
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


def simulate(
    policy: RecheckPolicy, *, days: int = 60, edits: Sequence[timedelta] = ()
) -> list[timedelta]:
    """Check one article at every due time for ``days`` days; return the check times.

    The first fetch at T0 (which stores version 1) is check number one. An edit
    made at ``T0 + e`` is seen by the first check at or after it, and that check's
    time becomes the article's last real change. Times are offsets from T0.
    """
    end = T0 + timedelta(days=days)
    pending = sorted(T0 + e for e in edits)
    last_changed = T0
    due: datetime | None = T0
    checks: list[timedelta] = []
    while due is not None and due <= end:
        now = due  # the injected clock jumps to the due time
        checks.append(now - T0)
        if pending and pending[0] <= now:
            while pending and pending[0] <= now:
                pending.pop(0)
            last_changed = now
        due = next_check_at(last_changed, now, policy)
    return checks


# --- one article over its lifetime ----------------------------------------------------


def test_unchanged_article_gets_exactly_90_checks_then_retires() -> None:
    # Ages at which an unchanged article is checked (first fetch at age 0):
    #   <3h  every 15m: 0, 15m, ..., 2h45m       -> 165/15 + 1 = 12
    #   <1d  every 1h : 3h, 4h, ..., 23h         -> 23 - 3 + 1  = 21
    #   <7d  every 3h : 24h, 27h, ..., 165h      -> (165-24)/3 + 1 = 48
    #   <30d every 3d : 7d, 10d, ..., 28d        -> (28-7)/3 + 1 = 8
    #   due at 28d + 3d = 31d: checked, age >= 30d -> retired  = 1
    #   total 12 + 21 + 48 + 8 + 1 = 90
    checks = simulate(DEFAULT)
    assert len(checks) == 90
    assert checks[:3] == [timedelta(0), 15 * MIN, 30 * MIN]
    assert checks[11:14] == [165 * MIN, 3 * HOUR, 4 * HOUR]
    assert checks[32:34] == [23 * HOUR, 24 * HOUR]
    assert checks[80:82] == [165 * HOUR, 7 * DAY]
    assert checks[-2:] == [28 * DAY, 31 * DAY]
    # retired: nothing from day 31 through day 60
    assert next_check_at(T0, T0 + 31 * DAY, DEFAULT) is None
    assert not [c for c in checks if c > 31 * DAY]


def test_checks_per_tier() -> None:
    per_tier = Counter(tier_name(c, DEFAULT) for c in simulate(DEFAULT))
    assert per_tier == {"<3h": 12, "<1d": 21, "<7d": 48, "<30d": 8, "retired": 1}


def test_an_edit_on_day_5_puts_the_article_back_in_the_fast_tier() -> None:
    # Before the edit (at 5d 1h = 121h), checks at ages under 123h:
    #   12 (<3h) + 21 (<1d) + 33 (<7d: 24h, 27h, ..., 120h -> (120-24)/3 + 1) = 66
    # The check at 123h (5d 3h) sees the edit: last change = 123h. From there the
    # article lives a fresh lifetime: 90 checks, the first being the one at 123h,
    # the last at 123h + 31d = 36d 3h, retired well before day 60.
    #   total 66 + 90 = 156
    edit_seen = 5 * DAY + 3 * HOUR
    checks = simulate(DEFAULT, edits=[5 * DAY + HOUR])
    assert len(checks) == 156
    before = [c for c in checks if c < edit_seen]
    after = [c for c in checks if c >= edit_seen]
    assert len(before) == 66
    assert len(after) == 90
    assert after[:3] == [edit_seen, edit_seen + 15 * MIN, edit_seen + 30 * MIN]
    assert checks[-1] == edit_seen + 31 * DAY


def test_edits_keep_resetting_the_clock() -> None:
    # An edit seen at the 2h45m check: 12 checks, then a fresh lifetime of 90.
    checks = simulate(DEFAULT, edits=[2 * HOUR + 40 * MIN])
    assert len(checks) == 11 + 90
    assert checks[-1] == 165 * MIN + 31 * DAY


def test_after_instead_of_retirement() -> None:
    # The same 89 checks up to day 28, then 31d (age >= 30d: every 7d from now on),
    # 38d, 45d, 52d, 59d; 66d is past day 60.  89 + 5 = 94
    policy = RecheckPolicy(after=timedelta(days=7))
    checks = simulate(policy)
    assert len(checks) == 94
    assert checks[-5:] == [31 * DAY, 38 * DAY, 45 * DAY, 52 * DAY, 59 * DAY]
    assert tier_name(40 * DAY, policy) == ">=30d"


def test_per_source_tier_overrides() -> None:
    settings = parse_settings({
        "sources": [
            {"name": "wire", "feeds": ["https://wire.example.com/rss"],
             "recheck": {"tiers": [{"age": "6h", "every": "30m"},
                                   {"age": "2d", "every": "6h"}]}},
            {"name": "daily", "feeds": ["https://daily.example.com/rss"]},
        ]
    })
    wire = settings.source("wire").recheck
    # <6h every 30m: 0, 30m, ..., 5h30m -> 12; <2d every 6h: 6h, 12h, ..., 42h -> 7;
    # due at 48h: checked, age >= 2d -> retired -> 1.   12 + 7 + 1 = 20
    assert len(simulate(wire)) == 20
    assert simulate(wire)[-1] == 2 * DAY
    assert tier_name(3 * HOUR, wire) == "<6h"
    assert len(simulate(settings.source("daily").recheck)) == 90


def test_global_after_applies_to_sources_without_their_own() -> None:
    settings = parse_settings({
        "recheck": {"after": "30d"},
        "sources": [{"name": "daily", "feeds": ["https://daily.example.com/rss"]}],
    })
    # 89 checks to day 28, then 31d, then 61d is past day 60: 90
    assert len(simulate(settings.source("daily").recheck)) == 90
    assert len(simulate(settings.source("daily").recheck, days=61)) == 91


# --- the timedelta.seconds pitfall ----------------------------------------------------


def test_whole_days_count_in_the_age() -> None:
    age = timedelta(days=2, hours=1)
    assert age.seconds == 3600  # the trap: only the part below one day
    assert check_interval(age, DEFAULT) == 3 * HOUR  # under 7 days, not under 3 hours
    assert tier_name(age, DEFAULT) == "<7d"
    assert check_interval(timedelta(days=40), DEFAULT) is None  # .seconds would be 0
    assert check_interval(timedelta(days=29, hours=23), DEFAULT) == 3 * DAY


def test_days_based_ages_would_never_retire() -> None:
    """The same loop with ages read through ``.seconds`` checks ~33 times a day forever."""

    def buggy_next(last_changed: datetime, now: datetime) -> datetime | None:
        age = now - last_changed
        interval = check_interval(timedelta(seconds=age.seconds), DEFAULT)
        return None if interval is None else now + interval

    due: datetime | None = T0
    buggy: list[timedelta] = []
    while due is not None and due <= T0 + 60 * DAY:
        buggy.append(due - T0)
        due = buggy_next(T0, due)
    correct = simulate(DEFAULT)
    late_days = range(31, 60)
    assert sum(1 for c in buggy if c.days in late_days) > 20 * len(late_days)
    assert sum(1 for c in correct if c.days in late_days) == 1  # the retiring check at 31d
    per_day = Counter(c.days for c in correct if c >= 7 * DAY)
    assert max(per_day.values()) == 1


# --- boundaries and helpers -----------------------------------------------------------


@pytest.mark.parametrize(
    ("age", "interval", "label"),
    [
        (timedelta(0), 15 * MIN, "<3h"),
        (-HOUR, 15 * MIN, "<3h"),  # a change dated after the check counts as age 0
        (3 * HOUR - timedelta(microseconds=1), 15 * MIN, "<3h"),
        (3 * HOUR, HOUR, "<1d"),
        (DAY, 3 * HOUR, "<7d"),
        (7 * DAY, 3 * DAY, "<30d"),
        (30 * DAY - timedelta(seconds=1), 3 * DAY, "<30d"),
        (30 * DAY, None, "retired"),
        (365 * DAY, None, "retired"),
    ],
)
def test_tier_boundaries(age: timedelta, interval: timedelta | None, label: str) -> None:
    assert check_interval(age, DEFAULT) == interval
    assert tier_name(age, DEFAULT) == label


def test_degenerate_policies() -> None:
    never = RecheckPolicy(tiers=())
    assert check_interval(timedelta(0), never) is None
    assert tier_name(timedelta(0), never) == "retired"
    steady = RecheckPolicy(tiers=(), after=timedelta(hours=6))
    assert check_interval(timedelta(days=400), steady) == 6 * HOUR
    assert tier_name(timedelta(0), steady) == "every 6h"
    zero = RecheckPolicy(tiers=(Tier(HOUR, timedelta(0)),))
    assert check_interval(timedelta(0), zero) == MIN_INTERVAL


def test_next_check_at_and_plan_recheck() -> None:
    assert next_check_at(T0, T0 + 2 * DAY, DEFAULT) == T0 + 2 * DAY + 3 * HOUR
    assert plan_recheck(T0, T0 + HOUR, DEFAULT) == RecheckDue(T0 + 75 * MIN, 15 * MIN)
    assert plan_recheck(T0, T0 + 30 * DAY, DEFAULT) is None


def test_format_duration() -> None:
    assert [format_duration(d) for d in (3 * HOUR, DAY, 7 * DAY, 30 * DAY, 90 * MIN,
                                          timedelta(seconds=90), timedelta(0))] == [
        "3h", "1d", "7d", "30d", "90m", "90s", "0s"]
