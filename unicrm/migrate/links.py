"""Remapping link fields (a lead's contacts, a record's company) through the ledger's ids.

Driven by :data:`unicrm.migrate.tables.LINKS`: one remap function per :class:`LinkShape`,
no code per entity. The ids come as ``{entity name: {source id: target id}}``; an entity
missing from that table is one the migration does not move, so its ids cannot be translated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from collections.abc import Mapping as AbcMapping
from typing import Any

from unicrm.errors import ConfigurationError
from unicrm.migrate.tables import Link, LinkShape, links_of
from unicrm.model import ContactLink, EntityKind

#: ``{entity name: {source id: target id}}`` for every entity whose links can be remapped.
IdMaps = AbcMapping[str, AbcMapping[str, str]]


class LinkMissing(ConfigurationError):
    """A record links a source record that has no target record (it stays unwritten)."""


def _target(ids: AbcMapping[str, str], source_id: str, owner: EntityKind, link: Link) -> str:
    found = ids.get(source_id)
    if found is None:
        raise LinkMissing(
            f"{owner} links source {link.entity} {source_id}, which has no target record "
            f"({link.entity}s are migrated first; is it missing from the source?)"
        )
    return found


def _one(value: Any, ids: AbcMapping[str, str], owner: EntityKind, link: Link) -> Any:
    return None if value is None else _target(ids, str(value), owner, link)


def _many(value: Any, ids: AbcMapping[str, str], owner: EntityKind, link: Link) -> Any:
    return tuple(_target(ids, str(v), owner, link) for v in value)


def _contacts(value: Any, ids: AbcMapping[str, str], owner: EntityKind, link: Link) -> Any:
    return tuple(
        ContactLink(contact_id=_target(ids, c.contact_id, owner, link), is_main=c.is_main)
        for c in value
    )


Remap = Callable[[Any, AbcMapping[str, str], EntityKind, Link], Any]
#: How each shape is remapped, and its empty value.
SHAPES: dict[LinkShape, tuple[Remap, Any]] = {
    LinkShape.ONE: (_one, None),
    LinkShape.MANY: (_many, ()),
    LinkShape.CONTACTS: (_contacts, ()),
}


def _present(value: Any) -> bool:
    return value is not None and value not in ((), "")


def remap_links(
    entity: EntityKind,
    fields: dict[str, Any],
    ids: IdMaps,
    *,
    keep_foreign: bool,
    lost: list[tuple[str, Any]],
) -> None:
    """Replace the link values in ``fields`` (a record's fields by name) with target ids.

    A link to an entity the migration does not move is kept as it is with ``keep_foreign``,
    else moved to ``lost`` (the note); a mirrored link is left empty (the other side writes
    it). Raises :class:`LinkMissing` for a linked record with no target id yet.
    """
    for link in links_of(entity):
        if link.field not in fields:
            continue
        remap, empty = SHAPES[link.shape]
        value = fields[link.field]
        table = ids.get(link.entity)
        if link.mirror:
            fields[link.field] = empty
        elif table is not None:
            fields[link.field] = remap(value, table, entity, link)
        elif _present(value) and not keep_foreign:
            lost.append((link.field, value))
            fields[link.field] = empty


def comparable_link(link: Link, value: Any) -> Any:
    """A link value with its order left out (verification compares sets, and the main
    contact of a contact list)."""
    if link.shape is LinkShape.CONTACTS:
        main = next((c.contact_id for c in value if c.is_main), None)
        if main is None and value:
            main = value[0].contact_id
        return (tuple(sorted({c.contact_id for c in value})), main)
    if link.shape is LinkShape.MANY:
        return tuple(sorted(set(value)))
    return value


class _Placeholders(AbcMapping[str, str]):
    """Ids for a dry run: the known target id, else a readable placeholder."""

    def __init__(self, entity: str, known: AbcMapping[str, str]) -> None:
        self._entity = entity
        self._known = known

    def __getitem__(self, key: str) -> str:
        return self._known.get(key) or f"new-{self._entity}-for-{key}"

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def placeholders(ids: IdMaps) -> dict[str, AbcMapping[str, str]]:
    """``ids`` where a record not migrated yet maps to a placeholder (for the dry run)."""
    return {entity: _Placeholders(entity, known) for entity, known in ids.items()}
