"""Lenient date parsing for page metadata: a string in, an aware datetime or None out.

Accepted spellings, tried in order:

1. ISO 8601 (``2021-08-08T15:32:10.000Z``, ``2021-08-08T11:32:10-04:00``,
   ``2021-08-08 15:32:10 +0000``, ``2021-08-08``, basic ``20210808T153210Z``);
2. RFC 2822 / HTTP dates (``Sun, 08 Aug 2021 15:32:10 GMT``);
3. Unix timestamps of 10 (seconds) or 13 (milliseconds) digits, taken as UTC;
4. English datelines (``Aug. 8, 2021``, ``August 8, 2021``, ``8 August 2021``).

A time without an offset is read in ``default_tz`` (UTC unless the caller knows
better, see :mod:`newsarchiver.extract.metadata`). An offset given by the page is
kept as it is, not converted. Garbage, placeholder dates (before 1800, the Unix
epoch itself) and dates past 2200 give None; nothing here raises.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from email.utils import parsedate_to_datetime
from typing import Final

_MAX_LEN: Final = 100
_MIN_YEAR: Final = 1800
_MAX_YEAR: Final = 2200
_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)

_MONTH_NAMES: Final = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)
_MONTHS: Final = {name: number for number, name in enumerate(_MONTH_NAMES, 1)}
_MONTHS.update({name[:3]: number for name, number in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_MONTH: Final = r"(?P<month>[A-Za-z]{3,9})\.?"
_DAY: Final = r"(?P<day>\d{1,2})(?:st|nd|rd|th)?"
_YEAR: Final = r"(?P<year>\d{4})"
_HUMAN_DATES: Final = (
    re.compile(rf"^{_MONTH}\s+{_DAY},?\s+{_YEAR}\b"),
    re.compile(rf"^{_DAY}\.?\s+{_MONTH},?\s+{_YEAR}\b"),
)
_SPACED_OFFSET: Final = re.compile(r"\s+(?=[+-]\d{2}:?\d{2}$)")
_TRAILING_UTC: Final = re.compile(r"\s*(?:UTC|GMT)$", re.IGNORECASE)
_TIMESTAMP: Final = re.compile(r"^\d{10}(?:\d{3})?$")


def parse_date(value: str | None, default_tz: tzinfo = UTC) -> datetime | None:
    """Return ``value`` as an aware datetime, or None when it is not a usable date."""
    if not value:
        return None
    text = " ".join(value.split())
    if not text or len(text) > _MAX_LEN:
        return None
    for parser in (_parse_iso, _parse_rfc2822, _parse_timestamp, _parse_human):
        try:
            parsed = parser(text)
        except (ValueError, TypeError, OverflowError, IndexError):
            parsed = None
        if parsed is not None:
            if parsed.tzinfo is None or parsed.utcoffset() is None:
                parsed = parsed.replace(tzinfo=default_tz)
            return parsed if _plausible(parsed) else None
    return None


def offset_of(value: str | None) -> tzinfo | None:
    """The UTC offset written in a date string, if it has one."""
    parsed = parse_date(value)
    if parsed is None or not _has_explicit_offset(value or ""):
        return None
    offset = parsed.utcoffset()
    return timezone(offset) if offset is not None else None


_EXPLICIT_OFFSET: Final = re.compile(r"(?:Z|[+-]\d{2}:?\d{2}|\b(?:GMT|UTC|[ECMP][SD]T))$", re.I)
_RFC2822: Final = re.compile(r"^(?:[A-Za-z]{3},\s*)?\d{1,2}\s+[A-Za-z]{3}\s+\d{4}\s+\d")


def _has_explicit_offset(text: str) -> bool:
    return bool(_EXPLICIT_OFFSET.search(text.strip()))


def _parse_iso(text: str) -> datetime | None:
    if not text[:4].isdigit():
        return None
    text = _TRAILING_UTC.sub("Z", text)
    text = _SPACED_OFFSET.sub("", text)
    return datetime.fromisoformat(text)


def _parse_rfc2822(text: str) -> datetime | None:
    if not _RFC2822.match(text):
        return None
    return parsedate_to_datetime(text)


def _parse_timestamp(text: str) -> datetime | None:
    if not _TIMESTAMP.match(text):
        return None
    seconds = int(text) / 1000 if len(text) == 13 else int(text)
    return _EPOCH + timedelta(seconds=seconds)


def _parse_human(text: str) -> datetime | None:
    for pattern in _HUMAN_DATES:
        match = pattern.match(text)
        if match is None:
            continue
        month = _MONTHS.get(match["month"].lower())
        if month is None:
            continue
        return datetime(int(match["year"]), month, int(match["day"]))
    return None


def _plausible(moment: datetime) -> bool:
    return _MIN_YEAR <= moment.year <= _MAX_YEAR and moment != _EPOCH
