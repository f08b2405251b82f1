"""Values between the wire and the store, both ways, as classic CRM methods shape them.

Reading: ids and integers as strings, money as ``"15000.00"``, flags ``Y``/``N``, dates as
ISO-8601 with the portal offset or ``""``. Writing: PHP-style coercion; an unreadable date is
dropped silently, as the server does.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

from unicrm_bitrix24.emulator import dates
from unicrm_bitrix24.emulator.fields import Field, UserField
from unicrm_bitrix24.emulator.params import as_list, floatval, intval

_DROP = object()  # a written value the server ignores


def php_float(value: float) -> str:
    """PHP's shortest float text (``12.5``, ``3``)."""
    text = repr(float(value))
    return text[:-2] if text.endswith(".0") else text


def _int_text(v: Any) -> Any:
    return None if v is None else str(int(v))


def _money_text(v: Any) -> Any:
    return None if v is None else f"{float(v):.2f}"


def _same(v: Any) -> Any:
    return v


#: vendor type -> renderer for standard fields
_RENDER: dict[str, Callable[[Any], Any]] = {
    "integer": _int_text,
    "user": _int_text,
    "crm_company": _int_text,
    "crm_contact": _int_text,
    "crm_lead": _int_text,
    "double": _money_text,
    "date": dates.render,
    "datetime": dates.render,
}


def render_field(field: Field, value: Any) -> Any:
    return _RENDER.get(field.type, _same)(value)


def renderer(field: Field) -> Callable[[Any], Any]:
    """The function that renders a standard field's stored value (pick once, apply often)."""
    return _RENDER.get(field.type, _same)


def _uf_int_text(v: Any) -> str:
    return str(int(v))


def _uf_bool_text(v: Any) -> str:
    return "1" if v else "0"


#: user field type -> renderer of one stored value (types not listed are sent as stored)
_UF_RENDER: dict[str, Callable[[Any], Any]] = {
    "date": dates.render,
    "datetime": dates.render,
    "integer": _uf_int_text,
    "enumeration": _uf_int_text,
    "employee": _uf_int_text,
    "boolean": _uf_bool_text,
    "double": php_float,
}


def user_field_renderer(uf: UserField, *, full: bool) -> Callable[[Any], Any]:
    """The function that renders a user field's stored value (pick once, apply often).

    ``full`` (``get``) renders empties as ``""`` instead of null; a multiple field is a list
    of its values rendered one by one, or ``false`` when empty.
    """
    one = _UF_RENDER.get(uf.user_type, _same)
    if uf.multiple:

        def many(value: Any) -> Any:
            items = json.loads(value) if value else []
            return [one(i) for i in items] if items else False

        return many
    empty = "" if full else None
    if one is _same:

        def plain(value: Any) -> Any:
            return empty if value is None else value

        return plain
    if one is _uf_int_text:

        def integer(value: Any) -> Any:
            return empty if value is None else str(int(value))

        return integer
    if one is _uf_bool_text:

        def boolean(value: Any) -> Any:
            return empty if value is None else ("1" if value else "0")

        return boolean

    def single(value: Any) -> Any:
        return empty if value is None else one(value)

    return single


#: renders a whole column of stored values (one call per column of a page)
ColumnRender = Callable[[Sequence[Any]], list[Any]]


def _mapped(render: Callable[[Any], Any]) -> ColumnRender:
    def column(values: Sequence[Any]) -> list[Any]:
        return list(map(render, values))

    return column


def _int_column(values: Sequence[Any]) -> list[Any]:
    return [None if v is None else str(int(v)) for v in values]


def _money_column(values: Sequence[Any]) -> list[Any]:
    return [None if v is None else f"{float(v):.2f}" for v in values]


def _date_column(values: Sequence[Any]) -> list[Any]:
    return dates.render_column(values, "")


#: column versions of the standard field renderers (the same values, fewer calls)
_COLUMN_RENDER: dict[Callable[[Any], Any], ColumnRender] = {
    _int_text: _int_column,
    _money_text: _money_column,
    dates.render: _date_column,
}


def column_renderer(field: Field) -> ColumnRender | None:
    """What :func:`renderer` does, over a column; ``None`` when values are sent as stored."""
    render = renderer(field)
    if render is _same:
        return None
    return _COLUMN_RENDER.get(render) or _mapped(render)


def user_field_column_renderer(uf: UserField, *, full: bool) -> ColumnRender:
    """What :func:`user_field_renderer` does, over a column of stored values."""
    one = _UF_RENDER.get(uf.user_type)
    if not uf.multiple:
        empty = "" if full else None
        if one is _uf_int_text:
            return lambda values: [empty if v is None else str(int(v)) for v in values]
        if one is dates.render:
            return lambda values: dates.render_column(values, empty)
        return _mapped(user_field_renderer(uf, full=full))
    return _multiple_column(user_field_renderer(uf, full=full))


_MULTIPLE_KEPT = 4096


def _multiple_column(many: Callable[[Any], Any]) -> ColumnRender:
    """A multiple user field over a column: each distinct stored text is decoded and rendered
    once (the same few option sets recur on many rows); every row gets its own list."""
    seen: dict[Any, Any] = {}

    def column(values: Sequence[Any]) -> list[Any]:
        out: list[Any] = []
        append = out.append
        for value in values:
            if not value:
                append(False)
                continue
            rendered = seen.get(value)
            if rendered is None:
                rendered = many(value)
                if len(seen) < _MULTIPLE_KEPT:
                    seen[value] = rendered
            append(list(rendered) if isinstance(rendered, list) else rendered)
        return out

    return column


def render_user_field(uf: UserField, value: Any, *, full: bool) -> Any:
    """A user field's value as answers carry it (see :func:`user_field_renderer`)."""
    return user_field_renderer(uf, full=full)(value)


def is_verbatim(render: Callable[[Any], Any]) -> bool:
    """Whether ``render`` sends the stored value unchanged (callers may skip the call)."""
    return render is _same


# -- writing ------------------------------------------------------------------------------
def _text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, bool):
        return "1" if value else ""
    if isinstance(value, (dict, list)):
        return _DROP
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _flag(value: Any) -> Any:
    if isinstance(value, str):
        return "Y" if value.strip().upper() in ("Y", "1", "TRUE") else "N"
    return "Y" if value else "N"


def _int(value: Any) -> Any:
    if value is None or value == "":
        return None
    if isinstance(value, (dict, list)):
        return _DROP
    return intval(value)


def _float(value: Any) -> Any:
    if value is None or value == "":
        return 0.0
    if isinstance(value, (dict, list)):
        return _DROP
    return round(floatval(value), 2)


def _datetime(value: Any) -> Any:
    if value is None or value == "":
        return None
    ts = dates.parse(value)
    return _DROP if ts is None else ts


def _date(value: Any) -> Any:
    ts = _datetime(value)
    return ts if ts is None or ts is _DROP else dates.midnight(ts)


def _file(value: Any) -> Any:
    return _DROP  # the emulator keeps no files: a written file is ignored


_COERCE: dict[str, Callable[[Any], Any]] = {
    "file": _file,
    "integer": _int,
    "user": _int,
    "crm_company": _int,
    "crm_contact": _int,
    "crm_lead": _int,
    "double": _float,
    "char": _flag,
    "date": _date,
    "datetime": _datetime,
}


def coerce_field(field: Field, value: Any) -> Any:
    """The stored form of a written standard field, or :data:`DROP`."""
    return _COERCE.get(field.type, _text)(value)


def _bool_uf(value: Any) -> Any:
    if isinstance(value, str):
        return 1 if value.strip().upper() in ("1", "Y", "TRUE") else 0
    return 1 if value else 0


def _coerce_uf_value(uf: UserField, value: Any) -> Any:
    """One written value of a user field -> its stored form, ``None`` or :data:`DROP`."""
    t = uf.user_type
    if t == "boolean":
        return _bool_uf(value)
    if t == "enumeration":
        if value in (None, ""):
            return None
        if isinstance(value, (dict, list)):
            return _DROP
        oid = intval(value)
        return oid if oid in uf.option_ids else _DROP
    if t in ("integer", "employee"):
        return _int(value)
    if t == "double":
        return None if value in (None, "") else _float(value)
    if t == "datetime":
        return _datetime(value)
    if t == "date":
        return _date(value)
    text = _text(value)
    return None if text == "" else text


def coerce_user_field(uf: UserField, value: Any) -> Any:
    """The stored form of a written user field, or :data:`DROP`. A multiple field keeps the
    readable values of the array (JSON text), each coerced as a single value would be."""
    if not uf.multiple:
        if uf.user_type in ("string", "url", "money") or uf.user_type not in _UF_TYPED:
            return _text(value)
        return _coerce_uf_value(uf, value)
    items = [_coerce_uf_value(uf, v) for v in as_list(value) if v is not None]
    kept = [i for i in items if i is not None and i is not _DROP]
    return json.dumps(kept, ensure_ascii=False) if kept else None


_UF_TYPED = frozenset(
    {"boolean", "enumeration", "integer", "employee", "double", "date", "datetime"}
)


DROP = _DROP
