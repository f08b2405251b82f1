"""The in-process store behind ``memory://``: records, pipelines and custom field definitions.

``memory://`` gives a fresh store per connection; ``memory://NAME`` shares one store per name
within the process (handy for migrating between two named stores).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import Any, cast

import attrs

from unicrm.model import (
    STAGED,
    Contact,
    CustomFieldDef,
    EntityKind,
    Pipeline,
    Record,
    Stage,
    StageSemantic,
)

DEFAULT_PIPELINE = Pipeline(
    id="1",
    name="Sales",
    is_default=True,
    stages=(
        Stage(id="new", name="New", semantic=StageSemantic.OPEN, sort=10),
        Stage(id="in_progress", name="In progress", semantic=StageSemantic.OPEN, sort=20),
        Stage(id="proposal", name="Proposal", semantic=StageSemantic.OPEN, sort=30),
        Stage(id="won", name="Won", semantic=StageSemantic.WON, sort=40),
        Stage(id="lost", name="Lost", semantic=StageSemantic.LOST, sort=50),
    ),
)


#: Deals have two pipelines, so "every pipeline" and "one pipeline" differ in tests.
DEAL_PIPELINES = (
    Pipeline(
        id="10",
        name="Deals",
        is_default=True,
        stages=(
            Stage(id="new", name="New", semantic=StageSemantic.OPEN, sort=10),
            Stage(id="negotiation", name="Negotiation", semantic=StageSemantic.OPEN, sort=20),
            Stage(id="won", name="Won", semantic=StageSemantic.WON, sort=30),
            Stage(id="lost", name="Lost", semantic=StageSemantic.LOST, sort=40),
        ),
    ),
    Pipeline(
        id="20",
        name="Partners",
        stages=(
            Stage(id="talks", name="Talks", semantic=StageSemantic.OPEN, sort=10),
            Stage(id="signed", name="Signed", semantic=StageSemantic.WON, sort=20),
            Stage(id="dropped", name="Dropped", semantic=StageSemantic.LOST, sort=30),
        ),
    ),
)


def evolved(record: Record, **changes: Any) -> Record:
    """``attrs.evolve`` for a record of any type (mypy types it per union member)."""
    made: Record = attrs.evolve(cast(Any, record), **changes)
    return made


def _utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class MemoryStore:
    """Records by entity and id, with sequential ids and server-maintained timestamps."""

    def __init__(self, clock: Callable[[], dt.datetime] = _utc_now) -> None:
        self.lock = threading.RLock()
        self.clock = clock
        self.records: dict[EntityKind, dict[str, Record]] = {e: {} for e in EntityKind}
        self.custom_fields: dict[EntityKind, dict[str, CustomFieldDef]] = {
            e: {} for e in EntityKind
        }
        self.pipelines: dict[EntityKind, list[Pipeline]] = {
            EntityKind.LEAD: [DEFAULT_PIPELINE],
            EntityKind.DEAL: list(DEAL_PIPELINES),
        }
        self._next_id = 1

    def new_id(self) -> str:
        with self.lock:
            value = str(self._next_id)
            self._next_id += 1
            return value

    def stored(self, record: Record, record_id: str, created: dt.datetime | None) -> Record:
        """``record`` as the store keeps it: id, vendor, timestamps and closed_at set."""
        now = self.clock()
        if record.kind in STAGED:
            stage = getattr(record, "stage", None)
            final = stage is not None and stage.semantic is not StageSemantic.OPEN
            return evolved(
                record,
                id=record_id,
                vendor="memory",
                created_at=created or now,
                updated_at=now,
                closed_at=(getattr(record, "closed_at", None) or now) if final else None,
            )
        return evolved(
            record, id=record_id, vendor="memory", created_at=created or now, updated_at=now
        )


_named: dict[str, MemoryStore] = {}
_named_lock = threading.Lock()


def store_for(name: str) -> MemoryStore:
    """A fresh store for ``""``; the shared store called ``name`` otherwise."""
    if not name:
        return MemoryStore()
    with _named_lock:
        return _named.setdefault(name, MemoryStore())


def forget(name: str) -> None:
    """Drop the shared store called ``name`` (tests)."""
    with _named_lock:
        _named.pop(name, None)


__all__ = ["DEAL_PIPELINES", "DEFAULT_PIPELINE", "Contact", "MemoryStore", "forget", "store_for"]
