"""The ``memory://`` adapter: complete, exact, in-process; the reference every other adapter
is compared with, and the store the compliance suite runs on at every pushdown level."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qs, urlsplit

import attrs

from unicrm.adapter import Adapter, Capabilities, OrderKey, VendorRequest
from unicrm.errors import ConfigurationError, NotFound, UnsupportedOperation, ValidationError
from unicrm.model import (
    LINK_LISTS,
    NOT_LOADED,
    CustomFieldDef,
    EntityKind,
    Pipeline,
    Record,
    apply_patch,
)
from unicrm.query import ALL, Node, evaluate, lookup
from unicrm_memory.capabilities import LEVELS, memory_capabilities
from unicrm_memory.links import check_targets, forget_links, mirror
from unicrm_memory.store import MemoryStore, evolved, store_for

VENDOR = "memory"
#: Keyword options ``connect("memory://", ...)`` takes (the first three also as URL query).
OPTIONS = ("pushdown", "page_size", "links", "store")


def _order_key(order: Sequence[OrderKey]) -> Any:
    specs = [(lookup(k.field), k.descending) for k in order]

    def compare(a: Record, b: Record) -> int:
        for spec, descending in specs:
            if spec is None:
                continue
            x, y = spec.read(a), spec.read(b)
            if x == y:
                continue
            if x is None or y is None:
                return 1 if x is None else -1
            result = -1 if x < y else 1
            return -result if descending else result
        return 0

    return functools.cmp_to_key(compare)


def _numeric_id(record: Record) -> int:
    return int(record.id or 0)


class MemoryAdapter(Adapter):
    """An adapter over a :class:`MemoryStore`."""

    name = VENDOR

    def __init__(self, store: MemoryStore, capabilities: Capabilities, label: str) -> None:
        self.store = store
        self.capabilities = capabilities
        self._label = label

    @classmethod
    def from_url(cls, url: str, options: Mapping[str, Any]) -> MemoryAdapter:
        """Build from ``memory://[NAME][?pushdown=none|basic|full&page_size=N&links=eager|lazy]``.

        ``links=lazy`` reads link lists only when a query asks (as a vendor that charges a
        request per record's links does), returning ``NOT_LOADED`` otherwise.
        """
        unknown = sorted(set(options) - set(OPTIONS))
        if unknown:
            raise ConfigurationError(
                f"unknown memory:// options: {', '.join(unknown)} (known: {', '.join(OPTIONS)})"
            )
        parts = urlsplit(url)
        query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
        level = str(options.get("pushdown", query.pop("pushdown", "full")))
        if level not in LEVELS:
            raise ConfigurationError(
                f"memory:// pushdown must be one of {', '.join(LEVELS)}, got {level!r}"
            )
        try:
            page_size = int(options.get("page_size", query.pop("page_size", 100)))
        except ValueError:
            raise ConfigurationError("memory:// page_size must be an integer") from None
        if page_size < 1:
            raise ConfigurationError("memory:// page_size must be at least 1")
        links = str(options.get("links", query.pop("links", "eager")))
        if links not in ("eager", "lazy"):
            raise ConfigurationError(f"memory:// links must be eager or lazy, got {links!r}")
        if query:
            raise ConfigurationError(f"unknown memory:// options: {', '.join(sorted(query))}")
        name = (parts.netloc + parts.path).strip("/")
        store = options.get("store") or store_for(name)
        label = f"memory://{name}?pushdown={level}" + ("&links=lazy" if links == "lazy" else "")
        return cls(store, memory_capabilities(level, page_size, lazy_links=links == "lazy"), label)

    def describe(self) -> str:
        return self._label

    # --- reading -----------------------------------------------------------------------
    def _table(self, entity: EntityKind) -> dict[str, Record]:
        return self.store.records[entity]

    async def get(self, entity: EntityKind, record_id: str) -> Record:
        with self.store.lock:
            found = self._table(entity).get(str(record_id))
        if found is None:
            raise NotFound(f"no {entity} with id {record_id!r}", vendor=VENDOR)
        return found

    async def compile(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
        links: frozenset[str] = frozenset(),
    ) -> VendorRequest:
        params: dict[str, Any] = {"where": str(predicate)}
        skipped = self.capabilities.links_on_request(entity) - links
        if links:
            params["links"] = sorted(links)
        if order:
            params["order"] = [str(k) for k in order]
        if limit is not None:
            params["limit"] = limit
        with self.store.lock:
            total = sum(1 for r in self._table(entity).values() if evaluate(predicate, r))
        pages = max(
            1, -(-min(total, limit if limit is not None else total) // self.capabilities.page_size)
        )
        return VendorRequest(
            endpoint=f"memory.{entity}.scan" if predicate == ALL else f"memory.{entity}.filter",
            params=params,
            payload=(predicate, tuple(order), limit, skipped),
            estimated_requests=pages,
        )

    async def fetch(
        self, entity: EntityKind, request: VendorRequest
    ) -> AsyncIterator[list[Record]]:
        predicate, order, limit, skipped = request.payload
        with self.store.lock:
            rows = [r for r in self._table(entity).values() if evaluate(predicate, r)]
        rows.sort(key=_order_key(order) if order else _numeric_id)
        if limit is not None:
            rows = rows[:limit]
        if skipped:
            rows = [evolved(r, **dict.fromkeys(skipped, NOT_LOADED)) for r in rows]
        size = self.capabilities.page_size
        for start in range(0, len(rows), size):
            yield rows[start : start + size]

    # --- writing -----------------------------------------------------------------------
    def _validate(self, record: Record) -> None:
        check_targets(self.store.records, record)
        stage = getattr(record, "stage", None)
        if stage is not None:
            pipelines = self.store.pipelines.get(record.kind, [])
            pipeline = next((p for p in pipelines if p.id == stage.pipeline_id), None)
            found = pipeline.stage(stage.stage_id) if pipeline else None
            if found is None or found.semantic is not stage.semantic:
                raise ValidationError(
                    f"unknown {record.kind} stage {stage.pipeline_id}/{stage.stage_id} "
                    f"with semantic {stage.semantic}",
                    vendor=VENDOR,
                    details=(("stage", "no such stage"),),
                )

    def _store(self, record: Record, current: Record | None) -> Record:
        """Validate and keep ``record`` (replacing ``current``), mirroring its links. A link
        list that is NOT_LOADED keeps the stored links (none on create)."""
        unread = [f for f in LINK_LISTS[record.kind] if getattr(record, f) is NOT_LOADED]
        if unread:
            kept = {f: getattr(current, f) if current is not None else () for f in unread}
            record = evolved(record, **kept)
        self._validate(record)
        if current is None:
            stored = self.store.stored(record, self.store.new_id(), None)
        else:
            stored = self.store.stored(record, current.id or "", current.created_at)
        self._table(record.kind)[stored.id or ""] = stored
        mirror(self.store.records, current, stored)
        return stored

    async def create(self, entity: EntityKind, record: Record) -> Record:
        with self.store.lock:
            return self._store(record, None)

    async def update(self, entity: EntityKind, record: Record) -> Record:
        with self.store.lock:
            current = self._table(entity).get(record.id or "")
            if current is None:
                raise NotFound(f"no {entity} with id {record.id!r}", vendor=VENDOR)
            return self._store(record, current)

    async def patch(self, entity: EntityKind, record_id: str, changes: Mapping[str, Any]) -> Record:
        """Native and atomic: the merge and the write happen under the store's lock."""
        with self.store.lock:
            current = self._table(entity).get(str(record_id))
            if current is None:
                raise NotFound(f"no {entity} with id {record_id!r}", vendor=VENDOR)
            return self._store(apply_patch(current, changes), current)

    async def delete(self, entity: EntityKind, record_id: str) -> None:
        with self.store.lock:
            if self._table(entity).pop(str(record_id), None) is None:
                raise NotFound(f"no {entity} with id {record_id!r}", vendor=VENDOR)
            forget_links(self.store.records, entity, str(record_id))

    # --- reference data ---------------------------------------------------------------
    async def pipelines(self, entity: EntityKind = EntityKind.LEAD) -> list[Pipeline]:
        found = self.store.pipelines.get(entity)
        if found is None:
            raise UnsupportedOperation(f"memory has no {entity} pipelines", vendor=VENDOR)
        return list(found)

    async def custom_fields(self, entity: EntityKind) -> list[CustomFieldDef]:
        with self.store.lock:
            return list(self.store.custom_fields[entity].values())

    async def create_custom_field(
        self, entity: EntityKind, definition: CustomFieldDef
    ) -> CustomFieldDef:
        with self.store.lock:
            fields = self.store.custom_fields[entity]
            if definition.key in fields:
                raise ValidationError(
                    f"a {entity} custom field {definition.key!r} exists already", vendor=VENDOR
                )
            stored = attrs.evolve(definition, vendor_id=definition.key)
            fields[definition.key] = stored
            return stored

    async def raw(self, method: str, params: Any = None) -> Any:
        """``raw("count", {"entity": "lead"})`` is the only raw call the memory store has."""
        if method == "count":
            entity = EntityKind((params or {}).get("entity", "lead"))
            return len(self._table(entity))
        raise NotFound(f"memory has no raw method {method!r}", vendor=VENDOR)
