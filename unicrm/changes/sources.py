"""The three pull sources of the change feed, one function each, per entity.

* :func:`modified` + :func:`poll` - the records modified since the cursor, read with
  ``updated_at`` filters the planner pushes where the vendor can, sorted locally in keyset
  order (updated_at, id) and reported after the cursor's position, up to ``now - lag``.
* :func:`scan` - deletions where nothing else reports them: every id, read with the projection
  ``only("id")``, compared with the ids reported before; each missing id is checked once more
  by a batched ``id in (...)`` read (a page that shifted under an offset-paged read must not
  become a false deletion) before it is reported.
* :func:`read_log` - the vendor's change log through the adapter hook, its id-only entries
  completed by batched reads.

Each yields ``(event, state)`` pairs: the event (its ``cursor`` set by the feed) and the
entity's state right after it; each returns nothing, and :func:`poll`/:func:`scan` leave the
final state in the ``Outcome`` they are given.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator

import attrs

from unicrm.adapter.base import Adapter
from unicrm.changes.cursor import EntityState, IdSet, id_key
from unicrm.changes.events import ChangeEvent, ChangeKind, ChangeSource
from unicrm.changes.fetching import fetch_by_ids, records_query
from unicrm.model import EntityKind, Record
from unicrm.query.dsl import F

Step = tuple[ChangeEvent, EntityState]


@attrs.define
class Outcome:
    """The state a source ends in (also when it reported nothing)."""

    state: EntityState


async def modified(
    adapter: Adapter, entity: EntityKind, since: dt.datetime | None, until: dt.datetime
) -> list[Record]:
    """Records with ``since <= updated_at <= until``, in keyset order (updated_at, id)."""
    query = records_query(adapter, entity).filter(F("updated_at") <= until)
    if since is not None:
        query = query.filter(F("updated_at") >= since)
    rows = [r for page in [p async for p in query.pages()] for r in page]
    dated = [r for r in rows if r.updated_at is not None and r.id is not None]
    return sorted(dated, key=_key)


def _key(record: Record) -> tuple[dt.datetime, tuple[int, int, str]]:
    assert record.updated_at is not None and record.id is not None
    return (record.updated_at, id_key(record.id))


def register(state: EntityState, window: list[Record]) -> EntityState:
    """``state`` with every id of ``window`` counted as seen *before* any is reported.

    A platform may apply events past the cursor it stored (a crash before storing), then
    resume from the stored one; a record reported after that cursor and deleted before the
    resume is then neither polled again nor, unless its id is already in the stored cursor's
    set, found missing by a scan. Registering the whole window up front puts it there.
    """
    if state.seen is None or not window:
        return state
    return attrs.evolve(state, seen=IdSet(state.seen.frozen() | {str(r.id) for r in window}))


async def poll(
    entity: EntityKind, outcome: Outcome, window: list[Record], until: dt.datetime
) -> AsyncIterator[Step]:
    """The records of ``window`` (from :func:`modified`) after the state's position,
    oldest first; then the state moves to ``until``."""
    state = outcome.state
    position = state.position()
    for record in window:
        key = _key(record)
        if position is not None and key <= position:
            continue
        assert record.id is not None and record.updated_at is not None
        created = record.created_at is not None and (
            position is None or (record.created_at, key[1]) > position
        )
        state = attrs.evolve(state, time=record.updated_at, last_id=record.id)
        kind = ChangeKind.CREATED if created else ChangeKind.UPDATED
        yield ChangeEvent(kind, entity, record.id, record.updated_at, record), state
    if state.time is None or state.time <= until:
        state = attrs.evolve(state, time=until, last_id=None)
    outcome.state = state


async def all_ids(adapter: Adapter, entity: EntityKind) -> set[str]:
    """Every id of ``entity``, read with the projection ``only("id")``."""
    ids: set[str] = set()
    async for page in records_query(adapter, entity).only("id").pages():
        ids.update(r.id for r in page if r.id is not None)
    return ids


async def scan(
    adapter: Adapter, entity: EntityKind, outcome: Outcome, now: dt.datetime
) -> AsyncIterator[Step]:
    """Deletions: ids reported before and no longer listed (checked twice), then the state
    with the comparison time. A state without ``seen`` starts from the ids listed now."""
    state = outcome.state
    listed = await all_ids(adapter, entity)
    if state.seen is None:
        outcome.state = attrs.evolve(state, seen=IdSet(listed), scanned_at=now)
        return
    missing = state.seen.frozen() - listed
    still_there = await fetch_by_ids(adapter, entity, missing) if missing else {}
    seen = state.seen
    for record_id in sorted(missing - still_there.keys(), key=id_key):
        seen = seen.discard(record_id)
        state = attrs.evolve(state, seen=seen)
        event = ChangeEvent(ChangeKind.DELETED, entity, record_id, now, source=ChangeSource.SCAN)
        yield event, state
    outcome.state = attrs.evolve(state, scanned_at=now)


async def read_log(
    adapter: Adapter, entity: EntityKind, outcome: Outcome, fetch_records: bool
) -> AsyncIterator[Step]:
    """The vendor log of ``entity`` after the state's log position, records fetched in
    batches per log page where the log carries ids only."""
    state = outcome.state
    assert state.log is not None
    async for entries in adapter.change_log([entity], since=state.log):
        wanted = {e.record_id for e in entries if e.kind != "deleted" and e.record is None}
        found = await fetch_by_ids(adapter, entity, wanted) if fetch_records and wanted else {}
        for entry in entries:
            record = entry.record if entry.record is not None else found.get(entry.record_id)
            if entry.kind == "deleted":
                record = None
            state = attrs.evolve(state, log=entry.position)
            event = ChangeEvent(
                entry.kind, entity, entry.record_id, entry.time, record, source=ChangeSource.LOG
            )
            yield event, state
    outcome.state = state


__all__ = ["Outcome", "Step", "all_ids", "modified", "poll", "read_log", "register", "scan"]
