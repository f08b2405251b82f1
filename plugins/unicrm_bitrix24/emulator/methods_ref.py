"""Reference and relation methods: statuses, lead-contact bindings, duplicate search by phone
or e-mail (user field definitions are in :mod:`methods_uf`)."""

from __future__ import annotations

from typing import Any

from unicrm_bitrix24.emulator import errors
from unicrm_bitrix24.emulator.context import Call, Outcome
from unicrm_bitrix24.emulator.fields import SEMANTICS_TEXT, STATUSES
from unicrm_bitrix24.emulator.methods_crm import Handler
from unicrm_bitrix24.emulator.params import as_list, intval, pick
from unicrm_bitrix24.emulator.store import normalize


def matches(row: dict[str, Any], raw_filter: Any) -> bool:
    """Equality filter on row keys (case-insensitive names, as these small lists accept)."""
    if not isinstance(raw_filter, dict):
        return True
    upper = {k.upper(): v for k, v in row.items()}
    for key, wanted in raw_filter.items():
        name = str(key).upper().lstrip("=")
        if name not in upper:
            continue
        have = upper[name]
        if isinstance(wanted, (list, dict)):
            if str(have) not in {str(w) for w in as_list(wanted)}:
                return False
        elif str(have if have is not None else "") != str(wanted):
            return False
    return True


def ordered(rows: list[dict[str, Any]], raw_order: Any, default: list[str]) -> None:
    keys: list[tuple[str, bool]] = []
    if isinstance(raw_order, dict):
        keys = [(str(k).upper(), str(v).upper() != "ASC") for k, v in raw_order.items()]
    keys = keys or [(k, False) for k in default]
    for name, desc in reversed(keys):

        def sort_key(r: dict[str, Any], n: str = name) -> tuple[int, Any]:
            v = r.get(n)
            if isinstance(v, str) and v.lstrip("-").isdigit():
                return (0, int(v))
            return (1, "" if v is None else str(v))

        rows.sort(key=sort_key, reverse=desc)


# -- crm.status.* ---------------------------------------------------------------------------
#: ``crm.status.fields``: the dictionary entry's fields as the docs describe them.
STATUS_FIELDS: dict[str, dict[str, Any]] = {
    code: {
        "type": type_,
        "isRequired": "R" in flags,
        "isReadOnly": "O" in flags,
        "isImmutable": "I" in flags,
        "isMultiple": False,
        "isDynamic": False,
        "title": title,
    }
    for code, type_, flags, title in (
        ("ID", "integer", "O", "ID"),
        ("ENTITY_ID", "string", "RI", "Entity ID"),
        ("STATUS_ID", "string", "RI", "Status"),
        ("SORT", "integer", "", "Sort"),
        ("NAME", "string", "R", "Name"),
        ("NAME_INIT", "string", "O", "Default name"),
        ("SYSTEM", "char", "O", "System"),
        ("CATEGORY_ID", "integer", "I", "CATEGORY_ID"),
        ("COLOR", "string", "", "COLOR"),
        ("SEMANTICS", "char", "I", "SEMANTICS"),
        ("EXTRA", "crm_status_extra", "", "Extra fields"),
    )
}
#: Dictionaries whose entries are stages: they carry a colour and ``EXTRA``.
_STAGE_DICTIONARIES = frozenset({"STATUS"})


def _status_rows() -> list[dict[str, Any]]:
    rows = []
    for i, s in enumerate(STATUSES, start=1):
        stage = s.entity_id in _STAGE_DICTIONARIES
        row: dict[str, Any] = {
            "ID": str(i),
            "ENTITY_ID": s.entity_id,
            "STATUS_ID": s.status_id,
            "NAME": s.name,
            "NAME_INIT": s.name if s.system else "",
            "SORT": str(s.sort),
            "SYSTEM": "Y" if s.system else "N",
            "CATEGORY_ID": None,
            "COLOR": s.color if stage else None,
            "SEMANTICS": s.semantics,
        }
        if stage:
            row["EXTRA"] = {"SEMANTICS": SEMANTICS_TEXT[s.semantics], "COLOR": s.color}
        rows.append(row)
    return rows


def status_list(call: Call) -> Outcome:
    rows = [r for r in _status_rows() if matches(r, pick(call.params, "filter"))]
    ordered(rows, pick(call.params, "order"), ["SORT", "ID"])
    return Outcome(rows, total=len(rows))


def status_get(call: Call) -> Outcome:
    """One entry by its numeric ``ID`` (``EXTRA`` is not part of this answer)."""
    raw = call.params.get("id", call.params.get("ID"))
    status_id = intval(raw) if not isinstance(raw, (dict, list)) else 0
    if status_id <= 0:
        raise errors.classic("Invalid identifier.")
    found = next((r for r in _status_rows() if r["ID"] == str(status_id)), None)
    if found is None:
        raise errors.classic("Status is not found.")
    found.pop("EXTRA", None)
    return Outcome(found)


def status_fields(call: Call) -> Outcome:
    return Outcome({code: dict(desc) for code, desc in STATUS_FIELDS.items()})


def status_entity_items(call: Call) -> Outcome:
    entity_id = pick(call.params, "entityId")
    if not isinstance(entity_id, str) or not entity_id:
        raise errors.classic("The parameter entityId is not defined or invalid.")
    items = sorted((s for s in STATUSES if s.entity_id == entity_id.upper()), key=lambda s: s.sort)
    return Outcome([{"NAME": s.name, "SORT": s.sort, "STATUS_ID": s.status_id} for s in items])


def status_entity_types(call: Call) -> Outcome:
    return Outcome(
        [
            {"ID": "STATUS", "NAME": "Lead stages", "SEMANTIC_INFO": {}, "ENTITY_TYPE_ID": 1},
            {"ID": "SOURCE", "NAME": "Sources"},
            {"ID": "CONTACT_TYPE", "NAME": "Contact type"},
            {"ID": "HONORIFIC", "NAME": "Salutations"},
        ]
    )


# -- crm.lead.contact.items.* ---------------------------------------------------------------
def _lead_id(call: Call) -> int:
    lead_id = intval(call.params.get("id", call.params.get("ID")))
    if lead_id <= 0:
        raise errors.invalid_id()
    if call.store.get("lead", lead_id) is None:
        raise errors.platform("NOT_FOUND", "Not found.")
    return lead_id


def lead_contacts_get(call: Call) -> Outcome:
    return Outcome(call.store.lead_contacts(_lead_id(call)))


def lead_contacts_set(call: Call) -> Outcome:
    """Replace the lead's whole contact set (notes §8)."""
    store = call.store
    with store.transaction():
        lead_id = _lead_id(call)
        items: list[tuple[int, int, bool]] = []
        for i, raw_item in enumerate(as_list(pick(call.params, "items"))):
            if not isinstance(raw_item, dict):
                continue
            item = {str(k).upper(): v for k, v in raw_item.items()}
            cid = intval(item.get("CONTACT_ID"))
            if cid <= 0:
                continue
            if not store.existing_ids("contact", [cid]):
                raise errors.platform("NOT_FOUND", f"Contact with ID '{cid}' is not found.")
            sort = intval(item["SORT"]) if "SORT" in item else (i + 1) * 10
            items.append((cid, sort, str(item.get("IS_PRIMARY", "N")).upper() == "Y"))
        _bind(call, lead_id, items)
    return Outcome(True)


def lead_contacts_delete(call: Call) -> Outcome:
    """``crm.lead.contact.items.delete {id}``: unbind every contact of the lead (notes §8)."""
    with call.store.transaction():
        _bind(call, _lead_id(call), [])
    return Outcome(True)


def _bind(call: Call, lead_id: int, items: list[tuple[int, int, bool]]) -> None:
    """Store the lead's bindings and keep its primary ``CONTACT_ID`` and flags in step."""
    store = call.store
    primary = store.set_lead_contacts(lead_id, items)
    row = store.get("lead", lead_id) or {}
    store.update(
        "lead",
        lead_id,
        {
            "CONTACT_ID": primary,
            "IS_RETURN_CUSTOMER": "Y" if primary or row.get("COMPANY_ID") else "N",
            "DATE_MODIFY": int(call.now),
            "MODIFY_BY_ID": call.user_id,
        },
    )


# -- crm.duplicate.findbycomm ---------------------------------------------------------------
_DUP_ENTITIES = {"LEAD": "lead", "CONTACT": "contact", "COMPANY": None}


def find_by_comm(call: Call) -> Outcome:
    comm_type = str(pick(call.params, "type") or "").upper()
    if comm_type not in ("PHONE", "EMAIL"):
        raise errors.classic("Parameter 'type' is not defined or invalid.")
    values = [str(v) for v in as_list(pick(call.params, "values")) if str(v).strip()]
    if not values:
        raise errors.classic("Parameter 'values' is not defined or invalid.")
    if len(values) > 20:
        raise errors.classic("Too many values. Maximum 20 values are allowed.")
    wanted = str(pick(call.params, "entity_type") or "").upper()
    kinds = [wanted] if wanted else list(_DUP_ENTITIES)
    norms = list({normalize(comm_type, v) for v in values} - {""})
    result: dict[str, list[int]] = {}
    for kind in kinds:
        entity = _DUP_ENTITIES.get(kind)
        if entity is None or not norms:
            continue
        rows = call.store.query(
            "SELECT DISTINCT OWNER_ID FROM fm WHERE ENTITY=? AND TYPE_ID=? AND NORM IN "
            f"({','.join('?' for _ in norms)}) ORDER BY OWNER_ID",
            [entity, comm_type, *norms],
        )
        if rows:
            result[kind] = [int(r[0]) for r in rows]
    return Outcome(result if result else [])


def category_list(call: Call) -> Outcome:
    type_id = intval(pick(call.params, "entityTypeId"))
    if type_id == 1:
        raise errors.platform("ENTITY_TYPE_NOT_SUPPORTED", "Entity type LEAD is not supported")
    raise errors.platform("NOT_FOUND", "Smart process not found")


METHODS: dict[str, Handler] = {
    "crm.status.list": status_list,
    "crm.status.get": status_get,
    "crm.status.fields": status_fields,
    "crm.status.entity.items": status_entity_items,
    "crm.status.entity.types": status_entity_types,
    "crm.lead.contact.items.get": lead_contacts_get,
    "crm.lead.contact.items.set": lead_contacts_set,
    "crm.lead.contact.items.delete": lead_contacts_delete,
    "crm.duplicate.findbycomm": find_by_comm,
    "crm.category.list": category_list,
}
