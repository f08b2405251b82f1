"""The ledger's rows in a SQLite file: the embedded default, for one machine.

The file uses WAL, so a reader (``unicrm verify``) never blocks a running migration. Its layout
is versioned with ``PRAGMA user_version``: files written before versioning (0, with the tables
of version 1) are stamped 1 on open; a file newer than this code is refused.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from unicrm.errors import ConfigurationError
from unicrm.migrate.ledger import DoneItem, EntryRow, RunRow

STEPS = (
    # version 1: the layout since the first release (IF NOT EXISTS: unversioned files match it)
    """
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
    """,
)
CHUNK = 500  # ids per IN (...) list, well under SQLite's host-parameter limit


class SQLiteLedgerStore:
    """A ledger file (created on first use); one connection, serialised by a lock."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.shown = str(path)
        self._lock = threading.RLock()
        try:
            self._db = sqlite3.connect(str(path), check_same_thread=False, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._upgrade()
        except sqlite3.DatabaseError as exc:
            raise ConfigurationError(f"ledger {path} is not a usable SQLite file: {exc}") from None

    def _upgrade(self) -> None:
        version = int(self._db.execute("PRAGMA user_version").fetchone()[0])
        if version > len(STEPS):
            self._db.close()
            raise ConfigurationError(
                f"ledger {self.path} is at version {version}, newer than this unicrm knows "
                f"({len(STEPS)}): upgrade unicrm"
            )
        for step in STEPS[version:]:
            self._db.executescript(step)
        if version < len(STEPS):
            self._db.execute(f"PRAGMA user_version = {len(STEPS)}")

    # --- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: Iterable[tuple[Any, ...]]) -> None:
        with self._lock, self._db:
            self._db.executemany(sql, rows)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            return list(self._db.execute(sql, params))

    def exists(self) -> bool:
        found = self._query(
            "SELECT EXISTS (SELECT 1 FROM meta) OR EXISTS (SELECT 1 FROM runs) "
            "OR EXISTS (SELECT 1 FROM records)"
        )
        return bool(found[0][0])

    # --- meta and runs -----------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM meta WHERE key = ?", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, text: str) -> None:
        self._write(
            "INSERT INTO meta (key, value) VALUES (?, ?) "
            "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            [(key, text)],
        )

    def insert_run(self, started_at: str, source: str, target: str) -> int:
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT INTO runs (started_at, state, source, target) VALUES (?, 'running', ?, ?)",
                (started_at, source, target),
            )
            return int(cursor.lastrowid or 0)

    def finish_run(self, run_id: int, finished_at: str, state: str, report: str) -> None:
        self._write(
            "UPDATE runs SET finished_at = ?, state = ?, report = ? WHERE id = ?",
            [(finished_at, state, report, run_id)],
        )

    def runs(self) -> list[RunRow]:
        rows = self._query(
            "SELECT id, started_at, finished_at, state, source, target FROM runs ORDER BY id"
        )
        return [(int(r[0]), r[1], r[2], r[3], r[4], r[5]) for r in rows]

    # --- records ---------------------------------------------------------------------------
    def entries(self, entity: str, source_ids: Sequence[str] | None) -> list[EntryRow]:
        sql = (
            "SELECT source_id, marker, state, target_id, checksum, created, source_updated "
            "FROM records WHERE entity = ?"
        )
        if source_ids is None:
            rows = self._query(sql, (entity,))
        else:
            rows = []
            for start in range(0, len(source_ids), CHUNK):
                chunk = source_ids[start : start + CHUNK]
                marks = ",".join("?" * len(chunk))
                rows += self._query(f"{sql} AND source_id IN ({marks})", (entity, *chunk))
        return [(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def mark_pending(self, entity: str, items: Sequence[tuple[str, str]]) -> None:
        self._write(
            "INSERT INTO records (entity, source_id, marker, state) VALUES (?, ?, ?, 'pending') "
            "ON CONFLICT(entity, source_id) DO NOTHING",
            [(entity, s, m) for s, m in items],
        )

    def mark_done(self, entity: str, items: Sequence[DoneItem], written_at: str) -> None:
        self._write(
            "UPDATE records SET state = 'done', target_id = ?, checksum = ?, "
            "created = MAX(created, ?), source_updated = ?, written_at = ? "
            "WHERE entity = ? AND source_id = ?",
            [(t, c, int(cr), u, written_at, entity, s) for s, t, c, cr, u in items],
        )

    def forget(self, entity: str, source_ids: Sequence[str]) -> None:
        self._write(
            "DELETE FROM records WHERE entity = ? AND source_id = ?",
            [(entity, s) for s in source_ids],
        )

    def target_ids(self, entity: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT source_id, target_id FROM records "
            "WHERE entity = ? AND state = 'done' AND target_id IS NOT NULL",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def created(self, entity: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT source_id, target_id FROM records "
            "WHERE entity = ? AND state = 'done' AND created = 1 ORDER BY rowid",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def counts(self) -> list[tuple[str, str, int]]:
        rows = self._query("SELECT entity, state, COUNT(*) FROM records GROUP BY entity, state")
        return [(e, s, int(c)) for e, s, c in rows]

    def __repr__(self) -> str:
        return f"SQLiteLedgerStore({self.shown!r})"


__all__ = ["SQLiteLedgerStore"]
