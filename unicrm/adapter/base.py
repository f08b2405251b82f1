"""The adapter contract: what a vendor plugin implements (async; the one engine).

The core calls only these methods. Reads stream pages through :meth:`Adapter.fetch` of a
request the adapter compiled itself in :meth:`Adapter.compile`; writes go one by one or in
vendor batches. Anything a vendor cannot do raises :class:`~unicrm.errors.UnsupportedOperation`
(and is declared in :attr:`Adapter.capabilities`).
"""

from __future__ import annotations

import abc
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any

from unicrm.adapter.capabilities import Capabilities
from unicrm.adapter.changelog import ChangeLogEntry
from unicrm.adapter.request import VendorRequest
from unicrm.errors import UnicrmError, UnsupportedOperation
from unicrm.model import CustomFieldDef, EntityKind, Pipeline, Record, apply_patch
from unicrm.query.nodes import Node, OrderKey

#: One item of a batch write: the record as stored, or the error that item got.
WriteResult = Record | UnicrmError


class Adapter(abc.ABC):
    """Base class of every adapter. Subclasses set ``name`` and ``capabilities``."""

    name: str = "adapter"
    capabilities: Capabilities

    # --- reading -----------------------------------------------------------------------
    @abc.abstractmethod
    async def get(self, entity: EntityKind, record_id: str) -> Record:
        """One record by id; raises NotFound when there is none."""

    @abc.abstractmethod
    async def compile(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
    ) -> VendorRequest:
        """Translate a pushable predicate into a vendor request.

        ``predicate`` contains only comparisons the capabilities declare (an AND of them for
        conjunctive vendors); ``order``/``limit`` are given only when the planner pushes them;
        ``fields`` is the projection the caller needs (None: all).
        """

    @abc.abstractmethod
    def fetch(self, entity: EntityKind, request: VendorRequest) -> AsyncIterator[list[Record]]:
        """Stream the records of a compiled request, one vendor page (or batch) at a time."""

    # --- writing -----------------------------------------------------------------------
    @abc.abstractmethod
    async def create(self, entity: EntityKind, record: Record) -> Record:
        """Create ``record`` (its id is ignored); return it as stored, with its new id."""

    @abc.abstractmethod
    async def update(self, entity: EntityKind, record: Record) -> Record:
        """Replace the stored record ``record.id`` with ``record`` (a full replace: a field
        left empty is cleared); return it as stored. A link list that is NOT_LOADED keeps the
        stored links."""

    async def create_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        """Create several records (vendor batches where the adapter has them)."""
        return [await self._guard(self.create(entity, r)) for r in records]

    async def update_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        """Update several records (vendor batches where the adapter has them)."""
        return [await self._guard(self.update(entity, r)) for r in records]

    async def patch(self, entity: EntityKind, record_id: str, changes: Mapping[str, Any]) -> Record:
        """Change only the fields ``changes`` names; return the record as stored.

        ``changes`` were checked by :func:`unicrm.model.check_patch` (known fields, values
        converted); ``custom`` and ``extra`` merge key by key (:func:`unicrm.model.apply_patch`).
        This default reads the record, merges and writes it whole with :meth:`update`: correct,
        but **not atomic** (a write by someone else between the read and the write is lost)
        and two requests. Vendors override it to send only the changes.
        """
        current = await self.get(entity, record_id)
        return await self.update(entity, apply_patch(current, changes))

    async def patch_many(
        self, entity: EntityKind, items: Sequence[tuple[str, Mapping[str, Any]]]
    ) -> list[WriteResult]:
        """Patch several records (``(id, changes)`` pairs, in order; per-item errors are
        returned). The default patches one by one; vendors override it with batches."""
        return [await self._guard(self.patch(entity, i, c)) for i, c in items]

    async def delete(self, entity: EntityKind, record_id: str) -> None:
        """Delete one record. Vendors without deletion raise UnsupportedOperation."""
        raise UnsupportedOperation(f"{self.name} cannot delete {entity.plural}", vendor=self.name)

    @staticmethod
    async def _guard(call: Any) -> WriteResult:
        try:
            result: Record = await call
        except UnicrmError as exc:
            return exc
        return result

    # --- reference data ---------------------------------------------------------------
    @abc.abstractmethod
    async def pipelines(self, entity: EntityKind = EntityKind.LEAD) -> list[Pipeline]:
        """The pipelines of ``entity`` (a lead or a deal) with their ordered stages, each with
        its semantic. The core asks only for entities in :data:`unicrm.model.STAGED` that the
        capabilities list; an adapter that has no pipelines for one raises
        UnsupportedOperation naming vendor and entity."""

    @abc.abstractmethod
    async def custom_fields(self, entity: EntityKind) -> list[CustomFieldDef]:
        """Custom field definitions of ``entity``."""

    async def create_custom_field(
        self, entity: EntityKind, definition: CustomFieldDef
    ) -> CustomFieldDef:
        """Create a custom field; returns it with its vendor key."""
        raise UnsupportedOperation(f"{self.name} cannot create custom fields", vendor=self.name)

    async def create_custom_fields(
        self, entity: EntityKind, definitions: Sequence[CustomFieldDef]
    ) -> list[CustomFieldDef]:
        """Create several custom fields, in order; returns them with their vendor keys.

        The default creates them one by one; adapters whose vendor takes several in one
        request override it (a migration creates a dozen at once under a 7 requests/s limit).
        """
        return [await self.create_custom_field(entity, d) for d in definitions]

    # --- change log (optional; see unicrm.adapter.changelog) ----------------------------
    async def change_log_head(self, entities: Sequence[EntityKind]) -> str:
        """The log position of "now" for ``entities`` (those in ``capabilities.change_log``)."""
        raise UnsupportedOperation(f"{self.name} keeps no change log", vendor=self.name)

    def change_log(
        self, entities: Sequence[EntityKind], since: str
    ) -> AsyncIterator[list[ChangeLogEntry]]:
        """Log entries of ``entities`` logged after position ``since``, oldest first, one
        vendor page at a time (see :mod:`unicrm.adapter.changelog` for the contract)."""
        raise UnsupportedOperation(f"{self.name} keeps no change log", vendor=self.name)

    # --- escape hatch and lifecycle ---------------------------------------------------
    async def raw(self, method: str, params: Any = None) -> Any:
        """Call a vendor method the model does not cover; returns the parsed answer."""
        raise UnsupportedOperation(f"{self.name} has no raw calls", vendor=self.name)

    async def aclose(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def describe(self) -> str:
        """Where this adapter points, secrets redacted (for reprs and plans)."""
        return self.name
