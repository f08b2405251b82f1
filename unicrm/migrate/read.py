"""The read stage: stream one entity's source pages into a bounded queue.

Every entity's reader starts when the run starts, so a later entity (and, on vendors that
read links separately, its links) is read while earlier ones are still being written; the
bounded queue keeps memory flat. On a delta run only records updated since the bound are read.
"""

from __future__ import annotations

import asyncio
from typing import Any

import attrs

from unicrm.migrate.run import TRANSIENT, Run, backoff
from unicrm.model import EntityKind, Record
from unicrm.query import F

#: A page of source records, or None once the source is exhausted.
Pages = asyncio.Queue[list[Record] | None]


@attrs.frozen
class Reader:
    """A running reader: its task, its queue, and how many records it expects (or None)."""

    task: asyncio.Task[None]
    pages: Pages
    total: int | None


def source_query(run: Run, entity: EntityKind) -> Any:
    """All of ``entity`` in the source with every link list, or those updated since the
    delta bound."""
    query = run.source.collection(entity).all().with_links()
    if run.options.since is not None:
        query = query.filter(F("updated_at") >= run.options.since)
    return query


async def start_reader(run: Run, entity: EntityKind) -> Reader:
    """Start a task streaming the source's ``entity`` pages into a bounded queue (then None)."""
    query = source_query(run, entity)
    plan = await query.explain()
    pages: Pages = asyncio.Queue(run.options.read_ahead)

    async def read() -> None:
        # A source read that fails for good mid-stream starts over; records already
        # passed on in this run are not passed on twice.
        seen: set[str | None] = set()
        try:
            for attempt in range(run.options.max_attempts):
                try:
                    async for page in query.pages(plan):
                        fresh = [r for r in page if r.id not in seen]
                        seen.update(r.id for r in fresh)
                        if fresh:
                            await pages.put(fresh)
                    return
                except TRANSIENT:
                    if attempt + 1 == run.options.max_attempts:
                        raise
                    run.report.stats(str(entity)).retried_batches += 1
                    await asyncio.sleep(backoff(attempt))
        finally:
            await pages.put(None)

    total = _estimate(plan, run.source.capabilities.page_size)
    return Reader(asyncio.create_task(read()), pages, total)


def _estimate(plan: Any, page_size: int) -> int | None:
    """Records the plan expects to read (for progress ETA), when the adapter estimated."""
    counts = [p.request.estimated_requests for p in plan.requests]
    if not counts or any(c is None for c in counts):
        return None
    return int(sum(counts)) * page_size
