"""Custom field definitions and the value types custom fields hold.

Values are keyed by a stable ``key`` (the vendor's field code or id, as the adapter chooses);
select options are held by label, so they mean the same on every vendor.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from decimal import Decimal

import attrs

from unicrm.model.enums import CustomFieldType

#: What a custom field value can be: text, number, flag, date, datetime, or several labels.
CustomValue = str | Decimal | bool | dt.date | dt.datetime | tuple[str, ...] | None


@attrs.frozen
class CustomFieldOption:
    """One option of a select field: the vendor's id and its label."""

    id: str = attrs.field(converter=str)
    label: str


def _options(value: Iterable[CustomFieldOption]) -> tuple[CustomFieldOption, ...]:
    return tuple(value)


@attrs.frozen
class CustomFieldDef:
    """A custom field definition: stable ``key``, human ``label``, type, options, multiplicity."""

    key: str
    label: str
    type: CustomFieldType = attrs.field(converter=CustomFieldType)
    options: tuple[CustomFieldOption, ...] = attrs.field(factory=tuple, converter=_options)
    multiple: bool = False
    vendor_id: str | None = None

    def option_by_label(self, label: str) -> CustomFieldOption | None:
        """The option with ``label``, or None."""
        return next((o for o in self.options if o.label == label), None)

    def option_by_id(self, option_id: str) -> CustomFieldOption | None:
        """The option with vendor id ``option_id``, or None."""
        return next((o for o in self.options if o.id == str(option_id)), None)
