"""Custom field values: amoCRM ``custom_fields_values`` items <-> typed neutral values.

Typed by the account's definitions (:class:`~unicrm_amocrm.schema.AmoField`), one row per
vendor field type in :data:`VALUE_CODECS`. Types without a row (legal_entity, file, items...)
are not interpreted: the mapping keeps their raw items in ``extra`` so nothing is lost.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

import attrs

from unicrm.errors import ValidationError
from unicrm.model import CustomFieldDef, CustomFieldOption, CustomFieldType, CustomValue
from unicrm_amocrm.schema import AmoField

VENDOR = "amocrm"
UTC = dt.timezone.utc


def _first(values: list[Mapping[str, Any]]) -> Any:
    return values[0].get("value") if values else None


def _read_text(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    value = _first(values)
    return None if value is None or value == "" else str(value)


def _read_number(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    value = _first(values)
    if value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except InvalidOperation:
        return str(value)


def _read_flag(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    value = _first(values)
    return None if value is None else bool(value)


def _read_date(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    value = _first(values)
    return None if value is None else dt.datetime.fromtimestamp(int(value), UTC).date()


def _read_datetime(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    value = _first(values)
    return None if value is None else dt.datetime.fromtimestamp(int(value), UTC)


def _label(field: AmoField, item: Mapping[str, Any]) -> str:
    found = field.enum_by_id(int(item["enum_id"])) if item.get("enum_id") is not None else None
    return found.value if found is not None else str(item.get("value") or "")


def _read_select(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    return _label(field, values[0]) if values else None


def _read_labels(field: AmoField, values: list[Mapping[str, Any]]) -> CustomValue:
    return tuple(_label(field, v) for v in values) or None


def _bad(field: AmoField, value: object) -> ValidationError:
    return ValidationError(
        f"custom.{field.key}: amocrm field {field.name!r} ({field.type}) cannot hold "
        f"{type(value).__name__} {value!r}",
        vendor=VENDOR,
        details=((f"custom.{field.key}", f"expected a {field.type} value"),),
    )


def _write_text(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if not isinstance(value, str):
        raise _bad(field, value)
    return [{"value": value}]


def _write_number(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if isinstance(value, bool) or not isinstance(value, (Decimal, int)):
        raise _bad(field, value)
    return [{"value": str(value)}]


def _write_flag(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if not isinstance(value, bool):
        raise _bad(field, value)
    return [{"value": value}]


def _write_date(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if not isinstance(value, dt.date) or isinstance(value, dt.datetime):
        raise _bad(field, value)
    midnight = dt.datetime(value.year, value.month, value.day, tzinfo=UTC)
    return [{"value": int(midnight.timestamp())}]


def _write_datetime(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if not isinstance(value, dt.datetime):
        raise _bad(field, value)
    return [{"value": int(value.timestamp())}]


def _enum_ids(field: AmoField, labels: tuple[str, ...]) -> list[dict[str, Any]]:
    items = []
    for label in labels:
        found = field.enum_by_value(label)
        if found is None:
            options = ", ".join(repr(e.value) for e in field.enums)
            raise ValidationError(
                f"custom.{field.key}: amocrm field {field.name!r} has no option {label!r}; "
                f"options: {options}",
                vendor=VENDOR,
                details=((f"custom.{field.key}", "unknown option"),),
            )
        items.append({"enum_id": found.id})
    return items


def _write_select(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    if not isinstance(value, str):
        raise _bad(field, value)
    return _enum_ids(field, (value,))


def _write_labels(field: AmoField, value: CustomValue) -> list[dict[str, Any]]:
    labels = (value,) if isinstance(value, str) else value
    if not isinstance(labels, tuple) or not all(isinstance(v, str) for v in labels):
        raise _bad(field, value)
    return _enum_ids(field, labels)


Reader = Callable[[AmoField, list[Mapping[str, Any]]], CustomValue]
Writer = Callable[[AmoField, CustomValue], list[dict[str, Any]]]


@attrs.frozen
class ValueCodec:
    """How one vendor field type reads, writes and shows up as a neutral definition."""

    neutral: CustomFieldType
    read: Reader
    write: Writer
    multiple: bool = False


_TEXT = ValueCodec(CustomFieldType.TEXT, _read_text, _write_text)
_NUMBER = ValueCodec(CustomFieldType.NUMBER, _read_number, _write_number)
_SELECT = ValueCodec(CustomFieldType.SELECT, _read_select, _write_select)

#: amoCRM field type -> codec (vendor notes §5.6-5.7).
VALUE_CODECS: Mapping[str, ValueCodec] = {
    "text": _TEXT,
    "textarea": _TEXT,
    "streetaddress": _TEXT,
    "url": ValueCodec(CustomFieldType.URL, _read_text, _write_text),
    "numeric": _NUMBER,
    "monetary": _NUMBER,
    "checkbox": ValueCodec(CustomFieldType.BOOLEAN, _read_flag, _write_flag),
    "date": ValueCodec(CustomFieldType.DATE, _read_date, _write_date),
    "birthday": ValueCodec(CustomFieldType.DATE, _read_date, _write_date),
    "date_time": ValueCodec(CustomFieldType.DATETIME, _read_datetime, _write_datetime),
    "select": _SELECT,
    "radiobutton": _SELECT,
    "multiselect": ValueCodec(
        CustomFieldType.MULTISELECT, _read_labels, _write_labels, multiple=True
    ),
}

#: Neutral type -> the amoCRM type a new field of that type gets.
VENDOR_TYPE: Mapping[CustomFieldType, str] = {
    # a textarea: amoCRM caps "text" values at 256 characters (notes §5.7), and unicrm's
    # own fields (migration notes) must hold longer texts.
    CustomFieldType.TEXT: "textarea",
    CustomFieldType.NUMBER: "numeric",
    CustomFieldType.BOOLEAN: "checkbox",
    CustomFieldType.DATE: "date",
    CustomFieldType.DATETIME: "date_time",
    CustomFieldType.SELECT: "select",
    CustomFieldType.MULTISELECT: "multiselect",
    CustomFieldType.URL: "url",
}


def definition_of(field: AmoField) -> CustomFieldDef | None:
    """The neutral definition of a vendor field (None for types the model does not cover)."""
    codec = VALUE_CODECS.get(field.type)
    if codec is None:
        return None
    return CustomFieldDef(
        key=field.key,
        label=field.name,
        type=codec.neutral,
        options=tuple(CustomFieldOption(str(e.id), e.value) for e in field.enums),
        multiple=codec.multiple,
        vendor_id=str(field.id),
    )


def new_field_payload(definition: CustomFieldDef) -> dict[str, Any]:
    """The ``POST /api/v4/{entity}/custom_fields`` item for a neutral definition."""
    payload: dict[str, Any] = {
        "name": definition.label,
        "type": VENDOR_TYPE[definition.type],
        "code": definition.key,
    }
    if definition.options:
        payload["enums"] = [
            {"value": o.label, "sort": (i + 1) * 10} for i, o in enumerate(definition.options)
        ]
    return payload


__all__ = ["VALUE_CODECS", "VENDOR_TYPE", "ValueCodec", "definition_of", "new_field_payload"]
