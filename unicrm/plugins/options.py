"""Connection options as data: which an adapter accepts, and what each value must be.

An adapter declares its options once, as a tuple of :class:`Option` (name, :class:`Kind`,
help, whether the value is a secret), either on its :class:`~unicrm.plugins.AdapterSpec`
(``options=``, checked by :func:`unicrm.connect` before the factory runs) or by calling
:func:`check_options` from its factory. Either way a typo is refused with the list of valid
names (and the nearest one), a value of the wrong kind is refused naming the option and what
it must be, and every failure is a :class:`~unicrm.errors.ConfigurationError`::

    OPTIONS = (
        Option("token", Kind.secret(), secret=True),
        Option("timeout", Kind.seconds()),
        Option("write_batch_size", Kind.integer(1, 250)),
        Option("limits", Kind.choice("vendor", "off")),
    )

Kinds also convert: the CLI hands options over as strings (``UNICRM_BITRIX24_CONCURRENCY=8``,
``UNICRM_AMOCRM_TIMEOUT=30``), so ``Kind.integer()`` takes ``"8"`` and ``Kind.seconds()``
takes ``"30"``; booleans are never numbers. A value of ``None`` means "not given" and is
dropped. Secret values never appear in a message, only their type.
"""

from __future__ import annotations

import difflib
import math
from collections.abc import Callable, Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.plugins.urls import split_url
from unicrm.transport import Secret


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, Decimal, str)):
        raise TypeError(value)
    found = float(value)
    if not math.isfinite(found):
        raise ValueError(value)
    return found


def _whole(value: Any) -> int:
    if isinstance(value, bool):
        raise TypeError(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.strip().lstrip("+-").isdigit():
        return int(value)
    raise TypeError(value)


def _within(low: float, high: float | None, *, high_included: bool) -> Callable[[float], bool]:
    def check(found: float) -> bool:
        if high is None:
            return found >= low
        return low <= found and (found <= high if high_included else found < high)

    return check


@attrs.frozen
class Kind:
    """What an option's value must be.

    ``expected`` completes "must be ..." in messages; ``convert`` returns the value to pass on
    (normalised) or raises ``ValueError``/``TypeError`` when the value is not of this kind.
    Build kinds with the constructors below, or directly for anything else.
    """

    expected: str
    convert: Callable[[Any], Any]

    @staticmethod
    def seconds() -> Kind:
        """A positive, finite number of seconds (``"30"`` is read as 30.0)."""

        def convert(value: Any) -> float:
            found = _number(value)
            if found <= 0:
                raise ValueError(value)
            return found

        return Kind("a positive number of seconds", convert)

    @staticmethod
    def integer(minimum: int = 1, maximum: int | None = None) -> Kind:
        """A whole number in ``minimum..maximum`` (``"8"`` is read as 8)."""
        inside = _within(minimum, maximum, high_included=True)

        def convert(value: Any) -> int:
            found = _whole(value)
            if not inside(found):
                raise ValueError(value)
            return found

        if maximum is None:
            return Kind(f"a whole number of at least {minimum}", convert)
        return Kind(f"a whole number from {minimum} to {maximum}", convert)

    @staticmethod
    def number(minimum: float = 0.0, below: float | None = None) -> Kind:
        """A finite number ``>= minimum`` (and ``< below`` when given)."""
        inside = _within(minimum, below, high_included=False)

        def convert(value: Any) -> float:
            found = _number(value)
            if not inside(found):
                raise ValueError(value)
            return found

        limit = f" and below {below:g}" if below is not None else ""
        return Kind(f"a number of at least {minimum:g}{limit}", convert)

    @staticmethod
    def choice(*values: str) -> Kind:
        """One of ``values`` (strings)."""

        def convert(value: Any) -> str:
            if not isinstance(value, str) or value not in values:
                raise ValueError(value)
            return value

        return Kind(f"one of {', '.join(values)}", convert)

    @staticmethod
    def text() -> Kind:
        """A non-empty string."""

        def convert(value: Any) -> str:
            if not isinstance(value, str) or not value.strip():
                raise ValueError(value)
            return value

        return Kind("a non-empty string", convert)

    @staticmethod
    def secret() -> Kind:
        """A non-empty string or a :class:`~unicrm.transport.Secret` (passed on unchanged)."""

        def convert(value: Any) -> Any:
            if isinstance(value, Secret):
                return value
            if not isinstance(value, str) or not value.strip():
                raise ValueError("not shown")
            return value

        return Kind("a non-empty string or a Secret", convert)

    @staticmethod
    def url(*schemes: str) -> Kind:
        """A URL with one of ``schemes`` that passes :func:`~unicrm.plugins.split_url`."""

        def convert(value: Any) -> str:
            try:
                scheme = split_url(value).scheme.lower()
            except ConfigurationError:
                raise ValueError(value) from None
            if scheme not in schemes:
                raise ValueError(value)
            return str(value)

        return Kind(f"a {' or '.join(schemes)} URL", convert)

    @staticmethod
    def instance_of(*types: type, expected: str) -> Kind:
        """An instance of one of ``types``."""

        def convert(value: Any) -> Any:
            if not isinstance(value, types):
                raise TypeError(value)
            return value

        return Kind(expected, convert)

    @staticmethod
    def having(*methods: str, expected: str) -> Kind:
        """Any object with callable ``methods`` (a protocol, such as a token store's)."""

        def convert(value: Any) -> Any:
            if not all(callable(getattr(value, m, None)) for m in methods):
                raise TypeError(value)
            return value

        return Kind(expected, convert)

    @staticmethod
    def anything() -> Kind:
        """Any value (the adapter checks it itself)."""
        return Kind("any value", lambda value: value)


@attrs.frozen
class Option:
    """One option an adapter accepts; ``secret`` values are never shown in messages."""

    name: str
    kind: Kind
    help: str = ""
    secret: bool = False


def _refuse_unknown(adapter: str, unknown: list[str], valid: Iterable[str]) -> None:
    names = sorted(valid)
    hints = [
        f"{name!r} (did you mean {close[0]!r}?)" if close else repr(name)
        for name in unknown
        for close in [difflib.get_close_matches(name, names, n=1)]
    ]
    raise ConfigurationError(
        f"unknown {adapter} option{'s' if len(unknown) > 1 else ''} {', '.join(hints)}; "
        f"valid options: {', '.join(names) or '(none)'}"
    )


def check_options(
    adapter: str, given: Mapping[str, Any], declared: Iterable[Option]
) -> dict[str, Any]:
    """``given`` checked against ``declared``: converted values, ``None`` ones dropped.

    :raises ConfigurationError: an unknown name (listing the valid ones) or a value not of
        its option's kind (naming the option and what it must be; secrets are not shown).
    """
    table = {option.name: option for option in declared}
    unknown = sorted(name for name in given if name not in table)
    if unknown:
        _refuse_unknown(adapter, unknown, table)
    checked: dict[str, Any] = {}
    for name, value in given.items():
        if value is None:
            continue
        option = table[name]
        try:
            checked[name] = option.kind.convert(value)
        except (TypeError, ValueError, ArithmeticError):
            shown = f"a value of type {type(value).__name__}" if option.secret else repr(value)
            raise ConfigurationError(
                f"{adapter} option {name} must be {option.kind.expected}, got {shown}"
            ) from None
    return checked


__all__ = ["Kind", "Option", "check_options"]
