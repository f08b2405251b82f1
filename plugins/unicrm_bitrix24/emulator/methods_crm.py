"""Classic CRM methods for leads and contacts: list, get, add, update, delete, fields.

Each handler takes a :class:`Call` and returns an :class:`Outcome` or raises
:class:`B24Error`. The entity (``lead``/``contact``) is bound in :data:`METHODS`.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial
from typing import Any

from unicrm_bitrix24.emulator import errors
from unicrm_bitrix24.emulator.context import Call, Outcome
from unicrm_bitrix24.emulator.fields import (
    DEFAULT_CURRENCY,
    IMPORT_FIELDS,
    MULTIFIELDS,
    STATUSES,
    VALUE_TYPES,
    Field,
)
from unicrm_bitrix24.emulator.filters import compile_filter, compile_order
from unicrm_bitrix24.emulator.params import as_list, intval, pick, truthy
from unicrm_bitrix24.emulator.render import RowShape, row_shape
from unicrm_bitrix24.emulator.store import EntitySchema, Store
from unicrm_bitrix24.emulator.wire import DROP, coerce_field, coerce_user_field

PAGE = 50
STAGES = {s.status_id: s for s in STATUSES if s.entity_id == "STATUS"}
STAGE_SORTS = {code: s.sort for code, s in STAGES.items()}
_IMOL_TYPES = frozenset({"OPENLINE", "IMOL"})
_NO_FM: dict[str, list[dict[str, Any]]] = {}
_SHAPES_KEPT = 256


# -- select ---------------------------------------------------------------------------------
def _wanted(raw: Any) -> tuple[str, ...]:
    wanted = tuple(str(v).strip().upper() for v in as_list(raw) if isinstance(v, (str, int)))
    return wanted or ("*", "UF_*")


def _resolve(
    schema: EntitySchema, wanted: tuple[str, ...]
) -> tuple[list[Field], list[str], list[str]]:
    """``select`` entries -> (standard column fields, user field codes, multifield types).

    Empty means ``*`` + ``UF_*``; ``*`` never brings multifields; ``UF_*`` brings every user
    field except the multiple ones, which come only when named (``crm.lead.list``: "UF_*" -
    all custom fields, excluding multiple fields); unknown entries are ignored; ``ID`` is
    always there.
    """
    names: set[str] = {"ID"}
    ufs: set[str] = set()
    fms: set[str] = set()
    for name in wanted:
        if name == "*":
            names.update(f.code for f in schema.column_fields())
        elif name == "UF_*":
            ufs.update(u.code for u in schema.user_fields if not u.multiple)
        elif schema.user_field(name) is not None:
            ufs.add(name)
        else:
            field = schema.field(name)
            if field is None or field.virtual:
                continue
            (fms if field.kind == "fm" else names).add(name)
    return (
        [f for f in schema.column_fields() if f.code in names],
        [u.code for u in schema.user_fields if u.code in ufs],
        [t for t in MULTIFIELDS if t in fms],
    )


def select_shape(schema: EntitySchema, raw: Any) -> RowShape:
    """The row shape of a ``list`` call's ``select`` (resolved once per schema snapshot)."""
    key = ("list", _wanted(raw))
    shape: RowShape | None = schema.derived.get(key)
    if shape is None:
        fields, ufs, fm_types = _resolve(schema, key[1])
        user_fields = [u for u in schema.user_fields if u.code in set(ufs)]
        if len(schema.derived) >= _SHAPES_KEPT:
            schema.derived.clear()  # many distinct selects: start over rather than grow
        shape = schema.derived[key] = row_shape(fields, user_fields, fm_types, full=False)
    return shape


def full_shape(schema: EntitySchema) -> RowShape:
    """The row shape of ``get``: every column, every user field, every multifield."""
    shape: RowShape | None = schema.derived.get("get")
    if shape is None:
        shape = schema.derived["get"] = row_shape(
            schema.column_fields(), schema.user_fields, MULTIFIELDS, full=True
        )
    return shape


# -- list ----------------------------------------------------------------------------------
def list_entities(entity: str, call: Call) -> Outcome:
    schema = call.store.schema(entity)
    p = call.params
    where, wparams = compile_filter(schema, pick(p, "filter", "arFilter"), call.switches)
    order = compile_order(schema, pick(p, "order", "arOrder"), STAGE_SORTS)
    shape = select_shape(schema, pick(p, "select", "arSelect"))
    cols = ", ".join(f'{schema.table}."{c}"' for c in shape.columns)
    base = f"SELECT {cols} FROM {schema.table} WHERE {where} ORDER BY {order}"
    start = intval(pick(p, "start"))
    total: int
    nxt: int | None = None
    if start < 0:
        rows = call.store.rows(base + f" LIMIT {PAGE}", wparams)
        total = 0
    else:
        total = int(
            call.store.scalar(f"SELECT COUNT(*) FROM {schema.table} WHERE {where}", wparams)
        )
        page = start // PAGE + 1
        if (page - 1) * PAGE >= total and call.switches.start_past_end == "first_page":
            page = 1  # out of range: Bitrix navigation falls back to the first page (notes)
        rows = call.store.rows(base + f" LIMIT {PAGE} OFFSET {(page - 1) * PAGE}", wparams)
        if page * PAGE < total:
            nxt = page * PAGE
    fm = None
    if shape.fm_types and rows:
        fm = call.store.fm_rows(entity, [r[shape.id_index] for r in rows], shape.fm_types)
    return Outcome(shape.render_page(rows, fm), total=total, next=nxt)


# -- get -----------------------------------------------------------------------------------
def _id_param(params: dict[str, Any]) -> int:
    raw = params.get("id", params.get("ID"))
    if isinstance(raw, (dict, list)):
        raise errors.invalid_id()
    row_id = intval(raw)
    if row_id <= 0:
        raise errors.invalid_id()
    return row_id


def _existing(store: Store, entity: str, row_id: int) -> dict[str, Any]:
    row = store.get(entity, row_id)
    if row is None:
        raise errors.not_found()
    return row


def read_full(store: Store, entity: str, row_id: int) -> dict[str, Any] | None:
    shape = full_shape(store.schema(entity))
    row = store.get(entity, row_id)
    if row is None:
        return None
    fm = store.fm_rows(entity, [row_id]).get(row_id, _NO_FM)
    return shape.render([row[c] for c in shape.columns], fm)


def get_entity(entity: str, call: Call) -> Outcome:
    row_id = _id_param(call.params)
    record = read_full(call.store, entity, row_id)
    if record is None:
        raise errors.not_found()
    return Outcome(record)


# -- writes --------------------------------------------------------------------------------
def _fields_param(params: dict[str, Any]) -> dict[str, Any]:
    fields = pick(params, "fields")
    if isinstance(fields, list) and not fields:
        return {}
    if not isinstance(fields, dict):
        raise errors.fields_not_array()
    return {str(k).strip().upper(): v for k, v in fields.items()}


def _columns_from(
    schema: EntitySchema, fields: dict[str, Any], *, allow: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """Writable standard and user fields -> column values; the rest is dropped silently."""
    values: dict[str, Any] = {}
    for code, raw in fields.items():
        field = schema.field(code)
        if field is not None:
            if field.kind == "fm" or field.virtual or (field.read_only and code not in allow):
                continue
            if code == "CONTACT_ID":
                continue  # bindings are written through the link table
            stored = coerce_field(field, raw)
        else:
            uf = schema.user_field(code)
            if uf is None:
                continue
            stored = coerce_user_field(uf, raw)
        if stored is not DROP:
            values[code] = stored
    if "COMPANY_IDS" in fields and schema.name == "contact":
        ids = [i for i in (intval(v) for v in as_list(fields["COMPANY_IDS"])) if i > 0]
        values["COMPANY_ID"] = ids[0] if ids else None  # the first company is the primary
    if "STATUS_ID" in values and schema.name == "lead":
        status = values["STATUS_ID"]
        if status is None or str(status).upper() not in STAGES:
            raise errors.classic(f"Stage with ID '{status}' is not found.")
        values["STATUS_ID"] = str(status).upper()
    return values


def apply_multifields(store: Store, entity: str, owner: int, fields: dict[str, Any]) -> None:
    """Multifield write rules: no ID adds, ID updates, ID with ``DELETE: Y`` or an empty
    VALUE removes, entries not mentioned stay."""
    for type_id in MULTIFIELDS:
        if type_id not in fields:
            continue
        allowed = VALUE_TYPES[type_id]
        for raw_item in as_list(fields[type_id]):
            if not isinstance(raw_item, dict):
                continue
            item = {str(k).upper(): v for k, v in raw_item.items()}
            raw_value = item.get("VALUE")
            value = (
                ""
                if raw_value is None or isinstance(raw_value, (dict, list))
                else str(raw_value).strip()
            )
            given_type = str(item.get("VALUE_TYPE") or "").strip().upper()
            entry_id = intval(item.get("ID")) if item.get("ID") not in (None, "") else 0
            if entry_id > 0:
                entry = store.fm_entry(entity, owner, entry_id)
                if entry is None or entry["TYPE_ID"] != type_id:
                    continue
                if truthy(item.get("DELETE", "N")) or value == "":
                    store.fm_delete(entry_id)
                else:
                    vt = given_type if given_type in allowed else entry["VALUE_TYPE"]
                    store.fm_set(entry_id, vt, value)
            elif value:
                vt = given_type if given_type in allowed else allowed[0]
                store.fm_add(entity, owner, type_id, vt, value)


def _flags(store: Store, entity: str, owner: int) -> dict[str, str]:
    fm = store.fm_rows(entity, [owner], ["PHONE", "EMAIL", "IM"]).get(owner, {})
    imol = any(e["VALUE_TYPE"] in _IMOL_TYPES for e in fm.get("IM", []))
    return {
        "HAS_PHONE": "Y" if fm.get("PHONE") else "N",
        "HAS_EMAIL": "Y" if fm.get("EMAIL") else "N",
        "HAS_IMOL": "Y" if imol else "N",
    }


def _stage_effects(
    values: dict[str, Any], old: dict[str, Any] | None, user_id: int, now: int
) -> None:
    """Keep STATUS_SEMANTIC_ID, DATE_CLOSED and MOVED_* in step with the stage."""
    new_status = values.get("STATUS_ID")
    if new_status is None or (old is not None and old["STATUS_ID"] == new_status):
        return
    stage = STAGES[new_status]
    semantic = stage.semantics or "P"
    values["STATUS_SEMANTIC_ID"] = semantic
    values["MOVED_BY_ID"] = user_id
    values["MOVED_TIME"] = now
    if semantic == "P":
        values["DATE_CLOSED"] = None
    elif old is None or old.get("STATUS_SEMANTIC_ID") in (None, "P"):
        values["DATE_CLOSED"] = now


def _lead_links(call: Call, lead_id: int, fields: dict[str, Any], row: dict[str, Any]) -> None:
    """CONTACT_IDS replaces the lead's contacts; CONTACT_ID makes one contact primary."""
    store = call.store
    if "CONTACT_IDS" in fields:
        ids = [intval(v) for v in as_list(fields["CONTACT_IDS"]) if intval(v) > 0]
        existing = store.existing_ids("contact", ids)
        ids = list(dict.fromkeys(i for i in ids if i in existing))
        items = [(cid, (i + 1) * 10, i == 0) for i, cid in enumerate(ids)]
    elif "CONTACT_ID" in fields:
        cid = intval(fields["CONTACT_ID"])
        current = [
            (r["CONTACT_ID"], r["SORT"], False)
            for r in store.lead_contacts(lead_id)
            if r["CONTACT_ID"] != cid
        ]
        if cid > 0 and store.existing_ids("contact", [cid]):
            items = [(cid, 10, True), *current]
        else:
            items = current
    else:
        return
    primary = store.set_lead_contacts(lead_id, items)
    company = row.get("COMPANY_ID") or 0
    store.update(
        "lead",
        lead_id,
        {"CONTACT_ID": primary, "IS_RETURN_CUSTOMER": "Y" if primary or company else "N"},
    )


def add_entity(entity: str, call: Call) -> Outcome:
    schema = call.store.schema(entity)
    fields = _fields_param(call.params)
    options = pick(call.params, "params")
    importing = (
        entity == "contact" and isinstance(options, dict) and truthy(pick(options, "IMPORT") or "N")
    )
    values = _columns_from(schema, fields, allow=IMPORT_FIELDS if importing else frozenset())
    now = int(call.now)
    base: dict[str, Any] = {
        "DATE_CREATE": now,
        "DATE_MODIFY": now,
        "CREATED_BY_ID": call.user_id,
        "MODIFY_BY_ID": call.user_id,
        "ASSIGNED_BY_ID": call.user_id,
        "OPENED": "Y",
        "HAS_PHONE": "N",
        "HAS_EMAIL": "N",
        "HAS_IMOL": "N",
    }
    if entity == "lead":
        base.update(
            {
                "STATUS_ID": "NEW",
                "CURRENCY_ID": DEFAULT_CURRENCY,
                "OPPORTUNITY": 0.0,
                "IS_MANUAL_OPPORTUNITY": "N",
                "IS_RETURN_CUSTOMER": "N",
                "LAST_ACTIVITY_BY": call.user_id,
                "LAST_ACTIVITY_TIME": now,
            }
        )
    else:
        base.update({"EXPORT": "Y", "TYPE_ID": "CLIENT"})
    for key, value in values.items():
        if value is not None or key not in ("STATUS_ID", "ASSIGNED_BY_ID", "OPENED"):
            base[key] = value
    if entity == "lead":
        _stage_effects(base, None, call.user_id, now)
        if base.get("COMPANY_ID"):
            base["IS_RETURN_CUSTOMER"] = "Y"
    store = call.store
    with store.transaction():
        new_id = store.insert(entity, base)
        if entity == "lead" and not base.get("TITLE"):
            store.update(entity, new_id, {"TITLE": f"Lead #{new_id}"})
        apply_multifields(store, entity, new_id, fields)
        store.update(entity, new_id, _flags(store, entity, new_id))
        if entity == "lead":
            _lead_links(call, new_id, fields, base)
    return Outcome(new_id)


def update_entity(entity: str, call: Call) -> Outcome:
    schema = call.store.schema(entity)
    row_id = _id_param(call.params)
    store = call.store
    with store.transaction():
        old = _existing(store, entity, row_id)
        fields = _fields_param(call.params)
        values = _columns_from(schema, fields)
        if entity == "lead" and values.get("TITLE") in (None, "") and "TITLE" in values:
            values.pop("TITLE")
        now = int(call.now)
        values["DATE_MODIFY"] = now
        values["MODIFY_BY_ID"] = call.user_id
        if entity == "lead":
            _stage_effects(values, old, call.user_id, now)
            if "COMPANY_ID" in values:
                linked = values["COMPANY_ID"] or old.get("CONTACT_ID")
                values["IS_RETURN_CUSTOMER"] = "Y" if linked else "N"
        store.update(entity, row_id, values)
        apply_multifields(store, entity, row_id, fields)
        store.update(entity, row_id, _flags(store, entity, row_id))
        if entity == "lead":
            _lead_links(call, row_id, fields, {**old, **values})
    return Outcome(True)


def delete_entity(entity: str, call: Call) -> Outcome:
    row_id = _id_param(call.params)
    store = call.store
    with store.transaction():
        _existing(store, entity, row_id)
        leads: list[int] = []
        if entity == "contact":
            leads = [
                int(r[0])
                for r in store.query(
                    "SELECT LEAD_ID FROM lead_contact WHERE CONTACT_ID=?", (row_id,)
                )
            ]
        store.delete(entity, row_id)
        for lead_id in leads:
            remaining = [
                (r["CONTACT_ID"], r["SORT"], r["IS_PRIMARY"] == "Y")
                for r in store.lead_contacts(lead_id)
            ]
            primary = store.set_lead_contacts(lead_id, remaining)
            store.update("lead", lead_id, {"CONTACT_ID": primary})
    return Outcome(True)


# -- fields --------------------------------------------------------------------------------
def _describe(field: Field) -> dict[str, Any]:
    out: dict[str, Any] = {
        "type": field.type,
        "isRequired": field.required,
        "isReadOnly": field.read_only,
        "isImmutable": False,
        "isMultiple": field.multiple,
        "isDynamic": False,
        "title": field.title,
    }
    if field.deprecated:
        out["isDeprecated"] = True
    if field.status_type:
        out["statusType"] = field.status_type
    return out


def fields_of(entity: str, call: Call) -> Outcome:
    schema = call.store.schema(entity)
    result = {f.code: _describe(f) for f in schema.fields}
    for uf in schema.user_fields:
        desc: dict[str, Any] = {
            "type": uf.user_type,
            "isRequired": uf.mandatory,
            "isReadOnly": False,
            "isImmutable": False,
            "isMultiple": uf.multiple,
            "isDynamic": True,
            "title": uf.code,
            "listLabel": uf.label_en,
            "formLabel": uf.label_en,
            "filterLabel": uf.label_en,
            "settings": {"DEFAULT_VALUE": ""},
        }
        if uf.options:
            desc["items"] = [{"ID": str(o.id), "VALUE": o.value} for o in uf.options]
        result[uf.code] = desc
    return Outcome(result)


Handler = Callable[[Call], Outcome]

METHODS: dict[str, Handler] = {}
for _entity in ("lead", "contact"):
    METHODS.update(
        {
            f"crm.{_entity}.list": partial(list_entities, _entity),
            f"crm.{_entity}.get": partial(get_entity, _entity),
            f"crm.{_entity}.add": partial(add_entity, _entity),
            f"crm.{_entity}.update": partial(update_entity, _entity),
            f"crm.{_entity}.delete": partial(delete_entity, _entity),
            f"crm.{_entity}.fields": partial(fields_of, _entity),
        }
    )
