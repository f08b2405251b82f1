"""The tables that keep the engine entity-generic: the order, the link remaps, the routes.

Adding an entity to the migration is adding rows here (once the model has its record type),
never a branch in the engine:

* :data:`ORDER`: the order entities are migrated in. An entity comes after every entity its
  links point at, so their target ids are in the ledger when its records are mapped.
  Rollback deletes in the reverse order.
* :data:`LINKS`: per entity, the fields that hold ids of other records, the entity those ids
  belong to and the field's shape (:class:`LinkShape`). The engine remaps each through the
  ledger; a link to an entity the migration does not move (not in :data:`ORDER`) cannot be
  translated and is kept in the note (or as it is, with ``keep_company_ids``). A link marked
  ``mirror`` is the other side of a link another entity owns (a company's contacts, when the
  contacts carry their companies): it is written from that side only.
"""

from __future__ import annotations

import enum

import attrs

from unicrm.model import EntityKind


class LinkShape(str, enum.Enum):
    """How a link field holds its ids."""

    ONE = "one"  # a single id or None: ``company_id``
    MANY = "many"  # a tuple of ids: ``company_ids``
    CONTACTS = "contacts"  # a tuple of ``ContactLink`` (id and the main flag)

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


#: The migration order (see the module docstring).
ORDER: tuple[EntityKind, ...] = (EntityKind.CONTACT, EntityKind.LEAD)

#: Link fields per entity, in the order their values are noted when they cannot be remapped.
LINKS: dict[EntityKind, tuple[Link, ...]] = {
    EntityKind.CONTACT: (Link("company_id", "company"),),
    EntityKind.LEAD: (
        Link("company_id", "company"),
        Link("contacts", "contact", LinkShape.CONTACTS),
    ),
}


def links_of(entity: EntityKind) -> tuple[Link, ...]:
    """The link fields of ``entity`` (none for an entity without rows)."""
    return LINKS.get(entity, ())


def migrated(name: str) -> EntityKind | None:
    """The entity kind named ``name`` when the migration moves it, else None."""
    return next((kind for kind in ORDER if str(kind) == name), None)


def ordered(entities: frozenset[EntityKind] | set[EntityKind]) -> tuple[EntityKind, ...]:
    """``entities`` in migration order (the ones :data:`ORDER` lacks are left out)."""
    return tuple(e for e in ORDER if e in entities)


def rollback_order() -> tuple[EntityKind, ...]:
    """The order rollback deletes in: records before the records they link."""
    return tuple(reversed(ORDER))
