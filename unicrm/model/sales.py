"""The sales side of a CRM: :class:`Deal` and :class:`Company`.

Same rules as :mod:`unicrm.model.records`: immutable attrs classes built from keyword
arguments, Python names only, values checked when built, ``custom`` for custom field values,
``extra`` for every vendor field the model has no slot for, ``raw`` for the payload as read.
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
from unicrm.model.links import ContactLinks, LinksContacts, to_contact_links
from unicrm.model.record_checks import check_record
from unicrm.model.values import Email, Money, Phone, StageRef


@attrs.frozen(kw_only=True)
class Deal(LinksContacts):
    """A sales opportunity moving through a pipeline's stages, linked to contacts (main first)
    and a company. Bitrix24: ``crm.deal.*`` (pipelines are deal categories); amoCRM: the
    records of ``/api/v4/leads`` (see docs/model.md)."""

    kind: ClassVar[EntityKind] = EntityKind.DEAL

    id: str | None = attrs.field(default=None, converter=to_opt_id)
    vendor: str | None = None
    title: str | None = None
    amount: Money | None = None
    stage: StageRef | None = None
    contacts: ContactLinks = attrs.field(factory=tuple, converter=to_contact_links)
    company_id: str | None = attrs.field(default=None, converter=to_opt_id)
    responsible_id: str | None = attrs.field(default=None, converter=to_opt_id)
    source: str | None = None
    comments: str | None = None
    tags: tuple[str, ...] = attrs.field(factory=tuple, converter=to_texts)
    origin: str | None = None
    created_at: dt.datetime | None = None
    updated_at: dt.datetime | None = None
    closed_at: dt.datetime | None = None
    custom: FrozenMap[CustomValue] = attrs.field(factory=FrozenMap, converter=to_custom)
    extra: FrozenMap[Any] = attrs.field(factory=FrozenMap, converter=freeze)
    raw: FrozenMap[Any] | None = attrs.field(default=None, eq=False, repr=False)

    def __attrs_post_init__(self) -> None:
        check_record(self)


@attrs.frozen(kw_only=True)
class Company(LinksContacts):
    """An organisation: title, phones, e-mails, web sites, address, industry, responsible
    user, linked contacts and custom fields."""

    kind: ClassVar[EntityKind] = EntityKind.COMPANY

    id: str | None = attrs.field(default=None, converter=to_opt_id)
    vendor: str | None = None
    title: str | None = None
    phones: tuple[Phone, ...] = attrs.field(factory=tuple, converter=to_phones)
    emails: tuple[Email, ...] = attrs.field(factory=tuple, converter=to_emails)
    websites: tuple[str, ...] = attrs.field(factory=tuple, converter=to_texts)
    address: str | None = None
    industry: str | None = None
    responsible_id: str | None = attrs.field(default=None, converter=to_opt_id)
    contacts: ContactLinks = attrs.field(factory=tuple, converter=to_contact_links)
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
