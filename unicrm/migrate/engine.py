"""The migration engine: contacts, then leads with their links, from any CRM to any CRM.

Per entity, three kinds of task run at once and talk through bounded queues, so reading the
source overlaps writing the target and memory stays flat:

* a reader streams source pages (``updated_at >= since`` on delta runs);
* a planner maps each record (:func:`~unicrm.migrate.transform.map_record`), checks the ledger
  and sorts it into skip / create / update / look-up-first, and cuts write batches of the
  target's batch size;
* ``writers`` writer tasks send batches with ``create_many``/``update_many``. The adapters'
  limiters bound the request rate; the writers keep enough batches in flight to use it.

Exactly once: every batch is marked ``pending`` in the ledger before it is sent and ``done``
after. A record found ``pending`` (its write may or may not have landed before a crash) is
looked up in the target by its origin marker (``F("origin").in_(...)``) and only written
when it is not there. On a fresh ledger the first batch of each entity is looked up too, so
pointing a new ledger at a target that already holds migrated records finds them instead of
duplicating them.

Fields the target cannot hold are learned from the target's own ``ValidationError`` details
(the adapters name the model field); the engine adds them to the mapping's ``lacks`` (kept in
the ledger, so verification expects the same) and rewrites the affected records with the
values moved to the note, per the mapping's missing-field policy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from collections.abc import Mapping as AbcMapping
from typing import Any, Protocol, TypeVar

import attrs

from unicrm.crm import AsyncCRM
from unicrm.errors import (
    ConfigurationError,
    InvalidResponse,
    NotFound,
    RateLimited,
    ServerError,
    TransportError,
    UnicrmError,
    ValidationError,
)
from unicrm.migrate.automap import Schema, auto_mapping, compatible, stage_key
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.mapping import Mapping, dumps, loads
from unicrm.migrate.report import MigrationReport
from unicrm.migrate.transform import (
    CURRENCY,
    FRACTION,
    Context,
    LinkMissing,
    checksum,
    map_record,
    matches,
    to_plain,
)
from unicrm.model import (
    CustomFieldDef,
    EntityKind,
    Record,
    StageSemantic,
)
from unicrm.query import F

T = TypeVar("T")
ORDER = (EntityKind.CONTACT, EntityKind.LEAD)
#: Errors after which the same write may simply be tried again.
TRANSIENT: tuple[type[UnicrmError], ...] = (
    TransportError,
    RateLimited,
    ServerError,
    InvalidResponse,
)
#: Set-up errors worth another attempt (a refused field key is proposed again differently).
SET_UP_RETRY: tuple[type[UnicrmError], ...] = (*TRANSIENT, ValidationError)
#: Model fields that never become "lacked" (the engine needs them, or they are structure).
STRUCTURAL = frozenset({"id", "origin", "custom", "stage", "contacts", "extra", "raw", "vendor"})
NOTE_FIELD = CustomFieldDef(key="UNICRM_NOTE", label="unicrm migration note", type="text")
LOOKUP_CHUNK = 50


class Progress(Protocol):
    """Where the engine reports progress (the CLI passes rich bars; tests pass nothing)."""

    def start(self, entity: str, total: int | None) -> None: ...

    def advance(self, entity: str, count: int) -> None: ...

    def finish(self, entity: str) -> None: ...


@attrs.frozen
class MigrateOptions:
    """How to run (see ``unicrm migrate --help``)."""

    mapping: Mapping | None = None
    dry_run: bool = False
    resume: bool = False
    since: dt.datetime | None = None
    batch_size: int | None = None
    writers: int = 4
    read_ahead: int = 8
    sample: int = 5
    max_attempts: int = 8
    entities: tuple[EntityKind, ...] = ORDER


@attrs.define
class _Item:
    record: Record
    mapped: Record
    marker: str
    digest: str
    #: the mapping ``mapped`` was made with (remapped before sending if the engine learned since)
    mapped_with: object = None
    target_id: str | None = None
    attempts: int = 0
    #: the last failed write may have reached the target (look it up before retrying)
    unsure: bool = False

    @property
    def source_id(self) -> str:
        return self.record.id or ""


def source_key_of(label: str) -> str:
    """A short stable key for a source CRM (part of every origin marker)."""
    return hashlib.sha1(label.encode("utf-8"), usedforsecurity=False).hexdigest()[:10]


async def load_schema(crm: AsyncCRM) -> Schema:
    """Pipelines, custom fields and abilities of a CRM."""
    caps = crm.capabilities
    fields = {e: tuple(await crm.collection(e).custom_fields()) for e in caps.entities}
    return Schema(
        pipelines=tuple(await crm.pipelines()),
        fields=fields,
        can_create_fields=caps.supports_custom_field_create,
        can_delete=caps.supports_delete,
    )


def stage_semantics(schema: Schema) -> dict[str, StageSemantic]:
    """Target ``"pipeline/stage"`` -> semantic."""
    return {stage_key(p.id, s.id): s.semantic for p in schema.pipelines for s in p.stages}


class _Placeholders(AbcMapping[str, str]):
    """Contact ids for a dry run: known target ids, else a readable placeholder."""

    def __init__(self, known: AbcMapping[str, str]) -> None:
        self._known = known

    def __getitem__(self, key: str) -> str:
        return self._known.get(key) or f"new-contact-for-{key}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


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
        self.source = source
        self.target = target
        self.ledger = ledger
        self.options = options
        self.report = report
        self.progress = progress
        self.source_key = source_key_of(report.source)
        self.mapping = Mapping()
        self.target_schema: Schema | None = None
        self.contact_ids: dict[str, str] = {}
        self.lookup_absent: dict[EntityKind, bool] = {}
        self._learn_lock = asyncio.Lock()

    # --- set-up ----------------------------------------------------------------------------
    async def prepare(self) -> None:
        """Schemas, the effective mapping, custom fields to create, the delta bound."""
        source_schema = await self._retrying(lambda: load_schema(self.source))
        self.target_schema = await self._retrying(lambda: load_schema(self.target))
        mapping = self.options.mapping or auto_mapping(source_schema, self.target_schema)
        for entity in EntityKind:
            declared = self.target.capabilities.cannot_store(entity)
            if declared:
                mapping = mapping.with_lacks(entity, set(declared))
        stored = self.ledger.get_meta("mapping") if self.ledger else None
        if stored:
            learned = loads(stored)
            for entity in EntityKind:
                mapping = mapping.with_lacks(entity, learned.target_lacks(entity))
            for entity in EntityKind:
                for source, rule in learned.rules(entity).items():
                    mine = mapping.rules(entity).get(source)
                    if mine is not None and mine.create and rule.target and not rule.create:
                        mapping = mapping.with_field_target(entity, source, rule.target)
            if learned.note_field.startswith("custom.") and mapping.note_field == "comments":
                mapping = attrs.evolve(mapping, note_field=learned.note_field)
        self.mapping = mapping
        self.report.decisions = _decisions(mapping, source_schema, self.target_schema)
        if not self.options.dry_run:
            await self._create_fields()
            if any("comments" in self.mapping.target_lacks(e) for e in EntityKind):
                await self._ensure_note_field(EntityKind.LEAD)
            self._save_mapping()

    async def _retrying(self, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()``, again after transient failures (reads only: nothing to look up)."""
        for attempt in range(self.options.max_attempts):
            try:
                return await make()
            except TRANSIENT:
                if attempt + 1 == self.options.max_attempts:
                    raise
                await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    def _save_mapping(self) -> None:
        if self.ledger is not None and not self.options.dry_run:
            self.ledger.set_meta("mapping", dumps(self.mapping))
            self.ledger.set_meta("source_key", self.source_key)

    async def _create_fields(self) -> None:
        """Map rules marked ``create`` to a target field of the same label, creating the
        missing ones per entity in one call (one vendor request where the vendor allows)."""
        assert self.target_schema is not None
        for entity in EntityKind:
            wanted = {s: r for s, r in self.mapping.rules(entity).items() if r.create}
            if not wanted:
                continue
            fields = await self._fields_by_label(entity, [r.definition() for r in wanted.values()])
            for source, target in zip(wanted, fields, strict=True):
                self.mapping = self.mapping.with_field_target(entity, source, target.key)
                self.report.decisions["fields"][f"{entity}.{source}"] = (
                    f"{target.key} (created)" if target.key else "create"
                )

    async def _fields_by_label(
        self, entity: EntityKind, definitions: Sequence[CustomFieldDef]
    ) -> list[CustomFieldDef]:
        """The target's field of each definition's label, creating the missing ones.

        Safe to repeat after a failure that may have landed (a timeout, a 5xx): each attempt
        reads the fields again first. A refusal (``ValidationError``) is usually a proposed
        key taken by a field the neutral model cannot see (a Bitrix24 money field
        ``UF_CRM_BUDGET``): the next attempt proposes ``KEY_2``, ``KEY_3`` ... (the key is only
        a proposal; the label is what the mapping matches).
        """
        collection = self.target.collection(entity)
        wanted = {d.label.casefold(): d for d in definitions}
        for attempt in range(self.options.max_attempts):
            try:
                # by label, among the fields whose type can hold the values as they are
                existing: dict[str, CustomFieldDef] = {}
                for field in await collection.custom_fields():
                    want = wanted.get(field.label.casefold())
                    if want is not None and compatible(want.type, field.type):
                        existing.setdefault(field.label.casefold(), field)
                missing = [d for label, d in wanted.items() if label not in existing]
                for new in await collection.create_custom_fields(missing) if missing else ():
                    existing.setdefault(new.label.casefold(), new)
                    self.report.decisions.setdefault("created_fields", []).append(
                        f"{entity}.{new.key} ({new.label})"
                    )
                return [existing[d.label.casefold()] for d in definitions]
            except SET_UP_RETRY as exc:
                if attempt + 1 == self.options.max_attempts:
                    raise
                if isinstance(exc, ValidationError):
                    wanted = {
                        label: attrs.evolve(d, key=f"{_base_key(d.key)}_{attempt + 2}")
                        for label, d in wanted.items()
                    }
                    continue
                await asyncio.sleep(_backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover

    async def _ensure_note_field(self, entity: EntityKind) -> None:
        """The target lacks comments: move notes into a custom text field if possible."""
        if self.mapping.note_field != "comments":
            return
        assert self.target_schema is not None
        if not self.target_schema.can_create_fields:
            self.report.warn("the target has no comments and no custom fields: notes are dropped")
            return
        keys = {kind: (await self._fields_by_label(kind, [NOTE_FIELD]))[0].key for kind in ORDER}
        if len(set(keys.values())) != 1:
            self.report.warn(f"note fields differ per entity: {keys}; using the {entity} one")
        self.mapping = attrs.evolve(self.mapping, note_field=f"custom.{keys[entity]}")
        self.report.decisions["note_field"] = self.mapping.note_field

    # --- the run -----------------------------------------------------------------------------
    def context(self, entity: EntityKind) -> Context:
        assert self.target_schema is not None
        contact_ids: AbcMapping[str, str] = self.contact_ids
        if self.options.dry_run:
            contact_ids = _Placeholders(self.contact_ids)
        return Context(
            mapping=self.mapping,
            source_key=self.source_key,
            target_stages=stage_semantics(self.target_schema),
            contact_ids=contact_ids,
            warn=self.report.warn,
        )

    async def run(self) -> None:
        await self.prepare()
        # Every entity's source reader starts now: the leads are read (and their links looked
        # up) while the contacts are still being written, each into its bounded queue.
        readers = {e: await self._start_reader(e) for e in self.options.entities}
        try:
            for entity in self.options.entities:
                if entity is EntityKind.LEAD and self.ledger is not None:
                    self.contact_ids = self.ledger.target_ids(EntityKind.CONTACT)
                await self._entity(entity, *readers[entity])
        finally:
            tasks = [task for task, _queue, _total in readers.values()]
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    def _query(self, entity: EntityKind) -> Any:
        query = self.source.collection(entity).all()
        if self.options.since is not None:
            query = query.filter(F("updated_at") >= self.options.since)
        return query

    async def _start_reader(
        self, entity: EntityKind
    ) -> tuple[asyncio.Task[None], asyncio.Queue[list[Record] | None], int | None]:
        """A task streaming the source's ``entity`` pages into a bounded queue (then ``None``),
        the queue, and how many records the plan expects (for the progress ETA)."""
        query = self._query(entity)
        plan = await query.explain()
        pages: asyncio.Queue[list[Record] | None] = asyncio.Queue(self.options.read_ahead)

        async def read() -> None:
            # A source read that fails for good mid-stream starts over; records already
            # passed on in this run are not passed on twice.
            seen: set[str | None] = set()
            try:
                for attempt in range(self.options.max_attempts):
                    try:
                        async for page in query.pages(plan):
                            fresh = [r for r in page if r.id not in seen]
                            seen.update(r.id for r in fresh)
                            if fresh:
                                await pages.put(fresh)
                        return
                    except TRANSIENT:
                        if attempt + 1 == self.options.max_attempts:
                            raise
                        self.report.stats(str(entity)).retried_batches += 1
                        await asyncio.sleep(_backoff(attempt))
            finally:
                await pages.put(None)

        return (
            asyncio.create_task(read()),
            pages,
            _estimate(plan, self.source.capabilities.page_size),
        )

    async def _entity(
        self,
        entity: EntityKind,
        reader: asyncio.Task[None],
        pages: asyncio.Queue[list[Record] | None],
        total: int | None,
    ) -> None:
        stats = self.report.stats(str(entity))
        started = time.perf_counter()
        if self.progress is not None:
            self.progress.start(str(entity), total)
        batches: asyncio.Queue[list[_Item] | None] = asyncio.Queue(self.options.writers * 2)
        if self.ledger is not None and entity not in self.lookup_absent:
            known = self.ledger.get_meta(f"lookup_absent.{entity}")
            has_done = bool(self.ledger.counts().get(str(entity), {}).get("done"))
            self.lookup_absent[entity] = bool(known) if known is not None else not has_done

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
                            await self._write(entity, batch)
                            first_done = True
                            continue
                await self._write(entity, batch)

        writers = [asyncio.create_task(write()) for _ in range(self.options.writers)]
        try:
            await self._plan_pages(entity, pages, batches)
            for _ in writers:
                await batches.put(None)
            await asyncio.gather(reader, *writers)
        finally:
            for task in (reader, *writers):
                task.cancel()
            await asyncio.gather(reader, *writers, return_exceptions=True)
            stats.seconds += time.perf_counter() - started
            if self.progress is not None:
                self.progress.finish(str(entity))

    def _batch_size(self) -> int:
        return self.options.batch_size or max(1, self.target.capabilities.write_batch_size)

    async def _plan_pages(
        self,
        entity: EntityKind,
        pages: asyncio.Queue[list[Record] | None],
        batches: asyncio.Queue[list[_Item] | None],
    ) -> None:
        size = self._batch_size()
        buffer: list[_Item] = []
        while (page := await pages.get()) is not None:
            self.report.stats(str(entity)).read += len(page)
            items = await self._classify(entity, page)
            if self.options.dry_run:
                continue
            buffer.extend(items)
            while len(buffer) >= size:
                await batches.put(buffer[:size])
                buffer = buffer[size:]
        if buffer and not self.options.dry_run:
            await batches.put(buffer)

    async def _classify(self, entity: EntityKind, page: Sequence[Record]) -> list[_Item]:
        """Map a page and decide, per record: skip, create, update, or look up first."""
        stats = self.report.stats(str(entity))
        ctx = self.context(entity)
        entries = self.ledger.entries(entity, [r.id or "" for r in page]) if self.ledger else {}
        ready: list[_Item] = []
        unsure: list[_Item] = []
        unknown: list[_Item] = []
        for record in page:
            try:
                mapped = map_record(record, ctx)
            except LinkMissing as exc:
                stats.failed += 1
                self.report.error(f"{entity} {record.id}: {exc}")
                self._advance(entity, 1)
                continue
            item = _Item(record, mapped, mapped.origin or "", checksum(mapped), ctx.mapping)
            entry = entries.get(item.source_id)
            if self.options.dry_run:
                self._plan_dry(entity, item, entry.checksum if entry else None, entry is not None)
                continue
            if entry is not None and entry.state == "done":
                if entry.checksum == item.digest:
                    stats.skipped += 1
                    self._advance(entity, 1)
                    continue
                item.target_id = entry.target_id
                ready.append(item)
            elif entry is not None:
                unsure.append(item)
            elif self.lookup_absent.get(entity, False):
                unknown.append(item)
            else:
                ready.append(item)
        if unknown:
            # A fresh ledger: probe the target with the first records only. If it holds none
            # of them, it holds none of this source's records (they are written in order).
            probe, rest = unknown[:LOOKUP_CHUNK], unknown[LOOKUP_CHUNK:]
            before = stats.recovered
            ready.extend(await self._recover(entity, probe))
            found_any = stats.recovered > before
            self.lookup_absent[entity] = found_any
            if self.ledger is not None:
                self.ledger.set_meta(f"lookup_absent.{entity}", found_any)
            (unsure if found_any else ready).extend(rest)
        if unsure:
            ready.extend(await self._recover(entity, unsure))
        return ready

    def _plan_dry(self, entity: EntityKind, item: _Item, digest: str | None, known: bool) -> None:
        plan = self.report.plan.setdefault(
            str(entity), {"create": 0, "update": 0, "skip": 0, "check": 0}
        )
        if not known:
            plan["create"] += 1
        elif digest is None:
            plan["check"] += 1
        elif digest == item.digest:
            plan["skip"] += 1
        else:
            plan["update"] += 1
        if sum(1 for p in self.report.preview if p["entity"] == str(entity)) < self.options.sample:
            self.report.preview.append(
                {
                    "entity": str(entity),
                    "source_id": item.source_id,
                    "record": to_plain(item.mapped),
                }
            )
        self._advance(entity, 1)

    def _advance(self, entity: EntityKind, count: int) -> None:
        if self.progress is not None and count:
            self.progress.advance(str(entity), count)

    async def find_by_origin(
        self, entity: EntityKind, markers: Sequence[str]
    ) -> dict[str, list[Record]]:
        """Target records carrying each of ``markers`` (several = duplicates)."""
        found: dict[str, list[Record]] = {}
        collection = self.target.collection(entity)
        for start in range(0, len(markers), LOOKUP_CHUNK):
            query = collection.filter(F("origin").in_(list(markers[start : start + LOOKUP_CHUNK])))
            # each attempt reads the chunk afresh: a read that failed half-way adds nothing
            for record in await self._retrying(query.to_list):
                found.setdefault(record.origin or "", []).append(record)
        return found

    async def _recover(self, entity: EntityKind, items: list[_Item]) -> list[_Item]:
        """Look ``items`` up by origin marker; mark found ones done; return what to write."""
        stats = self.report.stats(str(entity))
        found = await self.find_by_origin(entity, [i.marker for i in items])
        to_write: list[_Item] = []
        done: list[tuple[str, str, str, bool, str | None]] = []
        for item in items:
            carriers = sorted(found.get(item.marker, ()), key=lambda r: _id_key(r.id))
            if not carriers:
                item.target_id = None
                to_write.append(item)
                continue
            if len(carriers) > 1:
                self.report.warn(
                    f"{entity} {item.source_id}: {len(carriers)} target records carry its origin "
                    f"marker ({', '.join(r.id or '' for r in carriers)}); keeping the first"
                )
            first = carriers[0]
            stats.recovered += 1
            if not matches(item.mapped, first):
                done.append((item.source_id, first.id or "", item.digest, True, _updated(item)))
                stats.skipped += 1
                self._advance(entity, 1)
            else:
                item.target_id = first.id
                to_write.append(item)
        if self.ledger is not None and done:
            markers = {i.source_id: i.marker for i in items}
            self.ledger.mark_pending(entity, [(d[0], markers[d[0]]) for d in done])
            self.ledger.mark_done(entity, done)
        return to_write

    # --- writing ---------------------------------------------------------------------------
    async def _write(self, entity: EntityKind, batch: list[_Item]) -> None:
        stats = self.report.stats(str(entity))
        collection = self.target.collection(entity)
        self._remap_stale(entity, batch)
        todo = batch
        while todo:
            creates = [i for i in todo if i.target_id is None]
            updates = [i for i in todo if i.target_id is not None]
            assert self.ledger is not None
            self.ledger.mark_pending(entity, [(i.source_id, i.marker) for i in creates])
            retry: list[_Item] = []
            done: list[tuple[str, str, str, bool, str | None]] = []
            for group, call, created in (
                (creates, collection.create_many, True),
                (updates, collection.update_many, False),
            ):
                if not group:
                    continue
                records = [
                    i.mapped if created else attrs.evolve(i.mapped, id=i.target_id) for i in group
                ]
                try:
                    results: list[Any] = list(await call(records))
                except UnicrmError as exc:
                    results = [exc] * len(group)
                for item, result in zip(group, results, strict=True):
                    if isinstance(result, UnicrmError):
                        if await self._handle_error(entity, item, result):
                            retry.append(item)
                        continue
                    done.append(
                        (item.source_id, result.id or "", item.digest, created, _updated(item))
                    )
                    if created:
                        stats.created += 1
                    else:
                        stats.updated += 1
            if done:
                self.ledger.mark_done(entity, done)
                self._advance(entity, len(done))
            todo = await self._prepare_retry(entity, retry) if retry else []

    async def _handle_error(self, entity: EntityKind, item: _Item, error: UnicrmError) -> bool:
        """Decide about one failed write: True to try it again (after fixing what we can)."""
        stats = self.report.stats(str(entity))
        item.attempts += 1
        if item.attempts >= self.options.max_attempts:
            return self._fail(entity, item, error)
        if isinstance(error, ValidationError):
            names = _named_fields(error, item.record)
            if "amount" in names:
                # a value problem, not a missing field: only fractional amounts can be helped
                names.discard("amount")
                amount = getattr(item.record, "amount", None)
                if _fractional(item.record):
                    names.add(FRACTION)
                elif amount is not None:
                    names.add(f"{CURRENCY}{amount.currency}")
            if names and await self._learn(entity, names):
                return True
            return self._fail(entity, item, error)
        if isinstance(error, NotFound) and item.target_id is not None:
            self.report.warn(
                f"{entity} {item.source_id}: target {item.target_id} is gone; recreating"
            )
            item.target_id = None
            return True
        if isinstance(error, TRANSIENT):
            stats.retried_batches += 1
            item.unsure = item.unsure or _maybe_applied(error)
            return True
        return self._fail(entity, item, error)

    def _fail(self, entity: EntityKind, item: _Item, error: UnicrmError) -> bool:
        self.report.stats(str(entity)).failed += 1
        details = getattr(error, "details", ())
        shown = f" {list(details)[:3]}" if details else ""
        self.report.error(f"{entity} {item.source_id}: {type(error).__name__}: {error}{shown}")
        self._advance(entity, 1)
        return False

    async def _learn(self, entity: EntityKind, names: set[str]) -> bool:
        """The target rejected ``names``: record that it lacks them (once) and remap."""
        async with self._learn_lock:
            new = names - self.mapping.target_lacks(entity)
            if new:
                self.report.warn(
                    f"the target has no place for {entity} {', '.join(sorted(new))}: "
                    f"handled by the missing-field policy ({self.mapping.missing})"
                )
                self.mapping = self.mapping.with_lacks(entity, new)
                if "comments" in new:
                    await self._ensure_note_field(entity)
                self._save_mapping()
                self.report.decisions.setdefault("target_lacks", {})[str(entity)] = sorted(
                    self.mapping.target_lacks(entity)
                )
        return True

    def _remap_stale(self, entity: EntityKind, items: Sequence[_Item]) -> None:
        """Map again the items mapped before the engine last learned what the target lacks,
        so a batch cut earlier is not sent only to be rejected for the same field."""
        stale = [i for i in items if i.mapped_with is not self.mapping]
        if not stale:
            return
        ctx = self.context(entity)
        for item in stale:
            item.mapped = map_record(item.record, ctx)
            item.digest = checksum(item.mapped)
            item.mapped_with = ctx.mapping

    async def _prepare_retry(self, entity: EntityKind, items: list[_Item]) -> list[_Item]:
        """Remap (the mapping may have learned) and look up creates that may have landed."""
        self._remap_stale(entity, items)
        await asyncio.sleep(min(2.0, 0.1 * 2 ** max(i.attempts for i in items)))
        unsure = [i for i in items if i.target_id is None and i.unsure]
        sure = [i for i in items if i.target_id is not None or not i.unsure]
        for item in unsure:
            item.unsure = False
        return sure + (await self._recover(entity, unsure) if unsure else [])


def _estimate(plan: Any, page_size: int) -> int | None:
    """Records the plan expects to read (for progress ETA), when the adapter estimated."""
    counts = [p.request.estimated_requests for p in plan.requests]
    if not counts or any(c is None for c in counts):
        return None
    return int(sum(counts)) * page_size


def _named_fields(error: ValidationError, record: Record) -> set[str]:
    """Model fields a ValidationError's details point at.

    A detail path's last segment (``"3:responsible_user_id"`` -> ``responsible_user_id``)
    names a model field when it equals it, or when it starts with the field's stem
    (``responsible_id`` -> ``responsible``); structural fields are never named.
    """
    fields = set(_field_names(record)) - STRUCTURAL
    found: set[str] = set()
    for path, _message in error.details:
        segment = path.replace(":", ".").split(".")[-1]
        for name in fields:
            stem = name.removesuffix("_id")
            if segment == name or (name.endswith("_id") and segment.startswith(stem + "_")):
                found.add(name)
    return found


def _backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 2`` of a failed vendor call."""
    return min(5.0, 0.25 * 2.0**attempt)


def _base_key(key: str) -> str:
    """``BUDGET_3`` -> ``BUDGET`` (the key :meth:`Engine._fields_by_label` first proposed)."""
    stem, _, number = key.rpartition("_")
    return stem if stem and number.isdigit() else key


def _fractional(record: Record) -> bool:
    amount = getattr(record, "amount", None)
    return amount is not None and amount.amount != amount.amount.to_integral_value()


def _maybe_applied(error: UnicrmError) -> bool:
    """Whether a failed write may still have taken effect in the target."""
    if isinstance(error, TransportError):
        return error.maybe_applied
    return not isinstance(error, RateLimited)


def _field_names(record: Record) -> list[str]:
    return [a.name for a in attrs.fields(type(record))]


def _id_key(value: str | None) -> tuple[int, str]:
    text = value or ""
    return (int(text), "") if text.isdigit() else (1 << 62, text)


def _updated(item: _Item) -> str | None:
    stamp = item.record.updated_at
    return stamp.isoformat() if stamp else None


def _decisions(mapping: Mapping, source: Schema, target: Schema) -> dict[str, Any]:
    """The mapping decisions worth showing (stages by name, fields, policy)."""
    names = {
        stage_key(p.id, s.id): f"{p.name} / {s.name}" for p in source.pipelines for s in p.stages
    }
    target_names = {
        stage_key(p.id, s.id): f"{p.name} / {s.name}" for p in target.pipelines for s in p.stages
    }
    stages = {names.get(k, k): target_names.get(v, v) for k, v in sorted(mapping.stages.items())}
    for key, label in names.items():
        if key not in mapping.stages:
            stages[label] = (
                f"{target_names.get(mapping.default_stage, mapping.default_stage)} (default)"
            )
    fields: dict[str, str] = {}
    for entity in EntityKind:
        for source_key, rule in mapping.rules(entity).items():
            outcome = (
                rule.target
                if rule.target
                else ("create" if rule.create else f"missing -> {mapping.missing}")
            )
            fields[f"{entity}.{source_key}"] = outcome
    return {
        "stages": stages,
        "fields": fields,
        "missing": str(mapping.missing),
        "note_field": mapping.note_field,
        "target_lacks": {k: list(v) for k, v in mapping.lacks.items()},
    }


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
    """Copy contacts, then leads with links, from ``source`` to ``target``.

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
        if since is None and not options.resume and ledger.last_complete_run() is not None:
            last = ledger.last_complete_run()
            assert last is not None
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
