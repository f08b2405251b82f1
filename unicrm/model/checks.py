"""The checks every model value passes when a record is built (attrs converters and validators).

A record that exists is a record every adapter can write: text is ``str`` that encodes as UTF-8
(no lone surrogates), ids are strings or integers, amounts are finite decimals of a sane size,
currencies are ISO 4217 codes, phones and e-mails are non-blank text. Wrong *types* raise
``TypeError``, wrong *values* ``ValueError`` — the exceptions Python itself raises for bad
arguments (cattrs collects them into its ``ClassValidationError`` when structuring). They are
raised at construction, never later inside an adapter or a query.

The currency list is the ISO 4217 table as published by its maintenance agency (SIX), shipped
by the ``iso4217`` package; it is read once, on the first check.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

#: Amounts must be smaller than this in magnitude (Bitrix24 keeps money as DECIMAL(18,2)).
MAX_AMOUNT_DIGITS = 15
#: At most this many digits after the decimal point (``Decimal("1E-999999")`` is refused).
MAX_AMOUNT_PLACES = 18


def _where(name: str) -> str:
    return f"{name} " if name else ""


def check_text(value: object, name: str = "") -> str:
    """``value`` if it is a ``str`` that encodes as UTF-8; TypeError/ValueError otherwise."""
    if not isinstance(value, str):
        raise TypeError(f"{_where(name)}must be text (str), got {type(value).__name__} {value!r}")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError as exc:
            raise ValueError(
                f"{_where(name)}contains a character that cannot be encoded "
                f"({value[exc.start : exc.end]!r}, a lone surrogate)"
            ) from None
    return value


def check_nonblank(value: object, name: str = "") -> str:
    """Text that is not empty or only whitespace (phone numbers, e-mail addresses)."""
    text = check_text(value, name)
    if not text.strip():
        raise ValueError(f"{_where(name)}must not be empty, got {value!r}")
    return text


def _name(instance: object, attribute: Any) -> str:
    return f"{type(instance).__name__}.{attribute.name}"


def opt_text(instance: object, attribute: Any, value: Any) -> None:
    """attrs validator: None or encodable text."""
    if value is None or (type(value) is str and value.isascii()):
        return  # the common case, decided without building a message
    check_text(value, _name(instance, attribute))


def nonblank(instance: object, attribute: Any, value: Any) -> None:
    """attrs validator: non-blank encodable text (None refused)."""
    check_nonblank(value, _name(instance, attribute))


def is_bool(instance: object, attribute: Any, value: Any) -> None:
    """attrs validator: a real ``bool``."""
    if not isinstance(value, bool):
        raise TypeError(f"{_name(instance, attribute)} must be True or False, got {value!r}")


def to_id(value: object) -> str:
    """attrs converter: an opaque id from a non-empty ``str`` or an ``int`` (not a bool)."""
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if isinstance(value, str):
        if not value:
            raise ValueError("an id must not be empty")
        return check_text(value, "id")
    raise TypeError(f"an id must be a str or an int, got {type(value).__name__} {value!r}")


def to_opt_id(value: object) -> str | None:
    """attrs converter: :func:`to_id`, or None."""
    return None if value is None else to_id(value)


def to_tuple(value: Iterable[Any] | None) -> tuple[Any, ...]:
    """attrs converter: any iterable (or None) as a tuple; a single string is refused."""
    if value is None:
        return ()
    if isinstance(value, (str, bytes)):
        raise TypeError("expected a list, got a single string")
    return tuple(value)


def to_texts(value: Iterable[str] | None) -> tuple[str, ...]:
    """attrs converter: a list of non-blank texts (tags, web sites) as a tuple."""
    return tuple(check_nonblank(t, "each item") for t in to_tuple(value))


def to_amount(value: object) -> Decimal:
    """attrs converter: an exact, finite ``Decimal`` of a sane size.

    ``int``, ``str`` and ``Decimal`` are taken as they are; a ``float`` goes through its
    ``repr`` (so ``0.1`` is ``Decimal("0.1")``). NaN, infinities, amounts of 10**15 or more and
    more than 18 decimal places are refused: no vendor can store them.
    """
    if isinstance(value, bool):
        raise TypeError("an amount cannot be a bool")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, float):
        number = Decimal(repr(value))
    elif isinstance(value, (int, str)):
        try:
            number = Decimal(value)
        except InvalidOperation:
            raise ValueError(f"not a decimal amount: {value!r}") from None
    else:
        raise TypeError(f"an amount must be a number, got {type(value).__name__} {value!r}")
    if not number.is_finite():
        raise ValueError(f"an amount must be a finite number, got {value!r}")
    exponent = number.as_tuple().exponent
    assert isinstance(exponent, int)  # finite decimals have an int exponent
    if number.adjusted() >= MAX_AMOUNT_DIGITS:
        raise ValueError(f"an amount must be below 10**{MAX_AMOUNT_DIGITS}, got {value!r}")
    if exponent < -MAX_AMOUNT_PLACES:
        raise ValueError(
            f"an amount may have at most {MAX_AMOUNT_PLACES} decimal places, got {value!r}"
        )
    return number


@functools.cache
def iso_currencies() -> frozenset[str]:
    """Every alphabetic code of the current ISO 4217 table."""
    import iso4217  # parses the XML table: done once, and only when money is first built

    return frozenset(code for code in iso4217.raw_table if isinstance(code, str))


def to_currency(value: object) -> str:
    """attrs converter: an ISO 4217 code, upper-cased (``"usd"`` -> ``"USD"``)."""
    if not isinstance(value, str):
        raise TypeError(f"a currency must be an ISO 4217 code (str), got {value!r}")
    code = value.upper()
    if code not in iso_currencies():
        raise ValueError(f"currency must be an ISO 4217 code such as 'USD', got {value!r}")
    return code


def _custom_value(key: str, value: Any) -> Any:
    where = f"custom[{key!r}]"
    if value is None or isinstance(value, (bool, int, dt.date)):
        if isinstance(value, dt.datetime) and value.utcoffset() is None:
            raise ValueError(f"{where} must be timezone-aware, got naive {value.isoformat()}")
        return value
    if isinstance(value, str):
        return check_text(value, where)
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{where} must be a finite number, got {value!r}")
        return value
    if isinstance(value, (tuple, list)):
        return tuple(check_text(v, where) for v in value)
    raise TypeError(
        f"{where} must be text, a Decimal, an int, a bool, a date, a datetime or a list of "
        f"labels; got {type(value).__name__} {value!r}"
    )


def custom_values(value: Mapping[str, Any] | None) -> dict[str, Any]:
    """Custom field values checked by :func:`_custom_value` (lists of labels become tuples)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise TypeError(f"custom must be a mapping of key -> value, got {type(value).__name__}")
    return {check_nonblank(k, "a custom field key"): _custom_value(k, v) for k, v in value.items()}
