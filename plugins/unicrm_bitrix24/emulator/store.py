"""SQLite state of one emulated portal: leads, contacts, multifields, lead-contact links,
user field definitions.

One table per entity with a column per standard field and per user field (datetimes as Unix
seconds, ``Y``/``N`` flags as text, multiple user fields as JSON text), a shared ``fm`` table
for multifields, ``lead_contact`` for bindings, ``user_field``/``user_field_enum`` for the
``UF_CRM_*`` definitions (:mod:`userfields`) and ``meta`` for portal settings. Adding a user
field adds its column; deleting it drops the column. All access goes through one re-entrant
lock, so the store is safe to share between server threads.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any

import attrs

from unicrm_bitrix24.emulator import userfields
from unicrm_bitrix24.emulator.fields import STANDARD_FIELDS, Field, UserField
from unicrm_bitrix24.emulator.like import unicode_like

_SQL_TYPE = {
    "int": "INTEGER",
    "float": "REAL",
    "str": "TEXT COLLATE NOCASE",
    "date": "INTEGER",
    "json": "TEXT",
}


@attrs.frozen
class EntitySchema:
    """The columns of one entity's table and how each is typed (a snapshot: the store makes
    a new one whenever a user field is added, changed or deleted)."""

    name: str
    fields: tuple[Field, ...]
    user_fields: tuple[UserField, ...]
    _field_index: dict[str, Field] = attrs.field(init=False, repr=False, eq=False)
    _uf_index: dict[str, UserField] = attrs.field(init=False, repr=False, eq=False)
    #: values derived from this snapshot once and reused by every call (resolved selects,
    #: row shapes); dropped with the snapshot when a user field changes
    derived: dict[Any, Any] = attrs.field(init=False, repr=False, eq=False, factory=dict)

    def __attrs_post_init__(self) -> None:
        object.__setattr__(self, "_field_index", {f.code: f for f in self.fields})
        object.__setattr__(self, "_uf_index", {u.code: u for u in self.user_fields})

    @property
    def table(self) -> str:
        return self.name

    def field(self, code: str) -> Field | None:
        return self._field_index.get(code)

    def user_field(self, code: str) -> UserField | None:
        return self._uf_index.get(code)

    def column_fields(self) -> list[Field]:
        """Standard fields that are table columns (no multifields, no virtual ones)."""
        return [f for f in self.fields if f.kind != "fm" and not f.virtual]

    def columns(self) -> dict[str, str]:
        """column -> storage kind, in answer order."""
        cols = {f.code: f.kind for f in self.column_fields()}
        cols.update({u.code: u.kind for u in self.user_fields})
        return cols


ENTITIES = tuple(STANDARD_FIELDS)


def normalize(type_id: str, value: str) -> str:
    """The comparable form of a communication for duplicate search: a phone's digits, an
    e-mail lower-cased, anything else trimmed."""
    if type_id == "PHONE":
        return "".join(ch for ch in value if ch.isdigit())
    return value.strip().lower()


_SHARED_TABLES = """
                CREATE TABLE IF NOT EXISTS fm (
                    ID INTEGER PRIMARY KEY AUTOINCREMENT, ENTITY TEXT NOT NULL,
                    OWNER_ID INTEGER NOT NULL, TYPE_ID TEXT NOT NULL,
                    VALUE_TYPE TEXT NOT NULL, VALUE TEXT NOT NULL COLLATE NOCASE,
                    NORM TEXT NOT NULL);
                CREATE INDEX IF NOT EXISTS ix_fm_owner ON fm(ENTITY, OWNER_ID);
                CREATE INDEX IF NOT EXISTS ix_fm_value ON fm(ENTITY, TYPE_ID, VALUE);
                CREATE INDEX IF NOT EXISTS ix_fm_norm ON fm(TYPE_ID, NORM);
                CREATE TABLE IF NOT EXISTS lead_contact (
                    LEAD_ID INTEGER NOT NULL, CONTACT_ID INTEGER NOT NULL,
                    SORT INTEGER NOT NULL, IS_PRIMARY TEXT NOT NULL,
                    PRIMARY KEY (LEAD_ID, CONTACT_ID));
                CREATE INDEX IF NOT EXISTS ix_lc_contact ON lead_contact(CONTACT_ID);
                CREATE TABLE IF NOT EXISTS meta (KEY TEXT PRIMARY KEY, VALUE TEXT);
                """

_INDEXED = ("STATUS_ID", "ASSIGNED_BY_ID", "DATE_CREATE", "DATE_MODIFY", "ORIGIN_ID")


class Store:
    """The portal's tables. ``path`` ``None`` keeps everything in memory."""

    def __init__(self, path: str | None = None) -> None:
        self.path = path
        self.lock = threading.RLock()
        self.db = sqlite3.connect(path or ":memory:", check_same_thread=False, isolation_level=None)
        self.db.row_factory = sqlite3.Row
        self.db.create_function("b24_like", 2, unicode_like, deterministic=True)
        self._schemas: dict[str, EntitySchema] = {}
        if path:
            self.db.execute("PRAGMA journal_mode=WAL")
            self.db.execute("PRAGMA synchronous=NORMAL")
        self._create()

    # -- schema ---------------------------------------------------------------------------
    def drop_indexes(self) -> None:
        """Drop the secondary indexes (bulk loads rebuild them once afterwards, faster)."""
        with self.lock:
            names = [
                r[0]
                for r in self.db.execute(
                    "SELECT name FROM sqlite_master WHERE type='index' AND name LIKE 'ix_%'"
                )
            ]
            for name in names:
                self.db.execute(f"DROP INDEX {name}")

    def create_schema(self) -> None:
        """Create missing tables and indexes (idempotent)."""
        self._create()

    def _create(self) -> None:
        with self.lock:
            for statement in _SHARED_TABLES.split(";"):
                if statement.strip():
                    self.db.execute(statement)
            userfields.create(self.db, self.meta, self.set_meta)
            self._schemas.clear()
            for entity in ENTITIES:
                schema = self.schema(entity)
                cols = ", ".join(
                    f'"{code}" {_SQL_TYPE[kind]}'
                    for code, kind in schema.columns().items()
                    if code != "ID"
                )
                self.db.execute(
                    f"CREATE TABLE IF NOT EXISTS {schema.table} "
                    f"(ID INTEGER PRIMARY KEY AUTOINCREMENT, {cols})"
                )
                have = self._table_columns(schema.table)
                for code, kind in schema.columns().items():
                    if code not in have:  # a user field added since the table was made
                        self.db.execute(
                            f'ALTER TABLE {schema.table} ADD COLUMN "{code}" {_SQL_TYPE[kind]}'
                        )
                for col in _INDEXED:
                    if col in schema.columns():
                        self.db.execute(
                            f"CREATE INDEX IF NOT EXISTS ix_{schema.table}_{col.lower()} "
                            f'ON {schema.table}("{col}")'
                        )

    def _table_columns(self, table: str) -> set[str]:
        return {str(r[1]) for r in self.db.execute(f"PRAGMA table_info({table})")}

    # -- user field definitions -------------------------------------------------------------
    def schema(self, entity: str) -> EntitySchema:
        """The entity's current columns: standard fields plus its user fields."""
        with self.lock:
            found = self._schemas.get(entity)
            if found is None:
                ufs = tuple(d.field for d in userfields.definitions(self.db, entity))
                found = EntitySchema(entity, STANDARD_FIELDS[entity], ufs)
                self._schemas[entity] = found
            return found

    def user_field_definitions(self, entity: str | None = None) -> list[userfields.Definition]:
        with self.lock:
            return userfields.definitions(self.db, entity)

    def add_user_field_column(self, entity: str, uf: UserField) -> None:
        """Give a new user field its column, emptied if a deleted namesake left one behind
        (call inside a transaction, after storing the definition)."""
        with self.lock:
            if uf.code in self._table_columns(entity):
                self.db.execute(f'UPDATE {entity} SET "{uf.code}"=NULL')
            else:
                self.db.execute(f'ALTER TABLE {entity} ADD COLUMN "{uf.code}" {_SQL_TYPE[uf.kind]}')
            self._schemas.pop(entity, None)

    def drop_user_field_column(self, entity: str, code: str) -> None:
        """Remove a deleted user field's values with its column (call inside a transaction)."""
        with self.lock:
            if code in self._table_columns(entity):
                try:
                    self.db.execute(f'ALTER TABLE {entity} DROP COLUMN "{code}"')
                except sqlite3.OperationalError:  # SQLite < 3.35: leave an empty column
                    self.db.execute(f'UPDATE {entity} SET "{code}"=NULL')
            self._schemas.pop(entity, None)

    def forget_schemas(self) -> None:
        """Drop cached schemas (after a definition changed)."""
        with self.lock:
            self._schemas.clear()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """All statements inside commit together or not at all."""
        with self.lock:
            self.db.execute("BEGIN")
            try:
                yield
            except BaseException:
                self.db.execute("ROLLBACK")
                raise
            self.db.execute("COMMIT")

    # -- meta -------------------------------------------------------------------------------
    def meta(self, key: str) -> str | None:
        with self.lock:
            row = self.db.execute("SELECT VALUE FROM meta WHERE KEY=?", (key,)).fetchone()
        return None if row is None else str(row[0])

    def set_meta(self, key: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO meta(KEY, VALUE) VALUES(?, ?) "
                "ON CONFLICT(KEY) DO UPDATE SET VALUE=excluded.VALUE",
                (key, value),
            )

    # -- rows -------------------------------------------------------------------------------
    def insert(self, entity: str, values: dict[str, Any]) -> int:
        cols = list(values)
        names = ", ".join(f'"{c}"' for c in cols)
        marks = ", ".join("?" for _ in cols)
        with self.lock:
            if cols:
                cur = self.db.execute(
                    f"INSERT INTO {entity} ({names}) VALUES ({marks})",
                    [values[c] for c in cols],
                )
            else:
                cur = self.db.execute(f"INSERT INTO {entity} DEFAULT VALUES")
            return int(cur.lastrowid or 0)

    def update(self, entity: str, row_id: int, values: dict[str, Any]) -> None:
        if not values:
            return
        sets = ", ".join(f'"{c}"=?' for c in values)
        with self.lock:
            self.db.execute(f"UPDATE {entity} SET {sets} WHERE ID=?", [*values.values(), row_id])

    def get(self, entity: str, row_id: int) -> dict[str, Any] | None:
        with self.lock:
            row = self.db.execute(f"SELECT * FROM {entity} WHERE ID=?", (row_id,)).fetchone()
        return None if row is None else dict(row)

    def delete(self, entity: str, row_id: int) -> None:
        """Remove a row with its multifields and bindings (call inside a transaction)."""
        with self.lock:
            self.db.execute(f"DELETE FROM {entity} WHERE ID=?", (row_id,))
            self.db.execute("DELETE FROM fm WHERE ENTITY=? AND OWNER_ID=?", (entity, row_id))
            key = "LEAD_ID" if entity == "lead" else "CONTACT_ID"
            self.db.execute(f"DELETE FROM lead_contact WHERE {key}=?", (row_id,))

    def query(self, sql: str, params: Sequence[Any] = ()) -> list[sqlite3.Row]:
        with self.lock:
            return self.db.execute(sql, list(params)).fetchall()

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Like :meth:`query`, as plain tuples (cheaper for bulk reads)."""
        with self.lock:
            cursor = self.db.cursor()
            cursor.row_factory = None
            try:
                return cursor.execute(sql, list(params)).fetchall()
            finally:
                cursor.close()

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        with self.lock:
            row = self.db.execute(sql, list(params)).fetchone()
        return None if row is None else row[0]

    def max_id(self, entity: str) -> int:
        return int(self.scalar(f"SELECT COALESCE(MAX(ID), 0) FROM {entity}") or 0)

    def count(self, entity: str) -> int:
        return int(self.scalar(f"SELECT COUNT(*) FROM {entity}") or 0)

    # -- multifields --------------------------------------------------------------------------
    def fm_rows(
        self, entity: str, owners: Iterable[int], types: Iterable[str] | None = None
    ) -> dict[int, dict[str, list[dict[str, Any]]]]:
        """owner id -> type -> entries (ID order), for the given owners."""
        ids = list(owners)
        out: dict[int, dict[str, list[dict[str, Any]]]] = {}
        if not ids:
            return out
        type_list = list(types) if types is not None else None
        sql = (
            "SELECT ID, OWNER_ID, TYPE_ID, VALUE_TYPE, VALUE FROM fm INDEXED BY ix_fm_owner "
            "WHERE ENTITY=? "
            f"AND OWNER_ID IN ({','.join('?' for _ in ids)})"
        )
        params: list[Any] = [entity, *ids]
        if type_list is not None:
            if not type_list:
                return out
            sql += f" AND TYPE_ID IN ({','.join('?' for _ in type_list)})"
            params += type_list
        for entry_id, owner, type_id, value_type, value in self.rows(sql + " ORDER BY ID", params):
            by_type = out.get(owner)
            if by_type is None:
                by_type = out[owner] = {}
            entries = by_type.get(type_id)
            if entries is None:
                entries = by_type[type_id] = []
            entries.append(
                {"ID": str(entry_id), "VALUE_TYPE": value_type, "VALUE": value, "TYPE_ID": type_id}
            )
        return out

    def fm_add(self, entity: str, owner: int, type_id: str, value_type: str, value: str) -> None:
        with self.lock:
            self.db.execute(
                "INSERT INTO fm(ENTITY, OWNER_ID, TYPE_ID, VALUE_TYPE, VALUE, NORM) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                (entity, owner, type_id, value_type, value, normalize(type_id, value)),
            )

    def fm_entry(self, entity: str, owner: int, entry_id: int) -> sqlite3.Row | None:
        rows = self.query(
            "SELECT * FROM fm WHERE ID=? AND ENTITY=? AND OWNER_ID=?", (entry_id, entity, owner)
        )
        return rows[0] if rows else None

    def fm_set(self, entry_id: int, value_type: str, value: str) -> None:
        with self.lock:
            row = self.db.execute("SELECT TYPE_ID FROM fm WHERE ID=?", (entry_id,)).fetchone()
            norm = normalize(str(row[0]) if row else "", value)
            self.db.execute(
                "UPDATE fm SET VALUE_TYPE=?, VALUE=?, NORM=? WHERE ID=?",
                (value_type, value, norm, entry_id),
            )

    def fm_delete(self, entry_id: int) -> None:
        with self.lock:
            self.db.execute("DELETE FROM fm WHERE ID=?", (entry_id,))

    def fm_has(self, entity: str, owner: int, type_id: str) -> bool:
        return (
            self.scalar(
                "SELECT 1 FROM fm WHERE ENTITY=? AND OWNER_ID=? AND TYPE_ID=? LIMIT 1",
                (entity, owner, type_id),
            )
            is not None
        )

    # -- lead <-> contact -------------------------------------------------------------------
    def lead_contacts(self, lead_id: int) -> list[dict[str, Any]]:
        rows = self.query(
            "SELECT CONTACT_ID, SORT, IS_PRIMARY FROM lead_contact WHERE LEAD_ID=? "
            "ORDER BY SORT, CONTACT_ID",
            (lead_id,),
        )
        return [
            {
                "CONTACT_ID": r["CONTACT_ID"],
                "SORT": r["SORT"],
                "ROLE_ID": 0,
                "IS_PRIMARY": r["IS_PRIMARY"],
            }
            for r in rows
        ]

    def set_lead_contacts(self, lead_id: int, items: list[tuple[int, int, bool]]) -> int | None:
        """Replace a lead's bindings with ``(contact id, sort, primary)``; returns the primary
        contact id (the flagged one, else the first by sort), or ``None`` when unbound."""
        ordered = sorted(items, key=lambda i: (i[1], i[0]))
        primary = next((c for c, _, p in ordered if p), ordered[0][0] if ordered else None)
        with self.lock:
            self.db.execute("DELETE FROM lead_contact WHERE LEAD_ID=?", (lead_id,))
            self.db.executemany(
                "INSERT OR REPLACE INTO lead_contact(LEAD_ID, CONTACT_ID, SORT, IS_PRIMARY) "
                "VALUES (?, ?, ?, ?)",
                [(lead_id, c, s, "Y" if c == primary else "N") for c, s, _ in ordered],
            )
        return primary

    def existing_ids(self, entity: str, ids: Iterable[int]) -> set[int]:
        wanted = list(set(ids))
        if not wanted:
            return set()
        rows = self.query(
            f"SELECT ID FROM {entity} WHERE ID IN ({','.join('?' for _ in wanted)})", wanted
        )
        return {int(r[0]) for r in rows}

    def close(self) -> None:
        with self.lock:
            self.db.close()
