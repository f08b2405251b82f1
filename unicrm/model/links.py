"""Links between records: link lists, the value a list has when it was not read, and what
every record with contacts offers.

A lead, a deal and a company link contacts (``contacts``: :class:`ContactLink`, one may be
main); a contact links companies (``companies``: :class:`CompanyLink`). Plain ids given for a
link list become links that are not main.

Reading links can cost a vendor request per record (Bitrix24 reads a lead's contacts with
``crm.lead.contact.items.get``), so a query reads them only when asked (``with_links()``, or a
filter on ``contact_ids``). A list that was not read is :data:`NOT_LOADED`, never an empty tuple
that would look complete: using it as a list (iterating, ``len``, ``bool``, indexing) raises
QueryError saying how to ask for it. Writing a record whose list is NOT_LOADED leaves the
stored links as they are.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, NoReturn, final

from unicrm.errors import QueryError
from unicrm.model.checks import to_tuple
from unicrm.model.values import CompanyLink, ContactLink


@final
class NotLoaded:
    """The type of :data:`NOT_LOADED`, the one value of a link list a read did not load."""

    __slots__ = ()
    _instance: NotLoaded | None = None

    def __new__(cls) -> NotLoaded:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NOT_LOADED"

    def __reduce__(self) -> str:
        return "NOT_LOADED"  # pickles as the module attribute: unpickling gives the singleton

    def _refuse(self) -> NoReturn:
        raise QueryError(
            "these links were not read with the record: ask for them with "
            "query.with_links() (or read the record with get()); check with "
            "`record.contacts is NOT_LOADED`"
        )

    def __iter__(self) -> Iterator[NoReturn]:
        self._refuse()

    def __len__(self) -> int:  # noqa: PLE0303 - refusing is the point
        self._refuse()

    def __bool__(self) -> bool:  # noqa: PLE0304 - refusing is the point
        self._refuse()

    def __getitem__(self, index: Any) -> NoReturn:
        self._refuse()

    def __contains__(self, item: object) -> bool:
        self._refuse()


#: A link list that was not read (see the module docstring).
NOT_LOADED = NotLoaded()

ContactLinks = tuple[ContactLink, ...] | NotLoaded
CompanyLinks = tuple[CompanyLink, ...] | NotLoaded


def to_contact_links(
    value: Iterable[ContactLink | str | int] | NotLoaded | None,
) -> tuple[ContactLink, ...] | NotLoaded:
    """attrs converter: contact links; a plain id becomes ``ContactLink(id)``."""
    if value is NOT_LOADED:
        return NOT_LOADED
    assert not isinstance(value, NotLoaded)
    return tuple(c if isinstance(c, ContactLink) else ContactLink(c) for c in to_tuple(value))


def to_company_links(
    value: Iterable[CompanyLink | str | int] | NotLoaded | None,
) -> tuple[CompanyLink, ...] | NotLoaded:
    """attrs converter: company links; a plain id becomes ``CompanyLink(id)``."""
    if value is NOT_LOADED:
        return NOT_LOADED
    assert not isinstance(value, NotLoaded)
    return tuple(c if isinstance(c, CompanyLink) else CompanyLink(c) for c in to_tuple(value))


#: The link-list fields of each record type, by the query field that reads them.
LINK_FIELDS: dict[str, str] = {"contact_ids": "contacts", "company_ids": "companies"}


class LinksContacts:
    """What a record with a ``contacts`` link list offers (mixed into Lead, Deal, Company)."""

    __slots__ = ()
    contacts: tuple[ContactLink, ...] | NotLoaded

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
    companies: tuple[CompanyLink, ...] | NotLoaded

    @property
    def company_ids(self) -> tuple[str, ...]:
        """Ids of all linked companies, main first."""
        return tuple(c.company_id for c in sorted(self.companies, key=lambda c: not c.is_main))
