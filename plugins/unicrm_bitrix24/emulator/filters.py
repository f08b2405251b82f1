"""The classic list filter (``crm.lead.list``/``crm.contact.list``) compiled to SQL.

A filter key is ``[!][+]<operator><FIELD>`` (notes §4.3-A). The semantics are kept in tables
and small builders:

* no operator or ``=``: equality (arrays: IN); ``0``/``""`` also match NULL;
* ``!``: NULL-inclusive negation of whatever follows; with an array, NOT IN;
* ``>`` ``>=`` ``<`` ``<=``: comparisons; ``@``/``!@``: IN / NOT IN;
* ``%``: substring LIKE (``%``/``_`` in the value literal or wildcards: a switch);
  ``=%``/``%=``: raw LIKE; LIKE folds case in all of Unicode or ASCII only (a switch);
* ``+``: also match NULL/empty/zero;
* LIKE operators become ``=`` on numeric, status and link fields; dates accept only equality
  and comparisons and an unreadable date turns the condition into ``IS NULL``;
* PHONE/EMAIL/WEB/IM/LINK match whole values (or a raw LIKE: a switch);
* empty arrays, unknown fields and ``LOGIC``/nested groups are dropped silently.

The switches are :class:`~unicrm_bitrix24.emulator.switches.Switches` (what the docs leave
open).
"""

from __future__ import annotations

import re
from typing import Any

from unicrm_bitrix24.emulator import dates
from unicrm_bitrix24.emulator.fields import KIND_BY_TYPE, LIKE_AS_EQUAL_TYPES, MULTIFIELDS
from unicrm_bitrix24.emulator.like import escape_like
from unicrm_bitrix24.emulator.params import as_list, floatval, intval
from unicrm_bitrix24.emulator.store import EntitySchema
from unicrm_bitrix24.emulator.switches import Switches

_KEY = re.compile(r"^(!?)(\+?)(=%|%=|>=|<=|\*%|\*=|>|<|@|%|=|\?|\*)?(.*)$", re.S)

#: wire operator -> logical operator
OPERATORS: dict[str, str] = {
    "": "eq",
    "=": "eq",
    ">": ">",
    ">=": ">=",
    "<": "<",
    "<=": "<=",
    "@": "in",
    "%": "like",
    "?": "like",
    "*": "like",
    "*%": "like",
    "*=": "like",
    "=%": "rawlike",
    "%=": "rawlike",
}
_LIKES = frozenset({"like", "rawlike"})
_COMPARE = frozenset({">", ">=", "<", "<="})

Sql = tuple[str, list[Any]]


class _Target:
    """Where a condition applies: a column of the entity row, an element of a JSON list
    column, or the VALUE of the entity's multifield entries of one type."""

    def __init__(self, kind: str, column: str, field_type: str, item_kind: str = "int") -> None:
        self.kind = kind  # int | float | str | date | json | fm
        self.column = column
        self.field_type = field_type
        self.item_kind = item_kind  # the kind of each element of a JSON list column


def _target(schema: EntitySchema, name: str) -> _Target | None:
    field = schema.field(name)
    if field is not None and not field.virtual:
        if field.kind == "fm":
            return _Target("fm", name, field.type)
        return _Target(field.kind, f'{schema.table}."{name}"', field.type)
    uf = schema.user_field(name)
    if uf is not None:
        item_kind = KIND_BY_TYPE.get(uf.user_type, "str")
        return _Target(uf.kind, f'{schema.table}."{name}"', uf.user_type, item_kind)
    return None


def _effective(op: str, target: _Target) -> str:
    kind = target.item_kind if target.kind == "json" else target.kind
    if kind == "date":
        return op if op in _COMPARE or op == "eq" else "eq"
    if op in _LIKES and (kind in ("int", "float") or target.field_type in LIKE_AS_EQUAL_TYPES):
        return "eq"
    return op


def _scalar_text(value: Any) -> str:
    if value is None or value is False:
        return ""
    if value is True:
        return "1"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _convert(kind: str, value: Any) -> Any:
    if kind in ("int", "json"):
        return intval(value)
    if kind == "float":
        return floatval(value)
    if kind == "date":
        return dates.parse(value)
    return _scalar_text(value)


def _is_blank(kind: str, value: Any) -> bool:
    if value is None or value == "" or value is False:
        return True
    if kind in ("int", "float", "json"):
        return bool(_convert(kind, value) == 0)
    return False


def _like(col: str, pattern: str, switches: Switches) -> Sql:
    if switches.like_case == "unicode":
        return f"b24_like(?, {col})", [pattern]
    return f"{col} LIKE ? ESCAPE '\\'", [pattern]


def _condition(col: str, kind: str, op: str, value: Any, switches: Switches) -> Sql:
    """One positive condition on ``col`` for a scalar value."""
    if kind == "date":
        ts = dates.parse(value)
        if ts is None:
            return f"{col} IS NULL", []
        return f"{col} {'=' if op == 'eq' else op} ?", [ts]
    if op in ("eq", "in"):
        if _is_blank(kind, value):
            zero = "0" if kind in ("int", "float", "json") else "''"
            return f"({col} IS NULL OR {col} = {zero})", []
        return f"{col} = ?", [_convert(kind, value)]
    if op in _COMPARE:
        return f"{col} {op} ?", [_convert(kind, value)]
    if op == "like":
        text = _scalar_text(value)
        inner = escape_like(text) if switches.like_wildcards == "literal" else text
        return _like(col, f"%{inner}%", switches)
    return _like(col, _scalar_text(value), switches)


def _blank_clause(col: str, kind: str) -> str:
    if kind == "date":
        return f"{col} IS NULL"
    zero = "0" if kind in ("int", "float", "json") else "''"
    return f"({col} IS NULL OR {col} = {zero})"


def _values_condition(col: str, kind: str, op: str, values: list[Any], switches: Switches) -> Sql:
    """Positive condition for one or more values (several values are OR-ed: IN)."""
    plain = op in ("eq", "in") and kind not in ("date",)
    if plain and len(values) > 1 and not any(_is_blank(kind, v) for v in values):
        converted = [_convert(kind, v) for v in values]
        return f"{col} IN ({','.join('?' for _ in converted)})", converted
    parts: list[str] = []
    params: list[Any] = []
    for value in values:
        sql, p = _condition(col, kind, op, value, switches)
        parts.append(sql)
        params += p
    return (parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"), params


def _wrap_target(
    schema: EntitySchema, target: _Target, op: str, values: list[Any], switches: Switches
) -> Sql:
    if target.kind == "fm":
        # Multifield sub-filter on the entries' VALUE: whole values (the docs), or equality as
        # a raw LIKE (the notes), by switch.
        sub_op = op
        if op in ("eq", "in"):
            sub_op = "rawlike" if switches.multifield_filter == "like" else "eq"
        parts, params = [], []
        for value in values:
            sql, p = _condition("fm.VALUE", "str", sub_op, value, switches)
            parts.append(sql)
            params += p
        cond = parts[0] if len(parts) == 1 else "(" + " OR ".join(parts) + ")"
        return (
            "EXISTS (SELECT 1 FROM fm WHERE fm.ENTITY=? AND fm.OWNER_ID="
            f"{schema.table}.ID AND fm.TYPE_ID=? AND {cond})",
            [schema.name, target.column, *params],
        )
    if target.kind == "json":
        sql, params = _values_condition("je.value", target.item_kind, op, values, switches)
        return (
            f"EXISTS (SELECT 1 FROM json_each(COALESCE({target.column}, '[]')) AS je WHERE {sql})",
            params,
        )
    return _values_condition(target.column, target.kind, op, values, switches)


def compile_filter(schema: EntitySchema, raw: Any, switches: Switches | None = None) -> Sql:
    """A ``filter`` parameter -> ``(where_sql, params)``; ``"1=1"`` when nothing applies."""
    switches = switches or Switches()
    if not isinstance(raw, dict):
        return "1=1", []
    clauses: list[str] = []
    params: list[Any] = []
    for key, value in raw.items():
        match = _KEY.match(str(key))
        if match is None:
            continue
        neg, or_null, wire_op, name = match.groups()
        wire_op = wire_op or ""
        name = name.strip().upper()
        target = _target(schema, name)
        if target is None or wire_op not in OPERATORS:
            continue  # unknown field (typo, LOGIC, nested group): silently dropped
        op = _effective(OPERATORS[wire_op], target)
        is_array = isinstance(value, (list, dict))
        values = as_list(value) if is_array else [value]
        if is_array and not values:
            continue  # an empty array is no condition at all
        if any(isinstance(v, (list, dict)) for v in values):
            continue  # nested arrays cannot be a value
        sql, p = _wrap_target(schema, target, op, values, switches)
        if neg:
            sql = f"NOT IFNULL(({sql}), 0)"
        if or_null and target.kind not in ("fm", "json"):
            sql = f"({sql} OR {_blank_clause(target.column, target.kind)})"
        clauses.append(sql)
        params += p
    return (" AND ".join(clauses) if clauses else "1=1"), params


def _stage_sort_sql(schema: EntitySchema, sorts: dict[str, int]) -> str:
    cases = " ".join(f"WHEN '{code}' THEN {sort}" for code, sort in sorts.items())
    return f'(CASE {schema.table}."STATUS_ID" {cases} ELSE 100000 END)'


def compile_order(schema: EntitySchema, raw: Any, stage_sorts: dict[str, int]) -> str:
    """An ``order`` parameter -> ``ORDER BY`` body; unknown fields are ignored, anything but
    ``ASC`` means descending, ``ID`` breaks ties so pages never overlap."""
    terms: list[str] = []
    seen_id = False
    if isinstance(raw, dict):
        for key, direction in raw.items():
            name = str(key).strip().upper()
            target = _target(schema, name)
            if target is None or target.kind in ("fm", "json"):
                continue
            sql_dir = "ASC" if str(direction).strip().upper() == "ASC" else "DESC"
            if name == "STATUS_ID" and schema.name == "lead":
                terms.append(f"{_stage_sort_sql(schema, stage_sorts)} {sql_dir}")
            else:
                terms.append(f"{target.column} {sql_dir}")
            seen_id = seen_id or name == "ID"
    if not seen_id:
        terms.append(f"{schema.table}.ID ASC")
    return ", ".join(terms)


def multifield_names() -> tuple[str, ...]:
    return MULTIFIELDS
