"""``crm.lead.userfield.*`` and ``crm.contact.userfield.*``: add, get, list, update, delete.

Definitions live in the store (:mod:`userfields`); adding one adds its column, so the new
field is at once listed by ``crm.*.fields``, selectable (``UF_*``), writable and filterable.
Validation failures are classic CRM errors: HTTP 400, empty ``error`` code, the messages
joined with a newline (notes §2.2, §9).
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from functools import partial
from typing import Any

from unicrm_bitrix24.emulator import errors, userfields
from unicrm_bitrix24.emulator.context import Call, Outcome
from unicrm_bitrix24.emulator.fields import ENTITY_IDS, USER_TYPES
from unicrm_bitrix24.emulator.methods_ref import matches, ordered
from unicrm_bitrix24.emulator.params import as_list, intval, pick, truthy
from unicrm_bitrix24.emulator.store import Store

PREFIX = "UF_CRM_"
MAX_NAME = 50  # characters, prefix included (notes §9)
_NAME_CHARS = re.compile(r"^[A-Z0-9_]+$")
_FLAGS_ON_UPDATE = ("MANDATORY", "SHOW_FILTER", "SHOW_IN_LIST", "EDIT_IN_LIST", "IS_SEARCHABLE")


def normalize_name(raw: str) -> str:
    """``x`` -> ``UF_CRM_X``, ``UF_X`` -> ``UF_CRM_X``, ``UF_CRM_X`` kept (upper-cased)."""
    name = raw.strip().upper()
    if name.startswith(PREFIX):
        return name
    if name.startswith("UF_"):
        return PREFIX + name[3:]
    return PREFIX + name


# -- rendering -------------------------------------------------------------------------------
def _label(labels: dict[str, str], lang: str | None) -> Any:
    if not labels:
        return None
    if lang is None:
        return labels
    return labels.get(lang.lower(), labels.get("en"))


def render(definition: userfields.Definition, lang: str | None = None) -> dict[str, Any]:
    """One definition as ``*.userfield.get``/``list`` shows it (ids and sorts as strings)."""
    row = definition.row
    uf = definition.field
    out: dict[str, Any] = {
        "ID": str(uf.id),
        "ENTITY_ID": ENTITY_IDS[definition.entity],
        "FIELD_NAME": uf.code,
        "USER_TYPE_ID": uf.user_type,
        "XML_ID": row["XML_ID"],
        "SORT": str(uf.sort),
        "MULTIPLE": row["MULTIPLE"],
        "MANDATORY": row["MANDATORY"],
        "SHOW_FILTER": row["SHOW_FILTER"],
        "SHOW_IN_LIST": row["SHOW_IN_LIST"],
        "EDIT_IN_LIST": row["EDIT_IN_LIST"],
        "IS_SEARCHABLE": row["IS_SEARCHABLE"],
        "SETTINGS": definition.settings if definition.settings else [],
    }
    for key in userfields.LABEL_KEYS:
        out[key] = _label(definition.labels.get(key) or {}, lang)
    if uf.user_type == "enumeration":
        out["LIST"] = [
            {
                "ID": str(o.id),
                "SORT": str(o.sort),
                "VALUE": o.value,
                "DEF": "Y" if o.default else "N",
                "XML_ID": o.xml_id,
            }
            for o in uf.options
        ]
    return out


def _definition(store: Store, entity: str, params: dict[str, Any]) -> userfields.Definition:
    raw = params.get("id", params.get("ID"))
    field_id = intval(raw) if not isinstance(raw, (dict, list)) else 0
    if field_id <= 0:
        raise errors.invalid_id()
    found = store.user_field_definitions(entity)
    match = next((d for d in found if d.field.id == field_id), None)
    if match is None:
        raise errors.platform("ERROR_NOT_FOUND", f"The entity with ID '{field_id}' is not found")
    return match


# -- reading ---------------------------------------------------------------------------------
def _array_param(params: dict[str, Any], name: str) -> Any:
    """An optional object parameter; anything else but nothing is a classic error."""
    value = pick(params, name)
    if value in (None, "", []) or isinstance(value, dict):
        return value
    raise errors.fields_not_array(name)


def userfield_list(entity: str, call: Call) -> Outcome:
    raw_filter = _array_param(call.params, "filter")
    raw_order = _array_param(call.params, "order")
    lang = None
    if isinstance(raw_filter, dict):
        lang_value = pick(raw_filter, "LANG")
        lang = str(lang_value) if lang_value else None
        raw_filter = {k: v for k, v in raw_filter.items() if str(k).upper() != "LANG"}
    rows = [
        row
        for d in call.store.user_field_definitions(entity)
        if matches(row := render(d, lang), raw_filter)
    ]
    ordered(rows, raw_order, ["SORT", "ID"])
    return Outcome(rows, total=len(rows))


def userfield_get(entity: str, call: Call) -> Outcome:
    return Outcome(render(_definition(call.store, entity, call.params)))


# -- parameters ------------------------------------------------------------------------------
def _fields(params: dict[str, Any]) -> dict[str, Any]:
    fields = pick(params, "fields")
    if not isinstance(fields, dict):
        raise errors.fields_not_array()
    return {str(k).strip().upper(): v for k, v in fields.items()}


def _yn(value: Any, default: str) -> str:
    if value is None or value == "":
        return default
    if isinstance(value, str) and value.strip().upper() in ("Y", "N"):
        return value.strip().upper()
    return "Y" if truthy(value) else "N"


def _label_map(raw: Any) -> dict[str, str] | None:
    """A label as written: a string (every language) or a ``{language: text}`` map."""
    if raw is None:
        return None
    if isinstance(raw, dict):
        return {str(k).lower(): str(v) for k, v in raw.items() if v is not None}
    if isinstance(raw, list):
        return None
    return dict.fromkeys(userfields.LANGUAGES, str(raw))


def _labels(fields: dict[str, Any], old: dict[str, dict[str, str]]) -> dict[str, dict[str, str]]:
    """Labels after a write: given languages replace old ones; ``LABEL`` fills the three
    labels the call does not name."""
    out = {key: dict(old.get(key) or {}) for key in userfields.LABEL_KEYS}
    common = _label_map(fields.get("LABEL"))
    for key in userfields.LABEL_KEYS:
        given = _label_map(fields.get(key))
        if given is None and common is not None and key.endswith("LABEL"):
            given = common
        if given is not None:
            out[key].update(given)
    return out


def _settings(raw: Any, user_type: str, old: Any = None) -> str:
    base = old if isinstance(old, dict) else userfields.default_settings(user_type)
    if isinstance(raw, dict):
        base = {**base, **{str(k).upper(): v for k, v in raw.items()}}
    return json.dumps(base, ensure_ascii=False)


#: ``crm.lead.userfield.add`` error texts (the method's error table, English portal).
NAME_MISSING = "The 'FIELD_NAME' field is not found."
TYPE_MISSING = "The 'USER_TYPE_ID' field is not found."
NAME_TOO_LONG = "Field name is too long (more than 50 characters)."
NAME_BAD_CHARS = "Field name contains invalid characters. Allowed characters are: A-Z, 0-9 and _."
TYPE_UNKNOWN = "Invalid custom type specified."


def _validate_new(store: Store, entity: str, fields: dict[str, Any]) -> tuple[str, str]:
    """(FIELD_NAME, USER_TYPE_ID) of a new field. A missing name or type is a classic error
    (both texts in one answer); a bad name or an unknown type is ``ERROR_CORE``."""
    user_type = str(fields.get("USER_TYPE_ID") or "").strip().lower()
    raw_name = fields.get("FIELD_NAME")
    missing_name = (
        raw_name is None or isinstance(raw_name, (dict, list)) or not str(raw_name).strip()
    )
    name = "" if missing_name else normalize_name(str(raw_name))
    missing = [NAME_MISSING] if missing_name or name == PREFIX else []
    if not user_type:
        missing.append(TYPE_MISSING)
    if missing:
        raise errors.classic("\n".join(missing))
    if not _NAME_CHARS.match(name):
        raise errors.platform("ERROR_CORE", NAME_BAD_CHARS)
    if len(name) > MAX_NAME:
        raise errors.platform("ERROR_CORE", NAME_TOO_LONG)
    if user_type not in USER_TYPES:
        raise errors.platform("ERROR_CORE", TYPE_UNKNOWN)
    if store.schema(entity).user_field(name) is not None:
        raise errors.classic(f"A user field named '{name}' already exists.")
    return name, user_type


def _option(raw: Any) -> dict[str, Any] | None:
    """A ``LIST`` entry as written -> the keys it sets (upper-cased, typed)."""
    if not isinstance(raw, dict):
        return None
    item = {str(k).upper(): v for k, v in raw.items()}
    out: dict[str, Any] = {}
    if item.get("VALUE") is not None and not isinstance(item["VALUE"], (dict, list)):
        out["VALUE"] = str(item["VALUE"])
    if "SORT" in item:
        out["SORT"] = intval(item["SORT"])
    if "DEF" in item:
        out["DEF"] = _yn(item["DEF"], "N")
    if item.get("XML_ID") not in (None, ""):
        out["XML_ID"] = str(item["XML_ID"])
    if item.get("ID") not in (None, ""):
        out["ID"] = intval(item["ID"])
    out["DEL"] = _yn(item.get("DEL"), "N")
    return out


# -- writing ---------------------------------------------------------------------------------
def _new_values(fields: dict[str, Any], name: str, user_type: str) -> dict[str, Any]:
    return {
        "FIELD_NAME": name,
        "USER_TYPE_ID": user_type,
        "XML_ID": None if fields.get("XML_ID") in (None, "") else str(fields["XML_ID"]),
        "SORT": intval(fields["SORT"]) if fields.get("SORT") not in (None, "") else 100,
        **{key: _yn(fields.get(key), default) for key, default in userfields.FLAG_DEFAULTS.items()},
        "SETTINGS": _settings(fields.get("SETTINGS"), user_type),
        "LABELS": json.dumps(_labels(fields, {}), ensure_ascii=False),
    }


def userfield_add(entity: str, call: Call) -> Outcome:
    """A new definition; returns its ID (a JSON int, as every ``add``)."""
    store = call.store
    fields = _fields(call.params)
    try:
        with store.transaction():  # validation too: two adds of one name cannot both pass
            name, user_type = _validate_new(store, entity, fields)
            multiple = _yn(fields.get("MULTIPLE"), "N")
            values = _new_values(fields, name, user_type)
            field_id = userfields.insert(store.db, entity, values)
            if user_type == "enumeration":
                _write_options(store, entity, field_id, fields.get("LIST"), multiple == "Y")
            store.forget_schemas()
            created = store.schema(entity).user_field(name)
            assert created is not None
            store.add_user_field_column(entity, created)
    finally:
        store.forget_schemas()
    return Outcome(field_id)


def _write_options(store: Store, entity: str, field_id: int, raw: Any, multiple: bool) -> None:
    """Apply a ``LIST``: entries with an ID of this field change (or go with ``DEL: Y``),
    entries without one are added when they have a VALUE; others stay as they are."""
    db = store.db
    own = {
        int(r[0])
        for r in db.execute("SELECT ID FROM user_field_enum WHERE FIELD_ID=?", (field_id,))
    }
    removed: list[int] = []
    for entry in as_list(raw):
        item = _option(entry)
        if item is None:
            continue
        option_id = item.pop("ID", 0)
        delete = item.pop("DEL") == "Y"
        if option_id:
            if option_id not in own:
                continue
            if delete:
                userfields.delete_option(db, option_id)
                removed.append(option_id)
            else:
                userfields.update_option(db, option_id, item)
        elif item.get("VALUE", "").strip():
            userfields.add_option(db, field_id, item)
    if not multiple:  # one default at most: the first by sort
        defaults = db.execute(
            "SELECT ID FROM user_field_enum WHERE FIELD_ID=? AND DEF='Y' ORDER BY SORT, ID",
            (field_id,),
        ).fetchall()
        for extra in defaults[1:]:
            db.execute("UPDATE user_field_enum SET DEF='N' WHERE ID=?", (extra[0],))
    if removed:
        _forget_option_values(store, entity, field_id, removed, multiple)


def _forget_option_values(
    store: Store, entity: str, field_id: int, removed: list[int], multiple: bool
) -> None:
    """Values pointing at deleted options are cleared (the emulator's choice: a record never
    carries an option id its field no longer lists)."""
    code = store.db.execute("SELECT FIELD_NAME FROM user_field WHERE ID=?", (field_id,)).fetchone()
    col = f'"{code[0]}"'
    marks = ",".join("?" for _ in removed)
    if not multiple:
        store.db.execute(f"UPDATE {entity} SET {col}=NULL WHERE {col} IN ({marks})", removed)
        return
    store.db.execute(
        f"UPDATE {entity} SET {col}=(SELECT CASE WHEN COUNT(*)=0 THEN NULL "
        f"ELSE json_group_array(je.value) END FROM json_each({col}) AS je "
        f"WHERE je.value NOT IN ({marks})) "
        f"WHERE EXISTS (SELECT 1 FROM json_each({col}) AS je WHERE je.value IN ({marks}))",
        [*removed, *removed],
    )


def userfield_update(entity: str, call: Call) -> Outcome:
    """Labels, sort, flags, settings, XML_ID and LIST options change; FIELD_NAME,
    USER_TYPE_ID and MULTIPLE are fixed once created and ignored here."""
    store = call.store
    try:
        with store.transaction():
            found = _definition(store, entity, call.params)
            fields = _fields(call.params)
            uf = found.field
            values: dict[str, Any] = {
                key: _yn(fields[key], found.row[key]) for key in _FLAGS_ON_UPDATE if key in fields
            }
            if fields.get("SORT") not in (None, ""):
                values["SORT"] = intval(fields["SORT"])
            if "XML_ID" in fields and not isinstance(fields["XML_ID"], (dict, list)):
                values["XML_ID"] = None if fields["XML_ID"] in (None, "") else str(fields["XML_ID"])
            if "SETTINGS" in fields:
                values["SETTINGS"] = _settings(fields["SETTINGS"], uf.user_type, found.settings)
            labels = _labels(fields, found.labels)
            if labels != {k: found.labels.get(k) or {} for k in userfields.LABEL_KEYS}:
                values["LABELS"] = json.dumps(labels, ensure_ascii=False)
            userfields.update(store.db, uf.id, values)
            if uf.user_type == "enumeration" and "LIST" in fields:
                _write_options(store, entity, uf.id, fields["LIST"], uf.multiple)
    finally:
        store.forget_schemas()
    return Outcome(True)


def userfield_delete(entity: str, call: Call) -> Outcome:
    """The definition goes, and every record's value with its column."""
    store = call.store
    try:
        with store.transaction():
            found = _definition(store, entity, call.params)
            userfields.delete(store.db, found.field.id)
            store.drop_user_field_column(entity, found.field.code)
    finally:
        store.forget_schemas()
    return Outcome(True)


Handler = Callable[[Call], Outcome]

METHODS: dict[str, Handler] = {}
for _entity in ("lead", "contact"):
    METHODS.update(
        {
            f"crm.{_entity}.userfield.list": partial(userfield_list, _entity),
            f"crm.{_entity}.userfield.get": partial(userfield_get, _entity),
            f"crm.{_entity}.userfield.add": partial(userfield_add, _entity),
            f"crm.{_entity}.userfield.update": partial(userfield_update, _entity),
            f"crm.{_entity}.userfield.delete": partial(userfield_delete, _entity),
        }
    )
