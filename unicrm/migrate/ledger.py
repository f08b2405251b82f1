"""The migration ledger: source id -> target id, checksums and run state, in SQLite or PostgreSQL.

Write protocol (what makes a crash at any point safe):

1. before a batch is sent, its records are marked ``pending`` with their origin markers;
2. after the target answered, each is marked ``done`` with its target id and the checksum of
   what was written.

A record found ``pending`` by a later run may or may not exist in the target: the engine looks
it up by its origin marker before writing it again. ``done`` records are skipped unless their
checksum changed (a delta run updates them). Every batch is one transaction.

:class:`Ledger` is that protocol, written once; where the rows live is a :class:`LedgerStore`.
``Ledger(location)`` picks the store from the location: a ``postgresql://`` URL opens
:class:`~unicrm.migrate.ledger_postgres.PostgresLedgerStore` (shared by every worker of a
scaled-out run), anything else the SQLite file of
:class:`~unicrm.migrate.ledger_sqlite.SQLiteLedgerStore` (the embedded default).
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Protocol

import attrs

from unicrm.errors import ConfigurationError
from unicrm.model import EntityKind
from unicrm.state.postgres import is_postgres_url

EntryRow = tuple[str, str, str, "str | None", "str | None", bool, "str | None"]
RunRow = tuple[int, str, "str | None", str, str, str]
DoneItem = tuple[str, str, str, bool, "str | None"]


def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat()


@attrs.frozen
class Entry:
    """One source record's line in the ledger."""

    entity: EntityKind
    source_id: str
    marker: str
    state: str
    target_id: str | None
    checksum: str | None
    created: bool
    source_updated: str | None


@attrs.frozen
class Run:
    """One migration run as the ledger remembers it."""

    id: int
    started_at: str
    finished_at: str | None
    state: str
    source: str
    target: str


class LedgerStore(Protocol):
    """Where a ledger's rows live. Each writing method is one transaction (all or nothing).

    Timestamps are ISO 8601 strings in UTC; ``entity`` is the entity kind's string value.
    """

    shown: str
    """The location, safe to print (a file path, or a URL with credentials redacted)."""

    def close(self) -> None: ...

    def exists(self) -> bool:
        """Whether this ledger has recorded anything (a binding, a run or a record)."""
        ...

    def meta(self, key: str) -> str | None: ...

    def set_meta(self, key: str, text: str) -> None: ...

    def insert_run(self, started_at: str, source: str, target: str) -> int:
        """A new run in state ``running``; its id (increasing)."""
        ...

    def finish_run(self, run_id: int, finished_at: str, state: str, report: str) -> None: ...

    def runs(self) -> list[RunRow]:
        """``(id, started_at, finished_at, state, source, target)`` oldest first."""
        ...

    def entries(self, entity: str, source_ids: Sequence[str] | None) -> list[EntryRow]:
        """``(source_id, marker, state, target_id, checksum, created, source_updated)``."""
        ...

    def mark_pending(self, entity: str, items: Sequence[tuple[str, str]]) -> None:
        """Insert ``(source_id, marker)`` as pending; existing rows are left as they are."""
        ...

    def mark_done(self, entity: str, items: Sequence[DoneItem], written_at: str) -> None:
        """``(source_id, target_id, checksum, created, source_updated)``: set done; ``created``
        only ever turns on."""
        ...

    def forget(self, entity: str, source_ids: Sequence[str]) -> None: ...

    def target_ids(self, entity: str) -> list[tuple[str, str]]:
        """``(source_id, target_id)`` of done rows with a target id."""
        ...

    def created(self, entity: str) -> list[tuple[str, str]]:
        """``(source_id, target_id)`` of done rows this ledger created, in insertion order."""
        ...

    def counts(self) -> list[tuple[str, str, int]]:
        """``(entity, state, count)`` for every group present."""
        ...


def open_store(location: str | os.PathLike[str]) -> LedgerStore:
    """The store ``location`` names: ``postgresql://...`` or a SQLite file path."""
    if is_postgres_url(location):
        from unicrm.migrate.ledger_postgres import PostgresLedgerStore

        return PostgresLedgerStore(str(location))
    from unicrm.migrate.ledger_sqlite import SQLiteLedgerStore

    return SQLiteLedgerStore(Path(location))


def ledger_exists(location: str | os.PathLike[str]) -> bool:
    """Whether ``location`` holds a ledger already (a dry run reads one but never creates one).

    A SQLite file that does not exist is not created; a PostgreSQL ledger exists once it has
    recorded something."""
    if not is_postgres_url(location):
        return Path(location).exists()
    store = open_store(location)
    try:
        return store.exists()
    finally:
        store.close()


class Ledger:
    """A ledger at ``location``: a SQLite file path (created on first use) or a
    ``postgresql://`` URL (schema and tables created or upgraded on first use; ``?ledger=NAME``
    picks one of many ledgers in a schema). Thread-safe."""

    def __init__(self, location: str | os.PathLike[str]) -> None:
        self.store = open_store(location)
        self.path: Path | str = self.store.shown if is_postgres_url(location) else Path(location)

    # --- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Ledger({self.store.shown!r})"

    # --- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        text = self.store.meta(key)
        return json.loads(text) if text is not None else default

    def set_meta(self, key: str, value: Any) -> None:
        self.store.set_meta(key, json.dumps(value, sort_keys=True, default=str))

    def bind(self, source: str, target: str) -> None:
        """Tie the ledger to one source and target (redacted URLs); refuse another pair."""
        bound = self.get_meta("endpoints")
        if bound is None:
            self.set_meta("endpoints", {"source": source, "target": target})
        elif bound != {"source": source, "target": target}:
            raise ConfigurationError(
                f"ledger {self.path} belongs to {bound['source']} -> {bound['target']}, "
                f"not {source} -> {target}; use another --ledger file"
            )

    # --- runs ------------------------------------------------------------------------------
    def begin_run(self, source: str, target: str) -> int:
        return self.store.insert_run(_now(), source, target)

    def finish_run(self, run_id: int, state: str, report: Any = None) -> None:
        self.store.finish_run(run_id, _now(), state, json.dumps(report, default=str))

    def runs(self) -> list[Run]:
        return [Run(*row) for row in self.store.runs()]

    def last_complete_run(self) -> Run | None:
        """The latest run that finished (its start time bounds the next delta run)."""
        done = [r for r in self.runs() if r.state == "complete"]
        return done[-1] if done else None

    # --- records ---------------------------------------------------------------------------
    def entries(
        self, entity: EntityKind, source_ids: Iterable[str] | None = None
    ) -> dict[str, Entry]:
        """Entries of ``entity`` (all, or those of ``source_ids``) by source id."""
        ids = None if source_ids is None else list(source_ids)
        return {
            row[0]: Entry(entity, row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])
            for row in self.store.entries(str(entity), ids)
        }

    def mark_pending(self, entity: EntityKind, items: Iterable[tuple[str, str]]) -> None:
        """``(source_id, marker)`` pairs about to be written (kept ``done`` rows stay done)."""
        self.store.mark_pending(str(entity), list(items))

    def mark_done(
        self, entity: EntityKind, items: Iterable[tuple[str, str, str, bool, str | None]]
    ) -> None:
        """``(source_id, target_id, checksum, created, source_updated)`` written."""
        self.store.mark_done(str(entity), list(items), _now())

    def forget(self, entity: EntityKind, source_ids: Iterable[str]) -> None:
        self.store.forget(str(entity), list(source_ids))

    def target_ids(self, entity: EntityKind) -> dict[str, str]:
        """Source id -> target id of every ``done`` record."""
        return dict(self.store.target_ids(str(entity)))

    def created(self, entity: EntityKind) -> list[tuple[str, str]]:
        """``(source_id, target_id)`` of records this ledger's runs created in the target."""
        return self.store.created(str(entity))

    def counts(self) -> dict[str, dict[str, int]]:
        """``{entity: {state: count}}``."""
        found: dict[str, dict[str, int]] = {str(e): {"pending": 0, "done": 0} for e in EntityKind}
        for entity, state, count in self.store.counts():
            found.setdefault(entity, {})[state] = count
        return found

    def __iter__(self) -> Iterator[Entry]:
        for entity in EntityKind:
            yield from self.entries(entity).values()


__all__ = ["Entry", "Ledger", "LedgerStore", "Run", "ledger_exists", "open_store"]
