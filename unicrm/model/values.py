"""Small value objects of the neutral model: money, phones, e-mails, references.

All are immutable attrs classes with Python names only; no vendor names or wire formats.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from unicrm.model.enums import ContactKind, StageSemantic

_CURRENCY = re.compile(r"^[A-Z]{3}$")


def _to_decimal(value: Any) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if isinstance(value, bool):
        raise TypeError("an amount cannot be a bool")
    if isinstance(value, float):
        return Decimal(repr(value))
    try:
        return Decimal(value)
    except (InvalidOperation, TypeError) as exc:
        raise ValueError(f"not a decimal amount: {value!r}") from exc


def _currency(value: str) -> str:
    code = str(value).upper()
    if not _CURRENCY.match(code):
        raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {value!r}")
    return code


@attrs.frozen
class Money:
    """An amount in a currency. ``amount`` is a ``Decimal``; ``currency`` an ISO 4217 code."""

    amount: Decimal = attrs.field(converter=_to_decimal)
    currency: str = attrs.field(converter=_currency)

    def __str__(self) -> str:
        return f"{self.amount} {self.currency}"


def _kind(value: ContactKind | str) -> ContactKind:
    return ContactKind(value)


@attrs.frozen
class Phone:
    """A phone number as the user typed it, with its kind (work, mobile, ...)."""

    value: str = attrs.field(converter=str)
    kind: ContactKind = attrs.field(default=ContactKind.WORK, converter=_kind)


@attrs.frozen
class Email:
    """An e-mail address with its kind (work, home, ...)."""

    value: str = attrs.field(converter=str)
    kind: ContactKind = attrs.field(default=ContactKind.WORK, converter=_kind)


@attrs.frozen
class UserRef:
    """A CRM user (the responsible person), by the vendor's opaque id; name when known."""

    id: str = attrs.field(converter=str)
    name: str | None = None


def _semantic(value: StageSemantic | str) -> StageSemantic:
    return StageSemantic(value)


@attrs.frozen
class StageRef:
    """Where a lead stands: pipeline id, stage id and the stage's semantic."""

    pipeline_id: str = attrs.field(converter=str)
    stage_id: str = attrs.field(converter=str)
    semantic: StageSemantic = attrs.field(default=StageSemantic.OPEN, converter=_semantic)


@attrs.frozen
class ContactLink:
    """A lead's link to a contact; ``is_main`` marks the primary contact."""

    contact_id: str = attrs.field(converter=str)
    is_main: bool = False
