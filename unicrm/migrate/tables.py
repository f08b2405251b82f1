"""The tables that keep the engine entity-generic: the order, the routes, the link remaps.

Adding an entity to the migration is adding rows here (once the model has its record type),
never a branch in the engine:

* :data:`ORDER`: the order entities are migrated in. An entity comes after every entity its
  links point at, so their target ids are in the ledger when its records are mapped.
  Rollback deletes in the reverse order.
* :data:`ROUTES`: the default route of each source entity: the target entity its records
  become and how their pipelines are found (:class:`PipelinePolicy`). The mapping file's
  ``[routes]`` table overrides any of them, within :data:`ROUTABLE`. :data:`PIPELINED` names
  the entities whose records sit in a pipeline stage.
* :data:`LINKS`: per entity, the fields that hold ids of other records, the entity those ids
  belong to and the field's shape (:class:`LinkShape`). The engine remaps each through the
  ledger; a link to an entity the migration does not move (not in :data:`ORDER`) cannot be
  translated and is kept in the note (or as it is, with ``keep_company_ids``). A link marked
  ``mirror`` is the other side of a link another entity owns (a company's contacts, when the
  contacts carry their companies): it is written from that side only.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.model import STAGED, EntityKind, FrozenMap


class LinkShape(str, enum.Enum):
    """How a link field holds its ids."""

    ONE = "one"  # a single id or None: ``company_id``
    MANY = "many"  # a tuple of ids: ``company_ids``
    CONTACTS = "contacts"  # a tuple of ``ContactLink`` (id and the main flag)
    COMPANIES = "companies"  # a tuple of ``CompanyLink`` (id and the main flag)

    def __str__(self) -> str:
        return str(self.value)


@attrs.frozen
class Link:
    """One link field of an entity: ``field`` holds ids of ``entity`` records.

    ``entity`` is an entity name rather than an :class:`EntityKind`, so a row can name an
    entity the model does not have yet; such a link is simply never translatable.
    """

    field: str
    entity: str
    shape: LinkShape = LinkShape.ONE
    mirror: bool = False


class PipelinePolicy(str, enum.Enum):
    """How a route finds the target pipeline of each source pipeline."""

    #: the target pipeline of the same name, else the target's default pipeline
    MATCH = "match"
    #: the target pipeline of the same name, created (with the source's stages) when missing
    CREATE = "create"
    #: every source pipeline into one target pipeline named ``Route.pipeline`` (created when
    #: missing), so these records stay apart from others routed into the same target entity
    OWN = "own"
    #: the entity has no pipelines
    NONE = "none"

    def __str__(self) -> str:
        return str(self.value)


def _str_map(value: Mapping[Any, Any] | None) -> FrozenMap[str]:
    return FrozenMap({str(k): str(v) for k, v in (value or {}).items()})


@attrs.frozen
class Route:
    """Where one source entity goes: a row of :data:`ROUTES`, or of the mapping's ``[routes]``.

    ``stages`` maps source ``"pipeline/stage"`` to target ``"pipeline/stage"``; an open stage
    it does not list goes to ``default_stage``, a won or lost one is a configuration error.
    """

    source: str
    target: str
    pipelines: PipelinePolicy = attrs.field(default=PipelinePolicy.NONE, converter=PipelinePolicy)
    pipeline: str = ""
    stages: FrozenMap[str] = attrs.field(factory=FrozenMap, converter=_str_map)
    default_stage: str = ""

    @property
    def source_kind(self) -> EntityKind:
        return EntityKind(self.source)

    @property
    def target_kind(self) -> EntityKind:
        return EntityKind(self.target)


#: The migration order (see the module docstring).
ORDER: tuple[EntityKind, ...] = (
    EntityKind.COMPANY,
    EntityKind.CONTACT,
    EntityKind.LEAD,
    EntityKind.DEAL,
)

#: Which kind is read when a source keeps several kinds as the same records (amoCRM: its
#: leads are its deals): the first of them here. Deals come first: the collection every
#: vendor's deals are read through, so amoCRM leads travel as deals.
READ_PREFERENCE: tuple[EntityKind, ...] = (
    EntityKind.COMPANY,
    EntityKind.CONTACT,
    EntityKind.DEAL,
    EntityKind.LEAD,
)

#: Entities whose records sit in a pipeline stage.
PIPELINED: frozenset[EntityKind] = STAGED

#: The target entities each source entity may be routed to (the first: when the target lacks
#: the default route's entity, the first of these it has).
ROUTABLE: dict[EntityKind, tuple[EntityKind, ...]] = {
    EntityKind.COMPANY: (EntityKind.COMPANY,),
    EntityKind.CONTACT: (EntityKind.CONTACT,),
    EntityKind.LEAD: (EntityKind.LEAD, EntityKind.DEAL),
    EntityKind.DEAL: (EntityKind.DEAL, EntityKind.LEAD),
}

#: The default routes (see the module docstring): deals keep their pipelines by name,
#: creating the ones the target lacks (Bitrix24 categories become amoCRM pipelines and back).
ROUTES: dict[EntityKind, Route] = {
    EntityKind.COMPANY: Route("company", "company"),
    EntityKind.CONTACT: Route("contact", "contact"),
    EntityKind.LEAD: Route("lead", "lead", PipelinePolicy.MATCH),
    EntityKind.DEAL: Route("deal", "deal", PipelinePolicy.CREATE),
}

#: The default route instead, when the target keeps the route's target entity in the same
#: records as another kind (amoCRM: leads are deals): Bitrix24 leads get an amoCRM pipeline
#: of their own, so they stay apart from the deals.
SHARED_ROUTES: dict[EntityKind, Route] = {
    EntityKind.LEAD: Route("lead", "lead", PipelinePolicy.OWN, "Leads"),
}

#: Link fields per entity, in the order their values are noted when they cannot be remapped.
#: A company's contacts are the contacts' companies seen from the other end: the contacts
#: (migrated after the companies) write them.
LINKS: dict[EntityKind, tuple[Link, ...]] = {
    EntityKind.COMPANY: (Link("contacts", "contact", LinkShape.CONTACTS, mirror=True),),
    EntityKind.CONTACT: (
        Link("company_id", "company"),
        Link("companies", "company", LinkShape.COMPANIES),
    ),
    EntityKind.LEAD: (
        Link("company_id", "company"),
        Link("contacts", "contact", LinkShape.CONTACTS),
    ),
    EntityKind.DEAL: (
        Link("company_id", "company"),
        Link("contacts", "contact", LinkShape.CONTACTS),
    ),
}


def links_of(entity: EntityKind) -> tuple[Link, ...]:
    """The link fields of ``entity`` (none for an entity without rows)."""
    return LINKS.get(entity, ())


def migrated(name: str, among: Iterable[EntityKind] = ORDER) -> EntityKind | None:
    """The entity kind named ``name`` when it is ``among`` the kinds migrated, else None."""
    return next((kind for kind in among if str(kind) == name), None)


def ordered(entities: frozenset[EntityKind] | set[EntityKind]) -> tuple[EntityKind, ...]:
    """``entities`` in migration order (the ones :data:`ORDER` lacks are left out)."""
    return tuple(e for e in ORDER if e in entities)


def rollback_order() -> tuple[EntityKind, ...]:
    """The order rollback deletes in: records before the records they link."""
    return tuple(reversed(ORDER))
