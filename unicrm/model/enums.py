"""Enumerations shared by the neutral model: entity kinds, stage semantics, contact kinds."""

from __future__ import annotations

import enum


class _StrEnum(str, enum.Enum):
    """A string-valued enum whose ``str()`` is its value (Python 3.10 has no StrEnum)."""

    def __str__(self) -> str:
        return str(self.value)


class EntityKind(_StrEnum):
    """The record types unicrm models."""

    LEAD = "lead"
    CONTACT = "contact"
    DEAL = "deal"
    COMPANY = "company"

    @property
    def plural(self) -> str:
        """The collection name: ``leads``, ``contacts``, ``deals``, ``companies``."""
        return _PLURALS[self]


_PLURALS = {
    EntityKind.LEAD: "leads",
    EntityKind.CONTACT: "contacts",
    EntityKind.DEAL: "deals",
    EntityKind.COMPANY: "companies",
}


class StageSemantic(_StrEnum):
    """What a stage means, the same on every vendor: still open, won, or lost."""

    OPEN = "open"
    WON = "won"
    LOST = "lost"


class ContactKind(_StrEnum):
    """The kind of a phone number or e-mail address.

    Vendors name these differently (Bitrix24 ``WORK/MOBILE/HOME``, amoCRM ``WORK/MOB/HOME``);
    the mapping modules translate.
    """

    WORK = "work"
    MOBILE = "mobile"
    HOME = "home"
    FAX = "fax"
    PAGER = "pager"
    PRIVATE = "private"
    OTHER = "other"


class CustomFieldType(_StrEnum):
    """The value type of a custom field definition."""

    TEXT = "text"
    NUMBER = "number"
    BOOLEAN = "boolean"
    DATE = "date"
    DATETIME = "datetime"
    SELECT = "select"
    MULTISELECT = "multiselect"
    URL = "url"
