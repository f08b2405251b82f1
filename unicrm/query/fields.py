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

from unicrm.model import EntityKind

LEAD, CONTACT, DEAL, COMPANY = (
    EntityKind.LEAD,
    EntityKind.CONTACT,
    EntityKind.DEAL,
    EntityKind.COMPANY,
)
EVERY = frozenset(EntityKind)


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
    entities: frozenset[EntityKind] = EVERY,
    getter: Callable[[Any], Any] | None = None,
    multi: bool = False,
) -> FieldSpec:
    return FieldSpec(name, type_, entities, getter or _attr(name), multi)


S, D, T, ID = ValueType.STRING, ValueType.DECIMAL, ValueType.DATETIME, ValueType.ID


def _on(*entities: EntityKind) -> frozenset[EntityKind]:
    return frozenset(entities)


PERSON = _on(LEAD, CONTACT)  # records that carry a person's own fields
SALE = _on(LEAD, DEAL)  # records with an amount and a stage
REACHABLE = _on(LEAD, CONTACT, COMPANY)  # records with phones and e-mails

FIELDS: dict[str, FieldSpec] = {
    spec.name: spec
    for spec in (
        _spec("id", ID),
        _spec("title", S, _on(LEAD, DEAL, COMPANY)),
        _spec("amount", D, SALE, _amount),
        _spec("currency", S, SALE, _currency),
        _spec("stage.id", ID, SALE, _stage("stage_id")),
        _spec("stage.pipeline_id", ID, SALE, _stage("pipeline_id")),
        _spec("stage.semantic", ValueType.SEMANTIC, SALE, _stage("semantic")),
        _spec("responsible_id", ID),
        _spec("source", S, _on(LEAD, CONTACT, DEAL)),
        _spec("first_name", S, PERSON),
        _spec("middle_name", S, PERSON),
        _spec("last_name", S, PERSON),
        _spec("company_title", S, PERSON),
        _spec("post", S, PERSON),
        _spec("company_id", ID, _on(LEAD, CONTACT, DEAL)),
        _spec("comments", S),
        _spec("origin", S),
        _spec("phones", S, REACHABLE, lambda r: tuple(p.value for p in r.phones), multi=True),
        _spec("emails", S, REACHABLE, lambda r: tuple(e.value for e in r.emails), multi=True),
        _spec("tags", S, getter=lambda r: tuple(r.tags), multi=True),
        _spec(
            "contact_ids",
            ID,
            _on(LEAD, DEAL, COMPANY),
            lambda r: tuple(c.contact_id for c in r.contacts),
            multi=True,
        ),
        _spec(
            "company_ids",
            ID,
            _on(CONTACT),
            lambda r: tuple(c.company_id for c in r.companies),
            multi=True,
        ),
        _spec("websites", S, _on(COMPANY), lambda r: tuple(r.websites), multi=True),
        _spec("address", S, _on(COMPANY)),
        _spec("industry", S, _on(COMPANY)),
        *(
            _spec(f"utm_{p}", S, _on(LEAD))
            for p in ("source", "medium", "campaign", "content", "term")
        ),
        _spec("created_at", T),
        _spec("updated_at", T),
        _spec("closed_at", T, SALE),
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
        return FieldSpec(name, ValueType.ANY, EVERY, _custom_getter(key))
    return None


def field_names(entity: EntityKind | None = None) -> list[str]:
    """Valid field names (for one entity, or all), sorted, plus the ``custom.<key>`` form."""
    names = sorted(n for n, s in FIELDS.items() if entity is None or entity in s.entities)
    return [*names, "custom.<key>"]
