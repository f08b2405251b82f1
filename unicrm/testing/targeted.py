"""Targeted cases: the predicates that expose the commonest adapter bugs every time.

The differential test draws random predicates, so a bug that needs one particular shape (three
real ids in one ``in`` list; ``not in`` on one field) is found only by chance. These builders
make those shapes deterministically from the values the stored records hold, for every field
the suite queries:

* value lists: ``in`` and ``not in`` with three values that are really there (first, middle and
  last of the sorted values), so a compiler that keeps only the first, or the last, is caught;
* negations: the negation of an equality, a value list, a text match, a null test and a range
  comparison on each field that holds values (normalised, these become ``!=``, ``not in``,
  ``not contains``, ``not startswith``, ``is not null`` and ``<= ... or is null``), and of ANDs
  and ORs across two fields, so a compiler that drops or flips a negation anywhere is caught.

Each case is a ``(label, predicate)`` pair; the suite compares the adapter's answer with the
reference evaluator's on the same records.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator, Sequence
from typing import Any

from unicrm.model import StageSemantic
from unicrm.query import F, Node, Op, ValueType, lookup
from unicrm.testing.strategies import operators_for, value_pool

Case = tuple[str, Node]


def _query_value(value: Any) -> Any:
    return value.value if isinstance(value, StageSemantic) else value


def spread(values: Sequence[Any], count: int = 3) -> list[Any]:
    """Up to ``count`` of ``values``: the first, the middle and the last in sorted order."""
    ordered = sorted(dict.fromkeys(values), key=lambda v: (str(type(v)), str(v)))
    if len(ordered) <= count:
        return ordered
    picks = {0, len(ordered) // 2, len(ordered) - 1}
    return [ordered[i] for i in sorted(picks)]


def value_list_cases(records: Sequence[Any], fields: Sequence[str]) -> Iterator[Case]:
    """``in`` / ``not in`` with several values the records hold, per field that takes them."""
    for name in fields:
        ops = operators_for(name)
        values = [_query_value(v) for v in spread(value_pool(records, name))]
        if len(values) < 2:
            continue
        if Op.IN in ops:
            yield f"{name} in {values}", F(name).in_(values)
        if Op.NOT_IN in ops:
            yield f"{name} not in {values}", F(name).not_in(values)


def _bases(name: str, pool: Sequence[Any]) -> Iterator[Node]:
    """Positive comparisons on ``name`` that some of the records holding ``pool`` satisfy."""
    spec = lookup(name)
    assert spec is not None, name
    ops = operators_for(name)
    if Op.IS_NULL in ops:
        yield F(name).is_null()
    if not pool:
        return
    middle = _query_value(pool[len(pool) // 2])
    if Op.EQ in ops:
        yield F(name) == middle
    if Op.IN in ops and len(pool) > 1:
        yield F(name).in_([_query_value(v) for v in pool])
    if spec.type is ValueType.STRING and isinstance(middle, str) and middle:
        if Op.CONTAINS in ops:
            yield F(name).contains(middle[1:] or middle)
        if Op.STARTSWITH in ops:
            yield F(name).startswith(middle[: max(1, len(middle) // 2)])
    if Op.GT in ops:
        yield F(name) > middle


def negation_cases(
    records: Sequence[Any], fields: Sequence[str], compounds: int = 2
) -> Iterator[Case]:
    """The negation of every base comparison per field, then of ANDs and ORs of two fields.

    Of the fields no record holds a value in, only the first is tested (``is null``): the
    others would repeat the same case. ``compounds`` pairs of fields get the AND and OR.
    """
    last_bases: list[Node] = []
    empty_seen = False
    for name in fields:
        pool = spread(value_pool(records, name))
        if not pool:
            if empty_seen:
                continue
            empty_seen = True
        bases = list(_bases(name, pool))
        for base in bases:
            yield f"~({base})", ~base
        if bases and pool:
            last_bases.append(bases[-1])
    for left, right in list(itertools.pairwise(last_bases))[:compounds]:
        yield f"~(({left}) & ({right}))", ~(left & right)
        yield f"~(({left}) | ({right}))", ~(left | right)


__all__ = ["Case", "negation_cases", "spread", "value_list_cases"]
