"""The core cattrs converter: neutral model <-> plain Python data (JSON-ready).

Vendor mapping modules derive their converters from this one (DESIGN §7.1). The rules here are
vendor-free:

* ``Decimal`` <-> string (exact; never a float),
* ``datetime`` <-> ISO 8601 with offset (naive datetimes are refused),
* ``date`` <-> ``YYYY-MM-DD``,
* enums <-> their string values,
* :class:`FrozenMap` <-> ``dict``; tuples <-> lists,
* custom field values keep their Python type by a tag (``{"decimal": "1.5"}``), so a JSON round
  trip of a record is exact;
* a link list that was not read (:data:`NOT_LOADED`) <-> ``null`` (an empty list stays ``[]``).
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

import cattrs

from unicrm.model.frozen import FrozenMap
from unicrm.model.links import NOT_LOADED, NotLoaded

_TAGS: tuple[tuple[str, type, Any, Any], ...] = (
    ("datetime", dt.datetime, lambda v: v.isoformat(), dt.datetime.fromisoformat),
    ("date", dt.date, lambda v: v.isoformat(), dt.date.fromisoformat),
    ("decimal", Decimal, str, Decimal),
    ("labels", tuple, list, tuple),
)


def unstructure_custom_value(value: Any) -> Any:
    """A custom field value as JSON-ready data, tagged when JSON alone would lose its type."""
    for tag, kind, dump, _load in _TAGS:
        if isinstance(value, kind):
            return {tag: dump(value)}
    return value


def structure_custom_value(value: Any) -> Any:
    """Inverse of :func:`unstructure_custom_value`."""
    if isinstance(value, dict) and len(value) == 1:
        ((tag, payload),) = value.items()
        for name, _kind, _dump, load in _TAGS:
            if name == tag:
                return load(payload)
    return value


def _structure_datetime(value: Any, _type: Any) -> dt.datetime:
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError(f"timestamp without a time zone: {value!r}")
    return parsed


def _is_link_list(kind: Any) -> bool:
    return NotLoaded in getattr(kind, "__args__", ())


def _links_type(kind: Any) -> Any:
    return next(a for a in kind.__args__ if a is not NotLoaded)


def configure_converter(converter: cattrs.Converter) -> None:
    """Apply the core rules listed in this module's docstring to ``converter``."""
    converter.register_unstructure_hook_func(
        _is_link_list,
        lambda v: None if v is NOT_LOADED else [converter.unstructure(x) for x in v],
    )
    converter.register_structure_hook_func(
        _is_link_list,
        lambda v, t: NOT_LOADED if v is None else converter.structure(v, _links_type(t)),
    )
    converter.register_unstructure_hook_func(
        lambda t: isinstance(t, type) and issubclass(t, enum.Enum), lambda v: v.value
    )
    converter.register_unstructure_hook(Decimal, str)
    converter.register_structure_hook(Decimal, lambda v, _t: Decimal(str(v)))
    converter.register_unstructure_hook(dt.datetime, lambda v: v.isoformat())
    converter.register_structure_hook(dt.datetime, _structure_datetime)
    converter.register_unstructure_hook(dt.date, lambda v: v.isoformat())
    converter.register_structure_hook(dt.date, lambda v, _t: dt.date.fromisoformat(str(v)))
    converter.register_unstructure_hook_func(
        lambda t: getattr(t, "__origin__", t) is FrozenMap,
        lambda m: {k: unstructure_custom_value(v) for k, v in m.items()},
    )
    converter.register_structure_hook_func(
        lambda t: getattr(t, "__origin__", t) is FrozenMap,
        lambda v, _t: FrozenMap({k: structure_custom_value(x) for k, x in (v or {}).items()}),
    )


def make_converter() -> cattrs.Converter:
    """A fresh converter with the core rules; derive vendor converters from this."""
    converter = cattrs.Converter(omit_if_default=False)
    configure_converter(converter)
    return converter
