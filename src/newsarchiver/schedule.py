"""The lifetime re-check policy. Pure: ``now`` is always passed in.

News articles change most in their first hours, so an article is re-checked often
while its last real change is recent and less and less as that change ages. The
tiers (see :class:`~newsarchiver.config.RecheckPolicy`) key on the time since the
article's LAST REAL CHANGE, not since it was first seen: an edit puts it back in
the fastest tier.

Conventions:

* A tier applies while the age is strictly under its ``age``: an article exactly
  3 h after its last change is in the next tier.
* After a check at ``checked_at``, the next check is due at
  ``checked_at + interval(checked_at - last_changed)``: the interval is chosen
  by the age at the check just made, and a due check is always performed, even
  when it falls past the next tier boundary.
* An article is retired (no next check) when a check finds its age at or past
  the last tier's ``age`` and ``policy.after`` is None; with ``after`` set it is
  checked every ``after`` from then on.
* A negative age (a change dated after the check, clock skew) counts as zero, and
  no interval is shorter than :data:`MIN_INTERVAL`.

Ages are compared as whole ``timedelta`` values (never ``timedelta.seconds``,
which is only the seconds part below one day).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from newsarchiver.models import RecheckPolicy

#: Floor for any re-check interval, so a zero interval cannot loop a run.
MIN_INTERVAL = timedelta(minutes=1)
_ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class RecheckDue:
    """An article's next re-check: when it is due and the interval that set it."""

    due_at: datetime
    interval: timedelta


def check_interval(since_change: timedelta, policy: RecheckPolicy) -> timedelta | None:
    """How often to check an article whose last change is ``since_change`` old.

    None means retired. ``check_interval(timedelta(days=2, hours=1), RecheckPolicy())``
    is 3 hours (the under-7-days tier).
    """
    age = max(since_change, _ZERO)
    for tier in policy.tiers:
        if age < tier.age:
            return max(tier.every, MIN_INTERVAL)
    if policy.after is None:
        return None
    return max(policy.after, MIN_INTERVAL)


def plan_recheck(
    last_changed: datetime, checked_at: datetime, policy: RecheckPolicy
) -> RecheckDue | None:
    """The next re-check after a check at ``checked_at``; None once retired."""
    interval = check_interval(checked_at - last_changed, policy)
    if interval is None:
        return None
    return RecheckDue(due_at=checked_at + interval, interval=interval)


def next_check_at(
    last_changed: datetime, checked_at: datetime, policy: RecheckPolicy
) -> datetime | None:
    """When to check again after a check at ``checked_at``; None once retired."""
    plan = plan_recheck(last_changed, checked_at, policy)
    return None if plan is None else plan.due_at


def tier_name(since_change: timedelta, policy: RecheckPolicy) -> str:
    """A short label for ``status`` reports: ``"<3h"``, ``"<1d"``, ... or ``"retired"``."""
    age = max(since_change, _ZERO)
    for tier in policy.tiers:
        if age < tier.age:
            return f"<{format_duration(tier.age)}"
    if policy.after is None:
        return "retired"
    if not policy.tiers:
        return f"every {format_duration(policy.after)}"
    return f">={format_duration(policy.tiers[-1].age)}"


def tier_bounds(policy: RecheckPolicy) -> tuple[tuple[str, timedelta], ...]:
    """Each tier's ``status`` label with its upper age, youngest first.

    Articles at or past the last age are labelled as :func:`tier_name` says
    (``"retired"``, or ``">=30d"`` when ``after`` keeps checking them).
    """
    return tuple((f"<{format_duration(t.age)}", t.age) for t in policy.tiers)


def format_duration(value: timedelta) -> str:
    """The largest whole unit that spells ``value`` exactly: ``1d``, ``3h``, ``90s``."""
    seconds = int(value.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds and seconds % size == 0:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


__all__ = [
    "MIN_INTERVAL",
    "RecheckDue",
    "check_interval",
    "format_duration",
    "next_check_at",
    "plan_recheck",
    "tier_bounds",
    "tier_name",
]
