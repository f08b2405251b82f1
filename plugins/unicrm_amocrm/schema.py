"""The account metadata the mapping and the compiler need: currency, pipelines, field definitions.

amoCRM addresses custom fields by numeric id, ids differ per account, and phones, e-mails and
our origin marker are custom fields too (vendor notes §5.6-5.7, gotcha 10). The adapter reads
these definitions once, caches them in an :class:`AccountSchema`, and hands that snapshot to
the pure mapping and compiler functions. Parsing here is sans-I/O: vendor JSON in, values out;
a definition with a value of the wrong type is an ``InvalidResponse``, never a field whose key
is a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.model import EntityKind, Pipeline, Stage, StageSemantic
from unicrm_amocrm.shapes import invalid, mapping

WON_STATUS = 142
LOST_STATUS = 143

#: Status id -> semantic; every other status of a pipeline is open (notes §5.4).
SEMANTIC_BY_STATUS: Mapping[int, StageSemantic] = {
    WON_STATUS: StageSemantic.WON,
    LOST_STATUS: StageSemantic.LOST,
}

#: Field codes the mapping turns into neutral fields instead of ``custom`` values.
PHONE_CODE = "PHONE"
EMAIL_CODE = "EMAIL"
POSITION_CODE = "POSITION"
ORIGIN_CODE = "UNICRM_ORIGIN"

#: Neutral entity -> the amoCRM path segment for it.
ENTITY_PATH: Mapping[EntityKind, str] = {
    EntityKind.LEAD: "leads",
    EntityKind.CONTACT: "contacts",
}


def semantic_of(status_id: int) -> StageSemantic:
    """The neutral semantic of an amoCRM status id (142 won, 143 lost, others open)."""
    return SEMANTIC_BY_STATUS.get(int(status_id), StageSemantic.OPEN)


@attrs.frozen
class FieldEnum:
    """One enum (option) of a select, multiselect or multitext field."""

    id: int
    value: str
    code: str | None = None


@attrs.frozen
class AmoField:
    """One custom field definition as amoCRM describes it."""

    id: int
    name: str
    type: str
    code: str | None = None
    enums: tuple[FieldEnum, ...] = ()

    @property
    def key(self) -> str:
        """The neutral key: the field code when it has one, else the numeric id."""
        return self.code or str(self.id)

    def enum_by_value(self, value: str) -> FieldEnum | None:
        """The enum whose label is ``value``."""
        return next((e for e in self.enums if e.value == value), None)

    def enum_by_id(self, enum_id: int) -> FieldEnum | None:
        """The enum with id ``enum_id``."""
        return next((e for e in self.enums if e.id == enum_id), None)

    def enum_by_code(self, code: str) -> FieldEnum | None:
        """The enum with code ``code`` (multitext PHONE/EMAIL: WORK, MOB, ...)."""
        return next((e for e in self.enums if (e.code or e.value) == code), None)


def _int(value: Any, what: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid(what, value)
    return value


def _text(value: Any, what: str, default: str = "") -> str:
    if value is None:
        return default
    if not isinstance(value, str):
        raise invalid(what, value)
    return value


def _code(value: Any, what: str) -> str | None:
    return _text(value, what) or None


def parse_field(raw: Mapping[str, Any]) -> AmoField:
    """A field definition from ``GET /api/v4/{entity}/custom_fields`` items; a value of the
    wrong type is an :class:`~unicrm.errors.InvalidResponse` (ids become keys and option ids)."""
    enums = tuple(
        FieldEnum(
            _int(e["id"], "enums[].id"),
            _text(e.get("value"), "enums[].value"),
            _code(e.get("code"), "enums[].code"),
        )
        for e in (mapping(item, "enums[]") for item in _list(raw.get("enums"), "enums"))
    )
    return AmoField(
        id=_int(raw["id"], "custom field id"),
        name=_text(raw.get("name"), "custom field name"),
        type=_text(raw.get("type"), "custom field type", "text"),
        code=_code(raw.get("code"), "custom field code"),
        enums=enums,
    )


def _list(value: Any, what: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        raise invalid(what, value)
    return value


def parse_pipeline(raw: Mapping[str, Any]) -> Pipeline:
    """A neutral pipeline from ``GET /api/v4/leads/pipelines`` items."""
    embedded = mapping(raw.get("_embedded") or {}, "pipeline _embedded")
    statuses = [mapping(s, "a status") for s in _list(embedded.get("statuses"), "statuses")]
    return Pipeline(
        id=str(_int(raw["id"], "pipeline id")),
        name=_text(raw.get("name"), "pipeline name"),
        is_default=bool(raw.get("is_main")),
        stages=tuple(
            Stage(
                id=str(_int(s["id"], "status id")),
                name=_text(s.get("name"), "status name"),
                semantic=semantic_of(_int(s["id"], "status id")),
                sort=_int(s.get("sort") or 0, "status sort"),
            )
            for s in statuses
        ),
    )


@attrs.frozen
class AccountSchema:
    """A snapshot of one account's currency, pipelines and custom field definitions."""

    currency: str = "RUB"
    pipelines: tuple[Pipeline, ...] = ()
    fields: Mapping[EntityKind, tuple[AmoField, ...]] = attrs.field(factory=dict)

    def fields_of(self, entity: EntityKind) -> tuple[AmoField, ...]:
        """The custom field definitions of ``entity``."""
        return self.fields.get(entity, ())

    def field_by_id(self, entity: EntityKind, field_id: int) -> AmoField | None:
        """A definition by numeric id."""
        return next((f for f in self.fields_of(entity) if f.id == field_id), None)

    def field_by_code(self, entity: EntityKind, code: str) -> AmoField | None:
        """A definition by code (PHONE, EMAIL, UNICRM_ORIGIN, ...)."""
        return next((f for f in self.fields_of(entity) if f.code == code), None)

    def field_by_key(self, entity: EntityKind, key: str) -> AmoField | None:
        """A definition by neutral key (its code, or its id as a string)."""
        return next((f for f in self.fields_of(entity) if f.key == key), None)

    def status_pairs(self) -> frozenset[tuple[int, int]]:
        """Every (pipeline id, status id) pair of the account."""
        return frozenset(
            (int(p.id), int(s.id)) for p in self.pipelines for s in p.stages if s.id.isdigit()
        )

    def with_fields(self, entity: EntityKind, fields: Iterable[AmoField]) -> AccountSchema:
        """A copy with ``entity``'s definitions replaced."""
        return attrs.evolve(self, fields={**self.fields, entity: tuple(fields)})


__all__ = [
    "EMAIL_CODE",
    "ENTITY_PATH",
    "LOST_STATUS",
    "ORIGIN_CODE",
    "PHONE_CODE",
    "POSITION_CODE",
    "WON_STATUS",
    "AccountSchema",
    "AmoField",
    "FieldEnum",
    "parse_field",
    "parse_pipeline",
    "semantic_of",
]
