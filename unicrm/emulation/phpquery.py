"""PHP's bracket notation for parameters (``filter[id][]=1&filter[price][from]=2``).

Both first-party vendors parse query strings and form bodies the way PHP's ``parse_str`` does,
so the emulators share this one reading of it:

* ``a[b][c]=v`` nests maps; ``a[]=v`` appends to a list; ``a[0]=v`` uses the key ``"0"``
  (a map with digit keys, as PHP has no separate list type);
* a later scalar for the same key replaces the earlier one (PHP keeps the last), except that
  ``a[]`` keeps appending;
* a key with an unbalanced bracket is taken literally, as PHP does with ``a[b``.

The result is built from plain ``dict``/``list``/``str`` values.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def split_key(key: str) -> list[str]:
    """``"filter[a][]"`` -> ``["filter", "a", ""]``; a malformed key stays one segment."""
    head, bracket, rest = key.partition("[")
    if not bracket or not head:
        return [key]
    rest = "[" + rest
    parts = _SEGMENT.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest:
        return [key]
    return [head, *parts]


def _insert(node: dict[str, Any], parts: list[str], value: str) -> None:
    key, rest = parts[0], parts[1:]
    if not rest:
        node[key] = value
        return
    if rest[0] == "":
        items = node.get(key)
        if not isinstance(items, list):
            items = node[key] = []
        if len(rest) == 1:
            items.append(value)
        else:
            child: dict[str, Any] = {}
            items.append(child)
            _insert(child, rest[1:], value)
        return
    nested = node.get(key)
    if not isinstance(nested, dict):
        nested = node[key] = {}
    _insert(nested, rest, value)


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decoded ``(key, value)`` pairs -> nested maps and lists, as PHP would build them."""
    result: dict[str, Any] = {}
    for key, value in pairs:
        _insert(result, split_key(key), value)
    return result


def _index_order(key: str) -> tuple[bool, int, str]:
    return (not key.isdigit(), int(key) if key.isdigit() else 0, key)


def as_list(value: Any) -> list[Any]:
    """A parameter as a list of values: a list as is, a digit-keyed map in key order, a scalar
    as a one-item list, ``None`` as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return [value[k] for k in sorted(value, key=_index_order)]
    return [value]


__all__ = ["as_list", "parse_pairs", "split_key"]
