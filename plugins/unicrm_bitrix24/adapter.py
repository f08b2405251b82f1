"""The Bitrix24 adapter: the core's contract over the classic ``crm.lead.*``/``crm.contact.*``.

Reads are compiled by :mod:`unicrm_bitrix24.compiler`, streamed by the keyset reader
(:mod:`unicrm_bitrix24.reading`: 2,500 rows per request, parallel ID ranges) and mapped by
:mod:`unicrm_bitrix24.mapping` (one :class:`~unicrm_bitrix24.mapping.RowMapper` per portal
snapshot). A projection (``only(...)``) selects just the vendor keys it needs. Writes go 50
commands per ``batch`` (:mod:`unicrm_bitrix24.writing`) and are read back in batches, so
callers get records as stored. Portal metadata (lead stages, sources, user fields) is read in
one ``batch`` and cached.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
from collections.abc import AsyncIterator, Iterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from unicrm.adapter import Adapter, OrderKey, VendorRequest, WriteResult
from unicrm.errors import NotFound, UnicrmError, ValidationError
from unicrm.model import CustomFieldDef, CustomFieldType, EntityKind, Lead, Pipeline, Record
from unicrm.query import Node, conjuncts
from unicrm_bitrix24.capabilities import BATCH_COMMANDS, PAGE_SIZE, bitrix24_capabilities
from unicrm_bitrix24.client import BatchResult, Envelope, command
from unicrm_bitrix24.compiler import ListQuery, compile_list
from unicrm_bitrix24.mapping import (
    CUSTOM_FIELD,
    bindings,
    links_from_bindings,
    projected_select,
    row_mapper,
    to_wire,
)
from unicrm_bitrix24.reading import KeysetReader, Rider, list_rows
from unicrm_bitrix24.schema import (
    UF_PREFIX,
    UF_TYPE_OF,
    PortalSchema,
    parse_stages,
    parse_user_field,
)
from unicrm_bitrix24.wire import canonical_id
from unicrm_bitrix24.writing import Step, Unit, run_units

VENDOR = "bitrix24"
NAME: Mapping[EntityKind, str] = {EntityKind.LEAD: "lead", EntityKind.CONTACT: "contact"}
#: What list reads select: standard fields, user fields, and the multifields (no mask covers
#: those, notes §4.1), plus the lead's contact ids. ``UF_*`` leaves out *multiple* user fields
#: (``crm.lead.list``: "UF_*" - all custom fields, excluding multiple fields), so reads add
#: their names from the portal snapshot (:func:`list_select`).
SELECT: Mapping[EntityKind, tuple[str, ...]] = {
    EntityKind.LEAD: ("*", "UF_*", "PHONE", "EMAIL", "WEB", "IM", "LINK", "CONTACT_IDS"),
    EntityKind.CONTACT: ("*", "UF_*", "PHONE", "EMAIL", "WEB", "IM", "LINK"),
}
LINKS_KEY = "__links__"
#: The portal snapshot (lead stages, sources, user fields of both entities): one ``batch``.
SCHEMA_COMMANDS: Mapping[str, str] = {
    "stages": command("crm.status.list", {"filter": {"ENTITY_ID": "STATUS"}}),
    "sources": command("crm.status.list", {"filter": {"ENTITY_ID": "SOURCE"}}),
    "lead_uf": command("crm.lead.userfield.list", {"order": {"SORT": "ASC"}}),
    "contact_uf": command("crm.contact.userfield.list", {"order": {"SORT": "ASC"}}),
}


def list_select(entity: EntityKind, schema: PortalSchema) -> tuple[str, ...]:
    """The ``select`` of a full-record read: :data:`SELECT` and every multiple user field."""
    return (*SELECT[entity], *schema.multiple_field_names(entity))


class Client(Protocol):
    """What the adapter needs from :class:`~unicrm_bitrix24.client.Bitrix24Client`."""

    async def call(self, method: str, params: Mapping[str, Any] | None = None) -> Envelope: ...

    async def call_raw(self, method: str, params: Mapping[str, Any] | None = None) -> Any: ...

    async def batch(
        self, commands: Mapping[str, str], *, halt: bool = False, read_only: bool = False
    ) -> BatchResult: ...

    async def aclose(self) -> None: ...

    def describe(self) -> str: ...


@attrs.frozen
class AdapterSettings:
    """Tunables (connection options ``write_batch_size``, ``concurrency``)."""

    write_batch_size: int = BATCH_COMMANDS
    concurrency: int = 4
    #: "exact": every lead's contact list (one extra batch per 50 linked leads when rows lack
    #: ``CONTACT_IDS``); "primary": only the primary ``CONTACT_ID`` the list rows carry.
    contact_links: str = "exact"


@attrs.frozen
class Projected:
    """A list read that selects only the keys a projection (``only(...)``) needs."""

    query: ListQuery
    select: tuple[str, ...]


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Holds Python's cyclic garbage collector while one page of rows is mapped.

    Mapping 2,500 rows allocates some 30,000 containers that all stay alive until the page is
    handed over, so every collection the allocations trigger walks them (and promotes them,
    making the full collections that walk every live row more frequent): a third of the
    client's CPU on an export. Paused, the page costs one young collection afterwards. The
    mapping holds no ``await``, so the pause is bounded by one page's mapping time.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


def _missing(entity: EntityKind, record_id: Any) -> NotFound:
    return NotFound(f"no {entity} with id {record_id!r}", vendor=VENDOR)


class Bitrix24Adapter(Adapter):
    """An adapter over one Bitrix24 portal."""

    name = VENDOR

    def __init__(self, client: Client, settings: AdapterSettings = AdapterSettings()) -> None:
        self.client = client
        self.settings = settings
        self.capabilities = bitrix24_capabilities(settings.write_batch_size)
        self._schema: PortalSchema | None = None
        self._loading: asyncio.Task[PortalSchema] | None = None

    def describe(self) -> str:
        return self.client.describe()

    # --- portal metadata --------------------------------------------------------------
    async def schema(self, *, fresh: bool = False) -> PortalSchema:
        """The cached portal snapshot (read in one batch on first use).

        Calls that need it at the same time share one read (120 gathered ``get``s on a fresh
        connection send one snapshot batch, not one each); ``fresh`` always reads anew, after
        whatever the caller changed.
        """
        if self._schema is not None and not fresh:
            return self._schema
        loop = asyncio.get_running_loop()
        shared = self._loading
        if fresh or shared is None or shared.done() or shared.get_loop() is not loop:
            shared = self._loading = loop.create_task(self._read_schema())
        return await asyncio.shield(shared)

    async def _read_schema(self) -> PortalSchema:
        return self._adopt_schema(await self.client.batch(SCHEMA_COMMANDS, read_only=True))

    def _adopt_schema(self, answer: BatchResult) -> PortalSchema:
        """Cache the snapshot from the answers to :data:`SCHEMA_COMMANDS` (sent on their own
        or riding along with a read's first request)."""
        for error in answer.errors.values():
            raise error

        def rows(key: str) -> list[Any]:
            found = answer.results.get(key)
            return [r for r in found if isinstance(r, Mapping)] if isinstance(found, list) else []

        self._schema = PortalSchema(
            stages=parse_stages(rows("stages")),
            sources=tuple(str(r.get("STATUS_ID")) for r in rows("sources")),
            fields={
                EntityKind.LEAD: tuple(parse_user_field(r) for r in rows("lead_uf")),
                EntityKind.CONTACT: tuple(parse_user_field(r) for r in rows("contact_uf")),
            },
        )
        return self._schema

    # --- reading -----------------------------------------------------------------------
    async def _with_links(self, rows: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
        """Lead rows completed with their contact bindings where the row lacks the list."""
        need = [
            str(r.get("ID"))
            for r in rows
            if not isinstance(r.get("CONTACT_IDS"), list) and canonical_id(r.get("CONTACT_ID"))
        ]
        found: dict[str, Any] = {}
        for start in range(0, len(need), BATCH_COMMANDS):
            chunk = need[start : start + BATCH_COMMANDS]
            answer = await self.client.batch(
                {f"l{i}": command("crm.lead.contact.items.get", {"id": i}) for i in chunk},
                read_only=True,
            )
            for i in chunk:
                error = answer.errors.get(f"l{i}")
                if error is not None and not isinstance(error, NotFound):
                    raise error  # a lead deleted since its row was read simply has no links
                found[i] = answer.results.get(f"l{i}")
        return [
            {**r, LINKS_KEY: found[str(r.get("ID"))]} if str(r.get("ID")) in found else r
            for r in rows
        ]

    def _records(
        self, entity: EntityKind, rows: Sequence[Mapping[str, Any]], schema: PortalSchema
    ) -> list[Record]:
        mapper = row_mapper(entity, schema)
        records = []
        for row in rows:
            if LINKS_KEY not in row:
                records.append(mapper(row))
                continue
            links = row[LINKS_KEY]
            record = mapper({k: v for k, v in row.items() if k != LINKS_KEY})
            if isinstance(record, Lead) and links is not None:
                record = attrs.evolve(record, contacts=links_from_bindings(links))
            records.append(record)
        return records

    async def _rows_by_id(
        self, entity: EntityKind, ids: Sequence[str], schema: PortalSchema
    ) -> dict[str, Mapping[str, Any]]:
        """Current vendor rows by id (lists of 50 ids per command, links for leads)."""
        wanted = [i for i in dict.fromkeys(ids) if canonical_id(i)]
        method = f"crm.{NAME[entity]}.list"
        select = list(list_select(entity, schema))
        rows: dict[str, Mapping[str, Any]] = {}
        steps: dict[str, str] = {}
        for n, start in enumerate(range(0, len(wanted), PAGE_SIZE)):
            chunk = wanted[start : start + PAGE_SIZE]
            steps[f"p{n}"] = command(
                method, {"filter": {"@ID": chunk}, "select": select, "start": -1}
            )
        if entity is EntityKind.LEAD:
            steps.update(
                {f"l{i}": command("crm.lead.contact.items.get", {"id": i}) for i in wanted}
            )
        keys = list(steps)
        for start in range(0, len(keys), BATCH_COMMANDS):
            answer = await self.client.batch(
                {k: steps[k] for k in keys[start : start + BATCH_COMMANDS]}, read_only=True
            )
            for key, error in answer.errors.items():
                if key.startswith("p") or not isinstance(error, NotFound):
                    raise error  # only a missing lead's links may be missing
            for key, value in answer.results.items():
                if key.startswith("p"):
                    rows.update({str(r.get("ID")): dict(r) for r in list_rows(value)})
            if entity is EntityKind.LEAD:
                for key, value in answer.results.items():
                    if key.startswith("l") and "ID" in rows.get(key[1:], {}):
                        rows[key[1:]] = {**rows[key[1:]], LINKS_KEY: value or []}
        return {k: v for k, v in rows.items() if "ID" in v}

    async def get(self, entity: EntityKind, record_id: str) -> Record:
        if canonical_id(record_id) is None:
            raise _missing(entity, record_id)
        schema = await self.schema()
        rows = await self._rows_by_id(entity, [record_id], schema)
        if record_id not in rows:
            raise _missing(entity, record_id)
        return self._records(entity, [rows[record_id]], schema)[0]

    async def compile(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
    ) -> VendorRequest:
        # A read without conditions (projected, if at all, onto standard fields) does not consult
        # the snapshot, so a fresh connection's first such read fetches the snapshot along with
        # its first rows instead of in a request of its own.
        custom = fields is not None and any(f.startswith(CUSTOM_FIELD) for f in fields)
        needs_schema = self._schema is not None or custom or bool(conjuncts(predicate))
        schema = await self.schema() if needs_schema else PortalSchema()
        request = compile_list(entity, predicate, schema, order=order, limit=limit)
        select = projected_select(entity, fields, schema) if fields is not None else None
        if select is None:
            return request
        return attrs.evolve(
            request,
            params=request.params.set("select", list(select)),
            payload=Projected(request.payload, select),
        )

    async def fetch(
        self, entity: EntityKind, request: VendorRequest
    ) -> AsyncIterator[list[Record]]:
        projected = request.payload if isinstance(request.payload, Projected) else None
        query: ListQuery = projected.query if projected else request.payload
        if query.never:
            return
        schema = self._schema
        select = (
            projected.select
            if projected
            else (list_select(entity, schema) if schema is not None else SELECT[entity])
        )
        reader = KeysetReader(
            self.client,
            query.method,
            query.filter,
            select,
            concurrency=self.settings.concurrency,
            batchable=query.batchable,
            extra_commands=SCHEMA_COMMANDS if schema is None else None,
        )
        held: tuple[list[Mapping[str, Any]], Rider] | None = None
        async for page in reader.pages(query.limit):
            if schema is None:
                extra = reader.extra_results
                schema = self._adopt_schema(extra) if extra is not None else await self.schema()
                held = self._complete_later(entity, reader, page, schema, projected is None)
                if held is not None:
                    continue
            yield await self._page_records(entity, page, schema)
            if held is not None and held[1].answer.done():
                yield await self._page_records(entity, _completed(*held), schema)
                held = None
        if held is not None and schema is not None:
            await reader.flush_riders()
            yield await self._page_records(entity, _completed(*held), schema)

    def _complete_later(
        self,
        entity: EntityKind,
        reader: KeysetReader,
        page: list[Mapping[str, Any]],
        schema: PortalSchema,
        full: bool,
    ) -> tuple[list[Mapping[str, Any]], Rider] | None:
        """The first page of a read that brought the snapshot along could not name the
        multiple user fields the snapshot lists: the rest of the read selects them, and the
        first page's values come in a rider of a later batch (``None``: nothing to add)."""
        names = schema.multiple_field_names(entity) if full else ()
        if not names:
            return None
        reader.select = [*reader.select, *names]
        if not page:
            return None
        ids = [str(r.get("ID")) for r in page]
        params = {"filter": {"@ID": ids}, "select": ["ID", *names], "start": -1}
        return page, reader.add_rider(command(reader.method, params))

    async def _page_records(
        self, entity: EntityKind, page: Sequence[Mapping[str, Any]], schema: PortalSchema
    ) -> list[Record]:
        exact = entity is EntityKind.LEAD and self.settings.contact_links == "exact"
        rows = await self._with_links(page) if exact else page
        with collector_paused():
            return self._records(entity, rows, schema)

    # --- writing -----------------------------------------------------------------------
    def _unit(
        self,
        entity: EntityKind,
        index: int,
        record: Record,
        schema: PortalSchema,
        stored: Mapping[str, Any] | None,
    ) -> Unit:
        fields = to_wire(entity, record, schema, stored=stored)
        name = NAME[entity]
        steps: list[Step] = []
        if stored is None:
            steps.append(
                Step(
                    f"w{index}",
                    f"crm.{name}.add",
                    {"fields": fields, "params": {"REGISTER_SONET_EVENT": "N"}},
                )
            )
        else:
            steps.append(
                Step(f"w{index}", f"crm.{name}.update", {"id": record.id, "fields": fields})
            )
        if isinstance(record, Lead) and (record.contacts or stored is not None):
            target = {"id": record.id} if stored is not None else {}
            source = f"w{index}" if stored is None else None
            if record.contacts:
                steps.append(
                    Step(
                        f"l{index}",
                        "crm.lead.contact.items.set",
                        {**target, "items": bindings(record)},
                        id_from=source,
                    )
                )
            else:
                steps.append(Step(f"l{index}", "crm.lead.contact.items.delete", target))
        return Unit(index, tuple(steps))

    async def _write(
        self, entity: EntityKind, records: Sequence[Record], *, update: bool
    ) -> list[WriteResult]:
        schema = await self.schema()
        results: dict[int, WriteResult] = {}
        stored: dict[str, Mapping[str, Any]] = {}
        if update:
            stored = await self._rows_by_id(entity, [r.id or "" for r in records], schema)
        units: list[Unit] = []
        for index, record in enumerate(records):
            current = stored.get(record.id or "") if update else None
            if update and current is None:
                results[index] = _missing(entity, record.id)
                continue
            try:
                units.append(self._unit(entity, index, record, schema, current))
            except UnicrmError as exc:
                results[index] = exc
        outcome = await run_units(self.client, units, self.settings.write_batch_size)
        ids: dict[int, str] = {}
        for index, value in outcome.items():
            if isinstance(value, UnicrmError):
                results[index] = value
            else:
                ids[index] = str(records[index].id) if update else str(value.get(f"w{index}"))
        back = await self._rows_by_id(entity, list(ids.values()), schema)
        mapped = dict(zip(back, self._records(entity, list(back.values()), schema), strict=True))
        for index, record_id in ids.items():
            results[index] = mapped.get(record_id) or _missing(entity, record_id)
        return [results[i] for i in range(len(records))]

    async def create(self, entity: EntityKind, record: Record) -> Record:
        return _raise_or_record((await self._write(entity, [record], update=False))[0])

    async def update(self, entity: EntityKind, record: Record) -> Record:
        if canonical_id(record.id or "") is None:
            raise _missing(entity, record.id)
        return _raise_or_record((await self._write(entity, [record], update=True))[0])

    async def create_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        return await self._write(entity, records, update=False)

    async def update_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        return await self._write(entity, records, update=True)

    async def delete(self, entity: EntityKind, record_id: str) -> None:
        if canonical_id(record_id) is None:
            raise _missing(entity, record_id)
        try:
            await self.client.call(f"crm.{NAME[entity]}.delete", {"id": record_id})
        except NotFound:
            raise _missing(entity, record_id) from None

    # --- reference data ---------------------------------------------------------------
    async def pipelines(self, entity: EntityKind = EntityKind.LEAD) -> list[Pipeline]:
        return [(await self.schema()).pipeline]

    async def custom_fields(self, entity: EntityKind) -> list[CustomFieldDef]:
        found = (f.definition() for f in (await self.schema()).fields_of(entity))
        return [d for d in found if d is not None]

    async def create_custom_field(
        self, entity: EntityKind, definition: CustomFieldDef
    ) -> CustomFieldDef:
        schema = await self.schema(fresh=True)
        if schema.field_by_key(entity, definition.key.upper()) is not None:
            raise ValidationError(
                f"a {entity} user field {definition.key!r} exists already", vendor=VENDOR
            )
        multiple = definition.type is CustomFieldType.MULTISELECT or definition.multiple
        fields: dict[str, Any] = {
            "FIELD_NAME": definition.key.upper(),
            "USER_TYPE_ID": UF_TYPE_OF[definition.type],
            "MULTIPLE": "Y" if multiple else "N",
            "EDIT_FORM_LABEL": definition.label,
            "LIST_COLUMN_LABEL": definition.label,
        }
        if definition.options:
            fields["LIST"] = [{"VALUE": o.label} for o in definition.options]
        await self.client.call(f"crm.{NAME[entity]}.userfield.add", {"fields": fields})
        schema = await self.schema(fresh=True)
        field = schema.field_by_name(entity, UF_PREFIX + definition.key.upper())
        created = field.definition() if field is not None else None
        if created is None:
            raise ValidationError(
                f"bitrix24 did not keep the user field {definition.key!r}", vendor=VENDOR
            )
        return created

    async def raw(self, method: str, params: Any = None) -> Any:
        """``raw("crm.lead.fields")``: the vendor's whole answer (``result``, ``time``...)."""
        if not isinstance(method, str) or not method.replace(".", "").replace("_", "").isalnum():
            raise ValidationError(
                "raw calls name a method such as 'crm.lead.fields'", vendor=VENDOR
            )
        return await self.client.call_raw(method, params or {})

    async def aclose(self) -> None:
        await self.client.aclose()


def _completed(page: list[Mapping[str, Any]], rider: Rider) -> list[Mapping[str, Any]]:
    """``page`` with the values its rider read (rows the rider did not find stay as read)."""
    found = list_rows(rider.answer.result())
    by_id = {str(r.get("ID")): r for r in found}
    return [{**row, **by_id.get(str(row.get("ID")), {})} for row in page]


def _raise_or_record(result: WriteResult) -> Record:
    if isinstance(result, UnicrmError):
        raise result
    return result


__all__ = ["AdapterSettings", "Bitrix24Adapter"]
