"""Links between records: converters for link lists and what every record with contacts has.

A lead, a deal and a company link contacts (``contacts``: :class:`ContactLink`, one may be
main); a contact links companies (``companies``: :class:`CompanyLink`). Plain ids given for a
link list become links that are not main.
"""

from __future__ import annotations

from collections.abc import Iterable

from unicrm.model.checks import to_tuple
from unicrm.model.values import CompanyLink, ContactLink


def to_contact_links(value: Iterable[ContactLink | str | int] | None) -> tuple[ContactLink, ...]:
    """attrs converter: contact links; a plain id becomes ``ContactLink(id)``."""
    return tuple(c if isinstance(c, ContactLink) else ContactLink(c) for c in to_tuple(value))


def to_company_links(value: Iterable[CompanyLink | str | int] | None) -> tuple[CompanyLink, ...]:
    """attrs converter: company links; a plain id becomes ``CompanyLink(id)``."""
    return tuple(c if isinstance(c, CompanyLink) else CompanyLink(c) for c in to_tuple(value))


class LinksContacts:
    """What a record with a ``contacts`` link list offers (mixed into Lead, Deal, Company)."""

    __slots__ = ()
    contacts: tuple[ContactLink, ...]

    @property
    def main_contact_id(self) -> str | None:
        """The id of the main linked contact (or the first one), if any."""
        main = next((c for c in self.contacts if c.is_main), None) or next(
            iter(self.contacts), None
        )
        return main.contact_id if main else None

    @property
    def contact_ids(self) -> tuple[str, ...]:
        """Ids of all linked contacts, main first."""
        return tuple(c.contact_id for c in sorted(self.contacts, key=lambda c: not c.is_main))


class LinksCompanies:
    """What a record with a ``companies`` link list offers (mixed into Contact)."""

    __slots__ = ()
    companies: tuple[CompanyLink, ...]

    @property
    def company_ids(self) -> tuple[str, ...]:
        """Ids of all linked companies, main first."""
        return tuple(c.company_id for c in sorted(self.companies, key=lambda c: not c.is_main))
