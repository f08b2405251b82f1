"""The change feed engine: per entity, the best source the adapter has, merged into one stream.

For each entity asked for (one per group of :attr:`Capabilities.same_records`: amoCRM deals
are its leads and are reported once), in order:

* where the adapter reads a vendor change log for it (``capabilities.change_log``): a first
  call takes the log head, reads every record by polling (the snapshot), then follows the log;
  later calls follow the log from the cursor;
* elsewhere: polling on ``updated_at`` up to ``now - lag``, then (``deletions=True``, at most
  once per ``scan_every``) an id-set comparison for deletions.

Delivery is at least once: a call resumed from an event's cursor never misses a change after
it, and may report again what was reported after that cursor. Events of one record come in
the order the changes happened. The feed's :attr:`AsyncChangeFeed.cursor` is the position
after the last event yielded, or, once the feed is exhausted, after everything it looked at
(so a caller that saw no event still moves forward).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import attrs

from unicrm.adapter.base import Adapter
from unicrm.changes.cursor import ChangeCursor, EntityState, IdSet
from unicrm.changes.events import ChangeEvent
from unicrm.changes.options import ChangeOptions
from unicrm.changes.sources import Outcome, Step, modified, poll, read_log, register, scan
from unicrm.crm import portal
from unicrm.errors import QueryError, UnsupportedOperation
from unicrm.model import EntityKind, Record

#: A polled entity's changed records (keyset order) and the time they were read up to.
Window = tuple[list[Record], dt.datetime]


def choose_entities(
    adapter: Adapter, entities: Iterable[EntityKind | str] | None
) -> list[EntityKind]:
    """The entities to report: those asked for (default: every one the adapter lists, in
    :class:`EntityKind` order), one per group of kinds that are the same records."""
    caps = adapter.capabilities
    if entities is None:
        wanted = [e for e in EntityKind if e in caps.entities]
    else:
        if isinstance(entities, (str, EntityKind)):
            entities = [entities]
        wanted = []
        for value in entities:
            try:
                wanted.append(EntityKind(value))
            except ValueError:
                kinds = ", ".join(repr(str(e)) for e in EntityKind)
                raise QueryError(f"no entity kind {value!r}; the kinds are {kinds}") from None
        missing = [e for e in wanted if e not in caps.entities]
        if missing:
            listed = ", ".join(sorted(e.plural for e in caps.entities))
            raise UnsupportedOperation(
                f"{adapter.name} does not support {missing[0].plural} (it has: {listed})",
                vendor=adapter.name,
            )
    return list(caps.distinct(wanted))


class AsyncChangeFeed:
    """``async for event in crm.changes(since=cursor): ...``; then store ``feed.cursor``."""

    def __init__(
        self,
        adapter: Adapter,
        since: ChangeCursor | str | None = None,
        entities: Iterable[EntityKind | str] | None = None,
        options: ChangeOptions | None = None,
    ) -> None:
        self._adapter = adapter
        self._options = options or ChangeOptions()
        self.entities: tuple[EntityKind, ...] = tuple(choose_entities(adapter, entities))
        self._cursor = ChangeCursor.coerce(since)
        self._started = False

    @property
    def cursor(self) -> ChangeCursor:
        """Where a later call resumes: after the last event yielded (after everything looked
        at, once the feed is exhausted)."""
        return self._cursor

    def __aiter__(self) -> AsyncIterator[ChangeEvent]:
        if self._started:
            raise RuntimeError("a change feed is iterated once; call crm.changes() again")
        self._started = True
        return self._events()

    async def _events(self) -> AsyncIterator[ChangeEvent]:
        windows = await self._read_windows()
        for entity in self.entities:
            async for event, state in self._entity(entity, windows.get(entity)):
                self._cursor = self._cursor.with_state(entity, state)
                yield attrs.evolve(event, cursor=self._cursor)

    async def _read_windows(self) -> dict[EntityKind, Window]:
        """Read what every polled entity changed before reporting any of it, and count those
        ids as seen in the cursor (see :func:`unicrm.changes.sources.register`): a cursor
        stored from any event of this call then knows every record this call may report."""
        windows: dict[EntityKind, Window] = {}
        for entity in self.entities:
            state = self._initial(entity)
            if state.mode != "poll" or entity in self._adapter.capabilities.change_log:
                continue
            until = self._options.clock() - self._options.lag
            rows = await modified(self._adapter, entity, state.time, until)
            windows[entity] = (rows, until)
            self._settle(entity, register(state, rows))
        return windows

    def _initial(self, entity: EntityKind) -> EntityState:
        found = self._cursor.state(entity)
        if found is not None:
            return found
        return EntityState(seen=IdSet() if self._options.deletions else None)

    def _settle(self, entity: EntityKind, state: EntityState) -> None:
        self._cursor = self._cursor.with_state(entity, state)

    async def _entity(self, entity: EntityKind, window: Window | None) -> AsyncIterator[Step]:
        options = self._options
        state = self._initial(entity)
        if window is None:
            async for step in self._logged(entity, state):
                yield step
            return
        outcome = Outcome(state)
        async for step in poll(entity, outcome, *window):
            yield step
        self._settle(entity, outcome.state)
        now = options.clock()
        last = outcome.state.scanned_at
        if options.deletions and (last is None or now - last >= options.scan_every):
            async for step in scan(self._adapter, entity, outcome, now):
                yield step
            self._settle(entity, outcome.state)

    async def _logged(self, entity: EntityKind, state: EntityState) -> AsyncIterator[Step]:
        """An entity the vendor log covers: a first full read, then the log."""
        if state.mode == "poll":
            head = await self._adapter.change_log_head([entity])
            state = EntityState(mode="snapshot", log=head)
        if state.mode == "snapshot":
            until = self._options.clock() - self._options.lag
            rows = await modified(self._adapter, entity, state.time, until)
            outcome = Outcome(state)
            async for step in poll(entity, outcome, rows, until):
                yield step
            state = EntityState(mode="log", log=outcome.state.log)
            self._settle(entity, state)
        outcome = Outcome(state)
        async for step in read_log(self._adapter, entity, outcome, self._options.fetch_records):
            yield step
        self._settle(entity, outcome.state)

    def __repr__(self) -> str:
        names = ", ".join(e.plural for e in self.entities)
        return f"<AsyncChangeFeed {names} of {self._adapter.describe()}>"


class ChangeFeed:
    """The sync twin: ``for event in crm.changes(since=cursor): ...``; then ``feed.cursor``.

    It runs :class:`AsyncChangeFeed` on the engine loop, one hop per event.
    """

    def __init__(self, inner: AsyncChangeFeed, owner: Any = None) -> None:
        self._inner = inner
        self._owner = owner  # keeps the sync CRM (and its connection) alive while iterating
        self.entities = inner.entities

    @property
    def cursor(self) -> ChangeCursor:
        """See :attr:`AsyncChangeFeed.cursor`."""
        return self._inner.cursor

    def __iter__(self) -> Iterator[ChangeEvent]:
        return portal.iterate(self._inner.__aiter__())

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncChangeFeed", "ChangeFeed")


__all__ = ["AsyncChangeFeed", "ChangeFeed", "choose_entities"]
