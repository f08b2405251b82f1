"""The queryable fields of each record type: name, value type, and how to read it.

This table is the whitelist every query is checked against when it is built, and the one the
reference evaluator reads values through. Custom fields are addressed as ``custom.<key>``.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Callable
from typing import Any

import attrs

from unicrm.model import Contact, EntityKind, Lead

LEAD = EntityKind.LEAD
CONTACT = EntityKind.CONTACT
BOTH = frozenset({LEAD, CONTACT})


class ValueType(enum.Enum):
    """How a field's values compare (see docs/query.md)."""

    STRING = "string"
    DECIMAL = "decimal"
    DATETIME = "datetime"
    ID = "id"
    SEMANTIC = "semantic"
    ANY = "any"


@attrs.frozen
class FieldSpec:
    """One queryable field. ``multi`` fields hold several values ("any value matches")."""

    name: str
    type: ValueType
    entities: frozenset[EntityKind]
    getter: Callable[[Any], Any] = attrs.field(eq=False, repr=False)
    multi: bool = False

    def read(self, record: Any) -> Any:
        """The field's value on ``record`` (a tuple for ``multi`` fields)."""
        return self.getter(record)


def _attr(name: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r, name, None)


def _amount(r: Any) -> Any:
    return r.amount.amount if r.amount is not None else None


def _currency(r: Any) -> Any:
    return r.amount.currency if r.amount is not None else None


def _stage(part: str) -> Callable[[Any], Any]:
    return lambda r: getattr(r.stage, part) if r.stage is not None else None


def _spec(
    name: str,
    type_: ValueType,
    entities: frozenset[EntityKind] = BOTH,
    getter: Callable[[Any], Any] | None = None,
    multi: bool = False,
) -> FieldSpec:
    return FieldSpec(name, type_, entities, getter or _attr(name), multi)


S, D, T, ID = ValueType.STRING, ValueType.DECIMAL, ValueType.DATETIME, ValueType.ID
_LEAD_ONLY = frozenset({LEAD})

FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _spec("id", ID),
        _spec("title", S, _LEAD_ONLY),
        _spec("amount", D, _LEAD_ONLY, _amount),
        _spec("currency", S, _LEAD_ONLY, _currency),
        _spec("stage.id", ID, _LEAD_ONLY, _stage("stage_id")),
        _spec("stage.pipeline_id", ID, _LEAD_ONLY, _stage("pipeline_id")),
        _spec("stage.semantic", ValueType.SEMANTIC, _LEAD_ONLY, _stage("semantic")),
        _spec("responsible_id", ID),
        _spec("source", S),
        _spec("first_name", S),
        _spec("middle_name", S),
        _spec("last_name", S),
        _spec("company_title", S),
        _spec("post", S),
        _spec("company_id", ID),
        _spec("comments", S),
        _spec("origin", S),
        _spec("phones", S, getter=lambda r: tuple(p.value for p in r.phones), multi=True),
        _spec("emails", S, getter=lambda r: tuple(e.value for e in r.emails), multi=True),
        _spec("tags", S, getter=lambda r: tuple(r.tags), multi=True),
        _spec(
            "contact_ids",
            ID,
            _LEAD_ONLY,
            lambda r: tuple(c.contact_id for c in r.contacts),
            multi=True,
        ),
        *(
            _spec(f"utm_{p}", S, _LEAD_ONLY)
            for p in ("source", "medium", "campaign", "content", "term")
        ),
        _spec("created_at", T),
        _spec("updated_at", T),
        _spec("closed_at", T, _LEAD_ONLY),
    )
}

CUSTOM_PREFIX = "custom."
_CUSTOM_KEY = re.compile(r"^custom\.[A-Za-z0-9_\-:.]+$")


def _custom_getter(key: str) -> Callable[[Any], Any]:
    return lambda r: r.custom.get(key)


def lookup(name: str) -> FieldSpec | None:
    """The spec for ``name`` (including ``custom.<key>``), or None if there is no such field."""
    spec = FIELDS.get(name)
    if spec is not None:
        return spec
    if _CUSTOM_KEY.match(name):
        key = name[len(CUSTOM_PREFIX) :]
        return FieldSpec(name, ValueType.ANY, BOTH, _custom_getter(key))
    return None


def field_names(entity: EntityKind | None = None) -> list[str]:
    """Valid field names (for one entity, or all), sorted, plus the ``custom.<key>`` form."""
    names = sorted(n for n, s in FIELDS.items() if entity is None or entity in s.entities)
    return [*names, "custom.<key>"]


RECORD_FOR: dict[EntityKind, type[Any]] = {LEAD: Lead, CONTACT: Contact}
