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
   ``default``; the (entity, state) index goes (the primary key serves every reader).

The crash-safety protocol is the SQLite one (:mod:`unicrm.migrate.ledger`). Each batch is one
statement over arrays (``unnest``): one round trip, one transaction. Pending rows are inserted
with ``ON CONFLICT DO NOTHING``, so two workers marking the same record cannot both win, and
``created`` only ever turns on. Every batch finds its rows through the primary key (see
:data:`KEY_LOOKUP`), so its cost does not grow with the ledger. Commits are durable
(``synchronous_commit`` as the server sets it, ``on`` by default: one WAL flush per batch); a
run that prefers speed to surviving a database crash can add
``options=-csynchronous_commit%3Doff`` to the URL (the origin markers in the target still find
what a lost ledger entry wrote).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

from unicrm.migrate.ledger import DoneItem, EntryRow, RunRow
from unicrm.state.postgres import PostgresURL, state_errors
from unicrm.state.schema import Migration, open_component

COMPONENT = "ledger"
# A batch's rows, found one key at a time: a LATERAL subquery fenced by OFFSET 0 cannot be
# flattened into a join, so each id is an equality lookup on the primary key whatever the
# statistics say. Young tables, and a young ledger in a big shared table, have statistics that
# say "tiny", on which PostgreSQL would otherwise scan a whole entity per batch (measured
# before this: 36 ms to read a batch of 100 at 10,000 rows, 207 ms at 30,000).
KEY_LOOKUP = (
    "CROSS JOIN LATERAL (SELECT * FROM ledger_records AS r "
    "WHERE r.ledger = %s AND r.entity = %s AND r.source_id = v.s OFFSET 0) AS r"
)
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
            # readers of states read an entity's rows through the primary key anyway; the
            # extra index only misled the planner on young (unanalysed) tables
            "DROP INDEX ledger_records_state",
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
        self._db = open_component(self.url, "ledger", COMPONENT, MIGRATIONS)

    # --- plumbing --------------------------------------------------------------------------
    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _run(
        self, sql: str, params: tuple[Any, ...] = (), *, named: bool = True
    ) -> list[tuple[Any, ...]]:
        """Run one statement (so one transaction, in autocommit: a batch is all or nothing) and
        return its rows. The first parameter is the ledger's name unless ``named=False``."""
        with self._lock, state_errors(self.url, "ledger"):
            cursor = self._db.execute(sql, (self.name, *params) if named else params)
            return cursor.fetchall() if cursor.description else []

    def exists(self) -> bool:
        found = self._run(
            "SELECT EXISTS (SELECT 1 FROM ledger_meta m WHERE m.ledger = l.name) "
            "OR EXISTS (SELECT 1 FROM ledger_runs r WHERE r.ledger = l.name) "
            "OR EXISTS (SELECT 1 FROM ledger_records d WHERE d.ledger = l.name) "
            "FROM (SELECT %s::text AS name) AS l"
        )
        return bool(found[0][0])

    # --- meta and runs -----------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        rows = self._run("SELECT value FROM ledger_meta WHERE ledger = %s AND key = %s", (key,))
        return str(rows[0][0]) if rows else None

    def set_meta(self, key: str, text: str) -> None:
        self._run(
            "INSERT INTO ledger_meta (ledger, key, value) VALUES (%s, %s, %s) "
            "ON CONFLICT (ledger, key) DO UPDATE SET value = excluded.value",
            (key, text),
        )

    def insert_run(self, started_at: str, source: str, target: str) -> int:
        rows = self._run(
            "INSERT INTO ledger_runs (ledger, started_at, state, source, target) "
            "VALUES (%s, %s, 'running', %s, %s) RETURNING id",
            (started_at, source, target),
        )
        return int(rows[0][0])

    def finish_run(self, run_id: int, finished_at: str, state: str, report: str) -> None:
        self._run(
            "WITH l AS (SELECT %s::text AS name) UPDATE ledger_runs "
            "SET finished_at = %s, state = %s, report = %s FROM l "
            "WHERE ledger = l.name AND id = %s",
            (finished_at, state, report, run_id),
        )

    def runs(self) -> list[RunRow]:
        rows = self._run(
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
            rows = self._run(sql, (entity,))
        else:
            rows = self._run(
                "SELECT r.source_id, r.marker, r.state, r.target_id, r.checksum, r.created, "
                f"r.source_updated FROM unnest(%s::text[]) AS v(s) {KEY_LOOKUP}",
                (list(source_ids), self.name, entity),
                named=False,
            )
        return [(r[0], r[1], r[2], r[3], r[4], bool(r[5]), r[6]) for r in rows]

    def mark_pending(self, entity: str, items: Sequence[tuple[str, str]]) -> None:
        if items:
            self._run(
                "INSERT INTO ledger_records (ledger, entity, source_id, marker, state) "
                "SELECT %s, %s, v.s, v.m, 'pending' FROM unnest(%s::text[], %s::text[]) AS v(s, m) "
                "ON CONFLICT (ledger, entity, source_id) DO NOTHING",
                (entity, [s for s, _ in items], [m for _, m in items]),
            )

    def mark_done(self, entity: str, items: Sequence[DoneItem], written_at: str) -> None:
        latest: dict[str, DoneItem] = {}
        for item in items:  # one row per id, as SQLite's one-by-one updates leave it
            before = latest.get(item[0])
            latest[item[0]] = item if before is None else (*item[:3], item[3] or before[3], item[4])
        if not latest:
            return
        columns = [list(c) for c in zip(*latest.values(), strict=True)]
        # an upsert of rows that exist (KEY_LOOKUP finds them): the unique index does the rest
        self._run(
            "INSERT INTO ledger_records (ledger, entity, source_id, marker, state, target_id, "
            "checksum, created, source_updated, written_at) "
            "SELECT r.ledger, r.entity, r.source_id, r.marker, 'done', v.t, v.c, v.cr, v.u, "
            "%s::timestamptz FROM unnest(%s::text[], %s::text[], %s::text[], %s::bool[], "
            f"%s::text[]) AS v(s, t, c, cr, u) {KEY_LOOKUP} "
            "ON CONFLICT (ledger, entity, source_id) DO UPDATE SET state = 'done', "
            "target_id = excluded.target_id, checksum = excluded.checksum, "
            "created = ledger_records.created OR excluded.created, "
            "source_updated = excluded.source_updated, written_at = excluded.written_at",
            (written_at, *columns, self.name, entity),
            named=False,
        )

    def forget(self, entity: str, source_ids: Sequence[str]) -> None:
        with self._lock, state_errors(self.url, "ledger"), self._db.transaction():
            self._db.cursor().executemany(
                "DELETE FROM ledger_records WHERE ledger = %s AND entity = %s AND source_id = %s",
                [(self.name, entity, s) for s in source_ids],
            )

    def target_ids(self, entity: str) -> list[tuple[str, str]]:
        rows = self._run(
            "SELECT source_id, target_id FROM ledger_records WHERE ledger = %s AND entity = %s "
            "AND state = 'done' AND target_id IS NOT NULL",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def created(self, entity: str) -> list[tuple[str, str]]:
        rows = self._run(
            "SELECT source_id, target_id FROM ledger_records WHERE ledger = %s AND entity = %s "
            "AND state = 'done' AND created ORDER BY seq",
            (entity,),
        )
        return [(s, t) for s, t in rows]

    def counts(self) -> list[tuple[str, str, int]]:
        rows = self._run(
            "SELECT entity, state, COUNT(*) FROM ledger_records WHERE ledger = %s "
            "GROUP BY entity, state"
        )
        return [(e, s, int(c)) for e, s, c in rows]

    def __repr__(self) -> str:
        return f"PostgresLedgerStore({self.shown!r})"


__all__ = ["DEFAULT_LEDGER", "MIGRATIONS", "PostgresLedgerStore"]
