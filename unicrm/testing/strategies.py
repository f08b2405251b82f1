"""Hypothesis strategies: predicates that hit a data set, and records for round trips.

Predicate values are drawn from the values the records actually hold (read back from the
adapter), perturbed towards the edges the semantics care about: case variants, prefixes and
substrings, +/- one unit on numbers and instants, the same instant in another time zone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from decimal import Decimal
from typing import Any

from hypothesis import strategies as st

from unicrm.model import EntityKind, StageSemantic
from unicrm.query import FIELDS, F, Node, Op, ValueType, lookup
from unicrm.testing.dataset import ZONES

# Operators a user writes directly (the negated text operators only arise from ~).
_USER_OPS = (
    Op.EQ,
    Op.NE,
    Op.LT,
    Op.LE,
    Op.GT,
    Op.GE,
    Op.IN,
    Op.NOT_IN,
    Op.CONTAINS,
    Op.STARTSWITH,
    Op.IS_NULL,
)
_ORDERING = {Op.LT, Op.LE, Op.GT, Op.GE}
_TEXT = {Op.CONTAINS, Op.STARTSWITH}
_OPS_BY_TYPE: dict[ValueType, tuple[Op, ...]] = {
    ValueType.STRING: _USER_OPS,
    ValueType.DECIMAL: tuple(o for o in _USER_OPS if o not in _TEXT),
    ValueType.DATETIME: tuple(o for o in _USER_OPS if o not in _TEXT | {Op.IN, Op.NOT_IN}),
    ValueType.ID: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_NULL),
    ValueType.SEMANTIC: (Op.EQ, Op.NE, Op.IN, Op.NOT_IN, Op.IS_NULL),
}


def operators_for(name: str) -> tuple[Op, ...]:
    """The operators a user can apply to field ``name`` (no ordering on multi-valued ones)."""
    spec = lookup(name)
    assert spec is not None, name
    allowed = _OPS_BY_TYPE.get(spec.type, _USER_OPS)
    return tuple(o for o in allowed if o not in _ORDERING) if spec.multi else allowed


def default_fields(entity: EntityKind) -> list[str]:
    """Every built-in field of ``entity``."""
    return sorted(n for n, s in FIELDS.items() if entity in s.entities)


def value_pool(records: Sequence[Any], field: str) -> list[Any]:
    """Distinct non-null values ``field`` holds across ``records`` (flattened for multi)."""
    spec = lookup(field)
    if spec is None:
        return []
    seen: dict[Any, None] = {}
    for record in records:
        raw = spec.read(record)
        for value in raw if isinstance(raw, tuple) else (raw,):
            if value is not None:
                seen[value] = None
    return list(seen)


def _perturb_text(value: str) -> st.SearchStrategy[str]:
    options = [value, value.upper(), value.lower(), value.swapcase(), value + "x", "x" + value]
    if value:
        options += [value[: max(1, len(value) // 2)], value[1:], value[:-1]]
    return st.sampled_from(options)


def _perturb(spec_type: ValueType, value: Any) -> st.SearchStrategy[Any]:
    if spec_type is ValueType.DECIMAL and isinstance(value, Decimal):
        return st.sampled_from([value, value + 1, value - 1, value + Decimal("0.01"), -value])
    if spec_type is ValueType.DATETIME and isinstance(value, dt.datetime):
        shifted = [value + dt.timedelta(seconds=s) for s in (0, 1, -1, 86400, -86400)]
        return st.sampled_from(shifted + [value.astimezone(z) for z in ZONES])
    if spec_type is ValueType.STRING and isinstance(value, str):
        return _perturb_text(value)
    if spec_type is ValueType.ID:
        text = str(value)
        return st.sampled_from([text, text + "0", "999999"])
    if spec_type is ValueType.SEMANTIC:
        return st.sampled_from([s.value for s in StageSemantic])
    return st.just(value)


_FALLBACK: dict[ValueType, st.SearchStrategy[Any]] = {
    ValueType.STRING: st.sampled_from(["", "a", "Lead", "ivan", "Ё"]),
    ValueType.DECIMAL: st.sampled_from([Decimal(0), Decimal(1000), Decimal("15000.5")]),
    ValueType.DATETIME: st.just(dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc)),
    ValueType.ID: st.sampled_from(["1", "2", "999999"]),
    ValueType.SEMANTIC: st.sampled_from([s.value for s in StageSemantic]),
}


def _values_for(spec_type: ValueType, pool: Sequence[Any]) -> st.SearchStrategy[Any]:
    fallback = _FALLBACK[spec_type]
    if not pool:
        return fallback
    return st.one_of(
        st.sampled_from(list(pool)).flatmap(lambda v: _perturb(spec_type, v)), fallback
    )


def comparisons(
    records: Sequence[Any], fields: Sequence[str], ops: Callable[[str], Sequence[Op]] | None = None
) -> st.SearchStrategy[Node]:
    """Single comparisons on ``fields`` with values that hit ``records``."""

    def for_field(name: str) -> st.SearchStrategy[Node]:
        spec = lookup(name)
        assert spec is not None, name
        allowed = list(ops(name) if ops else operators_for(name))
        if spec.multi:
            allowed = [o for o in allowed if o not in _ORDERING]
        values = _values_for(spec.type, value_pool(records, name))

        def build(op: Op) -> st.SearchStrategy[Node]:
            field = F(name)
            if op is Op.IS_NULL:
                return st.booleans().map(field.is_null)
            if op in (Op.IN, Op.NOT_IN):
                method = field.in_ if op is Op.IN else field.not_in
                return st.lists(values, min_size=1, max_size=3).map(method)
            if op in _TEXT:
                text = values.filter(lambda v: isinstance(v, str))
                return text.map(field.contains if op is Op.CONTAINS else field.startswith)
            return values.map(lambda v: field.compare(op, v))

        return st.sampled_from(allowed).flatmap(build)

    return st.sampled_from(list(fields)).flatmap(for_field)


def predicates(
    records: Sequence[Any],
    fields: Sequence[str],
    *,
    max_leaves: int = 5,
    ops: Callable[[str], Sequence[Op]] | None = None,
) -> st.SearchStrategy[Node]:
    """Trees of comparisons combined with & | ~ (bounded size)."""
    leaves = comparisons(records, fields, ops)
    return st.recursive(
        leaves,
        lambda children: st.one_of(
            st.tuples(children, children).map(lambda ab: ab[0] & ab[1]),
            st.tuples(children, children).map(lambda ab: ab[0] | ab[1]),
            children.map(lambda a: ~a),
        ),
        max_leaves=max_leaves,
    )
