"""The query compiler: a pushable conjunction -> ``GET /api/v4/{leads|contacts}`` parameters.

Tables first (DESIGN §3): :data:`LEAD_RULES` / :data:`CONTACT_RULES` map each field the
capabilities declare to a rule that turns one comparison into a *constraint* on one vendor
filter key. Constraints on the same key are intersected (amoCRM ANDs keys and ORs the values
inside one key, vendor notes §3.3); an empty intersection compiles to a request that is never
sent. A comparison the rule cannot express faithfully is dropped: every dropped or widened
comparison is declared NARROWING in :mod:`unicrm_amocrm.capabilities`, so the planner re-checks
it locally, and a gap can never compile into a narrower (subset) filter. Anything the tables do
not know reaches :func:`unsupported`, which raises a typed error naming vendor and node.

User values are only ever parameter *values* (httpx percent-encodes them); parameter *names* come
from these tables and from integer ids, so a value like ``]&filter[id]=1`` stays a value.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Mapping, Sequence
from decimal import Decimal
from typing import Any

import attrs

from unicrm.adapter import OrderKey, VendorRequest
from unicrm.errors import QueryError
from unicrm.model import EntityKind, StageSemantic
from unicrm.query import Compare, Node, Op, conjuncts
from unicrm_amocrm.schema import ENTITY_PATH, ORIGIN_CODE, AccountSchema, AmoField, semantic_of

VENDOR = "amocrm"


# --- constraints on one filter key ------------------------------------------------------
@attrs.frozen
class Values:
    """``filter[key][]=v1&filter[key][]=v2``: the value is one of these."""

    items: frozenset[str]

    def meet(self, other: Values) -> Values:
        return Values(self.items & other.items)

    @property
    def empty(self) -> bool:
        return not self.items


@attrs.frozen
class Bounds:
    """``filter[key][from]=a&filter[key][to]=b`` (inclusive integers, either side optional)."""

    low: int | None = None
    high: int | None = None

    def meet(self, other: Bounds) -> Bounds:
        lows = [b for b in (self.low, other.low) if b is not None]
        highs = [b for b in (self.high, other.high) if b is not None]
        return Bounds(max(lows) if lows else None, min(highs) if highs else None)

    @property
    def empty(self) -> bool:
        return self.low is not None and self.high is not None and self.low > self.high


@attrs.frozen
class Pairs:
    """``filter[statuses][i][pipeline_id]=P&filter[statuses][i][status_id]=S``."""

    items: frozenset[tuple[int, int]]

    def meet(self, other: Pairs) -> Pairs:
        return Pairs(self.items & other.items)

    @property
    def empty(self) -> bool:
        return not self.items


@attrs.frozen
class Search:
    """``query=text``: full-text search, a superset pre-filter (notes §3.5)."""

    text: str

    def meet(self, other: Search) -> Search:
        return self if len(self.text) >= len(other.text) else other

    @property
    def empty(self) -> bool:
        return False


Constraint = Values | Bounds | Pairs | Search
Key = tuple[str, ...]
#: ``NEVER`` from a rule: no record can match (the request is not sent at all).
NEVER: tuple[tuple[Key, Constraint], ...] = ((("never",), Values(frozenset())),)
Rule = Callable[[Compare, AccountSchema, EntityKind], Sequence[tuple[Key, Constraint]]]


# --- value conversions ------------------------------------------------------------------
def _value_set(node: Compare) -> frozenset[Any]:
    return node.value if node.op is Op.IN else frozenset({node.value})


def _number_bounds(op: Op, value: Decimal | float) -> Bounds:
    """Integer bounds that include every integer or fraction satisfying ``op value``."""
    low, high = math.floor(value), math.ceil(value)
    return {
        Op.EQ: Bounds(low, high),
        Op.GT: Bounds(low, None),
        Op.GE: Bounds(low, None),
        Op.LT: Bounds(None, high),
        Op.LE: Bounds(None, high),
    }[op]


def _is_search_safe(text: str) -> bool:
    # ``query`` matches case-insensitively; an ASCII needle found case-sensitively is still
    # found after lower-casing both sides, which is not true of every Unicode text.
    return bool(text) and text.isascii() and text.isprintable()


def _canonical_int(text: str) -> bool:
    """Whether ``text`` is how amoCRM writes an id (so ``"007"`` never matches id 7)."""
    return text.isascii() and text.isdigit() and text == str(int(text))


# --- rules ------------------------------------------------------------------------------
def ids(key: str) -> Rule:
    """Integer ids: ``filter[key][]``; a non-numeric id can never match."""

    def rule(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
        numeric = frozenset(v for v in map(str, _value_set(node)) if _canonical_int(v))
        return (((key,), Values(numeric)),)

    return rule


def names(key: str) -> Rule:
    """Whole-value text match on ``filter[key][]``; substring/prefix via ``query``."""

    def rule(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
        if node.op in (Op.EQ, Op.IN):
            return (((key,), Values(frozenset(_value_set(node)))),)
        return search(node, schema, entity)

    return rule


def search(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
    """Any text containing the value: ``query=value`` when that is a safe superset."""
    text = str(node.value)
    return ((("query",), Search(text)),) if _is_search_safe(text) else ()


def ranges(key: str) -> Rule:
    """Numbers and timestamps: ``filter[key][from|to]`` widened to whole units."""

    def rule(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
        bounds = _bounds_of(node)
        return () if bounds is None else (((key,), bounds),)

    return rule


def _bounds_of(node: Compare) -> Bounds | None:
    value = node.value
    number = value.timestamp() if isinstance(value, dt.datetime) else value
    if node.op is Op.IN or isinstance(number, bool):
        return None
    if not isinstance(number, (Decimal, int, float)):
        return None
    return _number_bounds(node.op, number)


def _status_rule(test: Callable[[int, int, frozenset[Any]], bool]) -> Rule:
    def rule(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
        wanted = _value_set(node)
        pairs = frozenset((p, s) for p, s in schema.status_pairs() if test(p, s, wanted))
        return ((("statuses",), Pairs(pairs)),)

    return rule


def _semantic_test(pipeline: int, status: int, wanted: frozenset[Any]) -> bool:
    return semantic_of(status) in {StageSemantic(w) for w in wanted}


stage_ids = _status_rule(lambda p, s, wanted: str(s) in {str(w) for w in wanted})
stage_semantics = _status_rule(_semantic_test)

#: amoCRM custom field types whose values filter as ranges / as whole values / as enum ids.
RANGE_TYPES = frozenset({"numeric", "monetary", "price"})
TEXT_TYPES = frozenset({"text", "textarea", "url", "streetaddress"})
ENUM_TYPES = frozenset({"select", "multiselect", "radiobutton"})


def _custom_constraint(node: Compare, field: AmoField) -> Sequence[tuple[Key, Constraint]]:
    key = ("custom_fields_values", str(field.id))
    values = _value_set(node)
    if field.type in RANGE_TYPES:
        bounds = _bounds_of(node)
        return () if bounds is None else ((key, bounds),)
    if node.op not in (Op.EQ, Op.IN) or not all(isinstance(v, str) for v in values):
        return ()
    if field.type in TEXT_TYPES:
        return ((key, Values(frozenset(values))),)
    if field.type in ENUM_TYPES:
        found = {field.enum_by_value(v) for v in values}
        return ((key, Values(frozenset(str(e.id) for e in found if e is not None))),)
    return ()


def custom(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
    """``custom.<key>``: by field id, typed from the account's definitions."""
    field = schema.field_by_key(entity, node.field.split(".", 1)[1])
    if field is None:
        return NEVER  # the schema is refreshed before compiling: no such field, no value
    return _custom_constraint(node, field)


def origin(node: Compare, schema: AccountSchema, entity: EntityKind) -> Sequence[Any]:
    """The origin marker: the managed ``UNICRM_ORIGIN`` text field."""
    field = schema.field_by_code(entity, ORIGIN_CODE)
    if field is None:
        return NEVER  # the field is created on first write: no record carries a marker yet
    return _custom_constraint(node, field)


LEAD_RULES: Mapping[str, Rule] = {
    "id": ids("id"),
    "responsible_id": ids("responsible_user_id"),
    "stage.pipeline_id": ids("pipeline_id"),
    "stage.id": stage_ids,
    "stage.semantic": stage_semantics,
    "title": names("name"),
    "amount": ranges("price"),
    "created_at": ranges("created_at"),
    "updated_at": ranges("updated_at"),
    "closed_at": ranges("closed_at"),
    "origin": origin,
}

CONTACT_RULES: Mapping[str, Rule] = {
    "id": ids("id"),
    "responsible_id": ids("responsible_user_id"),
    "created_at": ranges("created_at"),
    "updated_at": ranges("updated_at"),
    "phones": search,
    "emails": search,
    "origin": origin,
}

RULES: Mapping[EntityKind, Mapping[str, Rule]] = {
    EntityKind.LEAD: LEAD_RULES,
    EntityKind.CONTACT: CONTACT_RULES,
}

#: ``with=`` per entity: leads bring their contacts in the same response (notes §4.4).
WITH: Mapping[EntityKind, str] = {EntityKind.LEAD: "contacts", EntityKind.CONTACT: ""}
ORDER_KEYS: Mapping[str, str] = {"created_at": "created_at", "updated_at": "updated_at"}


def unsupported(entity: EntityKind, node: Node) -> QueryError:
    """The one place an unexpected node ends up: a typed error naming vendor and node."""
    return QueryError(f"amocrm cannot compile {node} for {entity}s", vendor=VENDOR)


def constraints(
    entity: EntityKind, predicate: Node, schema: AccountSchema
) -> dict[Key, Constraint] | None:
    """Per vendor key, the intersected constraint; None when nothing can match."""
    table = RULES[entity]
    merged: dict[Key, Constraint] = {}
    for literal in conjuncts(predicate):
        if not isinstance(literal, Compare):
            raise unsupported(entity, literal)
        name = "custom" if literal.field.startswith("custom.") else literal.field
        rule = table.get(name) or (custom if name == "custom" else None)
        if rule is None:
            raise unsupported(entity, literal)
        for key, constraint in rule(literal, schema, entity):
            current = merged.get(key)
            merged[key] = constraint if current is None else current.meet(constraint)  # type: ignore[arg-type]
            if merged[key].empty:
                return None
    return merged


def render(merged: Mapping[Key, Constraint]) -> list[tuple[str, str]]:
    """Constraints as ordered query parameters (PHP-style brackets, notes §3.3-3.4)."""
    params: list[tuple[str, str]] = []
    for key, constraint in sorted(merged.items()):
        name = "filter" + "".join(f"[{part}]" for part in key)
        if isinstance(constraint, Search):
            params.append(("query", constraint.text))
        elif isinstance(constraint, Values):
            params.extend((f"{name}[]", v) for v in sorted(constraint.items))
        elif isinstance(constraint, Bounds):
            params.extend(
                (f"{name}[{side}]", str(bound))
                for side, bound in (("from", constraint.low), ("to", constraint.high))
                if bound is not None
            )
        else:
            for i, (pipeline, status) in enumerate(sorted(constraint.items)):
                params.append((f"filter[statuses][{i}][pipeline_id]", str(pipeline)))
                params.append((f"filter[statuses][{i}][status_id]", str(status)))
    return params


@attrs.frozen
class ListQuery:
    """What :meth:`AmoCRMAdapter.fetch` executes: path, parameters, row limit."""

    path: str
    params: tuple[tuple[str, str], ...]
    never: bool = False
    limit: int | None = None


def compile_list(
    entity: EntityKind,
    predicate: Node,
    schema: AccountSchema,
    *,
    order: Sequence[OrderKey] = (),
    limit: int | None = None,
    page_size: int = 250,
) -> VendorRequest:
    """Compile a pushable conjunction (from the planner) into a list request."""
    path = f"/api/v4/{ENTITY_PATH[entity]}"
    merged = constraints(entity, predicate, schema)
    params = render(merged or {})
    if WITH[entity]:
        params.append(("with", WITH[entity]))
    for key in order:
        params.append((f"order[{ORDER_KEYS[key.field]}]", "desc" if key.descending else "asc"))
    query = ListQuery(path, tuple(params), never=merged is None, limit=limit)
    shown: dict[str, Any] = {}
    for name, value in params:
        if name.endswith("[]"):
            shown.setdefault(name, []).append(value)
        else:
            shown[name] = value
    estimate = None
    if merged is None:
        estimate = 0
    elif limit is not None:
        estimate = max(1, -(-limit // page_size))
    note = "never matches: no request is sent" if merged is None else ""
    return VendorRequest(
        endpoint=f"GET {path}", params=shown, payload=query, estimated_requests=estimate, note=note
    )


__all__ = [
    "CONTACT_RULES",
    "LEAD_RULES",
    "Bounds",
    "ListQuery",
    "Pairs",
    "Search",
    "Values",
    "compile_list",
    "constraints",
    "render",
    "unsupported",
]
