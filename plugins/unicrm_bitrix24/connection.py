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

import httpx

from unicrm.errors import ConfigurationError
from unicrm.plugins import Kind, Option, check_options
from unicrm_bitrix24.adapter import AdapterSettings, Bitrix24Adapter
from unicrm_bitrix24.auth import Credentials, make_credentials
from unicrm_bitrix24.capabilities import BATCH_COMMANDS
from unicrm_bitrix24.client import Bitrix24Client, parse_endpoint
from unicrm_bitrix24.limiter import HEADROOM, PLANS, limiter_for

#: Every option ``bitrix24://`` takes, and what its value must be (see the module docstring).
OPTIONS = (
    Option("webhook", Kind.text(), "USER/CODE of an incoming webhook", secret=True),
    Option("client_id", Kind.text(), "OAuth application id"),
    Option("client_secret", Kind.secret(), "OAuth application secret", secret=True),
    Option("access_token", Kind.secret(), "OAuth access token", secret=True),
    Option("refresh_token", Kind.secret(), "OAuth refresh token", secret=True),
    Option("code", Kind.secret(), "OAuth authorization code", secret=True),
    Option(
        "token_store",
        Kind.having("load", "save", expected="a token store (load() and save())"),
        "where the OAuth pair is kept",
    ),
    Option("oauth_url", Kind.url("https", "http"), "the OAuth server's token endpoint"),
    Option(
        "transport",
        Kind.instance_of(httpx.AsyncBaseTransport, expected="an httpx async transport"),
        "e.g. unicrm.emulation.EmulatorTransport(emulator)",
    ),
    Option("limits", Kind.choice(*PLANS, "off"), "the portal's plan, or off"),
    Option("headroom", Kind.number(0), "requests of the bucket left free"),
    Option("concurrency", Kind.integer(1), "parallel ID ranges when reading"),
    Option("write_batch_size", Kind.integer(1, BATCH_COMMANDS), "commands per batch"),
    Option("timeout", Kind.seconds(), "seconds"),
    Option("contact_links", Kind.choice("exact", "primary"), "how lead contacts are read"),
)
KNOWN_OPTIONS = frozenset(option.name for option in OPTIONS)


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
    options = check_options("bitrix24", options, OPTIONS)
    if urlsplit(url).query:
        raise ConfigurationError(
            "a bitrix24 URL takes no ?query: give settings as options (bitrix24 options: "
            f"{', '.join(sorted(KNOWN_OPTIONS))})"
        )
    endpoint = parse_endpoint(with_webhook(url, options.get("webhook")))
    transport = options.get("transport")
    if endpoint.webhook_code is not None:
        if options.get("client_id") or options.get("access_token"):
            raise ConfigurationError("a bitrix24 webhook URL takes no OAuth options")
        credentials = Credentials()
    else:
        credentials = make_credentials(options, transport)
    plan = options.get("limits", "standard")
    headroom = options.get("headroom", HEADROOM)
    capacity = PLANS[plan][0] if plan in PLANS else float("inf")
    if headroom >= capacity:
        raise ConfigurationError(
            f"bitrix24 headroom is a number of requests from 0 to below the plan's {capacity:g},"
            f" got {headroom!r}"
        )
    client = Bitrix24Client(
        endpoint,
        credentials=credentials,
        limiter=limiter_for(endpoint.host, plan, headroom=float(headroom)),
        transport=transport,
        timeout=options.get("timeout", 60.0),
    )
    settings = AdapterSettings(
        write_batch_size=options.get("write_batch_size", BATCH_COMMANDS),
        concurrency=options.get("concurrency", 4),
        contact_links=options.get("contact_links", "exact"),
    )
    return Bitrix24Adapter(client, settings)


__all__ = ["KNOWN_OPTIONS", "OPTIONS", "connect_adapter"]
