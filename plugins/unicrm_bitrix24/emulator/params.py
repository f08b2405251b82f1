"""Reading Bitrix24 request parameters the way the PHP server does.

Parameters arrive in the query string, in a form-encoded or multipart body (PHP bracket
notation, every scalar a string) or in a JSON body (types kept). They are merged into one
map; body values win over query values, as with PHP's ``$_REQUEST``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from email.parser import BytesParser
from email.policy import HTTP
from typing import Any
from urllib.parse import parse_qsl

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")
_LEADING_INT = re.compile(r"^\s*([+-]?\d+)")


class ParamsError(ValueError):
    """The body cannot be decoded (bad JSON, bad encoding)."""


def split_key(key: str) -> list[str]:
    """``"fields[PHONE][0][VALUE]"`` -> ``["fields", "PHONE", "0", "VALUE"]``.

    A key with unbalanced brackets is one literal segment (PHP does much the same).
    """
    head, bracket, rest = key.partition("[")
    if not bracket or not head:
        return [key]
    rest = "[" + rest
    parts = _SEGMENT.findall(rest)
    if "".join(f"[{p}]" for p in parts) != rest:
        return [key]
    return [head, *parts]


def _insert(node: dict[str, Any], parts: list[str], value: Any) -> None:
    key, rest = parts[0], parts[1:]
    if key == "":
        key = str(_next_index(node))
    if not rest:
        node[key] = value
        return
    child = node.get(key)
    if not isinstance(child, dict):
        child = node[key] = {}
    _insert(child, rest, value)


def _next_index(node: Mapping[str, Any]) -> int:
    ints = [int(k) for k in node if k.isdigit()]
    return max(ints) + 1 if ints else 0


def parse_pairs(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Decoded ``(key, value)`` pairs -> nested maps, as PHP's ``parse_str`` builds them.

    Every container is a ``dict`` (PHP arrays); ``a[]`` appends the next integer key.
    """
    result: dict[str, Any] = {}
    for key, value in pairs:
        _insert(result, split_key(key), value)
    return result


def parse_query(query: str) -> dict[str, Any]:
    """A raw (still percent-encoded) query string -> nested maps."""
    return parse_pairs(parse_qsl(query, keep_blank_values=True))


def _multipart(body: bytes, content_type: str) -> list[tuple[str, str]]:
    head = f"Content-Type: {content_type}\r\n\r\n".encode()
    message = BytesParser(policy=HTTP).parsebytes(head + body)
    pairs: list[tuple[str, str]] = []
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        pairs.append((name, data.decode("utf-8", "replace")))
    return pairs


def body_params(body: bytes, content_type: str, raw_content_type: str = "") -> dict[str, Any]:
    """The body's parameters, by its media type; an empty body gives ``{}``."""
    if not body.strip():
        return {}
    if content_type == "application/json" or (
        not content_type and body.lstrip()[:1] in (b"{", b"[")
    ):
        try:
            data = json.loads(body)
        except (UnicodeDecodeError, ValueError) as exc:
            raise ParamsError("Wrong request encoding") from exc
        if isinstance(data, list):
            return {str(i): v for i, v in enumerate(data)}
        if not isinstance(data, dict):
            raise ParamsError("Wrong request encoding")
        return data
    if content_type == "multipart/form-data":
        return parse_pairs(_multipart(body, raw_content_type or content_type))
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ParamsError("Wrong request encoding") from exc
    return parse_pairs(parse_qsl(text, keep_blank_values=True))


def merge(query: Mapping[str, Any], body: Mapping[str, Any]) -> dict[str, Any]:
    """Query parameters overlaid with body parameters (body wins)."""
    merged = dict(query)
    merged.update(body)
    return merged


def pick(params: Mapping[str, Any], *names: str) -> Any:
    """The first parameter whose name matches one of ``names`` case-insensitively."""
    wanted = {n.lower() for n in names}
    for key, value in params.items():
        if isinstance(key, str) and key.lower() in wanted:
            return value
    return None


def as_list(value: Any) -> list[Any]:
    """A PHP array as a list: a list as is, a map's values in key order, a scalar as one
    item, ``None`` as empty."""
    if value is None:
        return []
    if isinstance(value, list):
        return value
    if isinstance(value, dict):
        return list(value.values())
    return [value]


def intval(value: Any) -> int:
    """PHP ``intval``: the leading integer of a string, ``0`` for garbage."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value)
    if isinstance(value, str):
        match = _LEADING_INT.match(value)
        return int(match.group(1)) if match else 0
    return 0


def floatval(value: Any) -> float:
    """PHP ``floatval`` (leading number, ``0.0`` for garbage)."""
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        match = re.match(r"^\s*([+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)", value)
        return float(match.group(1)) if match else 0.0
    return 0.0


def truthy(value: Any) -> bool:
    """PHP-ish truth of a flag parameter (``1``, ``true``, ``Y``...)."""
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "y", "yes", "on")
    return bool(value)
