"""The query compiler: a pushable conjunction -> a classic ``crm.*.list`` filter.

Tables first: :data:`LEAD_RULES` / :data:`CONTACT_RULES` name, per neutral field, the vendor
key (a whitelist: nothing else ever becomes a filter key) and the kind of rule; :data:`PREFIX`
maps each neutral operator to the vendor's key prefix (notes §4.3-A). Each comparison becomes
one ``{prefix + KEY: value}`` entry. User values are only ever *values*; a prefix comes from the
tables, so a title like ``">ID"`` stays a value.

A comparison the vendor cannot run faithfully is widened or dropped, never narrowed: every
such row is declared NARROWING in :mod:`unicrm_bitrix24.capabilities` and re-checked locally.
Value sets on one key are intersected (an empty set compiles to a request that is never sent,
because the vendor drops an empty array and would return everything); a second, different
comparison on an already used key is dropped (a superset).
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from unicrm.adapter import OrderKey, VendorRequest
from unicrm.errors import QueryError
from unicrm.model import EntityKind, StageSemantic
from unicrm.query import Compare, Node, Op, conjuncts
from unicrm_bitrix24.capabilities import BATCH_COMMANDS, PAGE_SIZE
from unicrm_bitrix24.mapping import ORIGINATOR
from unicrm_bitrix24.schema import CODE_OF_SEMANTIC, PortalSchema
from unicrm_bitrix24.wire import batch_safe, canonical_id, format_datetime

VENDOR = "bitrix24"
METHOD: Mapping[EntityKind, str] = {
    EntityKind.LEAD: "crm.lead.list",
    EntityKind.CONTACT: "crm.contact.list",
}

#: Neutral operator -> classic filter prefix (notes §4.3-A).
PREFIX: Mapping[Op, str] = {
    Op.EQ: "=",
    Op.IN: "@",
    Op.LT: "<",
    Op.LE: "<=",
    Op.GT: ">",
    Op.GE: ">=",
    Op.CONTAINS: "%",
    Op.STARTSWITH: "=%",
}

Entry = tuple[str, Any]
#: A rule: (comparison, vendor key, schema) -> filter entries, or None when nothing can match.
Rule = Callable[[Compare, str, PortalSchema], Sequence[Entry] | None]


def _values(node: Compare) -> list[Any]:
    return sorted(node.value, key=str) if node.op is Op.IN else [node.value]


def ids(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """Integer ids as ``@KEY``: a non-canonical id can never match."""
    found = sorted({i for i in (canonical_id(v) for v in _values(node)) if i}, key=int)
    return [(f"@{key}", found)] if found else None


def codes(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """Whole-value matches (``=KEY`` / ``@KEY``) on status-like and string fields."""
    values = [str(v) for v in _values(node) if isinstance(v, str)]
    if not values:
        return None
    if node.op is Op.EQ:
        return [(f"{PREFIX[Op.EQ]}{key}", values[0])]
    return [(f"{PREFIX[Op.IN]}{key}", sorted(set(values)))]


def text(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """Strings: whole values, ``%KEY`` (substring), ``=%KEY`` (raw prefix LIKE)."""
    if node.op in (Op.EQ, Op.IN):
        return codes(node, key, schema)
    if not isinstance(node.value, str):
        return None
    if not node.value:
        return ()  # every non-null string contains / starts with "": nothing to push
    # CONTAINS: the docs give no escape for % and _ in a filter value (the notes report the
    # portal taking them literally); taken as wildcards they only widen the match. STARTSWITH
    # is a raw LIKE where they are wildcards. Either way a superset, re-checked locally.
    suffix = "%" if node.op is Op.STARTSWITH else ""
    return [(f"{PREFIX[node.op]}{key}", f"{node.value}{suffix}")]


def _moment(value: Any, up: bool) -> str | None:
    if not isinstance(value, dt.datetime):
        return None
    whole = value.replace(microsecond=0)
    if up and value.microsecond:
        whole += dt.timedelta(seconds=1)
    return format_datetime(whole)


def _number(value: Any, up: bool) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
        return None
    return str(value)


def _range(convert: Callable[[Any, bool], str | None]) -> Rule:
    """Comparisons, widened to inclusive bounds the vendor stores exactly."""

    def rule(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
        if node.op is Op.IN:
            return ()
        low, high = convert(node.value, False), convert(node.value, True)
        if low is None or high is None:
            return None  # a value of another type never compares true
        bounds: dict[Op, list[Entry]] = {
            Op.EQ: [(f">={key}", low), (f"<={key}", high)],
            Op.GT: [(f">={key}", low)],
            Op.GE: [(f">={key}", low)],
            Op.LT: [(f"<={key}", high)],
            Op.LE: [(f"<={key}", high)],
        }
        return bounds[node.op]

    return rule


moments = _range(_moment)


def amounts(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """``OPPORTUNITY`` is a double: integer-widened bounds (a NULL amount reads as 0)."""

    def whole(value: Any, up: bool) -> str | None:
        if isinstance(value, bool) or not isinstance(value, (Decimal, int, float)):
            return None
        return str(math.ceil(value) if up else math.floor(value))

    return _range(whole)(node, key, schema)


def semantics(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """``stage.semantic`` -> ``@STATUS_SEMANTIC_ID`` (P/S/F)."""
    found = set()
    for value in _values(node):
        try:
            found.add(CODE_OF_SEMANTIC[StageSemantic(value)])
        except ValueError:
            continue
    return [(f"@{key}", sorted(found))] if found else None


def origin(node: Compare, key: str, schema: PortalSchema) -> Sequence[Entry] | None:
    """The origin marker: ``ORIGINATOR_ID = unicrm`` and the marker in ``ORIGIN_ID``."""
    entries = codes(node, key, schema)
    return None if entries is None else [("=ORIGINATOR_ID", ORIGINATOR), *entries]


COMMON_RULES: Mapping[str, tuple[str, Rule]] = {
    "id": ("ID", ids),
    "responsible_id": ("ASSIGNED_BY_ID", ids),
    "company_id": ("COMPANY_ID", ids),
    "first_name": ("NAME", text),
    "middle_name": ("SECOND_NAME", text),
    "last_name": ("LAST_NAME", text),
    "post": ("POST", text),
    "comments": ("COMMENTS", text),
    "source": ("SOURCE_ID", codes),
    "origin": ("ORIGIN_ID", origin),
    "phones": ("PHONE", codes),
    "emails": ("EMAIL", codes),
    "created_at": ("DATE_CREATE", moments),
    "updated_at": ("DATE_MODIFY", moments),
}
LEAD_RULES: Mapping[str, tuple[str, Rule]] = {
    **COMMON_RULES,
    "title": ("TITLE", text),
    "company_title": ("COMPANY_TITLE", text),
    **{f"utm_{p}": (f"UTM_{p.upper()}", text) for p in ("source", "medium", "campaign")},
    **{f"utm_{p}": (f"UTM_{p.upper()}", text) for p in ("content", "term")},
    "stage.id": ("STATUS_ID", codes),
    "stage.semantic": ("STATUS_SEMANTIC_ID", semantics),
    "currency": ("CURRENCY_ID", codes),
    "amount": ("OPPORTUNITY", amounts),
    "closed_at": ("DATE_CLOSED", moments),
}
CONTACT_RULES: Mapping[str, tuple[str, Rule]] = dict(COMMON_RULES)
RULES: Mapping[EntityKind, Mapping[str, tuple[str, Rule]]] = {
    EntityKind.LEAD: LEAD_RULES,
    EntityKind.CONTACT: CONTACT_RULES,
}


def unsupported(entity: EntityKind, node: Node) -> QueryError:
    """The one place an unexpected node ends up: a typed error naming vendor and node."""
    return QueryError(f"bitrix24 cannot compile {node} for {entity}s", vendor=VENDOR)


def build_filter(
    entity: EntityKind, predicate: Node, schema: PortalSchema
) -> dict[str, Any] | None:
    """The vendor filter for a conjunction; None when nothing can match."""
    table = RULES[entity]
    merged: dict[str, Any] = {}
    for literal in conjuncts(predicate):
        if not isinstance(literal, Compare) or literal.field not in table:
            raise unsupported(entity, literal)
        key, rule = table[literal.field]
        entries = rule(literal, key, schema)
        if entries is None:
            return None
        for name, value in entries:
            if name not in merged:
                merged[name] = value
            elif name.startswith("@"):
                both = [v for v in merged[name] if v in set(value)]
                if not both:
                    return None
                merged[name] = both
            elif name.startswith("=") and not name.startswith("=%") and merged[name] != value:
                return None  # one exact value cannot equal two different ones
    return merged


@attrs.frozen
class ListQuery:
    """What :meth:`Bitrix24Adapter.fetch` executes."""

    method: str
    filter: Mapping[str, Any]
    never: bool = False
    limit: int | None = None
    #: False when a value contains a ``$result``-style token a batch would substitute.
    batchable: bool = True


def _strings(value: Any) -> Iterable[str]:
    if isinstance(value, list):
        return [str(v) for v in value]
    return [str(value)]


def compile_list(
    entity: EntityKind,
    predicate: Node,
    schema: PortalSchema,
    *,
    order: Sequence[OrderKey] = (),
    limit: int | None = None,
) -> VendorRequest:
    """Compile a pushable conjunction (from the planner) into a keyset-paged list request."""
    if order:
        raise QueryError("bitrix24 reads are ordered by ID only", vendor=VENDOR)
    method = METHOD[entity]
    merged = build_filter(entity, predicate, schema)
    flt = merged or {}
    batchable = all(batch_safe(s) for v in flt.values() for s in _strings(v))
    query = ListQuery(method, flt, never=merged is None, limit=limit, batchable=batchable)
    estimate = None
    if merged is None:
        estimate = 0
    elif limit is not None:
        estimate = max(1, -(-limit // (PAGE_SIZE * BATCH_COMMANDS)))
    note = "never matches: no request is sent" if merged is None else ""
    if not batchable:
        note = "a value looks like a batch reference: pages are read one request each"
    shown: dict[str, Any] = {"filter": flt, "order": {"ID": "ASC"}, "start": -1}
    return VendorRequest(
        endpoint=method, params=shown, payload=query, estimated_requests=estimate, note=note
    )


__all__ = [
    "CONTACT_RULES",
    "LEAD_RULES",
    "METHOD",
    "PREFIX",
    "ListQuery",
    "build_filter",
    "compile_list",
    "unsupported",
]
