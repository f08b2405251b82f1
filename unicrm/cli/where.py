"""``--where`` expressions: a small, safe, Python-like syntax compiled to a query predicate.

Examples::

    amount >= 1000 and stage.semantic == "won"
    title.startswith("Acme") or tags.contains("vip")
    responsible_id in ["1", "7"] and not comments.is_null()
    created_at >= "2024-01-01T00:00:00+00:00"

Only comparisons, ``and``/``or``/``not``, field paths, literals, lists and the field methods
``startswith``, ``contains``, ``is_null``, ``in_`` are allowed; nothing is ever evaluated as
Python. Timestamps are ISO 8601 strings.
"""

from __future__ import annotations

import ast
import datetime as dt
from typing import Any

from unicrm.errors import QueryError
from unicrm.query import And, F, Node, Not, Or, lookup

_COMPARE: dict[type[ast.cmpop], str] = {
    ast.Eq: "__eq__",
    ast.NotEq: "__ne__",
    ast.Lt: "__lt__",
    ast.LtE: "__le__",
    ast.Gt: "__gt__",
    ast.GtE: "__ge__",
    ast.In: "in_",
    ast.NotIn: "not_in",
}
_METHODS = frozenset({"startswith", "contains", "is_null", "in_", "not_in"})


def _path(node: ast.expr) -> str:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return f"{_path(node.value)}.{node.attr}"
    raise QueryError(f"--where: expected a field name, got {ast.unparse(node)!r}")


def _literal(node: ast.expr, field: str) -> Any:
    try:
        value = ast.literal_eval(node)
    except ValueError:
        raise QueryError(f"--where: expected a literal, got {ast.unparse(node)!r}") from None
    spec = lookup(field)
    kind = getattr(getattr(spec, "type", None), "name", "")
    if isinstance(value, str) and kind in {"DATETIME", "DATE"}:
        try:
            parsed = dt.datetime.fromisoformat(value)
        except ValueError:
            raise QueryError(f"--where: {field} needs an ISO 8601 time, got {value!r}") from None
        return parsed if kind == "DATETIME" else parsed.date()
    return value


def _compile(node: ast.expr) -> Node:
    if isinstance(node, ast.BoolOp):
        parts = tuple(_compile(v) for v in node.values)
        return And(parts) if isinstance(node.op, ast.And) else Or(parts)
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return Not(_compile(node.operand))
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise QueryError("--where: chain comparisons with 'and'")
        field = _path(node.left)
        method = _COMPARE.get(type(node.ops[0]))
        if method is None:
            raise QueryError(f"--where: unsupported operator in {ast.unparse(node)!r}")
        result: Node = getattr(F(field), method)(_literal(node.comparators[0], field))
        return result
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        if node.func.attr not in _METHODS or node.keywords:
            raise QueryError(f"--where: unknown method {node.func.attr!r}")
        field = _path(node.func.value)
        args = [_literal(a, field) for a in node.args]
        called: Node = getattr(F(field), node.func.attr)(*args)
        return called
    raise QueryError(f"--where: cannot read {ast.unparse(node)!r}")


def parse_where(text: str) -> Node:
    """Compile a ``--where`` expression into a predicate (QueryError when malformed)."""
    try:
        tree = ast.parse(text.strip(), mode="eval")
    except SyntaxError as exc:
        raise QueryError(f"--where: not an expression: {exc.msg}") from None
    return _compile(tree.body)
