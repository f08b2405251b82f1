"""The one httpx client factory under every vendor adapter."""

from __future__ import annotations

from collections.abc import Mapping

import httpx

from unicrm.transport.security import check_url_security

USER_AGENT = "unicrm/0.1.0 (+https://github.com/unicrm/unicrm)"


def make_async_client(
    base_url: str,
    *,
    transport: httpx.AsyncBaseTransport | None = None,
    timeout: float | httpx.Timeout = 30.0,
    max_connections: int = 20,
    user_agent: str = USER_AGENT,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient for ``base_url`` (https, or http to loopback only); no redirects.

    ``transport`` injects e.g. an emulator's in-process transport.
    """
    check_url_security(base_url)
    limits = httpx.Limits(
        max_connections=max_connections, max_keepalive_connections=max_connections
    )
    return httpx.AsyncClient(
        base_url=base_url,
        transport=transport,
        timeout=timeout if isinstance(timeout, httpx.Timeout) else httpx.Timeout(timeout),
        limits=limits,
        auth=auth,
        headers={"User-Agent": user_agent, "Accept": "application/json", **(headers or {})},
        follow_redirects=False,
    )
