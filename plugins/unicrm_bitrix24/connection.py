"""From ``unicrm.connect("bitrix24://...", **options)`` to a ready :class:`Bitrix24Adapter`.

URLs: ``bitrix24://PORTAL/rest/USER/CODE/`` (incoming webhook, HTTPS),
``bitrix24+http://127.0.0.1:PORT/rest/USER/CODE/`` (the local emulator; loopback only), the
same without the path plus the option ``webhook="USER/CODE"`` (so the code can come from the
environment or a config file instead of the command line: ``UNICRM_BITRIX24_WEBHOOK``), and
``bitrix24://PORTAL`` for OAuth with ``client_id``, ``client_secret`` and ``access_token`` /
``refresh_token``, ``code`` or ``token_store``; ``oauth_url`` points the refresh at another
OAuth server (default ``https://oauth.bitrix.info/oauth/token/``).

Other options: ``transport`` (an httpx transport, e.g.
``unicrm.emulation.EmulatorTransport(emulator)``); ``limits`` (``"standard"``: 50 requests
draining 2/s, ``"enterprise"``: 250 draining 5/s, ``"off"``); ``headroom`` (requests of that
bucket left free, default 0.5; raise it when other integrations share the portal);
``concurrency`` (parallel ID ranges when reading, default 4); ``write_batch_size`` (commands
per batch, at most 50);
``timeout`` (seconds, default 60); ``contact_links`` (``"exact"``: each lead's full contact
list, one extra batch per 50 linked leads; ``"primary"``: only the primary contact the list rows
carry, for fast exports).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from unicrm.errors import ConfigurationError
from unicrm_bitrix24.adapter import AdapterSettings, Bitrix24Adapter
from unicrm_bitrix24.auth import Credentials, make_credentials
from unicrm_bitrix24.capabilities import BATCH_COMMANDS
from unicrm_bitrix24.client import Bitrix24Client, parse_endpoint
from unicrm_bitrix24.limiter import HEADROOM, PLANS, limiter_for

KNOWN_OPTIONS = frozenset(
    {
        "client_id",
        "client_secret",
        "access_token",
        "refresh_token",
        "code",
        "token_store",
        "oauth_url",
        "transport",
        "limits",
        "headroom",
        "concurrency",
        "write_batch_size",
        "timeout",
        "contact_links",
        "webhook",
    }
)


def _positive_int(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"bitrix24 option {name} must be a positive int, got {value!r}")
    return value


def with_webhook(url: str, webhook: Any) -> str:
    """``url`` with the ``USER/CODE`` of the ``webhook`` option as its ``/rest/`` path."""
    if webhook is None:
        return url
    user, _, code = str(webhook).strip("/").partition("/")
    if not (isinstance(webhook, str) and user.isdigit() and code and "/" not in code):
        raise ConfigurationError("the bitrix24 webhook option is USER/CODE (e.g. 1/9xk2...)")
    parts = urlsplit(url)
    if parts.path.strip("/"):
        raise ConfigurationError(
            "give the bitrix24 webhook either in the URL path or as the webhook option, not both"
        )
    return urlunsplit((parts.scheme, parts.netloc, f"/rest/{user}/{code}/", "", ""))


def connect_adapter(url: str, options: Mapping[str, Any]) -> Bitrix24Adapter:
    """Build the adapter for ``url`` and the caller's options (see the module docstring)."""
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"unknown bitrix24 options {unknown}; known: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    endpoint = parse_endpoint(with_webhook(url, options.get("webhook")))
    transport = options.get("transport")
    if endpoint.webhook_code is not None:
        if options.get("client_id") or options.get("access_token"):
            raise ConfigurationError("a bitrix24 webhook URL takes no OAuth options")
        credentials = Credentials()
    else:
        credentials = make_credentials(options, transport)
    plan = str(options.get("limits", "standard"))
    if plan not in (*PLANS, "off"):
        raise ConfigurationError(
            f"bitrix24 limits must be one of {', '.join((*PLANS, 'off'))}, got {plan!r}"
        )
    headroom = options.get("headroom", HEADROOM)
    capacity = PLANS[plan][0] if plan in PLANS else float("inf")
    if (
        isinstance(headroom, bool)
        or not isinstance(headroom, (int, float))
        or not 0 <= headroom < capacity
    ):
        raise ConfigurationError(
            f"bitrix24 headroom is a number of requests from 0 to below the plan's {capacity:g},"
            f" got {headroom!r}"
        )
    batch = _positive_int(options, "write_batch_size", BATCH_COMMANDS)
    if batch > BATCH_COMMANDS:
        raise ConfigurationError(f"bitrix24 write_batch_size is at most {BATCH_COMMANDS}")
    timeout = options.get("timeout", 60.0)
    if isinstance(timeout, bool) or not isinstance(timeout, (int, float)) or timeout <= 0:
        raise ConfigurationError(f"bitrix24 timeout must be positive seconds, got {timeout!r}")
    client = Bitrix24Client(
        endpoint,
        credentials=credentials,
        limiter=limiter_for(endpoint.host, plan, headroom=float(headroom)),
        transport=transport,
        timeout=float(timeout),
    )
    links = str(options.get("contact_links", "exact"))
    if links not in ("exact", "primary"):
        raise ConfigurationError(f"bitrix24 contact_links is 'exact' or 'primary', got {links!r}")
    settings = AdapterSettings(
        write_batch_size=batch,
        concurrency=_positive_int(options, "concurrency", 4),
        contact_links=links,
    )
    return Bitrix24Adapter(client, settings)


__all__ = ["KNOWN_OPTIONS", "connect_adapter"]
