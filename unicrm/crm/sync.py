"""The sync public API: thin wrappers that run the async engine on the portal loop.

Every method here delegates to its async twin in :mod:`unicrm.crm.asynchronous`; no logic is
repeated. Iteration hops to the engine once per vendor page, not once per record.

A script that never closes its CRM still gets its connections closed, quietly: a sync CRM,
its collections, queries and running iterations all hold one :class:`_Lifetime`; when the last
of them is gone (or the interpreter exits) a finalizer closes the connection on the engine
loop, before its sockets could be collected open and each print a ``ResourceWarning``.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from unicrm.adapter.base import WriteResult
from unicrm.adapter.capabilities import Capabilities
from unicrm.crm import portal
from unicrm.crm.asynchronous import AsyncCollection, AsyncCRM, Patches, entity_kind
from unicrm.crm.query import AsyncQuery, warn_plan
from unicrm.model import Company, Contact, CustomFieldDef, Deal, EntityKind, Lead, Pipeline
from unicrm.planner import Plan

if TYPE_CHECKING:  # unicrm.changes builds on the CRM modules: imported when first used
    from unicrm.changes import ChangeCursor, ChangeFeed

R = TypeVar("R", Lead, Contact, Deal, Company)


class _Lifetime:
    """Held by everything made from one sync CRM; its finalizer closes the connection."""

    __slots__ = ("__weakref__",)


def _close_forgotten(inner: AsyncCRM) -> None:
    portal.run_quietly(inner.aclose())


def _records(query: Query[R], pages: Iterator[list[R]]) -> Iterator[R]:
    """The records of ``pages``; holding ``query`` keeps its connection open while iterating."""
    for page in pages:
        yield from page


def _pages(query: Query[R], pages: Iterator[list[R]]) -> Iterator[list[R]]:
    """``pages``, holding ``query`` (and so its connection) while they are read."""
    yield from pages


class Query(Generic[R]):
    """A lazy, immutable query; iterate it to stream records (of type ``R``) page by page."""

    def __init__(self, inner: AsyncQuery[R], lifetime: _Lifetime | None = None) -> None:
        self._inner: AsyncQuery[R] = inner
        self._lifetime = lifetime

    @property
    def inner(self) -> AsyncQuery[R]:
        """The async query this wraps."""
        return self._inner

    def filter(self, *predicates: Any, **lookups: Any) -> Query[R]:
        """Narrow the query (AND)."""
        return Query(self._inner.filter(*predicates, **lookups), self._lifetime)

    def exclude(self, *predicates: Any, **lookups: Any) -> Query[R]:
        """Drop records matching all given predicates."""
        return Query(self._inner.exclude(*predicates, **lookups), self._lifetime)

    def order_by(self, *fields: str) -> Query[R]:
        """Sort; ``"-field"`` for descending."""
        return Query(self._inner.order_by(*fields), self._lifetime)

    def limit(self, count: int) -> Query[R]:
        """At most ``count`` records."""
        return Query(self._inner.limit(count), self._lifetime)

    def only(self, *fields: str) -> Query[R]:
        """Fetch only these fields."""
        return Query(self._inner.only(*fields), self._lifetime)

    def with_links(self, *names: str) -> Query[R]:
        """Read these link lists (default: all of the record type) with each record."""
        return Query(self._inner.with_links(*names), self._lifetime)

    def strict(self, value: bool = True) -> Query[R]:
        """Refuse full scans instead of warning."""
        return Query(self._inner.strict(value), self._lifetime)

    def explain(self) -> Plan:
        """The plan (print it)."""
        return portal.call(self._inner.explain())

    def pages(self) -> Iterator[list[R]]:
        """Matching records, one list per vendor page."""
        plan = self.explain()
        warn_plan(plan, stacklevel=2)
        return _pages(self, portal.iterate(self._inner.pages(plan)))

    def __iter__(self) -> Iterator[R]:
        plan = self.explain()
        warn_plan(plan, stacklevel=2)
        return _records(self, portal.iterate(self._inner.pages(plan)))

    def to_list(self) -> list[R]:
        """All matching records."""
        return list(self)

    def first(self) -> R | None:
        """The first matching record, or None."""
        return portal.call(self._inner.first())

    def count(self) -> int:
        """How many records match."""
        return portal.call(self._inner.count())

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncQuery", "Query")


class Collection(Generic[R]):
    """The leads, contacts, deals or companies of a CRM (sync)."""

    def __init__(self, inner: AsyncCollection[R], lifetime: _Lifetime | None = None) -> None:
        self._inner: AsyncCollection[R] = inner
        self._lifetime = lifetime
        self.entity: EntityKind = inner.entity

    def get(self, record_id: str | int) -> R:
        """One record by id (raises NotFound)."""
        return portal.call(self._inner.get(record_id))

    def create(self, record: R) -> R:
        """Create; returns the stored record with its id."""
        return portal.call(self._inner.create(record))

    def update(self, record: R) -> R:
        """Replace the whole stored record with ``record`` (same id); ``patch`` changes some
        fields only."""
        return portal.call(self._inner.update(record))

    def patch(self, record_id: str | int, **changes: Any) -> R:
        """Change only the named fields (``custom`` merged key by key); see the async twin."""
        return portal.call(self._inner.patch(record_id, **changes))

    def patch_many(self, patches: Patches) -> list[WriteResult]:
        """Patch several records (``{id: changes}``); per-item errors are returned."""
        return portal.call(self._inner.patch_many(patches))

    def create_many(self, records: Sequence[R]) -> list[WriteResult]:
        """Create in vendor batches; per-item errors are returned."""
        return portal.call(self._inner.create_many(records))

    def update_many(self, records: Sequence[R]) -> list[WriteResult]:
        """Update in vendor batches; per-item errors are returned."""
        return portal.call(self._inner.update_many(records))

    def delete(self, record_id: str | int) -> None:
        """Delete where the vendor can."""
        portal.call(self._inner.delete(record_id))

    def all(self) -> Query[R]:
        """A query over every record."""
        return Query(self._inner.all(), self._lifetime)

    def filter(self, *predicates: Any, **lookups: Any) -> Query[R]:
        """A lazy query."""
        return Query(self._inner.filter(*predicates, **lookups), self._lifetime)

    def count(self) -> int:
        """How many records there are (``crm.leads.count()`` is ``crm.leads.all().count()``)."""
        return self.all().count()

    def custom_fields(self) -> list[CustomFieldDef]:
        """Custom field definitions."""
        return portal.call(self._inner.custom_fields())

    def create_custom_field(self, definition: CustomFieldDef) -> CustomFieldDef:
        """Create a custom field where the vendor allows it."""
        return portal.call(self._inner.create_custom_field(definition))

    def create_custom_fields(self, definitions: Sequence[CustomFieldDef]) -> list[CustomFieldDef]:
        """Create several custom fields (in as few vendor requests as the vendor allows)."""
        return portal.call(self._inner.create_custom_fields(definitions))

    def __iter__(self) -> Iterator[R]:
        return iter(self.all())

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncCollection", "Collection")


class CRM:
    """A sync connection to one CRM (``unicrm.connect(url)``); usable as a context manager."""

    def __init__(self, inner: AsyncCRM) -> None:
        self._inner = inner
        lifetime = _Lifetime()
        self._closer = weakref.finalize(lifetime, _close_forgotten, inner)
        self.leads: Collection[Lead] = Collection(inner.leads, lifetime)
        self.contacts: Collection[Contact] = Collection(inner.contacts, lifetime)
        self.deals: Collection[Deal] = Collection(inner.deals, lifetime)
        self.companies: Collection[Company] = Collection(inner.companies, lifetime)
        self._by_kind: dict[EntityKind, Collection[Any]] = {
            c.entity: c for c in (self.leads, self.contacts, self.deals, self.companies)
        }

    @property
    def async_crm(self) -> AsyncCRM:
        """The async CRM this wraps."""
        return self._inner

    @property
    def capabilities(self) -> Capabilities:
        """What this CRM can do (printable)."""
        return self._inner.capabilities

    def collection(self, entity: EntityKind | str) -> Collection[Any]:
        """The collection for ``"lead"``, ``"contact"``, ``"deal"`` or ``"company"``."""
        return self._by_kind[entity_kind(entity)]

    def pipelines(self, entity: EntityKind | str = EntityKind.LEAD) -> list[Pipeline]:
        """Pipelines of leads (default) or deals, every stage with its semantic."""
        return portal.call(self._inner.pipelines(entity))

    def changes(
        self,
        since: ChangeCursor | str | None = None,
        entities: Iterable[EntityKind | str] | None = None,
        **options: Any,
    ) -> ChangeFeed:
        """Created / updated / deleted events after ``since``; see the async twin."""
        from unicrm.changes import ChangeFeed

        return ChangeFeed(self._inner.changes(since, entities, **options), self)

    def raw(self, method: str, params: Any = None) -> Any:
        """Call a vendor method directly."""
        return portal.call(self._inner.raw(method, params))

    def close(self) -> None:
        """Close connections (``with unicrm.connect(url) as crm:`` does it for you; a CRM
        nothing refers to any more is closed quietly)."""
        self._closer.detach()
        portal.call(self._inner.aclose())

    def __enter__(self) -> CRM:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return repr(self._inner).replace("AsyncCRM", "CRM")
