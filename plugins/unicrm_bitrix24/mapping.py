"""The Bitrix24 wire mapping: classic ``crm.lead.*``/``crm.contact.*`` rows <-> neutral records.

Both entities
  * ``ID`` <-> ``id`` (string on the wire); ``vendor`` is ``"bitrix24"``.
  * ``NAME``/``SECOND_NAME``/``LAST_NAME`` <-> ``first_name``/``middle_name``/``last_name``;
    ``POST`` <-> ``post``; ``COMMENTS`` <-> ``comments``; ``SOURCE_ID`` <-> ``source``.
  * ``ASSIGNED_BY_ID`` <-> ``responsible_id``; ``COMPANY_ID`` <-> ``company_id`` (``"0"`` and
    ``null`` read as none).
  * ``PHONE``/``EMAIL`` <-> ``phones``/``emails`` (:mod:`unicrm_bitrix24.multifields`); an
    update replaces the stored list exactly (entries rewritten in place, surplus deleted).
  * ``ORIGINATOR_ID == "unicrm"`` + ``ORIGIN_ID`` <-> ``origin``; a foreign originator is kept
    in ``extra`` and written back unchanged.
  * ``DATE_CREATE``/``DATE_MODIFY`` -> ``created_at``/``updated_at`` (read-only on the vendor).
  * ``UF_CRM_*`` with a known type -> ``custom[<code without UF_CRM_>]``; other user fields and
    every other vendor key are kept in ``extra`` under their own names. Of those, only the
    writable ones (:data:`WRITABLE_EXTRA`, untyped ``UF_CRM_*``) are written back.
  * ``tags`` have no place on Bitrix24: writing a record with tags is a ValidationError.

Leads
  * ``TITLE`` <-> ``title``; ``COMPANY_TITLE`` <-> ``company_title``; ``UTM_*`` <-> ``utm_*``.
  * ``OPPORTUNITY`` + ``CURRENCY_ID`` <-> ``amount``; an empty ``OPPORTUNITY`` reads as none.
  * ``STATUS_ID`` + ``STATUS_SEMANTIC_ID`` <-> ``stage`` in the one implicit pipeline ``"0"``;
    ``DATE_CLOSED`` -> ``closed_at``.
  * ``contacts`` <-> the lead's contact bindings (``crm.lead.contact.items.get/set``; list rows
    carry ``CONTACT_IDS``/``CONTACT_ID``, primary first).

Contacts
  * ``company_title`` has no contact field on Bitrix24: writing it is a ValidationError.
"""

from __future__ import annotations

import operator
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from unicrm.errors import ValidationError
from unicrm.model import (
    Contact,
    ContactLink,
    CustomValue,
    EntityKind,
    FrozenMap,
    Lead,
    Money,
    Record,
    StageRef,
    StageSemantic,
)
from unicrm_bitrix24.multifields import (
    emails_from,
    new_entries,
    phones_from,
    replace_entries,
)
from unicrm_bitrix24.schema import (
    PIPELINE_ID,
    SEMANTIC_OF_CODE,
    UF_PREFIX,
    PortalSchema,
    UserField,
)
from unicrm_bitrix24.user_values import Reader, reader_for, write_value
from unicrm_bitrix24.wire import canonical_id, int_or, parse_datetime

VENDOR = "bitrix24"
ORIGINATOR = "unicrm"

#: Neutral string attribute <-> vendor key, per entity.
TEXT_FIELDS: Mapping[EntityKind, Mapping[str, str]] = {
    EntityKind.LEAD: {
        "title": "TITLE",
        "first_name": "NAME",
        "middle_name": "SECOND_NAME",
        "last_name": "LAST_NAME",
        "company_title": "COMPANY_TITLE",
        "post": "POST",
        "comments": "COMMENTS",
        "source": "SOURCE_ID",
        "utm_source": "UTM_SOURCE",
        "utm_medium": "UTM_MEDIUM",
        "utm_campaign": "UTM_CAMPAIGN",
        "utm_content": "UTM_CONTENT",
        "utm_term": "UTM_TERM",
    },
    EntityKind.CONTACT: {
        "first_name": "NAME",
        "middle_name": "SECOND_NAME",
        "last_name": "LAST_NAME",
        "post": "POST",
        "comments": "COMMENTS",
        "source": "SOURCE_ID",
    },
}
RECORD_TYPES: Mapping[EntityKind, Callable[..., Record]] = {
    EntityKind.LEAD: Lead,
    EntityKind.CONTACT: Contact,
}
ID_FIELDS: Mapping[str, str] = {"responsible_id": "ASSIGNED_BY_ID", "company_id": "COMPANY_ID"}
#: Vendor keys the mapping consumes (everything else goes to ``extra``).
MAPPED: Mapping[EntityKind, frozenset[str]] = {
    entity: frozenset(
        {
            *TEXT_FIELDS[entity].values(),
            *ID_FIELDS.values(),
            "ID",
            "PHONE",
            "EMAIL",
            "DATE_CREATE",
            "DATE_MODIFY",
        }
        | (
            {"OPPORTUNITY", "CURRENCY_ID", "STATUS_ID", "STATUS_SEMANTIC_ID", "DATE_CLOSED"}
            | {"CONTACT_ID", "CONTACT_IDS"}
            if entity is EntityKind.LEAD
            else set()
        )
    )
    for entity in TEXT_FIELDS
}
#: ``extra`` keys written back on create/update (the rest are read-only or derived).
WRITABLE_EXTRA = frozenset(
    {
        "HONORIFIC",
        "BIRTHDATE",
        "SOURCE_DESCRIPTION",
        "STATUS_DESCRIPTION",
        "OPENED",
        "IS_MANUAL_OPPORTUNITY",
        "TYPE_ID",
        "EXPORT",
        "ADDRESS",
        "ADDRESS_2",
        "ADDRESS_CITY",
        "ADDRESS_POSTAL_CODE",
        "ADDRESS_REGION",
        "ADDRESS_PROVINCE",
        "ADDRESS_COUNTRY",
        "ADDRESS_COUNTRY_CODE",
        "ORIGINATOR_ID",
        "ORIGIN_ID",
    }
)


def _text(raw: Any) -> str | None:
    if raw is None or raw is False:
        return None
    return raw if type(raw) is str else str(raw)


def _id(raw: Any) -> str | None:
    return canonical_id(raw) if raw not in (None, "", False) else None


#: The vendor keys of an amount the model cannot hold (kept in ``extra`` instead).
AMOUNT_KEYS = ("OPPORTUNITY", "CURRENCY_ID")


def _amount(row: Mapping[str, Any]) -> Money | None:
    """``OPPORTUNITY`` + ``CURRENCY_ID`` as money; ``None`` when empty or not a sum in an
    ISO currency (a portal's own currency code, a malformed number): the caller keeps the
    raw values in ``extra`` then."""
    raw = row.get("OPPORTUNITY")
    if raw in (None, "", False) or isinstance(raw, (dict, list)):
        return None
    try:
        amount = Decimal(str(raw))
        return Money(amount, str(row.get("CURRENCY_ID") or "")) if amount.is_finite() else None
    except (InvalidOperation, ValueError, TypeError):
        return None


def _contacts(row: Mapping[str, Any]) -> tuple[ContactLink, ...]:
    items = row.get("CONTACT_IDS")
    primary = _id(row.get("CONTACT_ID"))
    if not isinstance(items, list):  # list rows: at most the primary contact
        return (ContactLink(primary, is_main=True),) if primary else ()
    ids = [i for i in (_id(v) for v in items) if i]
    if primary and primary not in ids:
        ids.insert(0, primary)
    if primary:
        ids.sort(key=lambda i: i != primary)
    return tuple(ContactLink(i, is_main=n == 0) for n, i in enumerate(ids))


def links_from_bindings(rows: Any) -> tuple[ContactLink, ...]:
    """``crm.lead.contact.items.get`` rows -> links, primary first, then by SORT."""
    if not isinstance(rows, list):
        return ()
    good = [r for r in rows if isinstance(r, Mapping) and _id(r.get("CONTACT_ID"))]
    good.sort(key=lambda r: (str(r.get("IS_PRIMARY")) != "Y", int_or(r.get("SORT"))))
    return tuple(
        ContactLink(str(r["CONTACT_ID"]), is_main=str(r.get("IS_PRIMARY")) == "Y") for r in good
    )


class _Builder:
    """Builds records of one type from values already in the model's own types.

    The model's converters and validators exist for values from callers; the mapping hands
    only exact types (``str``/None ids, tuples of value objects, frozen maps, aware datetimes
    from :func:`~unicrm_bitrix24.wire.parse_datetime`), for which every converter is the
    identity and every validator passes. Setting the slots directly skips that work, a third
    of the cost of a mapped row. Attributes the mapping does not give keep the model's
    defaults, read from the class, so a new model field cannot be left unset.
    """

    def __init__(self, cls: type[Lead] | type[Contact]) -> None:
        self.cls = cls
        self.defaults: dict[str, Any] = {}
        for field in attrs.fields(cls):
            default = field.default
            if isinstance(default, attrs.Factory):  # type: ignore[arg-type]
                default = default.factory()
            self.defaults[field.name] = field.converter(default) if field.converter else default
        names = tuple(self.defaults)
        self.take = operator.itemgetter(*names)
        #: The slots' own setters (``object.__setattr__`` costs three times as much).
        self.setters = tuple(getattr(cls, name).__set__ for name in names)

    def __call__(self, values: Mapping[str, Any]) -> Record:
        record = object.__new__(self.cls)
        for put, value in zip(self.setters, self.take({**self.defaults, **values}), strict=True):
            put(record, value)
        return record


#: What a vendor key of a row becomes: consumed by the mapping, a typed custom value (its
#: field's neutral key and reader), or kept in ``extra``.
_SKIP = "skip"
_EXTRA = "extra"
KeyRule = str | tuple[str, Reader]
ORIGIN_KEYS = ("ORIGINATOR_ID", "ORIGIN_ID")
#: Key layouts remembered per mapper (a portal's rows come in a handful).
MAX_SHAPES = 256


class _Shape:
    """How rows with one set of keys split into typed user fields and ``extra``."""

    __slots__ = ("extra", "take_extra", "typed")

    def __init__(
        self,
        typed: tuple[tuple[str, str, Reader], ...],
        extra: tuple[str, ...],
    ) -> None:
        self.typed = typed
        self.extra = extra
        self.take_extra: Callable[[Mapping[str, Any]], Sequence[Any]] = (
            (lambda row: [row[k] for k in extra])
            if len(extra) < 2
            else operator.itemgetter(*extra)  # one C call for the whole tuple
        )


class RowMapper:
    """Maps list/get rows of one entity on one portal to records.

    Everything that depends only on the portal (which vendor keys are user fields of which
    type, option labels, stage semantics) is worked out once per mapper and once per key, so
    a row costs a dictionary lookup per key; shared immutable values (stage references) are
    built once.
    """

    def __init__(self, entity: EntityKind, schema: PortalSchema) -> None:
        self.entity = entity
        self.schema = schema
        self._build = _Builder(Lead if entity is EntityKind.LEAD else Contact)
        self.text_fields = tuple(TEXT_FIELDS[entity].items())
        self.id_fields = tuple(ID_FIELDS.items())
        self.is_lead = entity is EntityKind.LEAD
        self._mapped = MAPPED[entity]
        self._fields: dict[str, UserField] = {}
        for field in schema.fields_of(entity):
            self._fields.setdefault(field.name, field)  # the first definition of a code wins
        self._rules: dict[str, KeyRule] = {}
        self._shapes: dict[tuple[str, ...], _Shape] = {}
        self._stages: dict[tuple[str, str], StageRef] = {}

    def _rule(self, key: str) -> KeyRule:
        rule = self._rules.get(key)
        if rule is None:
            rule = self._rules[key] = self._classify(key)
        return rule

    def _classify(self, key: str) -> KeyRule:
        if key in self._mapped:
            return _SKIP
        field = self._fields.get(key) if key.startswith(UF_PREFIX) else None
        if field is not None and field.neutral_type is not None:
            return (field.key, reader_for(field))
        return _EXTRA

    def _plan(self, row: Mapping[str, Any]) -> _Shape:
        typed: list[tuple[str, str, Reader]] = []
        extra: list[str] = []
        for key in row:
            rule = self._rule(key)
            if rule is _EXTRA:
                extra.append(key)
            elif rule is not _SKIP:
                typed.append((key, *rule))
        return _Shape(tuple(typed), tuple(extra))

    def _custom_and_extra(
        self, row: Mapping[str, Any], origin: str | None
    ) -> tuple[dict[str, CustomValue], dict[str, Any]]:
        keys = tuple(row)
        shape = self._shapes.get(keys)  # rows differ only in which multifields they carry
        if shape is None:
            if len(self._shapes) >= MAX_SHAPES:
                self._shapes.clear()
            shape = self._shapes[keys] = self._plan(row)
        extra = dict(zip(shape.extra, shape.take_extra(row), strict=True))
        custom: dict[str, CustomValue] = {}
        for key, name, read in shape.typed:
            value = read(row[key])
            if value is not None and value != ():
                custom[name] = value
        if origin is not None:
            for key in ORIGIN_KEYS:
                extra.pop(key, None)
        return custom, extra

    def _stage(self, row: Mapping[str, Any]) -> StageRef | None:
        status = row.get("STATUS_ID")
        if not status:
            return None
        code = row.get("STATUS_SEMANTIC_ID") or ""
        cacheable = type(status) is str and type(code) is str
        found = self._stages.get((status, code)) if cacheable else None
        if found is None:
            known = self.schema.stage(str(status))
            semantic = SEMANTIC_OF_CODE.get(str(code)) or (
                known.semantic if known else StageSemantic.OPEN
            )
            found = StageRef(PIPELINE_ID, str(status), semantic)
            if cacheable:
                self._stages[(status, code)] = found
        return found

    def __call__(self, row: Mapping[str, Any]) -> Record:
        """One ``crm.*.list``/``crm.*.get`` row as a record."""
        get = row.get
        origin = _text(get("ORIGIN_ID")) if str(get("ORIGINATOR_ID") or "") == ORIGINATOR else None
        custom, extra = self._custom_and_extra(row, origin)
        values: dict[str, Any] = {attr: _text(get(key)) for attr, key in self.text_fields}
        for attr, key in self.id_fields:
            values[attr] = _id(get(key))
        values.update(
            id=str(get("ID")),
            vendor=VENDOR,
            phones=phones_from(get("PHONE")),
            emails=emails_from(get("EMAIL")),
            origin=origin,
            created_at=parse_datetime(get("DATE_CREATE")),
            updated_at=parse_datetime(get("DATE_MODIFY")),
            custom=FrozenMap(custom),
            extra=FrozenMap(extra),
        )
        if self.is_lead:
            amount = _amount(row)
            if amount is None and get("OPPORTUNITY") not in (None, "", False):
                kept = {k: row[k] for k in AMOUNT_KEYS if k in row}  # nothing is dropped
                values["extra"] = FrozenMap({**extra, **kept})
            values.update(
                amount=amount,
                stage=self._stage(row),
                contacts=_contacts(row),
                closed_at=parse_datetime(get("DATE_CLOSED")),
            )
        return self._build(values)


_mappers: dict[tuple[int, EntityKind], tuple[PortalSchema, RowMapper]] = {}


def row_mapper(entity: EntityKind, schema: PortalSchema) -> RowMapper:
    """The mapper of ``entity`` rows for ``schema`` (kept for the latest few schemas)."""
    found = _mappers.get((id(schema), entity))
    if found is not None and found[0] is schema:
        return found[1]
    if len(_mappers) >= 8:
        _mappers.clear()
    mapper = RowMapper(entity, schema)
    _mappers[(id(schema), entity)] = (schema, mapper)
    return mapper


def from_wire(entity: EntityKind, row: Mapping[str, Any], schema: PortalSchema) -> Record:
    """One ``crm.*.list``/``crm.*.get`` row as a record."""
    return row_mapper(entity, schema)(row)


# --- projection ----------------------------------------------------------------------------
#: Query field -> the vendor keys a list row needs for it (besides the entity's text fields).
FIELD_KEYS: Mapping[str, tuple[str, ...]] = {
    "id": ("ID",),
    "responsible_id": ("ASSIGNED_BY_ID",),
    "company_id": ("COMPANY_ID",),
    "phones": ("PHONE",),
    "emails": ("EMAIL",),
    "amount": ("OPPORTUNITY", "CURRENCY_ID"),
    "currency": ("OPPORTUNITY", "CURRENCY_ID"),
    "stage.id": ("STATUS_ID", "STATUS_SEMANTIC_ID"),
    "stage.pipeline_id": ("STATUS_ID", "STATUS_SEMANTIC_ID"),
    "stage.semantic": ("STATUS_ID", "STATUS_SEMANTIC_ID"),
    "contact_ids": ("CONTACT_ID", "CONTACT_IDS"),
    "origin": ("ORIGINATOR_ID", "ORIGIN_ID"),
    "created_at": ("DATE_CREATE",),
    "updated_at": ("DATE_MODIFY",),
    "closed_at": ("DATE_CLOSED",),
    "tags": (),  # no place on Bitrix24: always empty
}
CUSTOM_FIELD = "custom."


def projected_select(
    entity: EntityKind, fields: frozenset[str], schema: PortalSchema
) -> tuple[str, ...] | None:
    """The list ``select`` that carries ``fields`` (query field names), or None when one of
    them needs whole rows. Fewer keys make every row cheaper to serve, send and map."""
    keys: dict[str, None] = {"ID": None}
    text = TEXT_FIELDS[entity]
    for name in sorted(fields):
        if name in text:
            found: tuple[str, ...] = (text[name],)
        elif name in FIELD_KEYS:
            found = FIELD_KEYS[name]
        elif name == "company_title":
            found = ()  # contacts have none
        elif name.startswith(CUSTOM_FIELD):
            field = schema.field_by_key(entity, name[len(CUSTOM_FIELD) :])
            found = (field.name,) if field is not None else ()
        else:
            return None
        keys.update(dict.fromkeys(found))
    return tuple(keys)


# --- writing -----------------------------------------------------------------------------
def _refuse(record: Record, field: str, why: str) -> ValidationError:
    return ValidationError(
        f"bitrix24 cannot store {type(record).__name__.lower()} {field}: {why}",
        vendor=VENDOR,
        details=((field, why),),
    )


def _check(record: Record) -> None:
    if record.tags:
        raise _refuse(record, "tags", "Bitrix24 leads and contacts have no tags")
    if isinstance(record, Contact) and record.company_title:
        raise _refuse(record, "company_title", "contacts have no company title field")
    for attr in ID_FIELDS:
        value = getattr(record, attr)
        if value is not None and canonical_id(value) is None:
            raise _refuse(record, attr, f"{value!r} is not a Bitrix24 id")


def _stage_fields(lead: Lead, schema: PortalSchema) -> dict[str, Any]:
    if lead.stage is None:
        return {}
    stage = lead.stage
    known = schema.stage(stage.stage_id)
    if stage.pipeline_id != PIPELINE_ID or (schema.stages and known is None):
        raise _refuse(lead, "stage", f"no lead stage {stage.stage_id!r} in pipeline {PIPELINE_ID}")
    if known is not None and known.semantic is not stage.semantic:
        raise _refuse(
            lead, "stage", f"stage {stage.stage_id!r} is {known.semantic}, not {stage.semantic}"
        )
    return {"STATUS_ID": stage.stage_id}


def _custom_fields(entity: EntityKind, record: Record, schema: PortalSchema) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in record.custom.items():
        field = schema.field_by_key(entity, key)
        if field is None or field.neutral_type is None:
            raise _refuse(record, f"custom.{key}", "no such typed user field on the portal")
        out[field.name] = write_value(value, field)
    return out


def to_wire(
    entity: EntityKind,
    record: Record,
    schema: PortalSchema,
    *,
    stored: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The ``fields`` of ``crm.*.add`` (``stored`` is None) or ``crm.*.update``.

    For an update ``stored`` is the current vendor row (with ``PHONE``/``EMAIL`` and user
    fields): multifields are rewritten against its entry ids and user fields the record no
    longer has are cleared.
    """
    _check(record)
    # An add leaves absent values out (the portal then stores none); an update sends "" to
    # clear what the record no longer has.
    empty = None if stored is None else ""
    fields: dict[str, Any] = {}
    for attr, key in (*TEXT_FIELDS[entity].items(), *ID_FIELDS.items()):
        value = getattr(record, attr) or empty
        if value is not None:
            fields[key] = value
    for key, value in record.extra.items():
        if key in WRITABLE_EXTRA or (key.startswith(UF_PREFIX) and _plain(value)):
            fields[key] = value
    if record.origin is not None:
        fields.update(ORIGINATOR_ID=ORIGINATOR, ORIGIN_ID=record.origin)
    elif stored is not None and str(stored.get("ORIGINATOR_ID") or "") == ORIGINATOR:
        fields.update(ORIGINATOR_ID="", ORIGIN_ID="")
    if stored is not None:
        for field in schema.fields_of(entity):
            if field.neutral_type is not None and field.key not in record.custom:
                fields[field.name] = ""
    fields.update(_custom_fields(entity, record, schema))
    for name, values in (
        ("PHONE", getattr(record, "phones", ())),
        ("EMAIL", getattr(record, "emails", ())),
    ):
        fields[name] = (
            new_entries(name, values)
            if stored is None
            else replace_entries(name, values, stored.get(name))
        )
    if isinstance(record, Lead):
        fields.update(_lead_fields(record, schema))
    return fields


def _lead_fields(lead: Lead, schema: PortalSchema) -> dict[str, Any]:
    out: dict[str, Any] = _stage_fields(lead, schema)
    if lead.amount is None:
        out.update(OPPORTUNITY="")
    else:
        out.update(OPPORTUNITY=str(lead.amount.amount), CURRENCY_ID=lead.amount.currency)
    for link in lead.contacts:
        if canonical_id(link.contact_id) is None:
            raise _refuse(lead, "contacts", f"{link.contact_id!r} is not a Bitrix24 id")
    return out


def _plain(value: Any) -> bool:
    if isinstance(value, list):
        return all(isinstance(v, (str, int, float)) for v in value)
    return isinstance(value, (str, int, float)) and not isinstance(value, bool)


def bindings(lead: Lead) -> list[dict[str, Any]]:
    """``items`` for ``crm.lead.contact.items.set``: the whole set, main first."""
    ordered = sorted(lead.contacts, key=lambda c: not c.is_main)
    return [
        {
            "CONTACT_ID": link.contact_id,
            "SORT": str(10 * (n + 1)),
            "IS_PRIMARY": "Y" if n == 0 else "N",
        }
        for n, link in enumerate(ordered)
    ]


def links_differ(lead: Lead, current: Sequence[ContactLink]) -> bool:
    """Whether the stored bindings differ from the lead's."""
    return tuple(lead.contacts) != tuple(current)


__all__ = [
    "FIELD_KEYS",
    "MAPPED",
    "ORIGINATOR",
    "WRITABLE_EXTRA",
    "bindings",
    "RowMapper",
    "from_wire",
    "links_from_bindings",
    "projected_select",
    "row_mapper",
    "to_wire",
]
