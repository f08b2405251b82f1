"""The async public API: :class:`AsyncCRM` and its collections. All logic lives here once;
the sync API (:mod:`unicrm.crm.sync`) runs these coroutines on a background event loop."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from unicrm.adapter.base import Adapter, WriteResult
from unicrm.adapter.capabilities import Capabilities
from unicrm.crm.query import AsyncQuery
from unicrm.errors import ConfigurationError, QueryError, UnsupportedOperation
from unicrm.model import (
    RECORD_TYPES,
    STAGED,
    Company,
    Contact,
    CustomFieldDef,
    Deal,
    EntityKind,
    Lead,
    Pipeline,
    check_patch,
)

if TYPE_CHECKING:  # unicrm.changes builds on this module: imported when first used
    from unicrm.changes import AsyncChangeFeed, ChangeCursor

#: What ``patch_many`` takes: ``{id: changes}`` or ``[(id, changes), ...]``.
Patches = Mapping[str | int, Mapping[str, Any]] | Iterable[tuple[str | int, Mapping[str, Any]]]

R = TypeVar("R", Lead, Contact, Deal, Company)


def require_entity(adapter: Adapter, entity: EntityKind) -> None:
    """UnsupportedOperation naming vendor and entity when the adapter does not list it."""
    if entity not in adapter.capabilities.entities:
        listed = ", ".join(sorted(e.plural for e in adapter.capabilities.entities))
        raise UnsupportedOperation(
            f"{adapter.name} does not support {entity.plural} (it has: {listed})",
            vendor=adapter.name,
        )


class AsyncCollection(Generic[R]):
    """The leads, contacts, deals or companies of one CRM: CRUD plus lazy queries."""

    def __init__(self, adapter: Adapter, entity: EntityKind) -> None:
        self._adapter = adapter
        self.entity = entity
        self._type = RECORD_TYPES[entity]

    def _check(self, record: Any) -> None:
        require_entity(self._adapter, self.entity)
        if not isinstance(record, self._type):
            raise QueryError(
                f"{self.entity.plural} takes {self._type.__name__} records, "
                f"got {type(record).__name__}"
            )

    async def get(self, record_id: str | int) -> R:
        """One record by id (raises NotFound)."""
        require_entity(self._adapter, self.entity)
        record: R = await self._adapter.get(self.entity, str(record_id))  # type: ignore[assignment]
        return record

    async def create(self, record: R) -> R:
        """Create a record; returns it as stored (with id and timestamps)."""
        self._check(record)
        created: R = await self._adapter.create(self.entity, record)  # type: ignore[assignment]
        return created

    async def update(self, record: R) -> R:
        """Replace the stored record with the same id by ``record`` (every field: one left
        empty is cleared; use ``patch`` to change some fields only)."""
        self._check(record)
        if record.id is None:
            raise QueryError(f"update() needs a {self._type.__name__} with an id")
        updated: R = await self._adapter.update(self.entity, record)  # type: ignore[assignment]
        return updated

    async def patch(self, record_id: str | int, **changes: Any) -> R:
        """Change only the named fields of one record (``custom`` merged key by key, lists
        replaced only when given); returns the record as stored. ``update`` replaces a whole
        record instead. Unknown fields are a QueryError, bad values TypeError/ValueError,
        both before anything is sent."""
        require_entity(self._adapter, self.entity)
        checked = check_patch(self.entity, changes)
        patched: R = await self._adapter.patch(  # type: ignore[assignment]
            self.entity, str(record_id), checked
        )
        return patched

    async def patch_many(self, patches: Patches) -> list[WriteResult]:
        """Patch several records in vendor batches: ``{id: {"title": "x"}, ...}`` or
        ``[(id, changes), ...]``; per-item errors are returned, in order."""
        require_entity(self._adapter, self.entity)
        pairs = patches.items() if isinstance(patches, Mapping) else patches
        items = [(str(i), check_patch(self.entity, c)) for i, c in pairs]
        return await self._adapter.patch_many(self.entity, items)

    async def create_many(self, records: Sequence[R]) -> list[WriteResult]:
        """Create several records in vendor batches; per-item errors are returned, not raised."""
        for record in records:
            self._check(record)
        return await self._adapter.create_many(self.entity, list(records))

    async def update_many(self, records: Sequence[R]) -> list[WriteResult]:
        """Update several records in vendor batches; per-item errors are returned."""
        for record in records:
            self._check(record)
        return await self._adapter.update_many(self.entity, list(records))

    async def delete(self, record_id: str | int) -> None:
        """Delete a record, where the vendor can (see ``capabilities.supports_delete``)."""
        require_entity(self._adapter, self.entity)
        await self._adapter.delete(self.entity, str(record_id))

    def all(self) -> AsyncQuery[R]:
        """A query over every record."""
        require_entity(self._adapter, self.entity)
        query: AsyncQuery[R] = AsyncQuery(self._adapter, self.entity)
        return query

    def filter(self, *predicates: Any, **lookups: Any) -> AsyncQuery[R]:
        """A lazy query: ``filter(F("amount") >= 1, title__startswith="A")``."""
        return self.all().filter(*predicates, **lookups)

    async def count(self) -> int:
        """How many records there are (reads them: vendor counts are not trusted)."""
        return await self.all().count()

    async def custom_fields(self) -> list[CustomFieldDef]:
        """Custom field definitions of this record type."""
        require_entity(self._adapter, self.entity)
        return await self._adapter.custom_fields(self.entity)

    async def create_custom_field(self, definition: CustomFieldDef) -> CustomFieldDef:
        """Create a custom field where the vendor allows it."""
        require_entity(self._adapter, self.entity)
        return await self._adapter.create_custom_field(self.entity, definition)

    async def create_custom_fields(
        self, definitions: Sequence[CustomFieldDef]
    ) -> list[CustomFieldDef]:
        """Create several custom fields (in as few vendor requests as the vendor allows)."""
        require_entity(self._adapter, self.entity)
        return await self._adapter.create_custom_fields(self.entity, list(definitions))

    def __repr__(self) -> str:
        return f"<AsyncCollection {self.entity.plural} of {self._adapter.describe()}>"


def entity_kind(entity: EntityKind | str) -> EntityKind:
    """``entity`` as an EntityKind; QueryError listing the kinds when it is none."""
    try:
        return EntityKind(entity)
    except ValueError:
        kinds = ", ".join(repr(str(e)) for e in EntityKind)
        raise QueryError(f"no entity kind {entity!r}; the kinds are {kinds}") from None


class AsyncCRM:
    """A connection to one CRM. Use ``async with unicrm.connect_async(url) as crm:``."""

    def __init__(self, adapter: Adapter) -> None:
        if not isinstance(adapter, Adapter):
            raise ConfigurationError(f"not an adapter: {adapter!r}")
        self.adapter = adapter
        self.leads: AsyncCollection[Lead] = AsyncCollection(adapter, EntityKind.LEAD)
        self.contacts: AsyncCollection[Contact] = AsyncCollection(adapter, EntityKind.CONTACT)
        self.deals: AsyncCollection[Deal] = AsyncCollection(adapter, EntityKind.DEAL)
        self.companies: AsyncCollection[Company] = AsyncCollection(adapter, EntityKind.COMPANY)
        self._by_kind: dict[EntityKind, AsyncCollection[Any]] = {
            c.entity: c for c in (self.leads, self.contacts, self.deals, self.companies)
        }

    @property
    def capabilities(self) -> Capabilities:
        """What this CRM can do (printable)."""
        return self.adapter.capabilities

    def collection(self, entity: EntityKind | str) -> AsyncCollection[Any]:
        """The collection for an entity kind (``"lead"``, ``"contact"``, ``"deal"``,
        ``"company"``)."""
        return self._by_kind[entity_kind(entity)]

    async def pipelines(self, entity: EntityKind | str = EntityKind.LEAD) -> list[Pipeline]:
        """The pipelines of leads (default) or deals, every stage with its open/won/lost
        semantic."""
        kind = entity_kind(entity)
        if kind not in STAGED:
            raise QueryError(
                f"{kind.plural} have no pipelines; pipelines belong to "
                f"{' and '.join(sorted(e.plural for e in STAGED))}"
            )
        require_entity(self.adapter, kind)
        return await self.adapter.pipelines(kind)

    def changes(
        self,
        since: ChangeCursor | str | None = None,
        entities: Iterable[EntityKind | str] | None = None,
        **options: Any,
    ) -> AsyncChangeFeed:
        """Created / updated / deleted events after ``since`` (None: from the beginning, every
        record once), for ``entities`` (default: all, amoCRM deals and leads once); ``options``
        are :class:`~unicrm.changes.ChangeOptions` (``lag``, ``deletions``, ``scan_every``,
        ...). At least once; ``event.cursor`` / ``feed.cursor`` resume. See docs/changes.md."""
        from unicrm.changes import AsyncChangeFeed, ChangeOptions

        return AsyncChangeFeed(self.adapter, since, entities, ChangeOptions.build(options))

    async def raw(self, method: str, params: Any = None) -> Any:
        """Call a vendor method the model does not cover."""
        return await self.adapter.raw(method, params)

    async def aclose(self) -> None:
        """Close connections."""
        await self.adapter.aclose()

    async def __aenter__(self) -> AsyncCRM:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return f"<AsyncCRM {self.adapter.describe()}>"
