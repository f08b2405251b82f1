"""Checking and normalising the values a query compares fields with.

Runs when a predicate is built, so a wrong type is an error at the call site and never a
silently different result. Each value type has one checker in :data:`CHECKERS`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from unicrm.errors import QueryError
from unicrm.model import StageSemantic
from unicrm.query.fields import ValueType
from unicrm.query.nodes import Op


def _string(field: str, value: Any) -> str:
    if isinstance(value, str):
        return value
    raise QueryError(f"{field} compares with text; got {type(value).__name__} {value!r}")


def _decimal(field: str, value: Any) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise QueryError(f"{field} compares with a number; got {type(value).__name__} {value!r}")
    try:
        number = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise QueryError(f"{field} compares with a number; {value!r} is not one") from None
    if not number.is_finite():
        raise QueryError(f"{field} compares with a finite number; got {value!r}")
    return number


def _datetime(field: str, value: Any) -> dt.datetime:
    parsed = value
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise QueryError(
                f"{field} compares with a timezone-aware datetime (or an ISO 8601 string with an "
                f"offset, e.g. '2024-05-01T00:00:00+00:00'); {value!r} is not one"
            ) from None
    if not isinstance(parsed, dt.datetime):
        raise QueryError(
            f"{field} compares with a timezone-aware datetime; got {type(value).__name__} {value!r}"
        )
    if parsed.tzinfo is None or parsed.utcoffset() is None:
        raise QueryError(f"{field} needs a timezone-aware datetime; {value!r} has no time zone")
    return parsed


def _id(field: str, value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise QueryError(f"{field} compares with an id (str or int); got {value!r}")
    return str(value)


def _semantic(field: str, value: Any) -> StageSemantic:
    try:
        return StageSemantic(value)
    except ValueError:
        options = ", ".join(repr(s.value) for s in StageSemantic)
        raise QueryError(f"{field} is one of {options}; got {value!r}") from None


def _any(field: str, value: Any) -> Any:
    if isinstance(value, float):
        return _decimal(field, value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, (str, int, Decimal, dt.date)):
        if isinstance(value, dt.datetime):
            return _datetime(field, value)
        return Decimal(value) if isinstance(value, int) else value
    raise QueryError(f"{field}: cannot compare a custom field with {type(value).__name__}")


CHECKERS: dict[ValueType, Callable[[str, Any], Any]] = {
    ValueType.STRING: _string,
    ValueType.DECIMAL: _decimal,
    ValueType.DATETIME: _datetime,
    ValueType.ID: _id,
    ValueType.SEMANTIC: _semantic,
    ValueType.ANY: _any,
}

_ORDERING = {Op.LT, Op.LE, Op.GT, Op.GE}
_TEXT = {Op.CONTAINS, Op.STARTSWITH, Op.NOT_CONTAINS, Op.NOT_STARTSWITH}

#: Which operators each value type accepts (``IS_NULL`` works everywhere).
ALLOWED_OPS: dict[ValueType, frozenset[Op]] = {
    ValueType.STRING: frozenset(Op),
    ValueType.DECIMAL: frozenset(Op) - _TEXT,
    ValueType.DATETIME: frozenset(Op) - _TEXT - {Op.IN, Op.NOT_IN},
    ValueType.ID: frozenset(Op) - _TEXT - _ORDERING,
    ValueType.SEMANTIC: frozenset(Op) - _TEXT - _ORDERING,
    ValueType.ANY: frozenset(Op),
}
MULTI_OPS = frozenset(Op) - _ORDERING
