"""The ledger's rows in PostgreSQL: one ledger shared by every worker of a scaled-out run.

Selected by a URL: ``postgresql://user@host:5432/db?schema=unicrm&ledger=acme``. ``schema``
(default ``unicrm``) holds the tables, ``ledger`` (default ``default``) names one ledger among
many in them. The tables are created and upgraded by :data:`MIGRATIONS` (see
:mod:`unicrm.state.schema`):

1. one ledger per schema: ``ledger_meta``, ``ledger_records`` (primary key entity + source id,
   the unique key that keeps a re-run task from writing a record twice), ``ledger_runs``;
   timestamps are ``timestamptz``, insertion order is an identity column;
2. named ledgers: a ``ledger`` column leads every key, so ten thousand migrations share three
   tables instead of needing ten thousand schemas; rows of a version-1 schema become ledger
   ``default``.

The crash-safety protocol is the SQLite one (:mod:`unicrm.migrate.ledger`): each batch is one
transaction, pending rows are inserted with ``ON CONFLICT DO NOTHING`` so two workers marking
the same record cannot both win, and ``created`` only ever turns on.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from unicrm.migrate.ledger import DoneItem, EntryRow, RunRow
from unicrm.state.postgres import PostgresURL, connect, state_errors
from unicrm.state.schema import Migration, upgrade

COMPONENT = "ledger"
DEFAULT_LEDGER = "default"

MIGRATIONS = (
    Migration(
        1,
        "one ledger per schema",
        (
            "CREATE TABLE ledger_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
            """
            CREATE TABLE ledger_records (
                entity TEXT NOT NULL,
                source_id TEXT NOT NULL,
                marker TEXT NOT NULL,
                state TEXT NOT NULL CHECK (state IN ('pending', 'done')),
                target_id TEXT,
                checksum TEXT,
                created BOOLEAN NOT NULL DEFAULT false,
                source_updated TEXT,
                written_at TIMESTAMPTZ,
                seq BIGINT GENERATED ALWAYS AS IDENTITY,
                PRIMARY KEY (entity, source_id)
            )
            """,
            "CREATE INDEX ledger_records_state ON ledger_records (entity, state)",
            """
            CREATE TABLE ledger_runs (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                started_at TIMESTAMPTZ NOT NULL,
                finished_at TIMESTAMPTZ,
                state TEXT NOT NULL,
                source TEXT NOT NULL,
                target TEXT NOT NULL,
                report TEXT
            )
            """,
        ),
    ),
    Migration(
        2,
        "named ledgers share the tables",
        (
            "ALTER TABLE ledger_meta ADD COLUMN ledger TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE ledger_meta DROP CONSTRAINT ledger_meta_pkey",
            "ALTER TABLE ledger_meta ADD PRIMARY KEY (ledger, key)",
            "ALTER TABLE ledger_meta ALTER COLUMN ledger DROP DEFAULT",
            "ALTER TABLE ledger_records ADD COLUMN ledger TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE ledger_records DROP CONSTRAINT ledger_records_pkey",
            "ALTER TABLE ledger_records ADD PRIMARY KEY (ledger, entity, source_id)",
            "ALTER TABLE ledger_records ALTER COLUMN ledger DROP DEFAULT",
            "DROP INDEX ledger_records_state",
            "CREATE INDEX ledger_records_state ON ledger_records (ledger, entity, state)",
            "ALTER TABLE ledger_runs ADD COLUMN ledger TEXT NOT NULL DEFAULT 'default'",
            "ALTER TABLE ledger_runs ALTER COLUMN ledger DROP DEFAULT",
            "CREATE INDEX ledger_runs_ledger ON ledger_runs (ledger, id)",
        ),
    ),
)


def _iso(value: dt.datetime | None) -> str | None:
    return None if value is None else value.astimezone(dt.timezone.utc).isoformat()


class PostgresLedgerStore:
    """One named ledger in a PostgreSQL schema; one connection, serialised by a lock."""

    def __init__(self, url: str) -> None:
        self.url = PostgresURL.parse(url, own=("ledger",))
        self.shown = self.url.shown
        self.name = self.url.name("ledger", DEFAULT_LEDGER)
        self._lock = threading.RLock()
        self._db = connect(self.url, "ledger")
        try:
            with state_errors(self.url, "ledger"):
                upgrade(self._db, self.url.schema, COMPONENT, MIGRATIONS)
        except BaseException:
            self._db.close()
            raise

    # --- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _write(self, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
        if not rows:
            return
        with self._lock, state_errors(self.url, "ledger"), self._db.transaction():
            self._db.cursor().executemany(sql, rows)

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock, state_errors(self.url, "ledger"):
            return self._db.execute(sql, (self.name, *params)).fetchall()

    def exists(self) -> bool:
        found = self._query(
            "SELECT EXISTS (SELECT 1 FROM ledger_meta m WHERE m.ledger = l.name) "
            "OR EXISTS (SELECT 1 FROM ledger_runs r WHERE r.ledger = l.name) "
            "OR EXISTS (SELECT 1 FROM ledger_records d WHERE d.ledger = l.name) "
            "FROM (SELECT %s::text AS name) AS l"
        )
        return bool(found[0][0])

    # --- meta and runs -----------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._query("SELECT value FROM ledger_meta WHERE ledger = %s AND key = %s", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, text: str) -> None:
        self._write(
            "INSERT INTO ledger_meta (ledger, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (ledger, key) DO UPDATE SET value = excluded.value",
            [(self.name, key, text)],
        )

    def insert_run(self, started_at: str, source: str, target: str) -> int:
        rows = self._query(
            "INSERT INTO ledger_runs (ledger, started_at, state, source, target) "
            "VALUES (%s, %s, 'running', %s, %s) RETURNING id",
            (started_at, source, target),
        )
        return int(rows[0][0])

    def finish_run(self, run_id: int, finished_at: str, state: str, report: str) -> None:
        self._write(
            "UPDATE ledger_runs SET finished_at = %s, state = %s, report = %s "
            "WHERE ledger = %s AND id = %s",
            [(finished_at, state, report, self.name, run_id)],
        )

    def runs(self) -> list[RunRow]:
        rows = self._query(
            "SELECT id, started_at, finished_at, state, source, target FROM ledger_runs "
            "WHERE ledger = %s ORDER BY id"
        )
        return [(int(r[0]), _iso(r[1]) or "", _iso(r[2]), r[3], r[4], r[5]) for r in rows]

    # --- records ---------------------------------------------------------------------------
    def entries(self, entity: str, source_ids: Sequence[str] | None) -> list[EntryRow]:
        sql = (
            "SELECT source_id, marker, state, target_id, checksum, created, source_updated "
            "FROM ledger_records WHERE ledger = %s AND entity = %s"
        )
        if source_ids is None:
            rows = self._query(sql, (entity,))
        else:
            rows = self._query(f"{sql} AND source_id = ANY(%s)", (entity, list(source_ids)))
        return [(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def mark_pending(self, entity: str, items: Sequence[tuple[str, str]]) -> None:
        self._write(
            "INSERT INTO ledger_records (ledger, entity, source_id, marker, state) "
            "VALUES (%s, %s, %s, %s, 'pending') "
            "ON CONFLICT (ledger, entity, source_id) DO NOTHING",
            [(self.name, entity, s, m) for s, m in items],
        )

    def mark_done(self, entity: str, items: Sequence[DoneItem], written_at: str) -> None:
        self._write(
            "UPDATE ledger_records SET state = 'done', target_id = %s, checksum = %s, "
            "created = created OR %s, source_updated = %s, written_at = %s "
            "WHERE ledger = %s AND entity = %s AND source_id = %s",
            [(t, c, cr, u, written_at, self.name, entity, s) for s, t, c, cr, u in items],
        )

    def forget(self, entity: str, source_ids: Sequence[str]) -> None:
        self._write(
            "DELETE FROM ledger_records WHERE ledger = %s AND entity = %s AND source_id = %s",
            [(self.name, entity, s) for s in source_ids],
        )

    def target_ids(self, entity: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT source_id, target_id FROM ledger_records WHERE ledger = %s AND entity = %s "
            "AND state = 'done' AND target_id IS NOT NULL",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def created(self, entity: str) -> list[tuple[str, str]]:
        rows = self._query(
            "SELECT source_id, target_id FROM ledger_records WHERE ledger = %s AND entity = %s "
            "AND state = 'done' AND created ORDER BY seq",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def counts(self) -> list[tuple[str, str, int]]:
        rows = self._query(
            "SELECT entity, state, COUNT(*) FROM ledger_records WHERE ledger = %s "
            "GROUP BY entity, state"
        )
        return [(e, s, int(c)) for e, s, c in rows]

    def __repr__(self) -> str:
        return f"PostgresLedgerStore({self.shown!r})"


__all__ = ["DEFAULT_LEDGER", "MIGRATIONS", "PostgresLedgerStore"]
