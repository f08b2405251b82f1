"""The checks every connection URL passes before any adapter sees it.

:func:`unicrm.connect` runs :func:`split_url` on every URL, whatever its scheme, so an adapter
never meets a URL that the standard library or httpx would choke on later (a port of
``99999`` or ``abc``, an unbalanced ``[``, a space or newline pasted from a terminal, a
``#fragment`` that would be silently dropped). What a URL means beyond that (which hosts, which
paths, which query parameters) is the adapter's business.

Messages never repeat the URL: before the adapter has parsed it, nobody knows which part is a
secret (a Bitrix24 webhook code sits in the path).
"""

from __future__ import annotations

import ipaddress
import re
from urllib.parse import SplitResult, urlsplit

from unicrm.errors import ConfigurationError

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
# Host names: dot-separated labels of letters (any script, for IDN hosts), digits, '_' and
# inner '-'.
_LABEL = r"(?!-)[\w-]+(?<!-)"
_HOST = re.compile(rf"{_LABEL}(\.{_LABEL})*\.?")
MAX_PORT = 65535


def _problem_character(url: str) -> int | None:
    for index, character in enumerate(url):
        if character.isspace() or ord(character) < 32 or ord(character) == 127:
            return index
    return None


def _check_host(scheme: str, parts: SplitResult) -> None:
    host = parts.hostname
    if host is None:
        return
    if parts.netloc.rsplit("@", 1)[-1].startswith("["):
        try:
            ipaddress.IPv6Address(host.split("%", 1)[0])
        except ValueError:
            raise ConfigurationError(
                f"{scheme}:// URL: {host!r} in [...] is not an IPv6 address"
            ) from None
        return
    if not _HOST.fullmatch(host):
        raise ConfigurationError(f"{scheme}:// URL: {host!r} is not a host name or address")


def _check_port(scheme: str, parts: SplitResult) -> None:
    netloc = parts.netloc.rsplit("@", 1)[-1]
    tail = netloc.rpartition("]")[2]
    if ":" not in tail:
        return
    shown = tail.rpartition(":")[2]
    if not shown:
        raise ConfigurationError(f"{scheme}:// URL: empty port after ':'")
    try:
        port = parts.port if shown.isascii() and shown.isdigit() else None
    except ValueError:
        port = None
    if port is None:
        raise ConfigurationError(
            f"{scheme}:// URL: port {shown!r} is not a number from 1 to {MAX_PORT}"
        )
    if not 1 <= port <= MAX_PORT:
        raise ConfigurationError(f"{scheme}:// URL: port {port} is not from 1 to {MAX_PORT}")


def split_url(url: object) -> SplitResult:
    """``url`` split into its parts, once it passed the checks common to every scheme.

    :raises ConfigurationError: not a string, no ``scheme://``, whitespace or control
        characters, a malformed ``[IPv6]`` host or host name, a port that is not 1..65535,
        a ``#fragment``.
    """
    if not isinstance(url, str):
        raise ConfigurationError(f"a CRM URL is a string, got a {type(url).__name__}")
    position = _problem_character(url)
    if position is not None:
        raise ConfigurationError(
            f"the CRM URL has whitespace or a control character at position {position}"
        )
    scheme, found, _ = url.partition("://")
    if not found or not _SCHEME.fullmatch(scheme):
        raise ConfigurationError("a CRM URL looks like 'scheme://...'")
    scheme = scheme.lower()
    try:
        parts = urlsplit(url)
    except ValueError as exc:  # unbalanced brackets and the like
        raise ConfigurationError(f"{scheme}:// URL cannot be read: {exc}") from None
    _check_port(scheme, parts)
    _check_host(scheme, parts)
    if parts.fragment or url.endswith("#"):
        raise ConfigurationError(f"{scheme}:// URL: a #fragment means nothing to a CRM")
    return parts


__all__ = ["MAX_PORT", "split_url"]
