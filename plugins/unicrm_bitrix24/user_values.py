"""``UF_CRM_*`` values <-> neutral custom values, typed by ``*.userfield.list`` (notes §9).

Read: string/url -> str; integer/double -> Decimal; boolean (``true``/``"1"``/``"Y"``) -> bool;
date -> ``date``; datetime -> aware ``datetime``; enumeration -> the option *label* (the wire
carries option ids), multiple enumeration -> a tuple of labels. Empty values (``null``, ``""``,
``false`` for an empty multiple field) read as absent. Write is the inverse, as strings (a
``batch`` sub-command cannot carry other JSON types); an unknown option label or a value of the
wrong type is a :class:`~unicrm.errors.ValidationError`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from unicrm.errors import ValidationError
from unicrm.model import CustomValue
from unicrm_bitrix24.schema import UserField
from unicrm_bitrix24.wire import format_datetime, parse_datetime

VENDOR = "bitrix24"
TRUE = frozenset({"1", "Y", "y", "true", "True"})


def _empty(raw: Any) -> bool:
    return raw is None or raw is False or (isinstance(raw, (str, list)) and not raw)


def _text(raw: Any, field: UserField) -> CustomValue:
    return str(raw)


def _number(raw: Any, field: UserField) -> CustomValue:
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _boolean(raw: Any, field: UserField) -> CustomValue:
    return raw is True or str(raw) in TRUE


def _date(raw: Any, field: UserField) -> CustomValue:
    text = str(raw)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    parsed = parse_datetime(text)
    return parsed.date() if parsed else None


def _datetime(raw: Any, field: UserField) -> CustomValue:
    return parse_datetime(str(raw))


def _select(raw: Any, field: UserField) -> CustomValue:
    if field.multiple:
        ids = raw if isinstance(raw, list) else [raw]
        return tuple(field.label_of(str(i)) or str(i) for i in ids if not _empty(i))
    return field.label_of(str(raw)) or str(raw)


READERS: Mapping[str, Callable[[Any, UserField], CustomValue]] = {
    "string": _text,
    "url": _text,
    "integer": _number,
    "double": _number,
    "boolean": _boolean,
    "date": _date,
    "datetime": _datetime,
    "enumeration": _select,
}


def read_value(raw: Any, field: UserField) -> CustomValue:
    """The neutral value of a typed user field (None when empty)."""
    if field.type == "boolean" and raw is not None and raw != "":
        return _boolean(raw, field)
    if _empty(raw) or field.neutral_type is None:
        return None
    return READERS[field.type](raw, field)


def _bad(field: UserField, value: Any) -> ValidationError:
    return ValidationError(
        f"bitrix24 user field {field.name} ({field.type}) cannot hold {value!r}",
        vendor=VENDOR,
        details=((f"custom.{field.key}", f"not a {field.type} value"),),
    )


def _option_id(field: UserField, label: Any) -> str:
    found = field.id_of(str(label))
    if found is None:
        raise ValidationError(
            f"bitrix24 user field {field.name} has no option {label!r}",
            vendor=VENDOR,
            details=((f"custom.{field.key}", f"unknown option {label!r}"),),
        )
    return found


def write_value(value: CustomValue, field: UserField) -> Any:
    """The wire value for ``value`` (``""`` clears the field)."""
    if value is None:
        return ""
    kind = field.type
    if kind == "enumeration":
        labels = value if isinstance(value, tuple) else (value,)
        ids = [_option_id(field, label) for label in labels]
        return ids if field.multiple else ids[0]
    if kind == "boolean":
        if not isinstance(value, bool):
            raise _bad(field, value)
        return "1" if value else "0"
    if kind in ("integer", "double"):
        if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
            raise _bad(field, value)
        return str(value)
    if kind == "datetime":
        if not isinstance(value, dt.datetime):
            raise _bad(field, value)
        return format_datetime(value)
    if kind == "date":
        if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
            raise _bad(field, value)
        return value.isoformat()
    if not isinstance(value, str):
        raise _bad(field, value)
    return value


__all__ = ["read_value", "write_value"]
