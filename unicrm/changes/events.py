"""What the change feed yields: :class:`ChangeEvent`, one created / updated / deleted record."""

from __future__ import annotations

import datetime as dt
import enum
from typing import TYPE_CHECKING, Any

import attrs

from unicrm.model import EntityKind, Record

if TYPE_CHECKING:
    from unicrm.changes.cursor import ChangeCursor


class ChangeKind(str, enum.Enum):
    """What happened to a record."""

    CREATED = "created"
    UPDATED = "updated"
    DELETED = "deleted"

    def __str__(self) -> str:
        return str(self.value)


class ChangeSource(str, enum.Enum):
    """Where an event came from (for logs and metrics; consumers need not care)."""

    #: a read of the records modified since the cursor (``updated_at``, keyset order)
    POLL = "poll"
    #: an id-set comparison: an id seen before is no longer listed
    SCAN = "scan"
    #: the vendor's own event log (amoCRM ``/api/v4/events``)
    LOG = "log"
    #: a verified webhook call (:mod:`unicrm.webhooks`)
    WEBHOOK = "webhook"

    def __str__(self) -> str:
        return str(self.value)


@attrs.frozen
class ChangeEvent:
    """One change of one record.

    ``time`` is when the change happened as the source knows it (the record's ``updated_at``
    for polled and logged events; when it was noticed, for deletions found by a scan, and for
    webhooks the vendor's timestamp when it sends one). ``record`` is the record as read
    after the change (None for deletions, and for webhook events, whose payloads carry ids
    only). ``cursor`` resumes the feed right after this event (``crm.changes(since=cursor)``;
    ``cursor.dumps()`` is a string to store); webhook events have none.
    """

    kind: ChangeKind = attrs.field(converter=ChangeKind)
    entity: EntityKind = attrs.field(converter=EntityKind)
    record_id: str = attrs.field(converter=str)
    time: dt.datetime | None = None
    record: Record | None = attrs.field(default=None, repr=False)
    cursor: ChangeCursor | None = attrs.field(default=None, repr=False, eq=False)
    source: ChangeSource = attrs.field(default=ChangeSource.POLL, converter=ChangeSource)

    def as_dict(self) -> dict[str, Any]:
        """Plain data for queues and logs: kind, entity, id, ISO time, source (no record)."""
        return {
            "kind": self.kind.value,
            "entity": self.entity.value,
            "record_id": self.record_id,
            "time": None if self.time is None else self.time.isoformat(),
            "source": self.source.value,
        }


__all__ = ["ChangeEvent", "ChangeKind", "ChangeSource"]
