"""The vendor event-log hook: what an adapter implements when its vendor keeps a change log.

Some vendors keep a log of what happened to their records (amoCRM ``GET /api/v4/events``:
``lead_added``, ``lead_deleted``, ``lead_restored``, ``lead_status_changed``, ...). Where one
covers an entity, the change feed (:mod:`unicrm.changes`) reads it instead of polling the
modification time and diffing id sets: one source that reports deletions too.

An adapter opts in per entity through :attr:`Capabilities.change_log` and implements
:meth:`Adapter.change_log_head` and :meth:`Adapter.change_log`. The contract:

* a *position* is an opaque string the adapter makes (a time, an event id, both); the core
  only stores it and hands it back. ``change_log(entities, since=p)`` yields every entry
  logged **after** the entry whose position is ``p``, oldest first, each with its own
  position, so a feed that stops after any entry resumes exactly after it;
* ``change_log_head(entities)`` is the position of "now": a log read from it yields only what
  is logged later (the feed takes it before its first full read, so nothing between the read
  and the head is lost; what is in both is delivered twice, which at-least-once allows);
* entries are normalised to :class:`ChangeLogEntry` (created / updated / deleted of one
  record; a vendor's "restored" is ``created``, "status changed" / "linked" are ``updated``);
  an adapter may attach the record when the log carries it, otherwise the feed fetches the
  records of a page of entries in batches (``F("id").in_(...)``), never one request each.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import attrs

from unicrm.model import EntityKind

#: The change kinds a log entry (and a :class:`unicrm.ChangeEvent`) can have.
CHANGE_KINDS = ("created", "updated", "deleted")


def _change_kind(value: str) -> str:
    if value not in CHANGE_KINDS:
        raise ValueError(f"a change kind is one of {', '.join(CHANGE_KINDS)}; got {value!r}")
    return value


@attrs.frozen
class ChangeLogEntry:
    """One entry of a vendor's change log, in neutral terms.

    ``kind`` is ``created``/``updated``/``deleted``; ``record`` is the record when the log
    carries it (None: the feed fetches it); ``position`` resumes the log right after this
    entry.
    """

    kind: str = attrs.field(converter=_change_kind)
    entity: EntityKind = attrs.field(converter=EntityKind)
    record_id: str = attrs.field(converter=str)
    time: dt.datetime | None
    position: str
    record: Any = None


__all__ = ["CHANGE_KINDS", "ChangeLogEntry"]
