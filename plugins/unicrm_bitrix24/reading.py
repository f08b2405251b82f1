"""Reading at speed: keyset pages chained inside ``batch``, several ID ranges in parallel.

A classic list page is 50 rows and counting them is expensive (notes §4.1, §4.4), so every
page is asked for with ``order {ID: ASC}``, ``filter {">ID": last}`` and ``start=-1``. One
``batch`` carries 50 such pages, each taking its ``>ID`` from the previous page's 50th row
(``$result[c<k-1>][49][ID]``), so one HTTP request brings up to 2,500 rows.

A read starts with one probe request (the first page and the highest matching ID); the ID
span above the first page is then split into ranges read by parallel chains, each chain a
sequence of batches bounded by ``<=ID``. Within a batch, the first page shorter than 50 ends the
chain: the commands after it referred to a row that does not exist, and their answers are
ignored. Queries holding a value a batch would mistake for a reference (``$result...``) are
read one plain call per page instead.

The probe has room for more commands: ``extra_commands`` ride along with it (the adapter sends
the portal snapshot it has not read yet this way, so a fresh connection's first read costs no
request of its own) and their answers are left in :attr:`KeysetReader.extra_results`.

Later batches can carry commands too: a chain batch asks for no more pages than its ID range
can hold, and the free places take the commands queued with :meth:`KeysetReader.add_rider`
(the adapter completes the probe's first page this way when the snapshot it brought names
multiple user fields, which the first page could not select). Riders no batch had room for
go in one batch of their own (:meth:`KeysetReader.flush_riders`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

from unicrm.errors import InvalidResponse, UnicrmError
from unicrm_bitrix24.capabilities import BATCH_COMMANDS, PAGE_SIZE
from unicrm_bitrix24.client import BatchResult, Envelope, command

VENDOR = "bitrix24"
ROWS_PER_BATCH = PAGE_SIZE * BATCH_COMMANDS
PROBE_KEYS = frozenset({"first", "last"})


class Client(Protocol):
    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Envelope: ...

    async def batch(
        self, commands: Mapping[str, str], *, halt: bool = False, read_only: bool = False
    ) -> BatchResult: ...


def list_rows(value: Any) -> list[Mapping[str, Any]]:
    if isinstance(value, Mapping):  # PHP may send a 0..n-1 keyed map as an object
        value = list(value.values())
    if not isinstance(value, list):
        raise InvalidResponse("bitrix24 list answered without rows", vendor=VENDOR)
    return [r for r in value if isinstance(r, Mapping)]


def _row_id(row: Mapping[str, Any]) -> int:
    raw = row.get("ID")
    text = str(raw)
    if isinstance(raw, (dict, list, bool)) or not text.isascii() or not text.isdigit():
        raise InvalidResponse(
            f"bitrix24 list row without a numeric ID: {text[:40]!r}", vendor=VENDOR
        )
    return int(text)


def _last_id(rows: Sequence[Mapping[str, Any]]) -> int:
    return _row_id(rows[-1])


class Rider:
    """A command waiting for a place in one of the reader's batches, and its answer."""

    def __init__(self, key: str, command: str) -> None:
        self.key = key
        self.command = command
        self.answer: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        # a read that fails before its rider is collected must not leave an unread error behind
        self.answer.add_done_callback(lambda done: done.cancelled() or done.exception())

    def settle(self, answer: BatchResult) -> None:
        """Take this command's result (or error) from the batch it travelled in."""
        if self.answer.done():
            return
        if self.key in answer.errors:
            self.answer.set_exception(answer.errors[self.key])
        elif self.key in answer.results:
            self.answer.set_result(answer.results[self.key])
        else:
            self.answer.set_exception(
                InvalidResponse(
                    f"bitrix24 batch answered neither a result nor an error for {self.key}",
                    vendor=VENDOR,
                )
            )


class KeysetReader:
    """Streams every row of one list method and filter."""

    def __init__(
        self,
        client: Client,
        method: str,
        flt: Mapping[str, Any],
        select: Sequence[str],
        *,
        concurrency: int = 4,
        batchable: bool = True,
        extra_commands: Mapping[str, str] | None = None,
    ) -> None:
        extra = dict(extra_commands or {})
        if extra.keys() & PROBE_KEYS:
            raise ValueError(f"extra commands may not use the probe's keys {sorted(PROBE_KEYS)}")
        self.extra_commands = extra
        #: The answer to ``extra_commands`` (the probe's batch), once the probe ran as a batch.
        self.extra_results: BatchResult | None = None
        self.client = client
        self.method = method
        self.filter = dict(flt)
        self.select = list(select)
        self.concurrency = max(1, concurrency)
        self.batchable = batchable
        self._riders: list[Rider] = []
        self._rider_keys = 0

    def add_rider(self, command_text: str) -> Rider:
        """Queue a read-only command for the next batch with a free place."""
        self._rider_keys += 1
        rider = Rider(f"r{self._rider_keys}", command_text)
        self._riders.append(rider)
        return rider

    def _board(self, free: int) -> list[Rider]:
        """Up to ``free`` queued riders, taken off the queue."""
        taken, self._riders = self._riders[:free], self._riders[free:]
        return taken

    async def flush_riders(self) -> None:
        """Send the riders no batch had room for, in batches of their own."""
        while self._riders:
            riders = self._board(BATCH_COMMANDS)
            try:
                answer = await self.client.batch({r.key: r.command for r in riders}, read_only=True)
            except UnicrmError as exc:
                for rider in riders:
                    if not rider.answer.done():
                        rider.answer.set_exception(exc)
                raise
            for rider in riders:
                rider.settle(answer)

    def _params(
        self, after: Any, upper: int | None, *, select: Sequence[str] | None = None
    ) -> dict[str, Any]:
        flt = {**self.filter, ">ID": after}
        if upper is not None:
            flt["<=ID"] = upper
        return {
            "order": {"ID": "ASC"},
            "filter": flt,
            "select": list(select if select is not None else self.select),
            "start": -1,
        }

    async def _probe(self) -> tuple[list[Mapping[str, Any]], int | None]:
        """The first page and the highest matching ID (one request)."""
        if not self.batchable:
            envelope = await self.client.call(self.method, self._params(0, None))
            return list_rows(envelope.result), None
        last = {**self._params(0, None, select=["ID"]), "order": {"ID": "DESC"}}
        answer = await self.client.batch(
            {
                **self.extra_commands,
                "first": command(self.method, self._params(0, None)),
                "last": command(self.method, last),
            },
            read_only=True,
        )
        if self.extra_commands:
            self.extra_results = BatchResult(
                {k: v for k, v in answer.results.items() if k in self.extra_commands},
                {k: v for k, v in answer.errors.items() if k in self.extra_commands},
            )
        for key in ("first", "last"):
            if key in answer.errors:
                raise answer.errors[key]
        top = list_rows(answer.results.get("last"))
        highest = max((_row_id(r) for r in top), default=None)
        return list_rows(answer.results.get("first")), highest

    async def _chain_batch(
        self, after: int, upper: int | None, pages: int
    ) -> tuple[list[Mapping[str, Any]], bool]:
        """Up to ``pages`` chained pages above ``after``; (rows, whether more may follow).

        No more pages are asked for than the IDs up to ``upper`` can fill (IDs are distinct
        integers); the places left take queued riders.
        """
        if upper is not None:
            pages = max(1, min(pages, -(-(upper - after) // PAGE_SIZE)))
        commands = {}
        for k in range(pages):
            ref = f"$result[c{k - 1}][{PAGE_SIZE - 1}][ID]"
            params = self._params(after if k == 0 else ref, upper)
            commands[f"c{k}"] = command(self.method, params, refs=() if k == 0 else (ref,))
        riders = self._board(BATCH_COMMANDS - pages)
        commands.update({r.key: r.command for r in riders})
        try:
            answer = await self.client.batch(commands, read_only=True)
        except BaseException:
            self._riders[:0] = riders  # not sent: they wait for the next batch
            raise
        for rider in riders:
            rider.settle(answer)
        rows: list[Mapping[str, Any]] = []
        for k in range(pages):
            key = f"c{k}"
            if key in answer.errors:
                if k == 0:
                    raise answer.errors[key]
                return rows, True  # resume from the last good row with a new batch
            page = list_rows(answer.results.get(key))
            if page and rows and _last_id(page) <= _last_id(rows):
                return rows, False  # a substituted reference went wrong: stop, never repeat
            rows.extend(page)
            if len(page) < PAGE_SIZE:
                return rows, False
        return rows, True

    async def _plain_pages(self, after: int) -> AsyncIterator[list[Mapping[str, Any]]]:
        while True:
            envelope = await self.client.call(self.method, self._params(after, None))
            page = list_rows(envelope.result)
            if page:
                yield page
            if len(page) < PAGE_SIZE:
                return
            after = _last_id(page)

    async def _chain(
        self, after: int, upper: int | None, budget: int | None
    ) -> AsyncIterator[list[Mapping[str, Any]]]:
        while budget is None or budget > 0:
            pages = (
                BATCH_COMMANDS if budget is None else min(BATCH_COMMANDS, -(-budget // PAGE_SIZE))
            )
            rows, more = await self._chain_batch(after, upper, pages)
            if rows:
                yield rows
                after = _last_id(rows)
                if budget is not None:
                    budget -= len(rows)
            if not more or not rows or (upper is not None and after >= upper):
                return  # a chain that reached its range's top ID has nothing left to read

    def _ranges(self, low: int, high: int) -> list[tuple[int, int | None]]:
        """ID ranges ``(after, up to)`` covering ``(low, high]``, one per chain.

        Each chain reads its range in sequential batches, so the read takes as many rounds as
        the longest range needs: ``ceil(span / (concurrency * 2,500))``. Every range but the
        last spans exactly that many full batches of IDs, so where IDs are dense no range ends
        on a part-filled batch (12,000 rows: 5 batches, not 8), and a read that needs fewer
        chains than ``concurrency`` to finish in those rounds uses fewer.
        """
        span = high - low
        rounds = max(1, -(-span // (self.concurrency * ROWS_PER_BATCH)))
        step = rounds * ROWS_PER_BATCH
        chains = max(1, -(-span // step))
        edges = [low + i * step for i in range(chains)] + [high]
        return [(edges[i], edges[i + 1]) for i in range(chains)]

    async def pages(self, limit: int | None = None) -> AsyncIterator[list[Mapping[str, Any]]]:
        """Every matching row (up to ``limit``), a batch of pages at a time."""
        if limit is not None and limit <= 0:
            return
        first, top = await self._probe()
        if first:
            yield first[:limit] if limit is not None else first
        if len(first) < PAGE_SIZE or (limit is not None and limit <= len(first)):
            return
        after = _last_id(first)
        if top is not None and top <= after:
            return  # the first page ended on the highest matching ID: nothing is left
        if not self.batchable:
            async for page in self._plain_pages(after):
                yield page
            return
        if limit is not None or top is None or top <= after:
            budget = None if limit is None else limit - len(first)
            async for rows in self._chain(after, None, budget):
                yield rows
            return
        async for rows in self._parallel(self._ranges(after, top)):
            yield rows

    async def _parallel(
        self, ranges: list[tuple[int, int | None]]
    ) -> AsyncIterator[list[Mapping[str, Any]]]:
        queue: asyncio.Queue[list[Mapping[str, Any]] | BaseException | None] = asyncio.Queue(
            maxsize=2 * len(ranges)
        )

        async def run(after: int, upper: int | None) -> None:
            try:
                async for rows in self._chain(after, upper, None):
                    await queue.put(rows)
                await queue.put(None)
            except BaseException as exc:  # handed to the consumer, who re-raises
                await queue.put(exc)

        tasks = [asyncio.ensure_future(run(a, u)) for a, u in ranges]
        running = len(tasks)
        try:
            while running:
                item = await queue.get()
                if item is None:
                    running -= 1
                elif isinstance(item, BaseException):
                    raise item
                else:
                    yield item
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)


__all__ = ["PROBE_KEYS", "ROWS_PER_BATCH", "KeysetReader", "Rider", "list_rows"]
