"""The account metadata the mapping and the compiler need: currency, pipelines, field definitions.

amoCRM addresses custom fields by numeric id, ids differ per account, and phones, e-mails and
our origin marker are custom fields too (vendor notes §5.6-5.7, gotcha 10). The adapter reads
these definitions once, caches them in an :class:`AccountSchema`, and hands that snapshot to
the pure mapping and compiler functions. Parsing here is sans-I/O: vendor JSON in, values out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.model import EntityKind, Pipeline, Stage, StageSemantic

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


def parse_field(raw: Mapping[str, Any]) -> AmoField:
    """A field definition from ``GET /api/v4/{entity}/custom_fields`` items."""
    enums = tuple(
        FieldEnum(int(e["id"]), str(e.get("value") or ""), e.get("code") or None)
        for e in raw.get("enums") or ()
    )
    return AmoField(
        id=int(raw["id"]),
        name=str(raw.get("name") or ""),
        type=str(raw.get("type") or "text"),
        code=raw.get("code") or None,
        enums=enums,
    )


def parse_pipeline(raw: Mapping[str, Any]) -> Pipeline:
    """A neutral pipeline from ``GET /api/v4/leads/pipelines`` items."""
    statuses = (raw.get("_embedded") or {}).get("statuses") or ()
    return Pipeline(
        id=str(raw["id"]),
        name=str(raw.get("name") or ""),
        is_default=bool(raw.get("is_main")),
        stages=tuple(
            Stage(
                id=str(s["id"]),
                name=str(s.get("name") or ""),
                semantic=semantic_of(int(s["id"])),
                sort=int(s.get("sort") or 0),
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
