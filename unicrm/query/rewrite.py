"""Normalisation passes run before planning (ibis ``rewrites.py`` style).

1. :func:`simplify` flattens nested AND/OR, folds constants and drops duplicates.
2. :func:`push_not` moves NOT down to the comparisons, using the evaluator's two-valued
   logic (``~(f < v)`` becomes ``f >= v OR f is null``); where no exact rewrite exists (custom
   fields of unknown type) the NOT stays on the comparison as a literal.
3. :func:`merge_in` turns ``f == a OR f == b`` into ``f in (a, b)`` and
   ``f != a AND f != b`` into ``f not in (a, b)``, so vendors that take value lists can run them
   in one request.
4. :func:`to_dnf` expands into an OR of conjunctions, refusing to grow past a size bound.

Every pass preserves the meaning defined by :mod:`unicrm.query.evaluator`; the property tests
check that on generated trees.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable

from unicrm.query.fields import ValueType, lookup
from unicrm.query.nodes import ALL, NOTHING, And, Compare, Const, Node, Not, Op, Or

#: Literal = a comparison or a negated comparison.
Literal = Compare | Not

_FLIP: dict[Op, Op] = {
    Op.EQ: Op.NE,
    Op.NE: Op.EQ,
    Op.IN: Op.NOT_IN,
    Op.NOT_IN: Op.IN,
    Op.CONTAINS: Op.NOT_CONTAINS,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.STARTSWITH: Op.NOT_STARTSWITH,
    Op.NOT_STARTSWITH: Op.STARTSWITH,
}
_ORDER_FLIP: dict[Op, Op] = {Op.LT: Op.GE, Op.LE: Op.GT, Op.GT: Op.LE, Op.GE: Op.LT}


def _unique(items: Iterable[Node]) -> tuple[Node, ...]:
    return tuple(dict.fromkeys(items))


def simplify(node: Node) -> Node:
    """Flatten AND/OR, fold ALL/NOTHING, drop duplicate children and double negation."""
    if isinstance(node, (And, Or)):
        is_and = isinstance(node, And)
        identity, absorbing = (ALL, NOTHING) if is_and else (NOTHING, ALL)
        items: list[Node] = []
        for child in (simplify(i) for i in node.items):
            if child == absorbing:
                return absorbing
            if child == identity:
                continue
            if type(child) is type(node):
                items.extend(child.items)
            else:
                items.append(child)
        unique = _unique(items)
        if not unique:
            return identity
        if len(unique) == 1:
            return unique[0]
        return And(unique) if is_and else Or(unique)
    if isinstance(node, Not):
        inner = simplify(node.item)
        if isinstance(inner, Not):
            return inner.item
        if isinstance(inner, Const):
            return Const(not inner.value)
        return Not(inner)
    return node


def negate_compare(node: Compare) -> Node:
    """The exact negation of one comparison under two-valued logic."""
    if node.op is Op.IS_NULL:
        return Compare(node.field, Op.IS_NULL, not node.value)
    if node.op in _FLIP:
        return Compare(node.field, _FLIP[node.op], node.value)
    spec = lookup(node.field)
    if spec is None or spec.type is ValueType.ANY or spec.multi:
        return Not(node)
    return Or(
        (
            Compare(node.field, _ORDER_FLIP[node.op], node.value),
            Compare(node.field, Op.IS_NULL, True),
        )
    )


def push_not(node: Node) -> Node:
    """Negation normal form: NOT only directly above a comparison it cannot be folded into."""
    if isinstance(node, Not):
        inner = node.item
        if isinstance(inner, Compare):
            return negate_compare(inner)
        if isinstance(inner, Not):
            return push_not(inner.item)
        if isinstance(inner, And):
            return simplify(Or(tuple(push_not(Not(i)) for i in inner.items)))
        if isinstance(inner, Or):
            return simplify(And(tuple(push_not(Not(i)) for i in inner.items)))
        if isinstance(inner, Const):
            return Const(not inner.value)
    if isinstance(node, (And, Or)):
        return simplify(type(node)(tuple(push_not(i) for i in node.items)))
    return node


def _merge(items: tuple[Node, ...], single: Op, many: Op) -> tuple[Node, ...]:
    """Merge same-field ``single``/``many`` comparisons, each at its first one's position."""
    groups: dict[str, set[object]] = {}
    slots: list[Node | str] = []  # a node kept as is, or the field name of a merged group
    for item in items:
        if isinstance(item, Compare) and item.op in (single, many):
            values = item.value if item.op is many else frozenset({item.value})
            if item.field not in groups:
                slots.append(item.field)
            groups.setdefault(item.field, set()).update(values)
        else:
            slots.append(item)
    merged: list[Node] = []
    for slot in slots:
        if not isinstance(slot, str):
            merged.append(slot)
            continue
        values = groups[slot]
        if len(values) == 1:
            merged.append(Compare(slot, single, next(iter(values))))
        else:
            merged.append(Compare(slot, many, frozenset(values)))
    return tuple(merged)


def merge_in(node: Node) -> Node:
    """Fold same-field equalities under OR into IN, inequalities under AND into NOT IN."""
    if isinstance(node, Or):
        return simplify(Or(_merge(tuple(merge_in(i) for i in node.items), Op.EQ, Op.IN)))
    if isinstance(node, And):
        return simplify(And(_merge(tuple(merge_in(i) for i in node.items), Op.NE, Op.NOT_IN)))
    return node


def normalise(node: Node) -> Node:
    """All meaning-preserving passes in order: simplify, NOT pushdown, IN merging."""
    return merge_in(push_not(simplify(node)))


def to_dnf(node: Node, max_branches: int = 32) -> list[tuple[Literal, ...]] | None:
    """``node`` (already normalised) as an OR of AND-ed literals; None if over the bound.

    ``[]`` means NOTHING; ``[()]`` means ALL.
    """
    if isinstance(node, Const):
        return [()] if node.value else []
    if isinstance(node, (Compare, Not)):
        return [(node,)]
    if isinstance(node, Or):
        branches: list[tuple[Literal, ...]] = []
        for item in node.items:
            sub = to_dnf(item, max_branches)
            if sub is None:
                return None
            branches.extend(sub)
            if len(branches) > max_branches:
                return None
        return list(dict.fromkeys(branches))
    if isinstance(node, And):
        product: list[tuple[Literal, ...]] = [()]
        for item in node.items:
            sub = to_dnf(item, max_branches)
            if sub is None:
                return None
            if len(product) * len(sub) > max_branches:
                return None
            product = [tuple(dict.fromkeys(a + b)) for a, b in itertools.product(product, sub)]
        return product
    raise TypeError(f"not a query node: {node!r}")


def conjunction(literals: Iterable[Node]) -> Node:
    """AND of ``literals`` (ALL when empty)."""
    items = tuple(literals)
    if not items:
        return ALL
    return items[0] if len(items) == 1 else And(items)
