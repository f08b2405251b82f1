"""Keeping secrets out of every output: a :class:`Secret` type and process-wide redaction.

Webhook codes, access and refresh tokens and client secrets are wrapped in :class:`Secret`
(whose ``repr``/``str`` print ``***``) and registered with :func:`register_secret`;
:func:`redact` then blanks every registered value, plus the usual credential spots in URLs
(user info, ``auth=``/``access_token=``-style parameters, Bitrix24 webhook path codes), in any
text: error messages, log records (see :mod:`unicrm.transport.log_redaction`) and plans.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping
from typing import Any

MASK = "***"

_registry: set[str] = set()
_registry_lock = threading.Lock()
_pattern: re.Pattern[str] | None = None

_SECRET_PARAMS = re.compile(
    r"(?i)\b(auth|access_token|refresh_token|client_secret|code|token|password)=([^&\s\"']+)"
)
_SECRET_JSON = re.compile(
    r'(?i)"(auth|access_token|refresh_token|client_secret|code|token|password)"(\s*:\s*)"[^"]*"'
)
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)[^/@\s:]+(?::[^/@\s]*)?@")
_WEBHOOK = re.compile(r"(/rest/\d+/)([A-Za-z0-9_\-]{4,})(/|$)")
_BEARER = re.compile(r"(?i)\b(bearer)\s+[A-Za-z0-9_\-.=+/]+")
_SECRET_KEYS = frozenset(
    {
        "auth",
        "access_token",
        "refresh_token",
        "client_secret",
        "code",
        "token",
        "password",
        "authorization",
    }
)


class Secret:
    """A string that never shows itself: ``repr`` and ``str`` print ``***``.

    Use :meth:`reveal` at the one place the real value must go on the wire.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if isinstance(value, Secret):
            value = value.reveal()
        self._value = str(value)
        register_secret(self._value)

    def reveal(self) -> str:
        """The real value."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('***')"

    def __str__(self) -> str:
        return MASK

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("Secret", self._value))

    def __bool__(self) -> bool:
        return bool(self._value)

    def __reduce__(self) -> tuple[Any, ...]:
        return (Secret, (self._value,))


def register_secret(value: str | Secret | None) -> None:
    """Make :func:`redact` blank ``value`` wherever it appears (values under 4 chars ignored)."""
    global _pattern
    if value is None:
        return
    text = value.reveal() if isinstance(value, Secret) else str(value)
    if len(text) < 4:
        return
    with _registry_lock:
        if text not in _registry:
            _registry.add(text)
            _pattern = None  # rebuilt on the next use: many registrations cost one compile


def _registered() -> re.Pattern[str] | None:
    global _pattern
    pattern = _pattern
    if pattern is None and _registry:
        with _registry_lock:
            ordered = sorted(_registry, key=len, reverse=True)
            pattern = _pattern = re.compile("|".join(re.escape(s) for s in ordered))
    return pattern


def redact_registered(text: str) -> str:
    """``text`` with every registered secret value blanked (and nothing else changed)."""
    pattern = _registered()
    return pattern.sub(MASK, text) if pattern is not None else text


def redact(text: str) -> str:
    """``text`` with every registered secret and credential-looking URL part replaced."""
    text = redact_registered(text)
    text = _SECRET_PARAMS.sub(lambda m: f"{m.group(1)}={MASK}", text)
    text = _SECRET_JSON.sub(lambda m: f'"{m.group(1)}"{m.group(2)}"{MASK}"', text)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    text = _WEBHOOK.sub(lambda m: f"{m.group(1)}{MASK}{m.group(3)}", text)
    return _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)


def redact_url(url: object) -> str:
    """A URL (str or httpx.URL) as safe text."""
    return redact(str(url))


def redact_mapping(params: Mapping[str, Any] | None) -> dict[str, Any]:
    """A copy of ``params`` with secret-named keys masked and other values redacted."""
    if not params:
        return {}
    cleaned: dict[str, Any] = {}
    for key, value in params.items():
        if str(key).lower() in _SECRET_KEYS:
            cleaned[key] = MASK
        elif isinstance(value, Mapping):
            cleaned[key] = redact_mapping(value)
        elif isinstance(value, str):
            cleaned[key] = redact(value)
        else:
            cleaned[key] = value
    return cleaned
