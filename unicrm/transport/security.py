"""Refusing plain http except to this machine."""

from __future__ import annotations

import ipaddress

import httpx

from unicrm.errors import ConfigurationError
from unicrm.transport.secrets import redact_url

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain"})


def is_loopback(host: str) -> bool:
    """Whether ``host`` is a loopback name or address (127.0.0.0/8, ::1)."""
    name = host.strip("[]").lower()
    if name in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def check_url_security(url: str | httpx.URL) -> None:
    """Raise ConfigurationError for ``http://`` to anything but loopback, or odd schemes."""
    parsed = httpx.URL(str(url))
    if parsed.scheme == "https":
        return
    if parsed.scheme == "http":
        if is_loopback(parsed.host):
            return
        raise ConfigurationError(
            f"refusing plain http to {parsed.host!r} ({redact_url(url)}): credentials would "
            "travel unencrypted; use https (plain http is allowed only to 127.0.0.1/localhost)"
        )
    raise ConfigurationError(f"unsupported URL scheme {parsed.scheme!r} in {redact_url(url)}")
