"""Reading records by id in batches (``F("id").in_(...)``), never one request per record."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from unicrm.adapter.base import Adapter
from unicrm.changes.cursor import id_key
from unicrm.crm.query import AsyncQuery
from unicrm.model import EntityKind, Record
from unicrm.query.dsl import F


def records_query(adapter: Adapter, entity: EntityKind) -> AsyncQuery[Any]:
    """A query over every record of ``entity`` (of whichever record type it holds)."""
    query: AsyncQuery[Any] = AsyncQuery(adapter, entity)
    return query


def batch_size(adapter: Adapter) -> int:
    """How many ids one ``isin`` read carries (the vendor's limit on a value list)."""
    caps = adapter.capabilities
    return max(1, caps.max_in_values or caps.page_size)


async def fetch_by_ids(
    adapter: Adapter, entity: EntityKind, ids: Iterable[str]
) -> dict[str, Record]:
    """The records of ``ids`` that exist, by id (missing ones were deleted since)."""
    wanted = sorted(set(ids), key=id_key)
    found: dict[str, Record] = {}
    size = batch_size(adapter)
    for start in range(0, len(wanted), size):
        query = records_query(adapter, entity).filter(F("id").in_(wanted[start : start + size]))
        async for page in query.pages():
            found.update((r.id, r) for r in page if r.id is not None)
    return found


__all__ = ["batch_size", "fetch_by_ids", "records_query"]
