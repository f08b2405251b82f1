"""Links between memory records, kept as the vendors keep them.

A lead, deal or company lists contacts; a contact lists companies. A company's contacts and a
contact's companies are one relation seen from both ends (Bitrix24 ``crm.company.contact.*`` /
``crm.contact.company.*``, amoCRM ``/links``): writing either end updates the other. Deleting a
record removes it from every list that named it. Every linked id must exist (a vendor refuses
links to missing records); scalar ``company_id`` fields are data and are not checked.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

import attrs

from unicrm.errors import ValidationError
from unicrm.model import CompanyLink, ContactLink, EntityKind, Record
from unicrm_memory.store import evolved

VENDOR = "memory"
Tables = Mapping[EntityKind, dict[str, Record]]


@attrs.frozen
class LinkList:
    """One link-list field: which records carry it, the field, the kind of record it names."""

    entity: EntityKind
    field: str
    target: EntityKind
    id_of: Callable[[object], str]
    make: Callable[[str], object]


def _contact_id(link: object) -> str:
    assert isinstance(link, ContactLink)
    return link.contact_id


def _company_id(link: object) -> str:
    assert isinstance(link, CompanyLink)
    return link.company_id


LINK_LISTS: tuple[LinkList, ...] = (
    LinkList(EntityKind.LEAD, "contacts", EntityKind.CONTACT, _contact_id, ContactLink),
    LinkList(EntityKind.DEAL, "contacts", EntityKind.CONTACT, _contact_id, ContactLink),
    LinkList(EntityKind.COMPANY, "contacts", EntityKind.CONTACT, _contact_id, ContactLink),
    LinkList(EntityKind.CONTACT, "companies", EntityKind.COMPANY, _company_id, CompanyLink),
)
#: The list on the far end that mirrors a list (company.contacts <-> contact.companies).
MIRROR: dict[tuple[EntityKind, str], LinkList] = {
    (EntityKind.COMPANY, "contacts"): LINK_LISTS[3],
    (EntityKind.CONTACT, "companies"): LINK_LISTS[2],
}


def lists_of(entity: EntityKind) -> tuple[LinkList, ...]:
    """The link lists records of ``entity`` carry."""
    return tuple(rule for rule in LINK_LISTS if rule.entity is entity)


def linked_ids(record: Record, rule: LinkList) -> list[str]:
    """The ids ``record`` names in ``rule``'s field."""
    return [rule.id_of(link) for link in getattr(record, rule.field)]


def check_targets(tables: Tables, record: Record) -> None:
    """ValidationError when ``record`` links a record that does not exist."""
    for rule in lists_of(record.kind):
        missing = [i for i in linked_ids(record, rule) if i not in tables[rule.target]]
        if missing:
            raise ValidationError(
                f"{record.kind} links unknown {rule.target.plural} {missing}",
                vendor=VENDOR,
                details=((rule.field, f"no {rule.target} with id {m}") for m in missing),
            )


def mirror(tables: Tables, before: Record | None, after: Record) -> None:
    """Make the far ends of ``after``'s mirrored lists agree with it (``before``: the stored
    version, None on create)."""
    for rule in lists_of(after.kind):
        far = MIRROR.get((rule.entity, rule.field))
        if far is None or after.id is None:
            continue
        now = set(linked_ids(after, rule))
        was = set(linked_ids(before, rule)) if before is not None else set()
        for other_id in now ^ was:
            other = tables[rule.target].get(other_id)
            if other is None:
                continue
            links = [x for x in getattr(other, far.field) if far.id_of(x) != after.id]
            if other_id in now:
                links.append(far.make(after.id))
            tables[rule.target][other_id] = evolved(other, **{far.field: tuple(links)})


def forget_links(tables: Tables, entity: EntityKind, record_id: str) -> None:
    """Remove ``record_id`` of ``entity`` from every list that names it."""
    for rule in LINK_LISTS:
        if rule.target is not entity:
            continue
        table = tables[rule.entity]
        for other_id, other in list(table.items()):
            links = getattr(other, rule.field)
            kept = tuple(x for x in links if rule.id_of(x) != record_id)
            if len(kept) != len(links):
                table[other_id] = evolved(other, **{rule.field: kept})
