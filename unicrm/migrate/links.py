"""Remapping link fields (a lead's contacts, a record's company) through the ledger's ids.

Driven by :data:`unicrm.migrate.tables.LINKS`: one remap function per :class:`LinkShape`,
no code per entity. The ids come as ``{entity name: {source id: target id}}``; an entity
missing from that table is one the migration does not move, so its ids cannot be translated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Set
from collections.abc import Mapping as AbcMapping
from typing import Any

from unicrm.errors import ConfigurationError
from unicrm.migrate.decisions import plural
from unicrm.migrate.tables import Link, LinkShape, links_of
from unicrm.model import NOT_LOADED, CompanyLink, ContactLink, EntityKind

#: ``{entity name: {source id: target id}}`` for every entity whose links can be remapped.
IdMaps = AbcMapping[str, AbcMapping[str, str]]


class LinkMissing(ConfigurationError):
    """A record links a source record that has no target record (it stays unwritten)."""


def _target(ids: AbcMapping[str, str], source_id: str, owner: EntityKind, link: Link) -> str:
    try:
        found: str | None = ids[source_id]
    except KeyError:
        found = None
    if found is None:
        raise LinkMissing(
            f"{owner} links source {link.entity} {source_id}, which has no target record "
            f"({plural(link.entity)} are migrated first; is it missing from the source?)"
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


def _companies(value: Any, ids: AbcMapping[str, str], owner: EntityKind, link: Link) -> Any:
    return tuple(
        CompanyLink(company_id=_target(ids, c.company_id, owner, link), is_main=c.is_main)
        for c in value
    )


Remap = Callable[[Any, AbcMapping[str, str], EntityKind, Link], Any]
#: How each shape is remapped, its empty value, and whether a linked record without a target
#: record stops the record (a link list: the record waits for it) or only its id goes to the
#: note (a single id is data that may name a record the source no longer has).
SHAPES: dict[LinkShape, tuple[Remap, Any, bool]] = {
    LinkShape.ONE: (_one, None, False),
    LinkShape.MANY: (_many, (), True),
    LinkShape.CONTACTS: (_contacts, (), True),
    LinkShape.COMPANIES: (_companies, (), True),
}
#: The id attribute of each link-list shape's items (for comparing them as sets).
LIST_IDS = {LinkShape.CONTACTS: "contact_id", LinkShape.COMPANIES: "company_id"}


def _present(value: Any) -> bool:
    return value is not None and value not in ((), "")


def remap_links(
    entity: EntityKind,
    fields: dict[str, Any],
    ids: IdMaps,
    *,
    keep_foreign: bool,
    lost: list[tuple[str, Any]],
    mirrors: bool = False,
) -> None:
    """Replace the link values in ``fields`` (a record's fields by name) with target ids.

    A link to an entity the migration does not move, or a single id naming a record with no
    target record, is kept as it is with ``keep_foreign``, else moved to ``lost`` (the note).
    A mirrored link is the other end's to write: it is left ``NOT_LOADED`` (the target keeps
    what that end wrote), unless ``mirrors`` asks for it remapped too (verification, once
    every end is written). Raises :class:`LinkMissing` for a link list naming a record with
    no target record (yet).
    """
    for link in links_of(entity):
        if link.field not in fields:
            continue
        remap, empty, strict = SHAPES[link.shape]
        value = fields[link.field]
        table = ids.get(link.entity)
        if value is NOT_LOADED:
            continue
        if link.mirror and not mirrors:
            fields[link.field] = NOT_LOADED
            continue
        if table is not None:
            try:
                fields[link.field] = remap(value, table, entity, link)
                continue
            except LinkMissing:
                if strict:
                    raise
        if _present(value) and not keep_foreign:
            lost.append((link.field, value))
            fields[link.field] = empty


def comparable_link(link: Link, value: Any) -> Any:
    """A link value with its order left out (verification compares sets, and the main item
    of a link list)."""
    attribute = LIST_IDS.get(link.shape)
    if attribute is not None:
        items = [getattr(c, attribute) for c in value]
        main = next((getattr(c, attribute) for c in value if c.is_main), None)
        return (tuple(sorted(set(items))), main if main is not None else next(iter(items), None))
    if link.shape is LinkShape.MANY:
        return tuple(sorted(set(value)))
    return value


class _Placeholders(AbcMapping[str, str]):
    """Ids for a dry run: the known target id, else a readable placeholder for a record the
    dry run planned to create (a real run would have written it by then)."""

    def __init__(self, entity: str, known: AbcMapping[str, str], planned: Set[str]) -> None:
        self._entity = entity
        self._known = known
        self._planned = planned

    def __getitem__(self, key: str) -> str:
        found = self._known.get(key)
        if found is not None:
            return found
        if key in self._planned:
            return f"new-{self._entity}-for-{key}"
        raise KeyError(key)

    def __iter__(self) -> Iterator[str]:
        return iter(self._known)

    def __len__(self) -> int:
        return len(self._known)


def placeholders(
    ids: IdMaps, planned: AbcMapping[str, Set[str]]
) -> dict[str, AbcMapping[str, str]]:
    """``ids`` where a record the dry run ``planned`` (source ids by entity) maps to a
    placeholder."""
    return {
        entity: _Placeholders(entity, known, planned.get(entity, set()))
        for entity, known in ids.items()
    }
