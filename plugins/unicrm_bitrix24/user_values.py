"""``UF_CRM_*`` values <-> neutral custom values, typed by ``*.userfield.list`` (notes §9).

Read: string/url -> str; integer/double -> Decimal; boolean (``true``/``"1"``/``"Y"``) -> bool;
date -> ``date``; datetime -> aware ``datetime``; enumeration -> the option *label* (the wire
carries option ids), multiple enumeration -> a tuple of labels; multiple string/url/money -> a
tuple of texts. Empty values (``null``, ``""``,
``false`` for an empty multiple field) read as absent. Write is the inverse, as strings (a
``batch`` sub-command cannot carry other JSON types); an unknown option label or a value of the
wrong type is a :class:`~unicrm.errors.ValidationError`.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from unicrm.errors import ValidationError
from unicrm.model import CustomValue
from unicrm_bitrix24.schema import UserField
from unicrm_bitrix24.wire import format_datetime, parse_datetime

VENDOR = "bitrix24"
TRUE = frozenset({"1", "Y", "y", "true", "True"})
#: A one-argument reader of raw values of one user field.
Reader = Callable[[Any], CustomValue]


#: A money user field's text: ``"443000|RUB"``, ``"99.50|USD"``.
MONEY = re.compile(r"-?\d+(\.\d+)?\|[A-Z]{3}")


def _empty(raw: Any) -> bool:
    return raw is None or raw is False or raw in ("", [])


def _text(raw: Any) -> CustomValue:
    return raw if type(raw) is str else str(raw)


def _number(raw: Any) -> CustomValue:
    try:
        return Decimal(str(raw))
    except InvalidOperation:
        return None


def _boolean(raw: Any) -> CustomValue:
    return raw is True or str(raw) in TRUE


def _date(raw: Any) -> CustomValue:
    text = str(raw)
    if len(text) == 10:
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    parsed = parse_datetime(text)
    return parsed.date() if parsed else None


def _datetime(raw: Any) -> CustomValue:
    return parse_datetime(str(raw))


def _select(field: UserField) -> Reader:
    labels: dict[str, str] = {}
    for option_id, text in field.options:
        labels.setdefault(option_id, text)  # the first option with an id wins

    def label_of(raw: Any) -> str:
        option_id = str(raw)
        return labels.get(option_id) or option_id

    if not field.multiple:
        return label_of

    def many(raw: Any) -> CustomValue:
        ids = raw if isinstance(raw, list) else [raw]
        return tuple(label_of(i) for i in ids if not _empty(i))

    return many


#: ``USER_TYPE_ID`` -> the reader of its non-empty values, made for one field.
READERS: Mapping[str, Callable[[UserField], Reader]] = {
    "string": lambda field: _text,
    "url": lambda field: _text,
    "money": lambda field: _text,
    "integer": lambda field: _number,
    "double": lambda field: _number,
    "date": lambda field: _date,
    "datetime": lambda field: _datetime,
    "enumeration": _select,
}


def _texts(raw: Any) -> CustomValue:
    """A multiple text field: every non-empty value, in order (``false`` when empty)."""
    values = raw if isinstance(raw, list) else [raw]
    found = tuple(
        v if type(v) is str else str(v)
        for v in values
        if not _empty(v) and not isinstance(v, (dict, list))
    )
    return found or None


def _boolean_value(raw: Any) -> CustomValue:
    if raw is None or raw == "":  # false is a value here ("not set" is null or "")
        return None
    return _boolean(raw)


def _nothing(raw: Any) -> CustomValue:
    return None


def reader_for(field: UserField) -> Reader:
    """The reader of ``field``'s raw values (None when empty), made once per field so a list
    read of thousands of rows looks nothing up per value."""
    if field.type == "boolean":
        return _boolean_value
    if field.neutral_type is None:
        return _nothing
    inner = READERS[field.type](field)
    if field.multiple and field.type != "enumeration":
        return _texts

    def read(raw: Any) -> CustomValue:
        if raw is None or raw is False or raw in ("", []):
            return None
        return inner(raw)

    return read


def read_value(raw: Any, field: UserField) -> CustomValue:
    """The neutral value of a typed user field (None when empty)."""
    return reader_for(field)(raw)


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
    """The wire value for ``value`` (``""`` clears the field: an empty list would vanish from
    a form-encoded ``batch`` command and clear nothing)."""
    if value is None or value == ():
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
    if field.multiple:
        texts = value if isinstance(value, tuple) else (value,)
        return [_one_text(field, v) for v in texts]
    return _one_text(field, value)


def _one_text(field: UserField, value: Any) -> str:
    if field.type == "money" and not (isinstance(value, str) and MONEY.fullmatch(value)):
        raise _bad(field, value)
    if not isinstance(value, str):
        raise _bad(field, value)
    return value


__all__ = ["Reader", "read_value", "reader_for", "write_value"]
