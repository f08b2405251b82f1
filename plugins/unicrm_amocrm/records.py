"""The field-by-field rules behind :mod:`unicrm_amocrm.mapping` (which lists them all).

Read functions take a vendor item as ``GET /api/v4/leads`` returns it; write functions return
the item for ``POST``/``PATCH``. Tables drive the code-mapped fields and contact kinds.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from unicrm.errors import ValidationError
from unicrm.model import (
    Contact,
    ContactKind,
    ContactLink,
    Email,
    EntityKind,
    Lead,
    Money,
    Phone,
    StageRef,
)
from unicrm_amocrm.custom_values import VALUE_CODECS
from unicrm_amocrm.schema import (
    EMAIL_CODE,
    ORIGIN_CODE,
    PHONE_CODE,
    POSITION_CODE,
    AccountSchema,
    AmoField,
    semantic_of,
)

VENDOR = "amocrm"
UTC = dt.timezone.utc

#: Neutral text fields held in custom fields with a known code, per entity.
CODED_FIELDS: Mapping[EntityKind, Mapping[str, str]] = {
    EntityKind.LEAD: {
        "origin": ORIGIN_CODE,
        **{f"utm_{p}": f"UTM_{p.upper()}" for p in ("source", "medium", "campaign", "content")},
        "utm_term": "UTM_TERM",
    },
    EntityKind.CONTACT: {"origin": ORIGIN_CODE, "post": POSITION_CODE},
}

#: Multitext enum code -> kind (read); the first code listed for a kind is the one written.
PHONE_KINDS: tuple[tuple[str, ContactKind], ...] = (
    ("WORK", ContactKind.WORK),
    ("WORKDD", ContactKind.WORK),
    ("MOB", ContactKind.MOBILE),
    ("HOME", ContactKind.HOME),
    ("FAX", ContactKind.FAX),
    ("OTHER", ContactKind.OTHER),
)
EMAIL_KINDS: tuple[tuple[str, ContactKind], ...] = (
    ("WORK", ContactKind.WORK),
    ("PRIV", ContactKind.PRIVATE),
    ("OTHER", ContactKind.OTHER),
)
MULTITEXT: Mapping[str, tuple[str, tuple[tuple[str, ContactKind], ...]]] = {
    "phones": (PHONE_CODE, PHONE_KINDS),
    "emails": (EMAIL_CODE, EMAIL_KINDS),
}

#: Vendor keys the model maps (everything else on an item is kept in ``extra``).
_MAPPED = frozenset(
    {
        "id",
        "name",
        "price",
        "status_id",
        "pipeline_id",
        "responsible_user_id",
        "source_id",
        "first_name",
        "last_name",
        "created_at",
        "updated_at",
        "closed_at",
        "custom_fields_values",
        "_links",
        "_embedded",
        "request_id",
    }
)
_EMBEDDED_MAPPED = frozenset({"tags", "contacts", "companies"})
#: ``extra`` keys written back to amoCRM.
WRITABLE_EXTRA = ("loss_reason_id",)

#: Model fields amoCRM cannot hold, per entity (writing a value there is an error).
UNSUPPORTED: Mapping[EntityKind, tuple[str, ...]] = {
    EntityKind.LEAD: (
        "first_name",
        "middle_name",
        "last_name",
        "company_title",
        "post",
        "phones",
        "emails",
        "comments",
    ),
    EntityKind.CONTACT: ("company_title", "source", "comments"),
}


def _time(value: Any) -> dt.datetime | None:
    return None if value in (None, 0) else dt.datetime.fromtimestamp(int(value), UTC)


def _opt_id(value: Any) -> str | None:
    return None if value in (None, 0, "") else str(value)


def _invalid(entity: EntityKind, field: str, message: str) -> ValidationError:
    return ValidationError(
        f"amocrm {entity}s: {field}: {message}", vendor=VENDOR, details=((field, message),)
    )


# --- reading ----------------------------------------------------------------------------
def _read_custom(
    raw: Mapping[str, Any], schema: AccountSchema, entity: EntityKind
) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """(neutral fields from coded/multitext fields, custom values, items kept raw)."""
    by_code = {code: name for name, code in CODED_FIELDS[entity].items()}
    named: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    kept: list[Any] = []
    for item in raw.get("custom_fields_values") or ():
        field = schema.field_by_id(entity, int(item.get("field_id") or 0))
        values = list(item.get("values") or ())
        code = (field.code if field else None) or item.get("field_code")
        multitext = {c: (n, kinds) for n, (c, kinds) in MULTITEXT.items()}
        if entity is EntityKind.CONTACT and code in multitext:
            name, kinds = multitext[code]
            named[name] = _read_multitext(values, field, dict(kinds), name)
        elif code in by_code:
            named[by_code[code]] = str(values[0].get("value")) if values else None
        elif field is not None and field.type in VALUE_CODECS:
            value = VALUE_CODECS[field.type].read(field, values)
            if value is not None:
                custom[field.key] = value
        else:
            kept.append(item)
    return named, custom, kept


def _read_multitext(
    values: list[Mapping[str, Any]],
    field: AmoField | None,
    kinds: Mapping[str, ContactKind],
    name: str,
) -> tuple[Phone | Email, ...]:
    make = Phone if name == "phones" else Email
    result = []
    for item in values:
        code = item.get("enum_code")
        if code is None and field is not None and item.get("enum_id") is not None:
            found = field.enum_by_id(int(item["enum_id"]))
            code = (found.code or found.value) if found else None
        result.append(make(str(item.get("value") or ""), kinds.get(str(code), ContactKind.OTHER)))
    return tuple(result)


def _extra(raw: Mapping[str, Any], kept: list[Any]) -> dict[str, Any]:
    extra = {k: v for k, v in raw.items() if k not in _MAPPED}
    embedded = raw.get("_embedded") or {}
    extra.update({f"_embedded.{k}": v for k, v in embedded.items() if k not in _EMBEDDED_MAPPED})
    if kept:
        extra["custom_fields_values"] = kept
    return extra


def _common(raw: Mapping[str, Any], schema: AccountSchema, entity: EntityKind) -> dict[str, Any]:
    named, custom, kept = _read_custom(raw, schema, entity)
    embedded = raw.get("_embedded") or {}
    companies = embedded.get("companies") or ()
    return {
        "id": str(raw["id"]),
        "vendor": VENDOR,
        "responsible_id": _opt_id(raw.get("responsible_user_id")),
        "tags": tuple(str(t.get("name") or "") for t in embedded.get("tags") or ()),
        "company_id": _opt_id(companies[0].get("id")) if companies else None,
        "created_at": _time(raw.get("created_at")),
        "updated_at": _time(raw.get("updated_at")),
        "custom": custom,
        "extra": _extra(raw, kept),
        "raw": raw,
        **named,
    }


def lead_from_wire(raw: Mapping[str, Any], schema: AccountSchema) -> Lead:
    """A lead item -> :class:`Lead`."""
    price = raw.get("price")
    status, pipeline = raw.get("status_id"), raw.get("pipeline_id")
    stage = None
    if status is not None and pipeline is not None:
        stage = StageRef(str(pipeline), str(status), semantic_of(int(status)))
    contacts = ((raw.get("_embedded") or {}).get("contacts")) or ()
    return Lead(
        title=raw.get("name") or None,
        amount=Money(Decimal(str(price)), schema.currency) if price else None,
        stage=stage,
        source=_opt_id(raw.get("source_id")),
        contacts=tuple(ContactLink(str(c["id"]), bool(c.get("is_main"))) for c in contacts),
        closed_at=_time(raw.get("closed_at")),
        **_common(raw, schema, EntityKind.LEAD),
    )


def _middle(name: str, first: str, last: str) -> str | None:
    if first and last and name.startswith(first + " ") and name.endswith(" " + last):
        middle = name[len(first) + 1 : len(name) - len(last) - 1]
        return middle or None
    return None


def contact_from_wire(raw: Mapping[str, Any], schema: AccountSchema) -> Contact:
    """A contact item -> :class:`Contact`."""
    first, last = raw.get("first_name") or "", raw.get("last_name") or ""
    name = raw.get("name") or ""
    middle = _middle(name, first, last)
    common = _common(raw, schema, EntityKind.CONTACT)
    if middle is None and name != " ".join(p for p in (first, last) if p):
        common["extra"]["name"] = name
    return Contact(first_name=first or None, last_name=last or None, middle_name=middle, **common)


# --- writing ----------------------------------------------------------------------------
def _check_unsupported(record: Lead | Contact) -> None:
    for name in UNSUPPORTED[record.kind]:
        if getattr(record, name):
            raise _invalid(record.kind, name, "amoCRM has no place for this field")


def _coded_items(
    record: Lead | Contact, schema: AccountSchema, clear: bool
) -> list[dict[str, Any]]:
    items = []
    for name, code in CODED_FIELDS[record.kind].items():
        value = getattr(record, name)
        field = schema.field_by_code(record.kind, code)
        if field is None:
            if value:
                raise _invalid(record.kind, name, f"the account has no {code} field")
            continue
        if value is not None and value != "":
            items.append({"field_id": field.id, "values": [{"value": value}]})
        elif clear:
            items.append({"field_id": field.id, "values": None})
    return items


def _multitext_items(record: Contact, schema: AccountSchema, clear: bool) -> list[dict[str, Any]]:
    items = []
    for name, (code, kinds) in MULTITEXT.items():
        entries: tuple[Phone | Email, ...] = getattr(record, name)
        field = schema.field_by_code(EntityKind.CONTACT, code)
        codes: dict[ContactKind, str] = {}
        for enum_code, kind in kinds:
            codes.setdefault(kind, enum_code)
        values = []
        for entry in entries:
            if entry.kind not in codes:
                known = ", ".join(str(k) for k in codes)
                raise _invalid(EntityKind.CONTACT, name, f"kind {entry.kind} is not one of {known}")
            values.append({"value": entry.value, "enum_code": codes[entry.kind]})
        target: dict[str, Any] = {"field_id": field.id} if field else {"field_code": code}
        if values:
            items.append({**target, "values": values})
        elif clear:
            items.append({**target, "values": None})
    return items


def _custom_items(
    record: Lead | Contact, schema: AccountSchema, clear: bool
) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for key, value in record.custom.items():
        field = schema.field_by_key(record.kind, key)
        if field is None or field.type not in VALUE_CODECS:
            raise _invalid(record.kind, f"custom.{key}", "no such custom field in the account")
        if value is None:
            items.append({"field_id": field.id, "values": None})
        else:
            items.append(
                {"field_id": field.id, "values": VALUE_CODECS[field.type].write(field, value)}
            )
    if clear:
        coded = set(CODED_FIELDS[record.kind].values()) | {PHONE_CODE, EMAIL_CODE}
        for field in schema.fields_of(record.kind):
            mapped = field.type in VALUE_CODECS and field.code not in coded
            if mapped and field.key not in record.custom:
                items.append({"field_id": field.id, "values": None})
    return items


def _custom_fields_values(
    record: Lead | Contact, schema: AccountSchema, clear: bool
) -> list[dict[str, Any]]:
    items = _coded_items(record, schema, clear) + _custom_items(record, schema, clear)
    if isinstance(record, Contact):
        items += _multitext_items(record, schema, clear)
    return items


def _common_wire(record: Lead | Contact, schema: AccountSchema, update: bool) -> dict[str, Any]:
    _check_unsupported(record)
    wire: dict[str, Any] = {}
    if update:
        wire["id"] = int(record.id or 0)
    elif record.created_at is not None:
        wire["created_at"] = int(record.created_at.timestamp())
    if record.responsible_id is not None:
        wire["responsible_user_id"] = _int_id(record.kind, "responsible_id", record.responsible_id)
    wire["_embedded"] = {"tags": [{"name": t} for t in record.tags]}
    values = _custom_fields_values(record, schema, clear=update)
    if values:
        wire["custom_fields_values"] = values
    for key in WRITABLE_EXTRA:
        if record.extra.get(key) is not None:
            wire[key] = record.extra[key]
    return wire


def _int_id(entity: EntityKind, field: str, value: str) -> int:
    if not (value.isascii() and value.isdigit()):
        raise _invalid(entity, field, f"amoCRM ids are integers, got {value!r}")
    return int(value)


def _price(lead: Lead, schema: AccountSchema) -> int:
    if lead.amount is None:
        return 0
    if lead.amount.currency != schema.currency:
        raise _invalid(
            EntityKind.LEAD,
            "amount",
            f"the account keeps amounts in {schema.currency}, got {lead.amount.currency}",
        )
    if lead.amount.amount != lead.amount.amount.to_integral_value():
        raise _invalid(EntityKind.LEAD, "amount", "amoCRM prices are whole numbers")
    return int(lead.amount.amount)


def _stage(lead: Lead) -> dict[str, int]:
    if lead.stage is None:
        return {}
    pipeline = _int_id(EntityKind.LEAD, "stage.pipeline_id", lead.stage.pipeline_id)
    status = _int_id(EntityKind.LEAD, "stage.id", lead.stage.stage_id)
    if semantic_of(status) is not lead.stage.semantic:
        raise _invalid(
            EntityKind.LEAD,
            "stage",
            f"status {status} is {semantic_of(status)}, not {lead.stage.semantic}",
        )
    return {"pipeline_id": pipeline, "status_id": status}


def lead_to_wire(lead: Lead, schema: AccountSchema, *, update: bool = False) -> dict[str, Any]:
    """:class:`Lead` -> the item for ``POST``/``PATCH /api/v4/leads``."""
    wire = _common_wire(lead, schema, update)
    if lead.title is not None or update:
        wire["name"] = lead.title or ""
    wire["price"] = _price(lead, schema)
    wire.update(_stage(lead))
    if lead.source is not None:
        wire["source_id"] = _int_id(EntityKind.LEAD, "source", lead.source)
    if not update:
        if lead.contacts:
            wire["_embedded"]["contacts"] = [
                {"id": _int_id(EntityKind.LEAD, "contacts", c.contact_id), "is_main": c.is_main}
                for c in lead.contacts
            ]
        if lead.company_id is not None:
            company = _int_id(EntityKind.LEAD, "company_id", lead.company_id)
            wire["_embedded"]["companies"] = [{"id": company}]
    return wire


def contact_to_wire(
    contact: Contact, schema: AccountSchema, *, update: bool = False
) -> dict[str, Any]:
    """:class:`Contact` -> the item for ``POST``/``PATCH /api/v4/contacts``."""
    wire = _common_wire(contact, schema, update)
    if contact.middle_name and not (contact.first_name and contact.last_name):
        raise _invalid(
            EntityKind.CONTACT,
            "middle_name",
            "amoCRM keeps a middle name only between a first and a last name",
        )
    full = contact.full_name or contact.extra.get("name") or ""
    wire.update(
        {"name": full, "first_name": contact.first_name or "", "last_name": contact.last_name or ""}
    )
    if not update and contact.company_id is not None:
        company = _int_id(EntityKind.CONTACT, "company_id", contact.company_id)
        wire["_embedded"]["companies"] = [{"id": company}]
    return wire


__all__ = [
    "CODED_FIELDS",
    "EMAIL_KINDS",
    "PHONE_KINDS",
    "contact_from_wire",
    "contact_to_wire",
    "lead_from_wire",
    "lead_to_wire",
]
