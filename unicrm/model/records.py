"""The first two record types: :class:`Lead` and :class:`Contact` (deals and companies are in
:mod:`unicrm.model.sales`).

Records are immutable attrs classes built from keyword arguments only. Lists given for
collection fields are stored as tuples; timestamps must be timezone-aware. ``custom`` holds
custom field values by key; ``extra`` keeps every vendor field the model has no place for, so a
read-modify-write loses nothing; ``raw`` may keep the original vendor payload.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

import attrs

from unicrm.model.attributes import to_custom, to_emails, to_phones
from unicrm.model.checks import to_opt_id, to_texts
from unicrm.model.custom_fields import CustomValue
from unicrm.model.enums import EntityKind
from unicrm.model.frozen import FrozenMap, freeze
from unicrm.model.links import (
    CompanyLinks,
    ContactLinks,
    LinksCompanies,
    LinksContacts,
    to_company_links,
    to_contact_links,
)
from unicrm.model.record_checks import check_record
from unicrm.model.values import Email, Money, Phone, StageRef


@attrs.frozen(kw_only=True)
class Lead(LinksContacts):
    """An inquiry or opportunity moving through a pipeline's stages (see docs/model.md)."""

    kind: ClassVar[EntityKind] = EntityKind.LEAD

    id: str | None = attrs.field(default=None, converter=to_opt_id)
    vendor: str | None = None
    title: str | None = None
    amount: Money | None = None
    stage: StageRef | None = None
    responsible_id: str | None = attrs.field(default=None, converter=to_opt_id)
    source: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    company_title: str | None = None
    post: str | None = None
    phones: tuple[Phone, ...] = attrs.field(factory=tuple, converter=to_phones)
    emails: tuple[Email, ...] = attrs.field(factory=tuple, converter=to_emails)
    contacts: ContactLinks = attrs.field(factory=tuple, converter=to_contact_links)
    company_id: str | None = attrs.field(default=None, converter=to_opt_id)
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_texts)
    comments: str | None = None
    origin: str | None = None
    utm_source: str | None = None
    utm_medium: str | None = None
    utm_campaign: str | None = None
    utm_content: str | None = None
    utm_term: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    custom: FrozenMap[CustomValue] = attrs.field(factory=FrozenMap, converter=to_custom)
    extra: FrozenMap[Any] = attrs.field(factory=FrozenMap, converter=freeze)
    raw: FrozenMap[Any] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_record(self)


@attrs.frozen(kw_only=True)
class Contact(LinksCompanies):
    """A person: names, phones and e-mails with kinds, post, company, tags, custom fields."""

    kind: ClassVar[EntityKind] = EntityKind.CONTACT

    id: str | None = attrs.field(default=None, converter=to_opt_id)
    vendor: str | None = None
    first_name: str | None = None
    middle_name: str | None = None
    last_name: str | None = None
    post: str | None = None
    company_id: str | None = attrs.field(default=None, converter=to_opt_id)
    company_title: str | None = None
    companies: CompanyLinks = attrs.field(factory=tuple, converter=to_company_links)
    responsible_id: str | None = attrs.field(default=None, converter=to_opt_id)
    source: str | None = None
    phones: tuple[Phone, ...] = attrs.field(factory=tuple, converter=to_phones)
    emails: tuple[Email, ...] = attrs.field(factory=tuple, converter=to_emails)
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_texts)
    comments: str | None = None
    origin: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    custom: FrozenMap[CustomValue] = attrs.field(factory=FrozenMap, converter=to_custom)
    extra: FrozenMap[Any] = attrs.field(factory=FrozenMap, converter=freeze)
    raw: FrozenMap[Any] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_record(self)

    @property
    def full_name(self) -> str:
        """First, middle and last name joined by spaces (empty parts skipped)."""
        return " ".join(p for p in (self.first_name, self.middle_name, self.last_name) if p)
