"""Small value objects of the neutral model: money, phones, e-mails, references.

All are immutable attrs classes with Python names only; no vendor names or wire formats.
"""

from __future__ import annotations

from decimal import Decimal

import attrs

from unicrm.model.checks import is_bool, nonblank, opt_text, to_amount, to_currency, to_id
from unicrm.model.enums import ContactKind, StageSemantic


@attrs.frozen
class Money:
    """An amount in a currency: a finite ``Decimal`` below 10**15 and an ISO 4217 code."""

    amount: Decimal = attrs.field(converter=to_amount)
    currency: str = attrs.field(converter=to_currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _kind(value: ContactKind | str) -> ContactKind:
    return ContactKind(value)


@attrs.frozen
class Phone:
    """A phone number as the user typed it, with its kind (work, mobile, ...)."""

    value: str = attrs.field(validator=nonblank)
    kind: ContactKind = attrs.field(default=ContactKind.WORK, converter=_kind)


@attrs.frozen
class Email:
    """An e-mail address with its kind (work, home, ...); not checked for syntax (CRMs keep
    what people typed), only for being non-blank text."""

    value: str = attrs.field(validator=nonblank)
    kind: ContactKind = attrs.field(default=ContactKind.WORK, converter=_kind)


@attrs.frozen
class UserRef:
    """A CRM user (the responsible person), by the vendor's opaque id; name when known."""

    id: str = attrs.field(converter=to_id)
    name: str | None = attrs.field(default=None, validator=opt_text)


def _semantic(value: StageSemantic | str) -> StageSemantic:
    return StageSemantic(value)


@attrs.frozen
class StageRef:
    """Where a lead stands: pipeline id, stage id and the stage's semantic."""

    pipeline_id: str = attrs.field(converter=to_id)
    stage_id: str = attrs.field(converter=to_id)
    semantic: StageSemantic = attrs.field(default=StageSemantic.OPEN, converter=_semantic)


@attrs.frozen
class ContactLink:
    """A link to a contact (from a lead, deal or company); ``is_main`` marks the primary one."""

    contact_id: str = attrs.field(converter=to_id)
    is_main: bool = attrs.field(default=False, validator=is_bool)


@attrs.frozen
class CompanyLink:
    """A contact's link to a company; ``is_main`` marks the contact's primary company."""

    company_id: str = attrs.field(converter=to_id)
    is_main: bool = attrs.field(default=False, validator=is_bool)
