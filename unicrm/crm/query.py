"""The lazy query object behind ``crm.leads.filter(...)`` (async flavour; the sync one wraps it).

A query is an immutable description (predicate, order, limit, projection). Nothing is sent
until it is iterated or explained. Iteration streams page by page: only the current page is
held, except when the order cannot be pushed to the vendor (then the matching rows are sorted
locally) and the ids already yielded when several requests are merged.
"""

from __future__ import annotations

import functools
import warnings
from collections.abc import AsyncIterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar, cast

import attrs

from unicrm.errors import QueryError
from unicrm.model import LINK_LISTS, Company, Contact, Deal, EntityKind, Lead, Record
from unicrm.planner import FullScanWarning, Plan, plan_query
from unicrm.query.dsl import F, from_lookups
from unicrm.query.evaluator import evaluate
from unicrm.query.fields import field_names, lookup
from unicrm.query.nodes import ALL, And, Node, Not, OrderKey, _Combinable, fields_of

if TYPE_CHECKING:
    from unicrm.adapter.base import Adapter

#: The record type a query yields (``crm.leads.filter()`` is an ``AsyncQuery[Lead]``).
R = TypeVar("R", Lead, Contact, Deal, Company)


def _check_fields(entity: EntityKind, names: Sequence[str] | frozenset[str]) -> None:
    for name in names:
        spec = lookup(name)
        if spec is None or entity not in spec.entities:
            raise QueryError(
                f"{entity.plural} have no field {name!r}; "
                f"valid fields: {', '.join(field_names(entity))}"
            )


def _combine(current: Node, extra: Node) -> Node:
    return extra if current == ALL else And((current, extra))


def _predicate(args: Sequence[Any], lookups: dict[str, Any]) -> Node:
    parts: list[Node] = []
    for arg in args:
        if not isinstance(arg, _Combinable):
            raise QueryError(
                f"filter() takes predicates built with F(...), got {type(arg).__name__} {arg!r}"
            )
        parts.append(arg)  # type: ignore[arg-type]
    if lookups:
        parts.append(from_lookups(lookups))
    if not parts:
        return ALL
    return parts[0] if len(parts) == 1 else And(tuple(parts))


def _sort_key(order: Sequence[OrderKey]) -> Any:
    specs = [(lookup(k.field), k.descending) for k in order]

    def compare(a: Record, b: Record) -> int:
        for spec, descending in specs:
            if spec is None:
                continue
            x, y = spec.read(a), spec.read(b)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1  # nulls last, whatever the direction
            try:
                less = x < y
            except TypeError:
                less = str(x) < str(y)
            result = -1 if less else 1
            return -result if descending else result
        return 0

    return functools.cmp_to_key(compare)


def warn_plan(plan: Plan, stacklevel: int) -> None:
    """Emit the plan's warnings (full scans) as :class:`FullScanWarning` at the caller."""
    for message in plan.warnings:
        warnings.warn(message, FullScanWarning, stacklevel=stacklevel + 1)


@attrs.frozen
class AsyncQuery(Generic[R]):
    """An immutable, lazy query over one collection of an adapter, yielding records of one
    type (``R``: Lead, Contact, Deal or Company)."""

    adapter: Adapter
    entity: EntityKind
    predicate: Node = ALL
    order: tuple[OrderKey, ...] = ()
    max_rows: int | None = None
    fields: frozenset[str] | None = None
    is_strict: bool = False
    page_size: int | None = None
    links: frozenset[str] = frozenset()

    def __attrs_post_init__(self) -> None:
        _check_fields(self.entity, sorted(fields_of(self.predicate)))

    # --- building ----------------------------------------------------------------------
    def filter(self, *predicates: Any, **lookups: Any) -> AsyncQuery[R]:
        """Narrow the query: all given predicates and ``field__op=value`` lookups must hold."""
        extra = _predicate(predicates, lookups)
        return attrs.evolve(self, predicate=_combine(self.predicate, extra))

    def exclude(self, *predicates: Any, **lookups: Any) -> AsyncQuery[R]:
        """Drop the records matching all given predicates."""
        extra = _predicate(predicates, lookups)
        return attrs.evolve(self, predicate=_combine(self.predicate, Not(extra)))

    def order_by(self, *fields: str) -> AsyncQuery[R]:
        """Sort by fields; ``"-amount"`` sorts descending. Nulls sort last."""
        keys = tuple(OrderKey(f.lstrip("-"), f.startswith("-")) for f in fields)
        _check_fields(self.entity, [k.field for k in keys])
        return attrs.evolve(self, order=keys)

    def limit(self, count: int) -> AsyncQuery[R]:
        """Return at most ``count`` records."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise QueryError(f"limit must be a non-negative int, got {count!r}")
        return attrs.evolve(self, max_rows=count)

    def only(self, *fields: str) -> AsyncQuery[R]:
        """Ask the vendor for these fields only (others come back empty)."""
        _check_fields(self.entity, fields)
        return attrs.evolve(self, fields=frozenset(fields))

    def with_links(self, *names: str) -> AsyncQuery[R]:
        """Read these link lists with each record (default: every one the record type has:
        ``contacts`` of leads, deals and companies, ``companies`` of contacts). Without it an
        adapter that charges requests for links returns them as ``NOT_LOADED``."""
        own = LINK_LISTS[self.entity]
        unknown = sorted(set(names) - own)
        if unknown:
            raise QueryError(
                f"{self.entity.plural} have no link list {', '.join(map(repr, unknown))}; "
                f"they have: {', '.join(sorted(own))}"
            )
        return attrs.evolve(self, links=self.links | (frozenset(names) or own))

    def strict(self, value: bool = True) -> AsyncQuery[R]:
        """Raise FullScanError instead of warning when the filter cannot be pushed down."""
        return attrs.evolve(self, is_strict=value)

    # --- planning and running ----------------------------------------------------------
    async def explain(self) -> Plan:
        """The plan: vendor request(s), residual predicate, order/limit placement, cost."""
        return await plan_query(
            entity=self.entity,
            predicate=self.predicate,
            capabilities=self.adapter.capabilities,
            compile=self.adapter.compile,
            order=self.order,
            limit=self.max_rows,
            fields=self.fields,
            strict=self.is_strict,
            links=self.links,
        )

    async def pages(self, plan: Plan | None = None) -> AsyncIterator[list[R]]:
        """The matching records, one batch per vendor page (residual and limit applied).

        ``plan`` is one from :meth:`explain` on this query (the sync API plans first so that
        warnings point at the caller); by default the query plans itself and warns here.
        """
        if plan is None:
            plan = await self.explain()
            warn_plan(plan, stacklevel=3)
        remaining = self.max_rows
        if remaining == 0:
            return
        if plan.order and not plan.order_pushed:
            rows = [r async for page in self._raw_pages(plan) for r in page]
            rows.sort(key=_sort_key(plan.order))
            if remaining is not None:
                rows = rows[:remaining]
            for start in range(0, len(rows), self.adapter.capabilities.page_size):
                yield rows[start : start + self.adapter.capabilities.page_size]
            return
        async for raw_page in self._raw_pages(plan):
            page = raw_page if remaining is None else raw_page[:remaining]
            if remaining is not None:
                remaining -= len(page)
            if page:
                yield page
            if remaining == 0:
                return

    async def _raw_pages(self, plan: Plan) -> AsyncIterator[list[R]]:
        seen: set[str | None] | None = set() if len(plan.requests) > 1 else None
        for planned in plan.requests:
            residual = planned.residual
            async for page in self.adapter.fetch(self.entity, planned.request):
                kept = [r for r in page if residual == ALL or evaluate(residual, r)]
                if seen is not None:
                    kept = [r for r in kept if r.id not in seen]
                    seen.update(r.id for r in kept)
                if kept:
                    yield cast("list[R]", kept)

    async def __aiter__(self) -> AsyncIterator[R]:
        async for page in self.pages():
            for record in page:
                yield record

    async def to_list(self) -> list[R]:
        """All matching records in a list (materialises the result)."""
        return [r async for r in self]

    async def first(self) -> R | None:
        """The first matching record, or None."""
        async for record in self.limit(1):
            return record
        return None

    async def count(self) -> int:
        """How many records match (reads them all: no vendor counts are trusted)."""
        total = 0
        async for page in self.pages():
            total += len(page)
        return total

    def __repr__(self) -> str:
        return f"<AsyncQuery {self.entity.plural} where {self.predicate}>"


__all__ = ["F", "AsyncQuery"]
