"""Links between entities as amoCRM's mass ``link``/``unlink`` calls (vendor notes §6.4).

A lead's contacts (with ``is_main``) and company, and a contact's company, are links, not
fields: an update diffs the wanted links against the stored ones and sends the difference in
two calls, ``POST /api/v4/{entity}/unlink`` then ``POST /api/v4/{entity}/link``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from unicrm.model import Lead, Record

Link = dict[str, Any]


def _wanted(record: Record) -> dict[tuple[str, str], dict[str, Any]]:
    links: dict[tuple[str, str], dict[str, Any]] = {}
    if isinstance(record, Lead):
        for contact in record.contacts:
            links[("contacts", contact.contact_id)] = {"is_main": contact.is_main}
    company_id = getattr(record, "company_id", None)
    if company_id is not None:
        links[("companies", company_id)] = {}
    return links


def _item(record_id: str, target: tuple[str, str], metadata: Mapping[str, Any]) -> Link:
    item: Link = {
        "entity_id": int(record_id),
        "to_entity_id": int(target[1]),
        "to_entity_type": target[0],
    }
    if metadata:
        item["metadata"] = dict(metadata)
    return item


def link_changes(
    records: Sequence[Record], stored: Mapping[str, Record]
) -> tuple[list[Link], list[Link]]:
    """(links to add or change, links to remove) so that ``stored`` matches ``records``."""
    link: list[Link] = []
    unlink: list[Link] = []
    for record in records:
        record_id = record.id or ""
        current = stored.get(record_id)
        have = _wanted(current) if current is not None else {}
        want = _wanted(record)
        for target, metadata in want.items():
            if have.get(target) != metadata:
                link.append(_item(record_id, target, metadata))
        for target in have:
            if target not in want:
                unlink.append(_item(record_id, target, {}))
    return link, unlink


__all__ = ["link_changes"]
