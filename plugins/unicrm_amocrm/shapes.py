"""Reading amoCRM's JSON defensively: a body of the wrong shape is an :class:`InvalidResponse`.

A server can answer anything (a number where a HAL object is due, a string where a list is, a
list of nulls), and the adapter must turn every such answer into a typed error naming what was
wrong, never an ``AttributeError`` from deep inside the mapping. The envelope (the body,
``_embedded``, ``_links``, the item list) is checked here field by field; a vendor item that
passes the envelope but breaks the mapping is caught in one place, :func:`parsed`, around the
pure functions that read it (they index and convert freely: adding a check to every line of the
mapping would hide its rules).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any, TypeVar

from unicrm.errors import InvalidResponse, UnicrmError

VENDOR = "amocrm"
T = TypeVar("T")

#: What a malformed value raises inside the pure read functions (int("x"), None["id"], ...).
SHAPE_ERRORS: tuple[type[BaseException], ...] = (
    AttributeError,
    TypeError,
    KeyError,
    IndexError,
    ValueError,
    ArithmeticError,
    RecursionError,  # str() of a value nested close to the decoder's own limit
    UnicrmError,
)


def invalid(what: str, value: Any) -> InvalidResponse:
    """The error for ``value`` found where ``what`` was due (the value's type, never its text,
    which could be huge or carry data)."""
    return InvalidResponse(
        f"amocrm answered with a malformed body: {what} is a {type(value).__name__}",
        vendor=VENDOR,
    )


def mapping(value: Any, what: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object."""
    if not isinstance(value, Mapping):
        raise invalid(what, value)
    return value


def body_or_none(value: Any, what: str) -> Mapping[str, Any] | None:
    """A response body: None for a 204 (no body), else a JSON object."""
    return None if value is None else mapping(value, what)


def embedded(body: Mapping[str, Any] | None, key: str) -> list[Mapping[str, Any]]:
    """``body["_embedded"][key]``: a list of objects (missing or null: empty)."""
    if body is None:
        return []
    holder = body.get("_embedded")
    if holder is None:
        return []
    items = mapping(holder, "_embedded").get(key)
    if items is None:
        return []
    if not isinstance(items, list):
        raise invalid(f"_embedded.{key}", items)
    for item in items:
        mapping(item, f"an item of _embedded.{key}")
    return items


def has_next(body: Mapping[str, Any] | None) -> bool:
    """Whether ``_links.next`` says another page follows."""
    if body is None:
        return False
    links = body.get("_links")
    if links is None:
        return False
    return bool(mapping(links, "_links").get("next"))


@contextmanager
def parsed(what: str) -> Iterator[None]:
    """Turn a malformed vendor value met while reading ``what`` into :class:`InvalidResponse`."""
    try:
        yield
    except InvalidResponse:
        raise
    except SHAPE_ERRORS as exc:
        raise InvalidResponse(
            f"amocrm answered with a malformed {what}: {type(exc).__name__}", vendor=VENDOR
        ) from exc


def parse_each(
    items: list[Mapping[str, Any]], parse: Callable[[Mapping[str, Any]], T], what: str
) -> list[T]:
    """``parse`` applied to every item, a malformed item being an :class:`InvalidResponse`."""
    with parsed(what):
        return [parse(item) for item in items]


__all__ = [
    "SHAPE_ERRORS",
    "body_or_none",
    "embedded",
    "has_next",
    "invalid",
    "mapping",
    "parse_each",
    "parsed",
]
