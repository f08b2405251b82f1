"""The migration engine's orchestrator: the entities in order, each through its stages.

Stages, one module each, over one shared :class:`~unicrm.migrate.run.Run`:

* :mod:`~unicrm.migrate.prepare`: schemas, the effective mapping, fields to create;
* :mod:`~unicrm.migrate.read`: a reader per entity streams source pages (all readers start
  at once, each into its bounded queue, so reading overlaps writing and memory stays flat);
* :mod:`~unicrm.migrate.classify`: each page is mapped and sorted into skip / create /
  update / look up first, and cut into write batches of the target's batch size;
* :mod:`~unicrm.migrate.write`: ``writers`` tasks send batches (``create_many`` /
  ``update_many``); the adapters' limiters bound the rate, the writers keep it busy;
* :mod:`~unicrm.migrate.recover`: what may already be in the target is found by origin marker.

The entity order and the link remaps come from :mod:`~unicrm.migrate.tables`; nothing here
names an entity. Exactly once, per record: ``pending`` in the ledger before the write,
``done`` after, and a ``pending`` record is looked up by its marker before it is written again.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import time

import attrs

from unicrm.crm import AsyncCRM
from unicrm.errors import ConfigurationError, UnicrmError
from unicrm.migrate.classify import classify, decide_lookups
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.prepare import load_schema, prepare, stage_semantics
from unicrm.migrate.read import Pages, Reader, start_reader
from unicrm.migrate.report import MigrationReport
from unicrm.migrate.run import Item, MigrateOptions, Progress, Run
from unicrm.migrate.transform import source_key_of
from unicrm.migrate.write import write_batch
from unicrm.model import EntityKind

__all__ = [
    "Engine",
    "MigrateOptions",
    "Progress",
    "load_schema",
    "migrate",
    "source_key_of",
    "stage_semantics",
]


class Engine:
    """One migration run. Use :func:`migrate` unless you need the pieces."""

    def __init__(  # noqa: PLR0917 - the engine's collaborators
        self,
        source: AsyncCRM,
        target: AsyncCRM,
        ledger: Ledger | None,
        options: MigrateOptions,
        report: MigrationReport,
        progress: Progress | None,
    ) -> None:
        if ledger is None and not options.dry_run:
            raise ConfigurationError("a migration that writes needs a ledger file")
        self.run_state = Run(
            source=source,
            target=target,
            ledger=ledger,
            options=options,
            report=report,
            progress=progress,
            source_key=source_key_of(report.source),
        )

    async def run(self) -> None:
        """Prepare, then move every entity in order."""
        run = self.run_state
        await prepare(run)
        entities = run.entities
        # Every entity's source reader starts now: later entities (and their links) are read
        # while earlier ones are still being written, each into its bounded queue.
        readers = {e: await start_reader(run, e) for e in entities}
        try:
            for entity in entities:
                run.load_ids(entity)
                await self._entity(entity, readers[entity])
            run.report.decisions.extend(run.values.decisions())
        finally:
            run.report.target_lacks = {k: list(v) for k, v in run.mapping.lacks.items() if v}
            tasks = [reader.task for reader in readers.values()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _entity(self, entity: EntityKind, reader: Reader) -> None:
        run = self.run_state
        stats = run.report.stats(str(entity))
        started = time.perf_counter()
        if run.progress is not None:
            run.progress.start(str(entity), reader.total)
        batches: asyncio.Queue[list[Item] | None] = asyncio.Queue(run.options.writers * 2)
        decide_lookups(run, entity)
        first = asyncio.Lock()
        first_done = False

        async def write() -> None:
            # The first batch goes alone: the target may do one-time set-up on it (fields it
            # creates on first use) and the engine may learn what the target lacks.
            nonlocal first_done
            while (batch := await batches.get()) is not None:
                if not first_done:
                    async with first:
                        if not first_done:
                            await write_batch(run, entity, batch)
                            first_done = True
                            continue
                await write_batch(run, entity, batch)

        writers = [asyncio.create_task(write()) for _ in range(run.options.writers)]
        try:
            await self._plan_pages(entity, reader.pages, batches)
            for _ in writers:
                await batches.put(None)
            await asyncio.gather(reader.task, *writers)
        finally:
            for task in (reader.task, *writers):
                task.cancel()
            await asyncio.gather(reader.task, *writers, return_exceptions=True)
            stats.seconds += time.perf_counter() - started
            if run.progress is not None:
                run.progress.finish(str(entity))

    async def _plan_pages(
        self, entity: EntityKind, pages: Pages, batches: asyncio.Queue[list[Item] | None]
    ) -> None:
        """Classify each page; cut what is to be written into batches of the target's size."""
        run = self.run_state
        size = run.batch_size()
        buffer: list[Item] = []
        while (page := await pages.get()) is not None:
            run.report.stats(str(entity)).read += len(page)
            buffer.extend(await classify(run, entity, page))
            while len(buffer) >= size:
                await batches.put(buffer[:size])
                buffer = buffer[size:]
        if buffer:
            await batches.put(buffer)


async def migrate(
    source: AsyncCRM,
    target: AsyncCRM,
    *,
    ledger: Ledger | None,
    options: MigrateOptions | None = None,
    source_label: str,
    target_label: str,
    progress: Progress | None = None,
) -> MigrationReport:
    """Copy every entity in :data:`~unicrm.migrate.tables.ORDER` with its links, from
    ``source`` to ``target``.

    ``source_label``/``target_label`` name the two sides (redacted URLs); the origin markers
    derive from the source label, and the ledger is bound to the pair. Returns the report;
    per-record failures are in it (``state == "failed"``), configuration problems raise.
    """
    options = options or MigrateOptions()
    report = MigrationReport(source=source_label, target=target_label, dry_run=options.dry_run)
    run_id: int | None = None
    since = options.since
    if ledger is not None and not options.dry_run:
        ledger.bind(source_label, target_label)
        runs = ledger.runs()
        if runs and runs[-1].state in {"running", "interrupted"} and not options.resume:
            raise ConfigurationError(
                f"the last run in {ledger.path} did not complete ({runs[-1].state}); "
                "rerun with --resume to continue it"
            )
        last = ledger.last_complete_run()
        if since is None and not options.resume and last is not None:
            since = dt.datetime.fromisoformat(last.started_at) - dt.timedelta(seconds=2)
        run_id = ledger.begin_run(source_label, target_label)
    options = attrs.evolve(options, since=since)
    report.since = since.isoformat() if since else None
    engine = Engine(source, target, ledger, options, report, progress)
    started = time.perf_counter()
    state = "interrupted"
    try:
        await engine.run()
        failed = any(s.failed for s in report.entities.values())
        state = "planned" if options.dry_run else ("failed" if failed else "complete")
    except (asyncio.CancelledError, KeyboardInterrupt):
        state = "interrupted"
        raise
    except UnicrmError:
        state = "failed"
        raise
    finally:
        report.seconds = time.perf_counter() - started
        report.state = state
        if ledger is not None and run_id is not None:
            ledger.finish_run(run_id, state, report.as_dict())
    return report
