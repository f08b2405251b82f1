"""Deliberately wrong adapters: the compliance kit must fail every one of them.

Each is the memory adapter with one bug of the kind real adapters have (a compiler that keeps
the first value of a list, a compiler that loses a negation, a paginator off by one), and
declares the same capabilities, so the planner hands it exactly what it would hand a correct
adapter. Loaded by the kit's own tests into a pytester directory; not collected itself.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Any, ClassVar

import attrs

import unicrm
from unicrm.adapter import OrderKey, VendorRequest
from unicrm.crm import AsyncCRM
from unicrm.model import EntityKind, Record
from unicrm.query import And, Compare, Node, Not, Op, Or
from unicrm_memory.adapter import MemoryAdapter

_POSITIVE = {
    Op.NE: Op.EQ,
    Op.NOT_IN: Op.IN,
    Op.NOT_CONTAINS: Op.CONTAINS,
    Op.NOT_STARTSWITH: Op.STARTSWITH,
}


def _rewrite(node: Node, leaf: Any) -> Node:
    """``node`` with every comparison or NOT passed through ``leaf``."""
    if isinstance(node, (And, Or)):
        return type(node)(tuple(_rewrite(item, leaf) for item in node.items))
    if isinstance(node, (Compare, Not)):
        result: Node = leaf(node)
        return result
    return node


class _Rewriting(MemoryAdapter):
    """The memory adapter whose compiler rewrites the pushed predicate first (the bug)."""

    def bug(self, node: Compare | Not) -> Node:
        return node

    async def compile(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
    ) -> VendorRequest:
        wrong = _rewrite(predicate, self.bug)
        request = await super().compile(entity, wrong, order=order, limit=limit, fields=fields)
        return attrs.evolve(request, params={**request.params, "where": str(predicate)})


class FirstIdOnly(_Rewriting):
    """``id in (a, b, c)`` sent as ``id == a``: a compiler that takes the list's first item."""

    def bug(self, node: Compare | Not) -> Node:
        if isinstance(node, Compare) and node.field == "id" and node.op is Op.IN:
            return Compare("id", Op.EQ, min(node.value, key=str))
        return node


class NegationIgnored(_Rewriting):
    """``!=``, ``not in``, ``not contains``... sent as their positive forms, NOT dropped."""

    def bug(self, node: Compare | Not) -> Node:
        if isinstance(node, Not):
            return node.item
        if node.op in _POSITIVE:
            return Compare(node.field, _POSITIVE[node.op], node.value)
        return node


class NotInAsIn(_Rewriting):
    """One wrong row in a compiler table: ``not in`` sent as ``in`` (other negations right)."""

    def bug(self, node: Compare | Not) -> Node:
        if isinstance(node, Compare) and node.op is Op.NOT_IN:
            return Compare(node.field, Op.IN, node.value)
        return node


class LastPageDropped(MemoryAdapter):
    """A paginator that stops one page early when a result spans several pages."""

    async def fetch(
        self, entity: EntityKind, request: VendorRequest
    ) -> AsyncIterator[list[Record]]:
        pages = [page async for page in super().fetch(entity, request)]
        for page in pages[:-1] if len(pages) > 1 else pages:
            yield page


BROKEN: dict[str, type[MemoryAdapter]] = {
    "first-id-only": FirstIdOnly,
    "negation-ignored": NegationIgnored,
    "not-in-as-in": NotInAsIn,
    "last-page-dropped": LastPageDropped,
    "correct": MemoryAdapter,
}


class AdapterUnderTest:
    """Mixin for a ComplianceSuite: ``make_crm`` opens ``adapter_class`` on a fresh store."""

    adapter_class: ClassVar[type[MemoryAdapter]] = MemoryAdapter
    pushdown: ClassVar[str] = "full"

    def make_crm(self) -> unicrm.CRM:
        adapter = self.adapter_class.from_url(f"memory://?pushdown={self.pushdown}", {})
        return unicrm.CRM(AsyncCRM(adapter))
