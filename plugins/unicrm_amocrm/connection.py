"""From ``unicrm.connect("amocrm://...", **options)`` to a ready :class:`AmoCRMAdapter`.

Options: ``token`` (long-lived token; else ``UNICRM_AMOCRM_TOKEN``), or OAuth ``client_id``,
``client_secret``, ``redirect_uri`` with ``code`` or ``token_store``; ``transport`` (an httpx
transport, e.g. ``unicrm.emulation.EmulatorTransport(emulator)``); ``write_batch_size``
(default 50); ``concurrency`` (pages in flight, default 7); ``rate`` (requests per second per
integration, default the vendor's 7); ``timeout`` (seconds, default 30).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import httpx

from unicrm.errors import ConfigurationError
from unicrm.plugins import Kind, Option, check_options
from unicrm_amocrm.adapter import AdapterSettings, AmoCRMAdapter
from unicrm_amocrm.auth import make_auth
from unicrm_amocrm.client import AmoClient, base_url_of
from unicrm_amocrm.limiter import INTEGRATION_RATE, limiter_for

#: amoCRM takes at most this many records per write request.
MAX_WRITE_BATCH = 250

#: Every option ``amocrm://`` takes, and what its value must be (see the module docstring).
OPTIONS = (
    Option("token", Kind.secret(), "long-lived token", secret=True),
    Option("client_id", Kind.text(), "OAuth integration id"),
    Option("client_secret", Kind.secret(), "OAuth integration secret", secret=True),
    Option("redirect_uri", Kind.url("https", "http"), "the integration's redirect URI"),
    Option("code", Kind.secret(), "OAuth authorization code", secret=True),
    Option(
        "token_store",
        Kind.having("load", "save", expected="a token store (load() and save())"),
        "where the OAuth pair is kept",
    ),
    Option(
        "transport",
        Kind.instance_of(httpx.AsyncBaseTransport, expected="an httpx async transport"),
        "e.g. unicrm.emulation.EmulatorTransport(emulator)",
    ),
    Option("write_batch_size", Kind.integer(1, MAX_WRITE_BATCH), "records per write"),
    Option("concurrency", Kind.integer(1), "pages in flight"),
    Option("rate", Kind.integer(1), "requests per second per integration"),
    Option("timeout", Kind.seconds(), "seconds"),
)
KNOWN_OPTIONS = frozenset(option.name for option in OPTIONS)


def connect_adapter(url: str, options: Mapping[str, Any]) -> AmoCRMAdapter:
    """Build the adapter for ``url`` and the caller's options (see the module docstring)."""
    options = check_options("amocrm", options, OPTIONS)
    parts = urlsplit(url)
    if parts.path.strip("/") or parts.query:
        raise ConfigurationError(
            "an amoCRM URL is the account's address only (amocrm://SUBDOMAIN.amocrm.ru), "
            "without a path or ?query; give settings as options"
        )
    base_url = base_url_of(url)
    transport = options.get("transport")
    setup = make_auth(base_url, options, transport)
    limiter = limiter_for(
        base_url, setup.label, integration_rate=options.get("rate", INTEGRATION_RATE)
    )
    client = AmoClient(
        base_url,
        auth=setup.auth,
        limiter=limiter,
        transport=transport,
        timeout=options.get("timeout", 30.0),
        startup=setup.startup,
    )
    settings = AdapterSettings(
        write_batch_size=options.get("write_batch_size", 50),
        concurrency=options.get("concurrency", 7),
    )
    return AmoCRMAdapter(client, settings)


__all__ = ["KNOWN_OPTIONS", "OPTIONS", "connect_adapter"]
