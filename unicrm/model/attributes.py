"""Converters for the collection fields every record type shares (phones, e-mails, custom
values), kept apart from :mod:`checks` because they build value objects of :mod:`values`.

Records use them in plain ``attrs.field(converter=...)`` calls so that type checkers see what
each constructor accepts (a list of strings for ``phones``, an ``int`` for an id).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from unicrm.model.checks import custom_values, to_tuple
from unicrm.model.custom_fields import CustomValue
from unicrm.model.frozen import FrozenMap
from unicrm.model.values import Email, Phone


def to_phones(value: Iterable[Phone | str] | None) -> tuple[Phone, ...]:
    """Phones; plain strings become ``Phone(value)`` of kind work."""
    return tuple(p if isinstance(p, Phone) else Phone(p) for p in to_tuple(value))


def to_emails(value: Iterable[Email | str] | None) -> tuple[Email, ...]:
    """E-mails; plain strings become ``Email(value)`` of kind work."""
    return tuple(e if isinstance(e, Email) else Email(e) for e in to_tuple(value))


def to_custom(value: Mapping[str, Any] | None) -> FrozenMap[CustomValue]:
    """Custom field values by key, checked (see :func:`checks.custom_values`)."""
    return FrozenMap(custom_values(value))
