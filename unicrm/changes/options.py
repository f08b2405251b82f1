"""The knobs of a change feed (``crm.changes(since, entities, **options)``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import attrs

from unicrm.errors import ConfigurationError


def utc_now() -> dt.datetime:
    """The wall clock, timezone-aware (the default clock of a feed)."""
    return dt.datetime.now(dt.timezone.utc)


def _duration(value: Any) -> dt.timedelta:
    if isinstance(value, dt.timedelta):
        duration = value
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        duration = dt.timedelta(seconds=value)
    else:
        raise ConfigurationError(f"a duration is a timedelta or seconds, got {value!r}")
    if duration < dt.timedelta(0):
        raise ConfigurationError(f"a duration cannot be negative, got {value!r}")
    return duration


@attrs.frozen(kw_only=True)
class ChangeOptions:
    """How a feed reads.

    ``lag``: polling reads records modified up to ``clock() - lag`` only, so a write landing
    in the same second as a poll (vendors keep whole seconds) or a vendor clock a little
    behind ours is read by the next poll instead of being skipped for ever. ``deletions``:
    look for deletions by comparing id sets where no log reports them; ``scan_every``: at
    most one such comparison per entity in this interval (0: every call). ``fetch_records``:
    read the records of events from id-only sources (logs) in batches. ``clock``: where the
    feed reads the time (tests move it).
    """

    lag: dt.timedelta = attrs.field(default=dt.timedelta(seconds=5), converter=_duration)
    deletions: bool = True
    scan_every: dt.timedelta = attrs.field(default=dt.timedelta(0), converter=_duration)
    fetch_records: bool = True
    clock: Callable[[], dt.datetime] = attrs.field(default=utc_now, eq=False)

    @classmethod
    def build(cls, options: dict[str, Any]) -> ChangeOptions:
        """From keyword options; unknown names are a ConfigurationError listing the known."""
        known = [a.name for a in attrs.fields(cls)]
        unknown = sorted(set(options) - set(known))
        if unknown:
            raise ConfigurationError(
                f"unknown change feed options: {', '.join(unknown)} (known: {', '.join(known)})"
            )
        return cls(**options)


__all__ = ["ChangeOptions", "utc_now"]
