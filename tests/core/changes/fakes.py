"""Memory adapters with the behaviours the feed must cope with: a vendor change log (the
adapter hook's contract, as amoCRM's ``/api/v4/events`` will fill it), reads counted per
request, and a listing that drops rows (an offset-paged read under concurrent deletes)."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

import attrs

import unicrm
from unicrm.adapter import ChangeLogEntry, VendorRequest
from unicrm.model import EntityKind, Record
from unicrm_memory.adapter import MemoryAdapter
from unicrm_memory.capabilities import memory_capabilities
from unicrm_memory.store import MemoryStore


class CountingAdapter(MemoryAdapter):
    """Counts ``fetch`` calls (one per planned vendor request) by endpoint."""

    def __init__(self, store: MemoryStore, level: str = "basic", page_size: int = 100) -> None:
        super().__init__(store, memory_capabilities(level, page_size), "memory://counting")
        self.requests: list[str] = []
        self.hidden: set[str] = set()

    def fetch(self, entity: EntityKind, request: VendorRequest) -> AsyncIterator[list[Record]]:
        self.requests.append(request.endpoint)
        return self._filtered(entity, request)

    async def _filtered(
        self, entity: EntityKind, request: VendorRequest
    ) -> AsyncIterator[list[Record]]:
        listing = request.endpoint.endswith(".scan")  # a full listing drops the hidden rows
        async for page in super().fetch(entity, request):
            yield [r for r in page if not (listing and r.id in self.hidden)]


class LoggingAdapter(CountingAdapter):
    """A memory adapter whose writes are logged, read back through the change-log hook one
    page of ``log_page`` entries at a time; positions are the entry numbers."""

    def __init__(self, store: MemoryStore, log_page: int = 3) -> None:
        super().__init__(store)
        self.capabilities = attrs.evolve(
            self.capabilities, change_log={EntityKind.LEAD, EntityKind.CONTACT}
        )
        self.log: list[ChangeLogEntry] = []
        self.log_page = log_page
        self.log_reads = 0

    def _note(self, kind: str, entity: EntityKind, record_id: str) -> None:
        now = self.store.clock()
        self.log.append(ChangeLogEntry(kind, entity, record_id, now, str(len(self.log) + 1)))

    async def create(self, entity: EntityKind, record: Record) -> Record:
        made = await super().create(entity, record)
        self._note("created", entity, str(made.id))
        return made

    async def patch(self, entity: EntityKind, record_id: str, changes: Mapping[str, Any]) -> Record:
        made = await super().patch(entity, record_id, changes)
        self._note("updated", entity, record_id)
        return made

    async def delete(self, entity: EntityKind, record_id: str) -> None:
        await super().delete(entity, record_id)
        self._note("deleted", entity, record_id)

    async def change_log_head(self, entities: Sequence[EntityKind]) -> str:
        return str(len(self.log))

    async def change_log(
        self, entities: Sequence[EntityKind], since: str
    ) -> AsyncIterator[list[ChangeLogEntry]]:
        pending = [e for e in self.log[int(since) :] if e.entity in entities]
        for start in range(0, len(pending), self.log_page):
            self.log_reads += 1
            yield pending[start : start + self.log_page]


def sync_crm(adapter: MemoryAdapter) -> unicrm.CRM:
    return unicrm.CRM(unicrm.AsyncCRM(adapter))


def at(time: dt.datetime) -> MemoryStore:
    return MemoryStore(clock=lambda: time)
