"""The reference evaluator: the one meaning of every query node, in plain Python.

Every adapter must return exactly the records this evaluator accepts (docs/query.md). The rules:

* Two-valued logic. A null (missing) scalar satisfies no comparison except ``!=``,
  ``not in`` and ``is null``; therefore ``~(f == v)`` is always ``f != v``.
* Strings compare exactly and case-sensitively (``contains``, ``startswith`` too).
* Decimals compare by numeric value; datetimes as instants (time zones normalised).
* A multi-valued field (phones, emails, tags, contact_ids) matches ``==``, ``in``,
  ``contains``, ``startswith`` when *any* element does; ``!=``, ``not in`` and the negated text
  operators hold when *no* element matches the positive form; ``is null`` means "empty".
* Custom fields hold whatever the record has; a select with several labels is multi-valued;
  values of a different type than the query value never match (and so satisfy ``!=``).
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from unicrm.query.fields import lookup
from unicrm.query.nodes import And, Compare, Const, Node, Not, Op, Or

_NEGATED: dict[Op, Op] = {
    Op.NE: Op.EQ,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.NOT_STARTSWITH: Op.STARTSWITH,
}


def _comparable(a: Any, b: Any) -> bool:
    if isinstance(a, bool) or isinstance(b, bool):
        return isinstance(a, bool) and isinstance(b, bool)
    if isinstance(a, (int, Decimal)) and isinstance(b, (int, Decimal)):
        return True
    if isinstance(a, dt.datetime) or isinstance(b, dt.datetime):
        return isinstance(a, dt.datetime) and isinstance(b, dt.datetime)
    return type(a) is type(b) or (isinstance(a, str) and isinstance(b, str))


def _eq(a: Any, b: Any) -> bool:
    return _comparable(a, b) and a == b


def _order(test: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: _comparable(a, b) and test(a, b)


def _text(test: Callable[[str, str], bool]) -> Callable[[Any, Any], bool]:
    return lambda a, b: isinstance(a, str) and isinstance(b, str) and test(a, b)


#: One scalar test per positive operator: (record value, query value) -> bool.
SCALAR_TESTS: dict[Op, Callable[[Any, Any], bool]] = {
    Op.EQ: _eq,
    Op.LT: _order(lambda a, b: a < b),
    Op.LE: _order(lambda a, b: a <= b),
    Op.GT: _order(lambda a, b: a > b),
    Op.GE: _order(lambda a, b: a >= b),
    Op.IN: lambda a, b: any(_eq(a, x) for x in b),
    Op.CONTAINS: _text(lambda a, b: b in a),
    Op.STARTSWITH: _text(lambda a, b: a.startswith(b)),
}


def _values(raw: Any) -> tuple[Any, ...]:
    """A field's value(s) as a tuple; empty for null."""
    if raw is None:
        return ()
    if isinstance(raw, tuple):
        return raw
    return (raw,)


def _normalise(value: Any) -> Any:
    if isinstance(value, enum.Enum):
        return value.value  # enums compare by their string value
    return value


def evaluate_compare(node: Compare, record: Any) -> bool:
    """Whether ``record`` satisfies one comparison."""
    spec = lookup(node.field)
    if spec is None:
        return False
    values = tuple(_normalise(v) for v in _values(spec.read(record)))
    if node.op is Op.IS_NULL:
        return (len(values) == 0) is bool(node.value)
    query_value = node.value
    if isinstance(query_value, frozenset):
        query_value = frozenset(_normalise(v) for v in query_value)
    else:
        query_value = _normalise(query_value)
    positive = _NEGATED.get(node.op)
    test = SCALAR_TESTS[positive or node.op]
    hit = any(test(v, query_value) for v in values)
    return not hit if positive else hit


def evaluate(node: Node, record: Any) -> bool:
    """Whether ``record`` satisfies the predicate ``node``."""
    if isinstance(node, Compare):
        return evaluate_compare(node, record)
    if isinstance(node, And):
        return all(evaluate(i, record) for i in node.items)
    if isinstance(node, Or):
        return any(evaluate(i, record) for i in node.items)
    if isinstance(node, Not):
        return not evaluate(node.item, record)
    if isinstance(node, Const):
        return node.value
    raise TypeError(f"not a query node: {node!r}")
