"""What one migration run shares between its stages (read, plan, write, recover).

:class:`Run` holds the two CRMs, the ledger, the options, the report and what the run
learns as it goes (the effective mapping, the target's schema, the remapped ids); every stage
module is a set of functions over it. :class:`Item` is one source record on its way through.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import Awaitable, Callable
from collections.abc import Mapping as AbcMapping
from typing import Protocol, TypeVar

import attrs

from unicrm.crm import AsyncCRM
from unicrm.errors import (
    InvalidResponse,
    RateLimited,
    ServerError,
    TransportError,
    UnicrmError,
    ValidationError,
)
from unicrm.migrate.automap import Schema
from unicrm.migrate.ledger import Ledger
from unicrm.migrate.links import placeholders
from unicrm.migrate.mapping import Mapping, dumps
from unicrm.migrate.plan import ValueCounter
from unicrm.migrate.report import MigrationReport
from unicrm.migrate.tables import ORDER, links_of, migrated
from unicrm.migrate.transform import Context
from unicrm.model import EntityKind, Record, StageSemantic

T = TypeVar("T")
#: Errors after which the same call may simply be tried again.
TRANSIENT: tuple[type[UnicrmError], ...] = (
    TransportError,
    RateLimited,
    ServerError,
    InvalidResponse,
)
#: Set-up errors worth another attempt (a refused field key is proposed again differently).
SET_UP_RETRY: tuple[type[UnicrmError], ...] = (*TRANSIENT, ValidationError)
#: Origin markers looked up per target query.
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
class Item:
    """One source record on its way to the target."""

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

    @property
    def source_updated(self) -> str | None:
        stamp = self.record.updated_at
        return stamp.isoformat() if stamp else None


def backoff(attempt: int) -> float:
    """Seconds to wait before attempt ``attempt + 2`` of a failed vendor call."""
    return min(5.0, 0.25 * 2.0**attempt)


@attrs.define(eq=False)
class Run:
    """The shared state of one migration run (see the module docstring)."""

    source: AsyncCRM
    target: AsyncCRM
    ledger: Ledger | None
    options: MigrateOptions
    report: MigrationReport
    progress: Progress | None
    source_key: str
    mapping: Mapping = attrs.field(factory=Mapping)
    target_schema: Schema | None = None
    #: the kinds read from the source and routed into the target (their links are remapped)
    migrating: tuple[EntityKind, ...] = ()
    #: the kinds this run moves (``migrating`` within ``MigrateOptions.entities``), in order
    entities: tuple[EntityKind, ...] = ()
    #: per target entity name, target ``"pipeline/stage"`` -> semantic
    target_stages: dict[str, dict[str, StageSemantic]] = attrs.field(factory=dict)
    #: per linked entity name, source id -> target id (what link remaps read)
    ids: dict[str, AbcMapping[str, str]] = attrs.field(factory=dict)
    #: per entity: whether records unknown to the ledger must be looked up before writing
    lookup_absent: dict[EntityKind, bool] = attrs.field(factory=dict)
    learn_lock: asyncio.Lock = attrs.field(factory=asyncio.Lock)
    #: dry run: the source ids planned for creation, by entity name (their placeholders)
    planned: dict[str, set[str]] = attrs.field(factory=dict)
    #: values moved to the note while records were first mapped (``values`` decisions)
    values: ValueCounter = attrs.field(factory=ValueCounter)

    def context(self, *, count: bool = False) -> Context:
        """What :func:`~unicrm.migrate.transform.map_record` needs, as of now; with
        ``count``, the values it moves to the note are counted (first mapping only)."""
        ids: AbcMapping[str, AbcMapping[str, str]] = self.ids
        if self.options.dry_run:
            ids = placeholders(self.ids, self.planned)
        return Context(
            mapping=self.mapping,
            source_key=self.source_key,
            target_stages=self.target_stages,
            ids=ids,
            warn=self.report.warn,
            noted=self.values if count else None,
        )

    def target_of(self, entity: EntityKind) -> EntityKind:
        """The target entity ``entity``'s records become (its route)."""
        return self.mapping.route(entity).target_kind

    def load_ids(self, entity: EntityKind) -> None:
        """Read from the ledger the target ids of every entity ``entity``'s records link to."""
        for link in links_of(self.target_of(entity)):
            kind = migrated(link.entity, self.migrating)
            if kind is not None:
                self.ids[link.entity] = self.ledger.target_ids(kind) if self.ledger else {}

    def advance(self, entity: EntityKind, count: int) -> None:
        if self.progress is not None and count:
            self.progress.advance(str(entity), count)

    def batch_size(self) -> int:
        return self.options.batch_size or max(1, self.target.capabilities.write_batch_size)

    def save_mapping(self) -> None:
        """Keep the effective mapping in the ledger (verification maps with the same)."""
        if self.ledger is not None and not self.options.dry_run:
            self.ledger.set_meta("mapping", dumps(self.mapping))
            self.ledger.set_meta("source_key", self.source_key)

    async def retrying(self, make: Callable[[], Awaitable[T]]) -> T:
        """``await make()``, again after transient failures (reads only: nothing to look up)."""
        for attempt in range(self.options.max_attempts):
            try:
                return await make()
            except TRANSIENT:
                if attempt + 1 == self.options.max_attempts:
                    raise
                await asyncio.sleep(backoff(attempt))
        raise AssertionError("unreachable")  # pragma: no cover
