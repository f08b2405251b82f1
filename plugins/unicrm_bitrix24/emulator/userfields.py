"""User field definitions (``UF_CRM_*``) kept in the portal's SQLite state.

Two tables: ``user_field`` (one row per definition, per entity) and ``user_field_enum`` (the
``LIST`` options of enumeration fields). IDs come from SQLite's AUTOINCREMENT, shared by both
entities as on a portal. A fresh store is seeded once from :data:`fields.SEED_USER_FIELDS`
(the ``meta`` key ``userfields`` records that), so a portal whose fields were deleted stays
that way when reopened from ``--db FILE``.

Everything here runs on the store's connection under its lock; callers own transactions.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from typing import Any

import attrs

from unicrm_bitrix24.emulator.fields import SEED_USER_FIELDS, EnumItem, UserField

DDL = """
CREATE TABLE IF NOT EXISTS user_field (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, ENTITY TEXT NOT NULL, FIELD_NAME TEXT NOT NULL,
    USER_TYPE_ID TEXT NOT NULL, XML_ID TEXT, SORT INTEGER NOT NULL,
    MULTIPLE TEXT NOT NULL, MANDATORY TEXT NOT NULL, SHOW_FILTER TEXT NOT NULL,
    SHOW_IN_LIST TEXT NOT NULL, EDIT_IN_LIST TEXT NOT NULL, IS_SEARCHABLE TEXT NOT NULL,
    SETTINGS TEXT NOT NULL, LABELS TEXT NOT NULL, UNIQUE (ENTITY, FIELD_NAME));
CREATE TABLE IF NOT EXISTS user_field_enum (
    ID INTEGER PRIMARY KEY AUTOINCREMENT, FIELD_ID INTEGER NOT NULL, VALUE TEXT NOT NULL,
    SORT INTEGER NOT NULL, DEF TEXT NOT NULL, XML_ID TEXT);
CREATE INDEX IF NOT EXISTS ix_ufe_field ON user_field_enum(FIELD_ID)
"""

#: The label keys of a definition; each holds a ``{language: text}`` map.
LABEL_KEYS = (
    "EDIT_FORM_LABEL",
    "LIST_COLUMN_LABEL",
    "LIST_FILTER_LABEL",
    "ERROR_MESSAGE",
    "HELP_MESSAGE",
)
#: Languages a plain-string label is stored under.
LANGUAGES = ("en", "ru")
#: Flag columns and their defaults for a field added through the API.
FLAG_DEFAULTS = {
    "MULTIPLE": "N",
    "MANDATORY": "N",
    "SHOW_FILTER": "N",
    "SHOW_IN_LIST": "Y",
    "EDIT_IN_LIST": "Y",
    "IS_SEARCHABLE": "N",
}


def default_settings(user_type: str) -> dict[str, Any]:
    """What ``SETTINGS`` holds when the caller gives none."""
    if user_type == "enumeration":
        return {"DISPLAY": "LIST", "LIST_HEIGHT": 1, "CAPTION_NO_VALUE": "", "SHOW_NO_VALUE": "Y"}
    if user_type == "boolean":
        return {"DEFAULT_VALUE": 0, "DISPLAY": "CHECKBOX", "LABEL": ["", ""]}
    return {"DEFAULT_VALUE": ""}


def create(db: sqlite3.Connection, get_meta: Any, set_meta: Any) -> None:
    """Create the tables; seed the default definitions the first time only."""
    for statement in DDL.split(";"):
        if statement.strip():
            db.execute(statement)
    if get_meta("userfields") is not None:
        return
    if db.execute("SELECT 1 FROM user_field LIMIT 1").fetchone() is None:
        for entity, seeded in SEED_USER_FIELDS.items():
            for uf in seeded:
                _insert_seed(db, entity, uf)
    set_meta("userfields", "seeded")


def _insert_seed(db: sqlite3.Connection, entity: str, uf: UserField) -> None:
    settings: dict[str, Any] = (
        {"DISPLAY": "LIST", "LIST_HEIGHT": 1}
        if uf.user_type == "enumeration"
        else {"DEFAULT_VALUE": ""}
    )
    labels = {
        key: {"en": uf.label_en, "ru": uf.label_ru} if key.endswith("LABEL") else {}
        for key in LABEL_KEYS
    }
    db.execute(
        "INSERT INTO user_field(ID, ENTITY, FIELD_NAME, USER_TYPE_ID, XML_ID, SORT, MULTIPLE, "
        "MANDATORY, SHOW_FILTER, SHOW_IN_LIST, EDIT_IN_LIST, IS_SEARCHABLE, SETTINGS, LABELS) "
        "VALUES (?, ?, ?, ?, NULL, ?, ?, ?, 'E', 'Y', 'Y', 'N', ?, ?)",
        (
            uf.id,
            entity,
            uf.code,
            uf.user_type,
            uf.sort,
            "Y" if uf.multiple else "N",
            "Y" if uf.mandatory else "N",
            json.dumps(settings),
            json.dumps(labels, ensure_ascii=False),
        ),
    )
    for item in uf.options:
        db.execute(
            "INSERT INTO user_field_enum(ID, FIELD_ID, VALUE, SORT, DEF, XML_ID) "
            "VALUES (?, ?, ?, ?, ?, ?)",
            (
                item.id,
                uf.id,
                item.value,
                item.sort,
                "Y" if item.default else "N",
                item.xml_id or f"{uf.code}_{item.id}",
            ),
        )


# -- reading ---------------------------------------------------------------------------------
@attrs.frozen
class Definition:
    """A stored definition: the typed view plus everything ``*.userfield.get`` shows."""

    entity: str
    field: UserField
    row: dict[str, Any]
    labels: dict[str, dict[str, str]]
    settings: Any


def _enum_items(db: sqlite3.Connection, field_ids: list[int]) -> dict[int, list[EnumItem]]:
    out: dict[int, list[EnumItem]] = {}
    if not field_ids:
        return out
    rows = db.execute(
        "SELECT ID, FIELD_ID, VALUE, SORT, DEF, XML_ID FROM user_field_enum "
        f"WHERE FIELD_ID IN ({','.join('?' for _ in field_ids)}) ORDER BY SORT, ID",
        field_ids,
    ).fetchall()
    for r in rows:
        out.setdefault(int(r["FIELD_ID"]), []).append(
            EnumItem(int(r["ID"]), str(r["VALUE"]), int(r["SORT"]), r["DEF"] == "Y", r["XML_ID"])
        )
    return out


def _label_text(labels: dict[str, dict[str, str]], code: str) -> tuple[str, str]:
    form = labels.get("EDIT_FORM_LABEL") or labels.get("LIST_COLUMN_LABEL") or {}
    en = form.get("en") or next((v for v in form.values() if v), "") or code
    return en, form.get("ru") or en


def definitions(db: sqlite3.Connection, entity: str | None = None) -> list[Definition]:
    """Stored definitions (of one entity, or all), in ``SORT, ID`` order."""
    sql = "SELECT * FROM user_field"
    params: list[Any] = []
    if entity is not None:
        sql += " WHERE ENTITY=?"
        params.append(entity)
    rows = [dict(r) for r in db.execute(sql + " ORDER BY SORT, ID", params).fetchall()]
    items = _enum_items(db, [int(r["ID"]) for r in rows])
    out = []
    for r in rows:
        labels = json.loads(r["LABELS"])
        en, ru = _label_text(labels, r["FIELD_NAME"])
        field = UserField(
            int(r["ID"]),
            r["FIELD_NAME"],
            r["USER_TYPE_ID"],
            en,
            ru,
            multiple=r["MULTIPLE"] == "Y",
            mandatory=r["MANDATORY"] == "Y",
            sort=int(r["SORT"]),
            options=tuple(items.get(int(r["ID"]), ())),
        )
        out.append(Definition(r["ENTITY"], field, r, labels, json.loads(r["SETTINGS"])))
    return out


def definition(db: sqlite3.Connection, field_id: int) -> Definition | None:
    found = [d for d in definitions(db) if d.field.id == field_id]
    return found[0] if found else None


# -- writing ---------------------------------------------------------------------------------
def insert(db: sqlite3.Connection, entity: str, values: dict[str, Any]) -> int:
    """Insert a validated definition (:mod:`uf_params` shapes ``values``); returns its ID."""
    cur = db.execute(
        "INSERT INTO user_field(ENTITY, FIELD_NAME, USER_TYPE_ID, XML_ID, SORT, MULTIPLE, "
        "MANDATORY, SHOW_FILTER, SHOW_IN_LIST, EDIT_IN_LIST, IS_SEARCHABLE, SETTINGS, LABELS) "
        "VALUES (:ENTITY, :FIELD_NAME, :USER_TYPE_ID, :XML_ID, :SORT, :MULTIPLE, :MANDATORY, "
        ":SHOW_FILTER, :SHOW_IN_LIST, :EDIT_IN_LIST, :IS_SEARCHABLE, :SETTINGS, :LABELS)",
        {**values, "ENTITY": entity},
    )
    return int(cur.lastrowid or 0)


def update(db: sqlite3.Connection, field_id: int, values: dict[str, Any]) -> None:
    if values:
        sets = ", ".join(f"{k}=?" for k in values)
        db.execute(f"UPDATE user_field SET {sets} WHERE ID=?", [*values.values(), field_id])


def add_option(db: sqlite3.Connection, field_id: int, item: dict[str, Any]) -> int:
    value = str(item["VALUE"])
    cur = db.execute(
        "INSERT INTO user_field_enum(FIELD_ID, VALUE, SORT, DEF, XML_ID) VALUES (?, ?, ?, ?, ?)",
        (
            field_id,
            value,
            item.get("SORT", 500),
            item.get("DEF", "N"),
            item.get("XML_ID") or hashlib.md5(value.encode()).hexdigest(),
        ),
    )
    return int(cur.lastrowid or 0)


def update_option(db: sqlite3.Connection, option_id: int, item: dict[str, Any]) -> None:
    sets = {k: item[k] for k in ("VALUE", "SORT", "DEF", "XML_ID") if k in item}
    if sets:
        db.execute(
            f"UPDATE user_field_enum SET {', '.join(f'{k}=?' for k in sets)} WHERE ID=?",
            [*sets.values(), option_id],
        )


def delete_option(db: sqlite3.Connection, option_id: int) -> None:
    db.execute("DELETE FROM user_field_enum WHERE ID=?", (option_id,))


def delete(db: sqlite3.Connection, field_id: int) -> None:
    db.execute("DELETE FROM user_field_enum WHERE FIELD_ID=?", (field_id,))
    db.execute("DELETE FROM user_field WHERE ID=?", (field_id,))
