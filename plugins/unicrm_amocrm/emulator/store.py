"""The emulated account's state in SQLite (in memory, or a file that survives restarts).

Leads, contacts and companies share one ``entities`` table keyed by ``(kind, id)`` with a
column per filterable field; custom field values are kept both as the JSON the API returns
(``cf``) and, one row per value, in ``cf_values`` so filters and ``query=`` run in SQL. Links
are stored in both directions. Every method is called with the emulator's lock held.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

KINDS = ("leads", "contacts", "companies")

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT);
CREATE TABLE IF NOT EXISTS entities (
    kind TEXT NOT NULL, id INTEGER NOT NULL, name TEXT NOT NULL DEFAULT '',
    first_name TEXT, last_name TEXT, price INTEGER, status_id INTEGER, pipeline_id INTEGER,
    responsible_user_id INTEGER NOT NULL DEFAULT 0, group_id INTEGER NOT NULL DEFAULT 0,
    created_by INTEGER NOT NULL DEFAULT 0, updated_by INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL, closed_at INTEGER,
    closest_task_at INTEGER, loss_reason_id INTEGER, source_id INTEGER, score INTEGER,
    cf TEXT, PRIMARY KEY (kind, id)
);
CREATE INDEX IF NOT EXISTS entities_updated ON entities (kind, updated_at);
CREATE TABLE IF NOT EXISTS cf_values (
    kind TEXT NOT NULL, entity_id INTEGER NOT NULL, field_id INTEGER NOT NULL,
    value TEXT, num REAL, enum_id INTEGER
);
CREATE INDEX IF NOT EXISTS cf_values_entity ON cf_values (kind, entity_id);
CREATE INDEX IF NOT EXISTS cf_values_field ON cf_values (kind, field_id, value);
CREATE TABLE IF NOT EXISTS tags (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, color TEXT
);
CREATE UNIQUE INDEX IF NOT EXISTS tags_name ON tags (kind, name);
CREATE TABLE IF NOT EXISTS entity_tags (
    kind TEXT NOT NULL, entity_id INTEGER NOT NULL, tag_id INTEGER NOT NULL,
    PRIMARY KEY (kind, entity_id, tag_id)
);
CREATE TABLE IF NOT EXISTS links (
    kind TEXT NOT NULL, entity_id INTEGER NOT NULL, to_kind TEXT NOT NULL,
    to_id INTEGER NOT NULL, metadata TEXT, PRIMARY KEY (kind, entity_id, to_kind, to_id)
);
CREATE TABLE IF NOT EXISTS pipelines (
    id INTEGER PRIMARY KEY, name TEXT NOT NULL, sort INTEGER NOT NULL, is_main INTEGER NOT NULL,
    is_unsorted_on INTEGER NOT NULL DEFAULT 1, is_archive INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS statuses (
    id INTEGER NOT NULL, pipeline_id INTEGER NOT NULL, name TEXT NOT NULL, sort INTEGER NOT NULL,
    color TEXT NOT NULL, type INTEGER NOT NULL DEFAULT 0, is_editable INTEGER NOT NULL DEFAULT 1,
    PRIMARY KEY (pipeline_id, id)
);
CREATE TABLE IF NOT EXISTS fields (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, name TEXT NOT NULL, type TEXT NOT NULL,
    code TEXT, sort INTEGER NOT NULL, enums TEXT, is_predefined INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS users (id INTEGER PRIMARY KEY, name TEXT, email TEXT);
CREATE TABLE IF NOT EXISTS integrations (
    client_id TEXT PRIMARY KEY, secret TEXT NOT NULL, redirect_uri TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS grants (
    value TEXT PRIMARY KEY, kind TEXT NOT NULL, client_id TEXT NOT NULL,
    expires REAL NOT NULL, used INTEGER NOT NULL DEFAULT 0
);
"""


class Store:
    """Thin typed access to the SQLite database (no locking: the emulator holds the lock)."""

    def __init__(self, path: str | None) -> None:
        self.db = sqlite3.connect(path or ":memory:", check_same_thread=False)
        self.db.row_factory = sqlite3.Row
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.executescript(SCHEMA)
        self.db.create_function("icontains", 2, _icontains, deterministic=True)

    # --- meta and ids ------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        self.db.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", (key, value))

    def next_id(self, sequence: str, start: int) -> int:
        """The next id of ``sequence`` (ids look like amoCRM's: large and increasing)."""
        current = int(self.meta(f"seq:{sequence}") or start - 1) + 1
        self.set_meta(f"seq:{sequence}", str(current))
        return current

    def reserve_ids(self, sequence: str, start: int, count: int) -> range:
        first = int(self.meta(f"seq:{sequence}") or start - 1) + 1
        self.set_meta(f"seq:{sequence}", str(first + count - 1))
        return range(first, first + count)

    # --- entities ----------------------------------------------------------------------
    def entity(self, kind: str, entity_id: int) -> sqlite3.Row | None:
        row: sqlite3.Row | None = self.db.execute(
            "SELECT * FROM entities WHERE kind = ? AND id = ?", (kind, entity_id)
        ).fetchone()
        return row

    def write_cf(self, kind: str, entity_id: int, values: list[dict[str, Any]] | None) -> None:
        """Replace the stored custom field values (JSON and the searchable rows)."""
        self.db.execute(
            "UPDATE entities SET cf = ? WHERE kind = ? AND id = ?",
            (json.dumps(values, ensure_ascii=False) if values else None, kind, entity_id),
        )
        self.db.execute("DELETE FROM cf_values WHERE kind = ? AND entity_id = ?", (kind, entity_id))
        self.db.executemany(
            "INSERT INTO cf_values VALUES (?, ?, ?, ?, ?, ?)", cf_rows(kind, entity_id, values)
        )

    def tags_of(self, kind: str, ids: Sequence[int]) -> dict[int, list[dict[str, Any]]]:
        found: dict[int, list[dict[str, Any]]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                "SELECT et.entity_id, t.id, t.name, t.color FROM entity_tags et "
                f"JOIN tags t ON t.id = et.tag_id WHERE et.kind = ? AND et.entity_id IN ({marks}) "
                "ORDER BY t.id",
                (kind, *chunk),
            )
            for row in rows:
                found[row[0]].append({"id": row[1], "name": row[2], "color": row[3]})
        return found

    def links_of(self, kind: str, ids: Sequence[int]) -> dict[int, list[sqlite3.Row]]:
        found: dict[int, list[sqlite3.Row]] = {i: [] for i in ids}
        for chunk in _chunks(ids):
            marks = ",".join("?" * len(chunk))
            rows = self.db.execute(
                f"SELECT * FROM links WHERE kind = ? AND entity_id IN ({marks}) "
                "ORDER BY to_kind, to_id",
                (kind, *chunk),
            )
            for row in rows:
                found[row["entity_id"]].append(row)
        return found

    def tag_id(self, kind: str, name: str, color: str | None = None) -> int:
        row = self.db.execute(
            "SELECT id FROM tags WHERE kind = ? AND name = ?", (kind, name)
        ).fetchone()
        if row is not None:
            return int(row[0])
        tag_id = self.next_id("tags", 100_001)
        self.db.execute("INSERT INTO tags VALUES (?, ?, ?, ?)", (tag_id, kind, name, color))
        return tag_id

    def set_tags(self, kind: str, entity_id: int, tag_ids: Iterable[int]) -> None:
        self.db.execute(
            "DELETE FROM entity_tags WHERE kind = ? AND entity_id = ?", (kind, entity_id)
        )
        self.db.executemany(
            "INSERT OR IGNORE INTO entity_tags VALUES (?, ?, ?)",
            [(kind, entity_id, t) for t in tag_ids],
        )

    def link(self, kind: str, entity_id: int, to_kind: str, to_id: int, meta: Any) -> None:
        """Store a link in both directions (``is_main`` is kept on the lead's side only)."""
        text = json.dumps(meta) if meta else None
        self.db.execute(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)",
            (kind, entity_id, to_kind, to_id, text),
        )
        self.db.execute(
            "INSERT OR REPLACE INTO links VALUES (?, ?, ?, ?, ?)",
            (to_kind, to_id, kind, entity_id, text),
        )

    def unlink(self, kind: str, entity_id: int, to_kind: str, to_id: int) -> None:
        for a, b, c, d in ((kind, entity_id, to_kind, to_id), (to_kind, to_id, kind, entity_id)):
            self.db.execute(
                "DELETE FROM links WHERE kind = ? AND entity_id = ? AND to_kind = ? AND to_id = ?",
                (a, b, c, d),
            )


def cf_rows(
    kind: str, entity_id: int, values: list[dict[str, Any]] | None
) -> list[tuple[Any, ...]]:
    """One searchable row per custom field value."""
    rows: list[tuple[Any, ...]] = []
    for item in values or ():
        for value in item.get("values") or ():
            raw = value.get("value")
            text = None if raw is None or isinstance(raw, dict) else _text(raw)
            rows.append((kind, entity_id, item["field_id"], text, _num(raw), value.get("enum_id")))
    return rows


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def _num(value: Any) -> float | None:
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _icontains(haystack: Any, needle: Any) -> bool:
    if haystack is None or needle is None:
        return False
    return str(needle).casefold() in str(haystack).casefold()


def _chunks(ids: Sequence[int], size: int = 500) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]
