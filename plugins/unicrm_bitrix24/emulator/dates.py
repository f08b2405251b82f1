"""Dates as the portal reads and writes them.

The portal lives in one fixed time zone (:data:`PORTAL_TZ`). Datetimes are stored as Unix
seconds and rendered like PHP ``date('c')``; a value without an offset is read in the portal
zone, like ``strtotime`` on the server. Unparseable input gives ``None``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
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


#: portal-zone day number -> ``"YYYY-MM-DDT"``, and second of the day -> ``"HH:MM:SS+03:00"``:
#: answers render hundreds of thousands of dates, most of them on a few thousand days.
_DAY_TEXT: dict[int, str] = {}
_CLOCK_TEXT: dict[int, str] = {}
_DAY_CACHE_MAX = 200_000
_OFFSET_SECONDS = int(PORTAL_TZ.utcoffset(None).total_seconds())


def _render_slow(ts: int) -> str:
    return datetime.fromtimestamp(ts, PORTAL_TZ).isoformat()


def render(ts: int | float | None) -> str:
    """Unix seconds -> ``"2024-05-23T18:18:25+03:00"``; empty -> ``""``.

    The same text as ``datetime.fromtimestamp(ts, PORTAL_TZ).isoformat()``, assembled from
    cached day and time-of-day parts (the portal zone has a fixed offset).
    """
    if ts is None:
        return ""
    seconds = int(ts)
    day, clock = divmod(seconds + _OFFSET_SECONDS, 86400)
    day_text = _DAY_TEXT.get(day)
    if day_text is None:
        text = _render_slow(seconds)  # raises as datetime does for out-of-range moments
        if len(_DAY_TEXT) < _DAY_CACHE_MAX:
            _DAY_TEXT[day] = text[:11]
        _CLOCK_TEXT[clock] = text[11:]
        return text
    clock_text = _CLOCK_TEXT.get(clock)
    if clock_text is None:
        clock_text = _CLOCK_TEXT[clock] = _render_slow(seconds)[11:]
    return day_text + clock_text


def render_column(values: Iterable[Any], empty: str | None = "") -> list[str | None]:
    """:func:`render` over a column of stored values, ``None`` rendered as ``empty`` (one call
    per column instead of one per value: answers carry a few dates on every row)."""
    out: list[str | None] = []
    append = out.append
    days, clocks, offset = _DAY_TEXT, _CLOCK_TEXT, _OFFSET_SECONDS
    for value in values:
        if value is None:
            append(empty)
            continue
        day, clock = divmod(int(value) + offset, 86400)
        day_text = days.get(day)
        clock_text = clocks.get(clock)
        if day_text is None or clock_text is None:
            append(render(value))
        else:
            append(day_text + clock_text)
    return out
