"""Dates as the portal reads and writes them.

The portal lives in one fixed time zone (:data:`PORTAL_TZ`). Datetimes are stored as Unix
seconds and rendered like PHP ``date('c')``; a value without an offset is read in the portal
zone, like ``strtotime`` on the server. Unparseable input gives ``None``.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone
from typing import Any

PORTAL_TZ = timezone(timedelta(hours=3))

_ISO = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})"
    r"(?:[T ](\d{1,2}):(\d{2})(?::(\d{2})(?:\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}:?\d{2})?\s*$"
)
_RU = re.compile(r"^\s*(\d{1,2})\.(\d{1,2})\.(\d{4})(?:\s+(\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$")


def _offset(text: str | None) -> timezone:
    if not text:
        return PORTAL_TZ
    if text == "Z":
        return timezone.utc
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return timezone(sign * timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))


def parse(value: Any) -> int | None:
    """A date/datetime parameter -> Unix seconds, or ``None`` when it cannot be read."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, (int, float)):
        return int(value)
    if not isinstance(value, str):
        return None
    try:
        match = _ISO.match(value)
        if match:
            y, mo, d, h, mi, s, off = match.groups()
            moment = datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                tzinfo=_offset(off),
            )
            return int(moment.timestamp())
        match = _RU.match(value)
        if match:
            d, mo, y, h, mi, s = match.groups()
            moment = datetime(
                int(y),
                int(mo),
                int(d),
                int(h or 0),
                int(mi or 0),
                int(s or 0),
                tzinfo=PORTAL_TZ,
            )
            return int(moment.timestamp())
    except ValueError:
        return None
    return None


def midnight(ts: int) -> int:
    """The portal-zone midnight of the day ``ts`` falls on (date fields keep only the day)."""
    moment = datetime.fromtimestamp(ts, PORTAL_TZ)
    return int(moment.replace(hour=0, minute=0, second=0, microsecond=0).timestamp())


def render(ts: int | float | None) -> str:
    """Unix seconds -> ``"2024-05-23T18:18:25+03:00"``; empty -> ``""``."""
    if ts is None:
        return ""
    return datetime.fromtimestamp(int(ts), PORTAL_TZ).isoformat()
