"""The query expression tree: small immutable nodes combined with ``&``, ``|`` and ``~``.

A predicate is a :class:`Compare` (field, operator, value), an :class:`And` / :class:`Or` of
predicates, a :class:`Not`, or one of the constants :data:`ALL` / :data:`NOTHING`. Nodes are
hashable, so rewrites can deduplicate them. Build them with :func:`unicrm.F`.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import attrs


class Op(enum.Enum):
    """Comparison operators. ``NOT_CONTAINS``/``NOT_STARTSWITH`` arise only from negation."""

    EQ = "=="
    NE = "!="
    LT = "<"
    LE = "<="
    GT = ">"
    GE = ">="
    IN = "in"
    NOT_IN = "not in"
    CONTAINS = "contains"
    NOT_CONTAINS = "not contains"
    STARTSWITH = "startswith"
    NOT_STARTSWITH = "not startswith"
    IS_NULL = "is null"


class _Combinable:
    """``&``, ``|`` and ``~`` for every node."""

    def __and__(self, other: Node) -> Node:
        _check_node(other)
        return And((self, other))  # type: ignore[arg-type]

    def __or__(self, other: Node) -> Node:
        _check_node(other)
        return Or((self, other))  # type: ignore[arg-type]

    def __invert__(self) -> Node:
        return Not(self)  # type: ignore[arg-type]

    def __bool__(self) -> bool:
        raise TypeError(
            "a query predicate has no truth value: combine predicates with & | ~ "
            "instead of and / or / not"
        )


def _check_node(value: object) -> None:
    if not isinstance(value, _Combinable):
        from unicrm.errors import QueryError

        raise QueryError(f"cannot combine a predicate with {type(value).__name__} {value!r}")


def render_value(value: Any) -> str:
    """A value as it appears in printed predicates and plans."""
    if isinstance(value, enum.Enum):
        return repr(value.value)
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, frozenset):
        return "(" + ", ".join(sorted(render_value(v) for v in value)) + ")"
    return repr(value)


@attrs.frozen(repr=False)
class Compare(_Combinable):
    """``field op value``. For ``IN``/``NOT_IN`` the value is a frozenset; for ``IS_NULL`` a bool
    (True: is null / empty; False: is not null)."""

    field: str
    op: Op
    value: Any

    def __str__(self) -> str:
        if self.op is Op.IS_NULL:
            return f"{self.field} is {'null' if self.value else 'not null'}"
        return f"{self.field} {self.op.value} {render_value(self.value)}"

    def __repr__(self) -> str:
        return f"<{self}>"


@attrs.frozen(repr=False)
class And(_Combinable):
    """All of ``items`` hold."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " AND ".join(_wrap(i) for i in self.items)

    def __repr__(self) -> str:
        return f"<{self}>"


@attrs.frozen(repr=False)
class Or(_Combinable):
    """At least one of ``items`` holds."""

    items: tuple[Node, ...]

    def __str__(self) -> str:
        return " OR ".join(_wrap(i) for i in self.items)

    def __repr__(self) -> str:
        return f"<{self}>"


@attrs.frozen(repr=False)
class Not(_Combinable):
    """``item`` does not hold."""

    item: Node

    def __str__(self) -> str:
        return f"NOT {_wrap(self.item)}"

    def __repr__(self) -> str:
        return f"<{self}>"


@attrs.frozen(repr=False)
class Const(_Combinable):
    """A predicate that always (``ALL``) or never (``NOTHING``) holds."""

    value: bool

    def __str__(self) -> str:
        return "all" if self.value else "nothing"

    def __repr__(self) -> str:
        return f"<{self}>"


ALL = Const(True)
NOTHING = Const(False)

Node = Compare | And | Or | Not | Const


def _wrap(node: Node) -> str:
    return f"({node})" if isinstance(node, (And, Or)) else str(node)


@attrs.frozen
class OrderKey:
    """Sort by ``field``, descending when ``descending``."""

    field: str
    descending: bool = False

    def __str__(self) -> str:
        return f"{self.field} {'desc' if self.descending else 'asc'}"


def fields_of(node: Node) -> frozenset[str]:
    """Every field name a predicate mentions."""
    if isinstance(node, Compare):
        return frozenset({node.field})
    if isinstance(node, (And, Or)):
        return frozenset().union(*(fields_of(i) for i in node.items))
    if isinstance(node, Not):
        return fields_of(node.item)
    return frozenset()


def conjuncts(predicate: Node) -> tuple[Node, ...]:
    """The parts of a conjunction as a compiler walks them: none for ``ALL``, the items of a
    top-level ``And``, else the predicate itself (nested nodes are left as they are)."""
    if predicate == ALL:
        return ()
    if isinstance(predicate, And):
        return predicate.items
    return (predicate,)
