"""``filter[...]`` and ``query=`` of list requests -> a SQL condition (vendor notes §3.3-3.5).

Different keys are AND-ed, values within one key OR-ed, ranges inclusive; ``statuses`` is a
list of (pipeline, status) pairs; custom fields are addressed by numeric id (select options by
enum id). Keys the endpoint does not know, malformed values and empty lists are ignored
silently, as amoCRM does: the caller then gets the unfiltered list.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from unicrm.emulation import as_list

Condition = tuple[str, list[Any]]

#: Filter keys per entity kind: key -> (column, accepts several values, accepts a range).
KEYS: Mapping[str, Mapping[str, tuple[str, bool, bool]]] = {
    "leads": {
        "id": ("id", True, False),
        "name": ("name", True, False),
        "price": ("price", False, True),
        "pipeline_id": ("pipeline_id", True, False),
        "created_by": ("created_by", True, False),
        "updated_by": ("updated_by", True, False),
        "responsible_user_id": ("responsible_user_id", True, False),
        "created_at": ("created_at", False, True),
        "updated_at": ("updated_at", False, True),
        "closed_at": ("closed_at", False, True),
        "closest_task_at": ("closest_task_at", False, True),
    },
}
_COMMON = {
    k: v
    for k, v in KEYS["leads"].items()
    if k
    in {
        "id",
        "name",
        "created_by",
        "updated_by",
        "responsible_user_id",
        "created_at",
        "updated_at",
        "closest_task_at",
    }
}
KEYS = {**KEYS, "contacts": _COMMON, "companies": _COMMON}

#: Custom field types whose filter value is an enum id.
ENUM_TYPES = frozenset({"select", "multiselect", "radiobutton", "multitext"})
RANGE_TYPES = frozenset({"numeric", "date", "date_time", "birthday", "monetary", "price"})


def _int(value: Any) -> int | None:
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value.strip())
    return None


def _scalar(value: Any) -> Any:
    number = _int(value)
    return number if number is not None else value


def _values(raw: Any, multi: bool) -> list[Any]:
    values = [v for v in as_list(raw) if isinstance(v, str) and v.strip()]
    if not multi and len(values) > 1:
        values = values[-1:]
    return values


def _range(column: str, raw: Mapping[str, Any]) -> Condition | None:
    parts, args = [], []
    for bound, op in (("from", ">="), ("to", "<=")):
        number = _int(raw.get(bound)) if isinstance(raw.get(bound), str) else None
        if number is not None:
            parts.append(f"{column} {op} ?")
            args.append(number)
    return (" AND ".join(parts), args) if parts else None


def _key(column: str, multi: bool, ranged: bool, raw: Any) -> Condition | None:
    if isinstance(raw, dict) and ranged and ({"from", "to"} & raw.keys()):
        return _range(column, raw)
    values = _values(raw, multi)
    if not values:
        return None
    marks = ",".join("?" * len(values))
    return f"{column} IN ({marks})", [_scalar(v) for v in values]


def _statuses(raw: Any) -> Condition | None:
    pairs = []
    for item in as_list(raw):
        if not isinstance(item, dict):
            continue
        pipeline, status = _int(item.get("pipeline_id")), _int(item.get("status_id"))
        if pipeline is not None and status is not None:
            pairs.append((pipeline, status))
    if not pairs:
        return None
    sql = " OR ".join("(pipeline_id = ? AND status_id = ?)" for _ in pairs)
    return f"({sql})", [x for pair in pairs for x in pair]


def _custom(kind: str, raw: Any, field_types: Mapping[int, str]) -> list[Condition]:
    conditions: list[Condition] = []
    if not isinstance(raw, dict):
        return conditions
    for key, spec in raw.items():
        field_id = _int(key)
        if field_id is None or field_id not in field_types:
            continue
        field_type = field_types[field_id]
        base = (
            "EXISTS (SELECT 1 FROM cf_values c WHERE c.kind = ? AND c.entity_id = e.id "
            "AND c.field_id = ?"
        )
        if isinstance(spec, dict) and ({"from", "to"} & spec.keys()) and field_type in RANGE_TYPES:
            bounds = _range("c.num", spec)
            if bounds:
                conditions.append((f"{base} AND {bounds[0]})", [kind, field_id, *bounds[1]]))
            continue
        values = _values(spec, multi=True)
        if not values:
            continue
        marks = ",".join("?" * len(values))
        if field_type in ENUM_TYPES:
            ids = [_int(v) for v in values]
            conditions.append((f"{base} AND c.enum_id IN ({marks}))", [kind, field_id, *ids]))
        elif field_type in RANGE_TYPES:
            nums = [float(v) if _is_number(v) else None for v in values]
            conditions.append((f"{base} AND c.num IN ({marks}))", [kind, field_id, *nums]))
        else:
            conditions.append((f"{base} AND c.value IN ({marks}))", [kind, field_id, *values]))
    return conditions


def _is_number(value: str) -> bool:
    try:
        float(value)
    except ValueError:
        return False
    return True


def search(kind: str, text: str) -> Condition:
    """``query=``: case-insensitive substring over the name(s) and every custom field value."""
    names = "icontains(e.name, ?)"
    args: list[Any] = [text]
    if kind != "leads":
        names += " OR icontains(e.first_name, ?) OR icontains(e.last_name, ?)"
        args += [text, text]
    sql = (
        f"({names} OR EXISTS (SELECT 1 FROM cf_values c WHERE c.kind = ? "
        "AND c.entity_id = e.id AND icontains(c.value, ?)))"
    )
    return sql, [*args, kind, text]


def where(kind: str, params: Mapping[str, Any], field_types: Mapping[int, str]) -> Condition:
    """The whole condition for a list request's parsed parameters (``"1"`` when unfiltered)."""
    conditions: list[Condition] = []
    raw_filter = params.get("filter")
    if isinstance(raw_filter, dict):
        handlers: dict[str, Callable[[Any], Condition | None]] = {
            key: functools.partial(_key, *spec) for key, spec in KEYS[kind].items()
        }
        if kind == "leads":
            handlers["statuses"] = _statuses
        for key, raw in raw_filter.items():
            if key == "custom_fields_values":
                conditions.extend(_custom(kind, raw, field_types))
            elif key in handlers:
                found = handlers[key](raw)
                if found is not None:
                    conditions.append(found)
    text = params.get("query")
    if isinstance(text, str) and text.strip():
        conditions.append(search(kind, text.strip()))
    if not conditions:
        return "1", []
    return " AND ".join(f"({sql})" for sql, _ in conditions), [
        a for _, args in conditions for a in args
    ]
