"""The amoCRM/Kommo adapter: the core's contract over API v4.

Reads are compiled by :mod:`unicrm_amocrm.compiler`, paged concurrently by
:mod:`unicrm_amocrm.reading` and mapped by :mod:`unicrm_amocrm.mapping`. Writes go in vendor
batches (``write_batch_size``, 50 by default). ``create``/``update`` read the record back, so
callers get it as stored; ``create_many``/``update_many`` do not (that read would halve the
write rate under the 7 requests/s limit): they return each record as sent with its new id.
Lead-contact links travel inside the create request and are
diffed into mass ``link``/``unlink`` calls on update. Account metadata (currency, pipelines,
custom fields) is read once and cached (:class:`~unicrm_amocrm.schema.AccountSchema`);
pipelines are re-read when older than ``schema_ttl`` seconds, field definitions when a query or
a record names a field the cache does not know.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, Protocol

import attrs

from unicrm.adapter import Adapter, OrderKey, VendorRequest, WriteResult
from unicrm.errors import InvalidResponse, NotFound, UnicrmError, ValidationError
from unicrm.model import Contact, CustomFieldDef, EntityKind, Lead, Pipeline, Record
from unicrm.query import Node, fields_of
from unicrm_amocrm.capabilities import MAX_PAGE_SIZE, amocrm_capabilities
from unicrm_amocrm.compiler import ListQuery, compile_list
from unicrm_amocrm.custom_values import definition_of, new_field_payload
from unicrm_amocrm.linking import link_changes
from unicrm_amocrm.mapping import make_converter
from unicrm_amocrm.reading import pages, parse_page
from unicrm_amocrm.records import CODED_FIELDS, contact_to_wire, lead_to_wire
from unicrm_amocrm.schema import (
    EMAIL_CODE,
    ENTITY_PATH,
    ORIGIN_CODE,
    PHONE_CODE,
    AccountSchema,
    AmoField,
    parse_field,
    parse_pipeline,
)
from unicrm_amocrm.shapes import body_or_none, embedded, invalid, mapping, parse_each, parsed

VENDOR = "amocrm"
RECORD_TYPE = {EntityKind.LEAD: Lead, EntityKind.CONTACT: Contact}
TO_WIRE = {EntityKind.LEAD: lead_to_wire, EntityKind.CONTACT: contact_to_wire}


class Client(Protocol):
    """What the adapter needs from :class:`~unicrm_amocrm.client.AmoClient`."""

    async def call(
        self, method: str, path: str, *, params: Any = None, json: Any = None
    ) -> Any: ...

    async def aclose(self) -> None: ...

    def describe(self) -> str: ...


@attrs.frozen
class AdapterSettings:
    """Tunables (connection options ``write_batch_size``, ``concurrency``, ``schema_ttl``)."""

    write_batch_size: int = 50
    concurrency: int = 7
    schema_ttl: float = 60.0
    #: Field definitions are re-read for an unknown key at most this often (seconds).
    fields_recheck: float = 5.0


class AmoCRMAdapter(Adapter):
    """An adapter over one amoCRM/Kommo account."""

    name = VENDOR

    def __init__(self, client: Client, settings: AdapterSettings = AdapterSettings()) -> None:
        self.client = client
        self.settings = settings
        self.capabilities = amocrm_capabilities(settings.write_batch_size)
        self._schema: AccountSchema | None = None
        self._pipelines_read = 0.0
        self._fields_read = 0.0
        self._origin_lock = asyncio.Lock()

    def describe(self) -> str:
        return self.client.describe()

    # --- account metadata -------------------------------------------------------------
    async def _list_all(self, path: str, key: str) -> list[Mapping[str, Any]]:
        """Every item of a metadata list, following ``_links.next`` until it is gone or a 204
        comes (a page may hold fewer than ``limit``: custom fields come 50 at a time)."""
        items: list[Mapping[str, Any]] = []
        number = 1
        while True:
            body = await self.client.call(
                "GET", path, params=[("page", str(number)), ("limit", str(MAX_PAGE_SIZE))]
            )
            page = parse_page(number, body, key)
            items.extend(page.items)
            if not page.has_next:
                return items
            number += 1

    async def _read_fields(self, entity: EntityKind) -> list[AmoField]:
        path = f"/api/v4/{ENTITY_PATH[entity]}/custom_fields"
        raw = await self._list_all(path, "custom_fields")
        return parse_each(raw, parse_field, f"{entity} custom field definition")

    async def _read_pipelines(self) -> tuple[Pipeline, ...]:
        raw = await self._list_all("/api/v4/leads/pipelines", "pipelines")
        self._pipelines_read = time.monotonic()
        return tuple(parse_each(raw, parse_pipeline, "pipeline"))

    async def schema(
        self, *, fresh_fields: bool = False, entity: EntityKind | None = None
    ) -> AccountSchema:
        """The cached account snapshot (read on first use)."""
        if self._schema is None:
            account = mapping(await self.client.call("GET", "/api/v4/account") or {}, "account")
            currency = account.get("currency") or "RUB"
            if not isinstance(currency, str):
                raise invalid("account.currency", currency)
            self._schema = AccountSchema(
                currency=currency,
                pipelines=await self._read_pipelines(),
                fields={e: tuple(await self._read_fields(e)) for e in ENTITY_PATH},
            )
            return self._schema
        if fresh_fields:
            for kind in ENTITY_PATH if entity is None else (entity,):
                self._schema = self._schema.with_fields(kind, await self._read_fields(kind))
            self._fields_read = time.monotonic()
        if time.monotonic() - self._pipelines_read > self.settings.schema_ttl:
            self._schema = attrs.evolve(self._schema, pipelines=await self._read_pipelines())
        return self._schema

    async def _schema_knowing(self, entity: EntityKind, keys: set[str]) -> AccountSchema:
        """The schema, re-read once if it lacks one of the custom ``keys`` (or origin)."""
        schema = await self.schema()
        recently = time.monotonic() - self._fields_read < self.settings.fields_recheck
        if not recently and any(self._missing(schema, entity, k) for k in keys):
            schema = await self.schema(fresh_fields=True, entity=entity)
        return schema

    @staticmethod
    def _missing(schema: AccountSchema, entity: EntityKind, key: str) -> bool:
        if key == "origin":
            return schema.field_by_code(entity, ORIGIN_CODE) is None
        return schema.field_by_key(entity, key) is None

    async def _ensure_origin_field(self, entity: EntityKind) -> AccountSchema:
        """The schema with the origin field of ``entity``, created once (single-flight)."""
        schema = await self.schema()
        if schema.field_by_code(entity, ORIGIN_CODE) is not None:
            return schema
        async with self._origin_lock:
            schema = await self.schema(fresh_fields=True, entity=entity)
            if schema.field_by_code(entity, ORIGIN_CODE) is not None:
                return schema
            await self.client.call(
                "POST",
                f"/api/v4/{ENTITY_PATH[entity]}/custom_fields",
                json=[{"name": "unicrm origin", "type": "text", "code": ORIGIN_CODE}],
            )
            schema = await self.schema(fresh_fields=True, entity=entity)
        return schema

    # --- reading -----------------------------------------------------------------------
    def _records(
        self, entity: EntityKind, items: Sequence[Any], schema: AccountSchema
    ) -> list[Any]:
        """Vendor items as records; an item the mapping cannot read is an InvalidResponse."""
        converter = make_converter(schema)
        return parse_each(
            list(items), lambda item: converter.structure(item, RECORD_TYPE[entity]), str(entity)
        )

    async def get(self, entity: EntityKind, record_id: str) -> Record:
        path = f"/api/v4/{ENTITY_PATH[entity]}"
        missing = NotFound(f"no {entity} with id {record_id!r}", vendor=VENDOR)
        if not (record_id.isascii() and record_id.isdigit()):
            raise missing
        params = [("with", "contacts")] if entity is EntityKind.LEAD else None
        try:
            body = await self.client.call("GET", f"{path}/{record_id}", params=params)
        except NotFound:
            raise missing from None
        if body is None:
            raise missing  # amoCRM answers 204 for a missing id (notes §4.3)
        item = mapping(body, f"the {entity}")
        record: Record = self._records(entity, [item], await self.schema())[0]
        return record

    async def compile(
        self,
        entity: EntityKind,
        predicate: Node,
        *,
        order: Sequence[OrderKey] = (),
        limit: int | None = None,
        fields: frozenset[str] | None = None,
    ) -> VendorRequest:
        keys = {f.split(".", 1)[1] for f in fields_of(predicate) if f.startswith("custom.")}
        if "origin" in fields_of(predicate):
            keys.add("origin")
        schema = await self._schema_knowing(entity, keys)
        return compile_list(
            entity, predicate, schema, order=order, limit=limit, page_size=MAX_PAGE_SIZE
        )

    async def fetch(
        self, entity: EntityKind, request: VendorRequest
    ) -> AsyncIterator[list[Record]]:
        query: ListQuery = request.payload
        if query.never:
            return
        schema = await self.schema()

        async def get_page(number: int, size: int) -> Any:
            params = [*query.params, ("page", str(number)), ("limit", str(size))]
            return await self.client.call("GET", query.path, params=params)

        async for page in pages(
            get_page,
            ENTITY_PATH[entity],
            page_size=MAX_PAGE_SIZE,
            limit=query.limit,
            concurrency=self.settings.concurrency,
        ):
            yield self._records(entity, page.items, schema)

    async def _read_ids(self, entity: EntityKind, ids: Sequence[str]) -> dict[str, Record]:
        """Records by id, read back in list requests of up to 250 ids."""
        found: dict[str, Record] = {}
        schema = await self.schema()
        path = f"/api/v4/{ENTITY_PATH[entity]}"
        for start in range(0, len(ids), MAX_PAGE_SIZE):
            chunk = ids[start : start + MAX_PAGE_SIZE]
            params = [("filter[id][]", i) for i in chunk] + [("limit", str(MAX_PAGE_SIZE))]
            if entity is EntityKind.LEAD:
                params.append(("with", "contacts"))
            body = body_or_none(await self.client.call("GET", path, params=params), "a list page")
            items = embedded(body, ENTITY_PATH[entity])
            for record in self._records(entity, items, schema):
                found[record.id or ""] = record
        return found

    # --- writing -----------------------------------------------------------------------
    async def _write_schema(self, entity: EntityKind, records: Sequence[Record]) -> AccountSchema:
        if any(r.origin for r in records):
            return await self._ensure_origin_field(entity)
        keys = {k for r in records for k in r.custom}
        return await self._schema_knowing(entity, keys)

    async def _batches(
        self, entity: EntityKind, records: Sequence[Record], *, update: bool, read_back: bool
    ) -> list[WriteResult]:
        results: list[WriteResult] = []
        size = self.settings.write_batch_size
        for start in range(0, len(records), size):
            batch = records[start : start + size]
            results.extend(await self._write_batch(entity, batch, update, read_back))
        return results

    async def _write_batch(
        self, entity: EntityKind, batch: Sequence[Record], update: bool, read_back: bool
    ) -> list[WriteResult]:
        schema = await self._write_schema(entity, batch)
        wires: list[Any] = []
        errors: dict[int, UnicrmError] = {}
        for index, record in enumerate(batch):
            try:
                wire = TO_WIRE[entity](record, schema, update=update)  # type: ignore[operator]
            except UnicrmError as exc:
                errors[index] = exc
                continue
            wires.append({**wire, "request_id": str(index)})
        if not wires:
            return [errors[i] for i in range(len(batch))]
        ids = await self._send_batch(entity, wires, update, errors, schema)
        if update:
            await self._relink(entity, [batch[i] for i in ids])
        if read_back:
            stored = await self._read_ids(entity, list(ids.values()))
        else:
            stored = {
                new_id: attrs.evolve(batch[i], id=new_id, vendor=VENDOR)
                for i, new_id in ids.items()
            }
        results: list[WriteResult] = []
        for index in range(len(batch)):
            if index in errors:
                results.append(errors[index])
            else:
                found = stored.get(ids.get(index, ""))
                results.append(found or NotFound(f"no {entity} {batch[index].id}", vendor=VENDOR))
        return results

    async def _send_batch(
        self,
        entity: EntityKind,
        wires: list[Any],
        update: bool,
        errors: dict[int, UnicrmError],
        schema: AccountSchema | None = None,
    ) -> dict[int, str]:
        """Send one batch. amoCRM rejects a whole request for one bad item but names the
        items (``request_id``): those get their own error and the rest is sent again, so a
        bad item costs one extra request, not one request per item."""
        method = "PATCH" if update else "POST"
        path = f"/api/v4/{ENTITY_PATH[entity]}"
        try:
            body = await self.client.call(method, path, json=wires)
        except ValidationError as exc:
            blamed = _blame(entity, wires, exc, schema)
            if blamed:
                errors.update(blamed)
                rest = [w for w in wires if int(w["request_id"]) not in blamed]
                return await self._send_batch(entity, rest, update, errors, schema) if rest else {}
            if len(wires) == 1:
                raise
            ids: dict[int, str] = {}
            for wire in wires:  # the vendor named no item: find it by sending one at a time
                try:
                    ids.update(await self._send_batch(entity, [wire], update, errors, schema))
                except UnicrmError as single:
                    errors[int(wire["request_id"])] = single
            return ids
        items = embedded(body_or_none(body, f"the {method} answer"), ENTITY_PATH[entity])
        by_request = _answered_ids(wires, items, method)
        for wire in wires:
            if wire["request_id"] not in by_request:
                errors[int(wire["request_id"])] = InvalidResponse(
                    f"amocrm's answer to the {method} names no id for this {entity}",
                    vendor=VENDOR,
                )
        return {
            int(w["request_id"]): by_request[w["request_id"]]
            for w in wires
            if w["request_id"] in by_request
        }

    async def _relink(self, entity: EntityKind, records: Sequence[Record]) -> None:
        """Make links (lead contacts, companies) match ``records`` with two mass calls."""
        stored = await self._read_ids(entity, [r.id or "" for r in records])
        link, unlink = link_changes(records, stored)
        path = f"/api/v4/{ENTITY_PATH[entity]}"
        if unlink:
            await self.client.call("POST", f"{path}/unlink", json=unlink)
        if link:
            await self.client.call("POST", f"{path}/link", json=link)

    async def create(self, entity: EntityKind, record: Record) -> Record:
        written = await self._batches(entity, [record], update=False, read_back=True)
        return _raise_or_record(written[0])

    async def update(self, entity: EntityKind, record: Record) -> Record:
        if not (record.id or "").isdigit():
            raise NotFound(f"no {entity} with id {record.id!r}", vendor=VENDOR)
        await self.get(entity, record.id or "")
        written = await self._batches(entity, [record], update=True, read_back=True)
        return _raise_or_record(written[0])

    async def create_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        return await self._batches(entity, records, update=False, read_back=False)

    async def update_many(self, entity: EntityKind, records: Sequence[Record]) -> list[WriteResult]:
        return await self._batches(entity, records, update=True, read_back=False)

    # --- reference data ---------------------------------------------------------------
    async def pipelines(self, entity: EntityKind = EntityKind.LEAD) -> list[Pipeline]:
        return list((await self.schema()).pipelines)

    async def custom_fields(self, entity: EntityKind) -> list[CustomFieldDef]:
        schema = await self.schema()
        found = (definition_of(f) for f in schema.fields_of(entity))
        return [d for d in found if d is not None]

    async def create_custom_field(
        self, entity: EntityKind, definition: CustomFieldDef
    ) -> CustomFieldDef:
        return (await self.create_custom_fields(entity, [definition]))[0]

    async def create_custom_fields(
        self, entity: EntityKind, definitions: Sequence[CustomFieldDef]
    ) -> list[CustomFieldDef]:
        """One POST for all of them (amoCRM takes an array), between two reads of the
        field list: the first refuses keys that exist, the second finds the new ids."""
        if not definitions:
            return []
        schema = await self.schema(fresh_fields=True, entity=entity)
        keys = [d.key for d in definitions]
        taken = [k for k in keys if k and schema.field_by_key(entity, k) is not None]
        repeated = sorted({k for k in keys if k and keys.count(k) > 1})
        if taken or repeated:
            what = ", ".join(repr(k) for k in taken or repeated)
            raise ValidationError(
                f"{entity} custom field keys {'exist already' if taken else 'repeat'}: {what}",
                vendor=VENDOR,
            )
        await self.client.call(
            "POST",
            f"/api/v4/{ENTITY_PATH[entity]}/custom_fields",
            json=[new_field_payload(d) for d in definitions],
        )
        schema = await self.schema(fresh_fields=True, entity=entity)
        created: list[CustomFieldDef] = []
        for definition in definitions:
            field = schema.field_by_key(entity, definition.key)
            found = definition_of(field) if field is not None else None
            if found is None:
                raise ValidationError(
                    f"amocrm did not keep the code {definition.key!r} of the new field",
                    vendor=VENDOR,
                )
            created.append(found)
        return created

    async def raw(self, method: str, params: Any = None) -> Any:
        """``raw("GET /api/v4/account")``; ``params`` is the query (GET) or JSON body."""
        verb, _, path = method.partition(" ")
        if verb.upper() not in ("GET", "POST", "PATCH") or not path.startswith("/api/v4/"):
            raise ValidationError(
                "raw calls look like 'GET /api/v4/...' (GET, POST or PATCH)", vendor=VENDOR
            )
        if verb.upper() == "GET":
            return await self.client.call("GET", path, params=params)
        return await self.client.call(verb.upper(), path, json=params)

    async def aclose(self) -> None:
        await self.client.aclose()


#: Top-level wire keys -> the model field a rejection of that key is about.
_BLAMED_FIELDS: dict[str, str] = {
    "responsible_user_id": "responsible_id",
    "price": "amount",
    "status_id": "stage",
    "pipeline_id": "stage",
    "source_id": "source",
    "first_name": "first_name",
    "last_name": "last_name",
    "_embedded.tags": "tags",
    "_embedded.contacts": "contacts",
    "_embedded.companies": "company_id",
}
_CODED_BLAME = {PHONE_CODE: "phones", EMAIL_CODE: "emails"}


def _blamed_field(
    entity: EntityKind, wire: Any, vendor_path: str, schema: AccountSchema | None
) -> str:
    """The model field a vendor error path (``custom_fields_values.2.values.0.value``) is
    about, so callers see their own names."""
    parts = vendor_path.split(".")
    if parts[0] == "name":
        return "title" if entity is EntityKind.LEAD else "first_name"
    if parts[0] == "custom_fields_values" and len(parts) > 1 and parts[1].isdigit():
        items = wire.get("custom_fields_values") or []
        item = items[int(parts[1])] if int(parts[1]) < len(items) else {}
        field = None
        if schema is not None and isinstance(item.get("field_id"), int):
            field = schema.field_by_id(entity, item["field_id"])
        code = field.code if field is not None else item.get("field_code")
        coded = {v: k for k, v in CODED_FIELDS[entity].items()}
        if code in _CODED_BLAME or code in coded:
            return _CODED_BLAME.get(code) or coded[code]
        return f"custom.{field.key}" if field is not None else "custom"
    return _BLAMED_FIELDS.get(".".join(parts[:2]), _BLAMED_FIELDS.get(parts[0], parts[0]))


def _blame(
    entity: EntityKind, wires: Sequence[Any], error: ValidationError, schema: AccountSchema | None
) -> dict[int, UnicrmError]:
    """Per item, the rejection the vendor reported for it (empty when it named no item)."""
    by_request = {str(w["request_id"]): w for w in wires}
    problems: dict[int, list[tuple[str, str]]] = {}
    for path, message in error.details:
        request_id, sep, vendor_path = path.partition(":")
        if not sep or request_id not in by_request:
            return {}
        field = _blamed_field(entity, by_request[request_id], vendor_path, schema)
        problems.setdefault(int(request_id), []).append((field, message))
    return {
        index: ValidationError(
            f"amocrm rejected this {entity}: "
            + "; ".join(f"{field}: {message}" for field, message in found),
            vendor=VENDOR,
            status=400,
            details=tuple(found),
        )
        for index, found in problems.items()
    }


def _id_of(value: Any) -> str:
    """An id the vendor answered: an integer (bool is not one)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise invalid("an id", value)
    return str(value)


def _answered_ids(
    wires: Sequence[Mapping[str, Any]], items: Sequence[Mapping[str, Any]], method: str
) -> dict[str, str]:
    """``request_id`` -> the id the vendor answered for it. A create answer names each item's
    ``request_id``; a batch update answer may not (the contacts page's example has only ``id``),
    so an update item is also found by the id it was sent with."""
    with parsed(f"{method} answer"):
        answered = [(item.get("request_id"), _id_of(item["id"])) for item in items]
    found = {str(request_id): new_id for request_id, new_id in answered if request_id is not None}
    ids = {new_id for _, new_id in answered}
    for wire in wires:
        sent_id = str(wire.get("id", ""))
        if wire["request_id"] not in found and sent_id in ids:
            found[wire["request_id"]] = sent_id
    return found


def _raise_or_record(result: WriteResult) -> Record:
    if isinstance(result, UnicrmError):
        raise result
    return result


__all__ = ["AdapterSettings", "AmoCRMAdapter"]
