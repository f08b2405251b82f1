"""Wire helpers shared by mapping and compiler: dates, ids, and PHP bracket query strings.

Bitrix24 sends datetimes as ISO-8601 with the portal's offset and ``""`` for none (notes §10);
``batch`` sub-commands are ``method?query`` strings in PHP ``http_build_query`` notation
(``filter[>ID]=5&select[]=ID``), which :func:`php_query` builds from nested data.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote


def parse_datetime(raw: Any) -> dt.datetime | None:
    """An aware datetime from the wire (``""``/``None``/garbage -> None; naive -> UTC)."""
    if not raw or not isinstance(raw, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.timezone.utc)


def format_datetime(value: dt.datetime) -> str:
    """ISO-8601 with offset, whole seconds."""
    return value.replace(microsecond=0).isoformat()


def canonical_id(value: Any) -> str | None:
    """``"12"`` for a positive integer id written canonically, else None."""
    if type(value) is str and value.isdigit() and value.isascii() and value[0] != "0":
        return value  # the common case, without the int round trip
    text = str(value)
    if text.isascii() and text.isdigit() and text == str(int(text)) and int(text) > 0:
        return text
    return None


def int_or(raw: Any, default: int = 0) -> int:
    """An integer sent as a number or as decimal text (``"10"``, ``-3``); ``default`` for
    anything else (a malformed answer must not stop a read)."""
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    text = str(raw).strip() if isinstance(raw, (str, float)) else ""
    body = text[1:] if text[:1] in "+-" else text
    if body.isascii() and body.isdigit():
        return int(text)
    return default


def _flatten(prefix: str, value: Any, out: list[tuple[str, str]]) -> None:
    if isinstance(value, Mapping):
        for key, item in value.items():
            _flatten(f"{prefix}[{key}]" if prefix else str(key), item, out)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            _flatten(f"{prefix}[{index}]", item, out)
    elif value is None:
        out.append((prefix, ""))
    elif isinstance(value, bool):
        out.append((prefix, "Y" if value else "N"))
    else:
        out.append((prefix, str(value)))


def php_pairs(params: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Nested params as PHP bracket pairs (``{"a": {"b": [1]}}`` -> ``[("a[b][0]", "1")]``)."""
    out: list[tuple[str, str]] = []
    _flatten("", params, out)
    return out


def php_query(params: Mapping[str, Any], *, raw_values: frozenset[str] = frozenset()) -> str:
    """A PHP-style query string. Values are percent-encoded, except the batch references
    listed in ``raw_values`` (``$result[...]``), which must stay readable to the server."""
    parts = []
    for key, value in php_pairs(params):
        shown = value if value in raw_values else quote(value, safe="")
        parts.append(f"{quote(key, safe='[]')}={shown}")
    return "&".join(parts)


#: Tokens the ``batch`` method substitutes inside sub-command values (notes §5).
BATCH_REFERENCES = ("$result", "$next", "$total", "$time", "$error")


def batch_safe(text: str) -> bool:
    """Whether a user value can travel inside a batch sub-command unchanged."""
    lowered = text.lower()
    return not any(token in lowered for token in BATCH_REFERENCES)


__all__ = [
    "BATCH_REFERENCES",
    "int_or",
    "batch_safe",
    "canonical_id",
    "format_datetime",
    "parse_datetime",
    "php_pairs",
    "php_query",
]
