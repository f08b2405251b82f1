"""Splitting a query into what the vendor runs and what runs locally.

The planner normalises the predicate (:mod:`unicrm.query.rewrite`), expands it into an OR of
conjunctions, and for each conjunction sends the comparisons the adapter declares pushable to
the vendor, keeping the rest (and every NARROWING comparison) as a residual checked locally on
each row. Several conjunctions become several requests whose results are merged by id. If any
branch has nothing to push, the whole query becomes one full scan with the whole predicate as
residual; the plan records a warning (the query emits it as :class:`FullScanWarning` when it
runs) or, for strict queries, planning raises :class:`~unicrm.errors.FullScanError`.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence

import attrs

from unicrm.adapter.capabilities import BooleanSupport, Capabilities, Pushdown
from unicrm.adapter.request import VendorRequest
from unicrm.errors import FullScanError
from unicrm.model import LINK_FIELDS, EntityKind
from unicrm.query.nodes import ALL, NOTHING, Compare, Const, Node, Not, Or, OrderKey, fields_of
from unicrm.query.rewrite import Literal, conjunction, normalise, to_dnf


class FullScanWarning(UserWarning):
    """A query's filter cannot be pushed to the vendor: every record will be read."""


@attrs.frozen
class PlannedRequest:
    """One vendor request with the predicate it carries and the residual checked locally."""

    request: VendorRequest
    pushed: Node
    residual: Node


@attrs.frozen
class Plan:
    """The result of planning: printable with ``str()`` (this is what ``explain()`` shows)."""

    entity: EntityKind
    vendor: str
    predicate: Node
    requests: tuple[PlannedRequest, ...]
    order: tuple[OrderKey, ...] = ()
    order_pushed: bool = False
    limit: int | None = None
    limit_pushed: bool = False
    full_scan: bool = False
    fields: frozenset[str] | None = None
    warnings: tuple[str, ...] = ()
    #: Link lists read with each record, where the adapter reads them only on request (None:
    #: the adapter reads links its own way and returns them complete).
    links: frozenset[str] | None = None
    #: Link lists the adapter reads only on request and this query does not read.
    links_skipped: frozenset[str] = frozenset()

    @property
    def estimated_requests(self) -> int | None:
        """Sum of the adapters' estimates, or None when any is unknown."""
        estimates = [p.request.estimated_requests for p in self.requests]
        if any(e is None for e in estimates):
            return None
        return sum(e for e in estimates if e is not None)

    @property
    def residual(self) -> Node:
        """The locally checked predicate (OR of the per-request residuals)."""
        residuals = {p.residual for p in self.requests}
        if residuals <= {ALL}:
            return ALL
        if len(self.requests) == 1:
            return self.requests[0].residual
        return Or(tuple(p.residual for p in self.requests))

    def __str__(self) -> str:
        lines = [f"Plan for {self.entity.plural} on {self.vendor}", f"  filter: {self.predicate}"]
        if not self.requests:
            lines.append("  no request: the filter can never match")
        for number, planned in enumerate(self.requests, 1):
            lines.append(f"  request {number}: {planned.request.describe()}")
            lines.append(f"    pushed: {planned.pushed}")
            residual = "none" if planned.residual == ALL else str(planned.residual)
            lines.append(f"    residual (checked locally): {residual}")
        if len(self.requests) > 1:
            lines.append("  results of all requests are merged by id")
        if self.order:
            where = "by the vendor" if self.order_pushed else "locally (all rows buffered)"
            lines.append(f"  order: {', '.join(map(str, self.order))} ({where})")
        if self.limit is not None:
            where = "by the vendor" if self.limit_pushed else "locally"
            lines.append(f"  limit: {self.limit} ({where})")
        if self.fields is not None:
            lines.append(f"  fields: {', '.join(sorted(self.fields))}")
        if self.links:
            lines.append(f"  links read: {', '.join(sorted(self.links))}")
        if self.links_skipped:
            lines.append(
                f"  links not read: {', '.join(sorted(self.links_skipped))} "
                "(NOT_LOADED on each record; ask with with_links())"
            )
        estimate = self.estimated_requests
        lines.append(
            "  estimated requests: "
            + (
                str(estimate)
                if estimate is not None
                else f"unknown (at least {len(self.requests)})"
            )
        )
        lines.extend(f"  warning: {w}" for w in self.warnings)
        return "\n".join(lines)


Compiler = Callable[..., Awaitable[VendorRequest]]


def _split(
    caps: Capabilities, entity: EntityKind, literals: Sequence[Literal]
) -> tuple[tuple[Literal, ...], tuple[Literal, ...]]:
    pushed: list[Literal] = []
    residual: list[Literal] = []
    for literal in literals:
        how = caps.pushdown(entity, literal)
        if how is not None:
            pushed.append(literal)
        if how is not Pushdown.EXACT:
            residual.append(literal)
    return tuple(pushed), tuple(residual)


def _branches(
    caps: Capabilities, entity: EntityKind, predicate: Node, max_branches: int
) -> list[tuple[Node, Node]] | None:
    """(pushed, residual) per request, or None when a full scan is needed."""
    if isinstance(predicate, Const):
        return [(ALL, ALL)] if predicate.value else []
    if caps.boolean is BooleanSupport.FULL and all(
        caps.pushdown(entity, lit) is Pushdown.EXACT for lit in _literals(predicate)
    ):
        return [(predicate, ALL)]
    dnf = to_dnf(predicate, max_branches)
    if dnf is None:
        return None
    result: list[tuple[Node, Node]] = []
    for literals in dnf:
        pushed, residual = _split(caps, entity, literals)
        if not pushed and literals:
            return None
        result.append((conjunction(pushed), conjunction(residual)))
    return result


def _literals(node: Node) -> list[Node]:
    if isinstance(node, (Compare, Not)):
        return [node]
    if isinstance(node, Const):
        return []
    return [lit for item in node.items for lit in _literals(item)]


async def plan_query(
    *,
    entity: EntityKind,
    predicate: Node,
    capabilities: Capabilities,
    compile: Compiler,
    order: Sequence[OrderKey] = (),
    limit: int | None = None,
    fields: frozenset[str] | None = None,
    strict: bool = False,
    max_branches: int = 32,
    links: frozenset[str] = frozenset(),
) -> Plan:
    """Plan ``predicate`` for an adapter with ``capabilities`` and compiler ``compile``.

    ``links`` are the link lists the caller asked for; those the filter, the order or the
    projection need (``contact_ids`` needs ``contacts``) are added.
    """
    normal = normalise(predicate)
    notes: list[str] = []
    branches = _branches(capabilities, entity, normal, max_branches)
    full_scan = branches is None
    if branches is None:
        message = (
            f"the filter {normal} cannot be pushed to {capabilities.vendor}: every {entity} "
            "will be read and filtered locally"
        )
        if strict:
            raise FullScanError(message, vendor=capabilities.vendor)
        notes.append(message)
        branches = [(ALL, normal)]
    single = len(branches) == 1
    order_pushed = single and all(capabilities.can_order(entity, k.field) for k in order)
    limit_pushed = (
        single and limit is not None and branches[0][1] == ALL and (order_pushed or not order)
    )
    needed = None
    if fields is not None:
        needed = frozenset(fields) | fields_of(normal) | {k.field for k in order} | {"id"}
    on_request = capabilities.links_on_request(entity)
    mentioned = fields_of(normal) | {k.field for k in order} | (fields or frozenset())
    wanted = (links | {LINK_FIELDS[f] for f in mentioned if f in LINK_FIELDS}) & on_request
    extra: dict[str, frozenset[str]] = {"links": wanted} if on_request else {}
    planned: list[PlannedRequest] = []
    for pushed, residual in branches:
        request = await compile(
            entity,
            pushed,
            order=tuple(order) if order_pushed else (),
            limit=limit if limit_pushed else None,
            fields=needed,
            **extra,
        )
        planned.append(PlannedRequest(request, pushed, residual))
    return Plan(
        entity=entity,
        vendor=capabilities.vendor,
        predicate=normal if normal != NOTHING else NOTHING,
        requests=tuple(planned),
        order=tuple(order),
        order_pushed=order_pushed,
        limit=limit,
        limit_pushed=limit_pushed,
        full_scan=full_scan,
        fields=needed,
        warnings=tuple(notes),
        links=wanted if on_request else None,
        links_skipped=on_request - wanted,
    )
