"""Building predicates: ``F("field") >= 1`` and Django-style ``amount__gte=1`` lookups."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from unicrm.errors import QueryError
from unicrm.query.fields import FieldSpec, field_names, lookup
from unicrm.query.nodes import ALL, And, Compare, Node, Op
from unicrm.query.values import ALLOWED_OPS, CHECKERS, MULTI_OPS


def _spec_for(name: str) -> FieldSpec:
    if not isinstance(name, str):
        raise QueryError(f"a field name must be a string, got {type(name).__name__}")
    spec = lookup(name)
    if spec is None:
        raise QueryError(f"unknown field {name!r}; valid fields: {', '.join(field_names())}")
    return spec


class F:
    """A reference to a field, compared with values to build predicates.

    >>> (F("amount") >= 15000) & F("title").startswith("Lead")
    """

    __slots__ = ("name", "spec")

    def __init__(self, name: str) -> None:
        self.spec = _spec_for(name)
        self.name = name

    def compare(self, op: Op, value: Any) -> Compare:
        """``field <op> value`` for any operator (checked like the operator methods)."""
        spec = self.spec
        allowed = MULTI_OPS & ALLOWED_OPS[spec.type] if spec.multi else ALLOWED_OPS[spec.type]
        if op not in allowed:
            kind = "a multi-valued" if spec.multi else f"a {spec.type.value}"
            raise QueryError(f"{self.name} is {kind} field; operator {op.value!r} does not apply")
        if value is None:
            raise QueryError(
                f"comparing {self.name} with None: use F({self.name!r}).is_null() instead"
            )
        check = CHECKERS[spec.type]
        if op in (Op.IN, Op.NOT_IN):
            if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
                raise QueryError(f"{self.name} {op.value} needs a list of values, got {value!r}")
            checked: Any = frozenset(check(self.name, v) for v in value)
        else:
            checked = check(self.name, value)
        return Compare(self.name, op, checked)

    def __eq__(self, value: object) -> Compare:  # type: ignore[override]
        return self.compare(Op.EQ, value)

    def __ne__(self, value: object) -> Compare:  # type: ignore[override]
        return self.compare(Op.NE, value)

    def __lt__(self, value: Any) -> Compare:
        return self.compare(Op.LT, value)

    def __le__(self, value: Any) -> Compare:
        return self.compare(Op.LE, value)

    def __gt__(self, value: Any) -> Compare:
        return self.compare(Op.GT, value)

    def __ge__(self, value: Any) -> Compare:
        return self.compare(Op.GE, value)

    __hash__ = None  # type: ignore[assignment]

    def in_(self, values: Iterable[Any]) -> Compare:
        """The field equals one of ``values`` (for multi-valued fields: any value does)."""
        return self.compare(Op.IN, values)

    def not_in(self, values: Iterable[Any]) -> Compare:
        """The field equals none of ``values`` (null included)."""
        return self.compare(Op.NOT_IN, values)

    def contains(self, text: str) -> Compare:
        """The text contains ``text`` (case-sensitive; see docs/query.md)."""
        return self.compare(Op.CONTAINS, text)

    def startswith(self, text: str) -> Compare:
        """The text starts with ``text`` (case-sensitive)."""
        return self.compare(Op.STARTSWITH, text)

    def is_null(self, value: bool = True) -> Compare:
        """The field is empty (``value=False``: is not empty)."""
        if not isinstance(value, bool):
            raise QueryError(f"is_null() takes True or False, got {value!r}")
        return Compare(self.name, Op.IS_NULL, value)

    def __repr__(self) -> str:
        return f"F({self.name!r})"


_LOOKUPS: Mapping[str, Any] = {
    "exact": lambda f, v: f == v,
    "ne": lambda f, v: f != v,
    "lt": lambda f, v: f < v,
    "lte": lambda f, v: f <= v,
    "gt": lambda f, v: f > v,
    "gte": lambda f, v: f >= v,
    "in": lambda f, v: f.in_(v),
    "not_in": lambda f, v: f.not_in(v),
    "contains": lambda f, v: f.contains(v),
    "startswith": lambda f, v: f.startswith(v),
    "isnull": lambda f, v: f.is_null(v),
}


def from_lookups(lookups: Mapping[str, Any]) -> Node:
    """Turn ``{"amount__gte": 1, "stage__semantic": "won"}`` into a predicate (AND of all).

    ``__`` separates path parts (``stage__semantic`` is ``stage.semantic``); a trailing known
    lookup name picks the operator (default: equality).
    """
    parts: list[Node] = []
    for key, value in lookups.items():
        name, _, suffix = key.rpartition("__")
        if not name or suffix not in _LOOKUPS:
            name, suffix = key, "exact"
        field = F(name.replace("__", "."))
        parts.append(_LOOKUPS[suffix](field, value))
    if not parts:
        return ALL
    return parts[0] if len(parts) == 1 else And(tuple(parts))
