"""Every record type, by entity kind: the one table the API, the planner and adapters share."""

from __future__ import annotations

from unicrm.model.enums import EntityKind
from unicrm.model.records import Contact, Lead
from unicrm.model.sales import Company, Deal

#: Any record type.
Record = Lead | Contact | Deal | Company

RecordType = type[Lead] | type[Contact] | type[Deal] | type[Company]

RECORD_TYPES: dict[EntityKind, RecordType] = {
    EntityKind.LEAD: Lead,
    EntityKind.CONTACT: Contact,
    EntityKind.DEAL: Deal,
    EntityKind.COMPANY: Company,
}

#: Entities whose records stand in a pipeline stage (``crm.pipelines(entity)`` answers these).
STAGED: frozenset[EntityKind] = frozenset({EntityKind.LEAD, EntityKind.DEAL})

#: The link-list fields of each record type (read only on request where a vendor charges for
#: them; see :mod:`unicrm.model.links`).
LINK_LISTS: dict[EntityKind, frozenset[str]] = {
    EntityKind.LEAD: frozenset({"contacts"}),
    EntityKind.DEAL: frozenset({"contacts"}),
    EntityKind.COMPANY: frozenset({"contacts"}),
    EntityKind.CONTACT: frozenset({"companies"}),
}
