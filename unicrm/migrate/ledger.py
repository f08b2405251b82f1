"""The migration ledger: a SQLite file of source id -> target id, checksums and run state.

Write protocol (what makes a crash at any point safe):

1. before a batch is sent, its records are marked ``pending`` with their origin markers;
2. after the target answered, each is marked ``done`` with its target id and the checksum of
   what was written.

A record found ``pending`` by a later run may or may not exist in the target: the engine looks
it up by its origin marker before writing it again. ``done`` records are skipped unless their
checksum changed (a delta run updates them). The file uses WAL, so a reader (``unicrm
verify``) never blocks a running migration, and every batch is one transaction.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.model import EntityKind

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS records (
    entity TEXT NOT NULL,
    source_id TEXT NOT NULL,
    marker TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
    target_id TEXT,
    checksum TEXT,
    created INTEGER NOT NULL DEFAULT 0,
    source_updated TEXT,
    written_at TEXT,
    PRIMARY KEY (entity, source_id)
);
CREATE INDEX IF NOT EXISTS records_state ON records (entity, state);
CREATE TABLE IF NOT EXISTS runs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    started_at TEXT NOT NULL,
    finished_at TEXT,
    state TEXT NOT NULL,
    source TEXT NOT NULL,
    target TEXT NOT NULL,
    report TEXT
);
"""


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


class Ledger:
    """A ledger file (created on first use). Thread-safe; one connection per ledger."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(self.path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(
                f"ledger {self.path} is not a usable SQLite file: {exc}"
            ) from None

    # --- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with self._lock, self._db:
            self._db.executemany(sql, rows)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params))

    # --- meta ------------------------------------------------------------------------------
    def get_meta(self, key: str, default: Any = None) -> Any:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return json.loads(rows[0][0]) if rows else default

    def set_meta(self, key: str, value: Any) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(key, json.dumps(value, sort_keys=True, default=str))],
        )

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
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, state, source, target) VALUES (?, 'running', ?, ?)",
                (_now(), source, target),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, state: str, report: Any = None) -> None:
        self._write(
            "UPDATE runs SET finished_at = ?, state = ?, report = ? WHERE id = ?",
            [(_now(), state, json.dumps(report, default=str), run_id)],
        )

    def runs(self) -> list[Run]:
        rows = self._query(
            "SELECT id, started_at, finished_at, state, source, target FROM runs ORDER BY id"
        )
        return [Run(*row) for row in rows]

    def last_complete_run(self) -> Run | None:
        """The latest run that finished (its start time bounds the next delta run)."""
        done = [r for r in self.runs() if r.state == "complete"]
        return done[-1] if done else None

    # --- records ---------------------------------------------------------------------------
    def entries(
        self, entity: EntityKind, source_ids: Iterable[str] | None = None
    ) -> dict[str, Entry]:
        """Entries of ``entity`` (all, or those of ``source_ids``) by source id."""
        sql = (
            "SELECT source_id, marker, state, target_id, checksum, created, source_updated "
            "FROM records WHERE entity = ?"
        )
        if source_ids is None:
            rows = self._query(sql, (str(entity),))
        else:
            ids = list(source_ids)
            rows = []
            for start in range(0, len(ids), 500):
                chunk = ids[start : start + 500]
                marks = ",".join("?" * len(chunk))
                rows += self._query(f"{sql} AND source_id IN ({marks})", (str(entity), *chunk))
        return {
            row[0]: Entry(entity, row[0], row[1], row[2], row[3], row[4], bool(row[5]), row[6])
            for row in rows
        }

    def mark_pending(self, entity: EntityKind, items: Iterable[tuple[str, str]]) -> None:
        """``(source_id, marker)`` pairs about to be written (kept ``done`` rows stay done)."""
        self._write(
            "INSERT INTO records (entity, source_id, marker, state) VALUES (?, ?, ?, 'pending') "
            "ON CONFLICT(entity, source_id) DO NOTHING",
            [(str(entity), s, m) for s, m in items],
        )

    def mark_done(
        self, entity: EntityKind, items: Iterable[tuple[str, str, str, bool, str | None]]
    ) -> None:
        """``(source_id, target_id, checksum, created, source_updated)`` written."""
        now = _now()
        self._write(
            "UPDATE records SET state = 'done', target_id = ?, checksum = ?, "
            "created = MAX(created, ?), source_updated = ?, written_at = ? "
            "WHERE entity = ? AND source_id = ?",
            [(t, c, int(cr), u, now, str(entity), s) for s, t, c, cr, u in items],
        )

    def forget(self, entity: EntityKind, source_ids: Iterable[str]) -> None:
        self._write(
            "DELETE FROM records WHERE entity = ? AND source_id = ?",
            [(str(entity), s) for s in source_ids],
        )

    def target_ids(self, entity: EntityKind) -> dict[str, str]:
        """Source id -> target id of every ``done`` record."""
        rows = self._query(
            "SELECT source_id, target_id FROM records WHERE entity = ? AND state = 'done'",
            (str(entity),),
        )
        return {s: t for s, t in rows if t is not None}

    def created(self, entity: EntityKind) -> list[tuple[str, str]]:
        """``(source_id, target_id)`` of records this ledger's runs created in the target."""
        rows = self._query(
            "SELECT source_id, target_id FROM records "
            "WHERE entity = ? AND state = 'done' AND created = 1 ORDER BY rowid",
            (str(entity),),
        )
        return [(s, t) for s, t in rows]

    def counts(self) -> dict[str, dict[str, int]]:
        """``{entity: {state: count}}``."""
        found: dict[str, dict[str, int]] = {str(e): {"pending": 0, "done": 0} for e in EntityKind}
        for entity, state, count in self._query(
            "SELECT entity, state, COUNT(*) FROM records GROUP BY entity, state"
        ):
            found.setdefault(entity, {})[state] = count
        return found

    def __iter__(self) -> Iterator[Entry]:
        for entity in EntityKind:
            yield from self.entries(entity).values()
