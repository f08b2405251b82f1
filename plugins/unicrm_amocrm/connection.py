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

from unicrm.errors import ConfigurationError
from unicrm_amocrm.adapter import AdapterSettings, AmoCRMAdapter
from unicrm_amocrm.auth import make_auth
from unicrm_amocrm.client import AmoClient, base_url_of
from unicrm_amocrm.limiter import INTEGRATION_RATE, limiter_for

KNOWN_OPTIONS = frozenset(
    {
        "token",
        "client_id",
        "client_secret",
        "redirect_uri",
        "code",
        "token_store",
        "transport",
        "write_batch_size",
        "concurrency",
        "rate",
        "timeout",
    }
)


def _positive_int(options: Mapping[str, Any], name: str, default: int) -> int:
    value = options.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigurationError(f"amocrm option {name} must be a positive int, got {value!r}")
    return value


def connect_adapter(url: str, options: Mapping[str, Any]) -> AmoCRMAdapter:
    """Build the adapter for ``url`` and the caller's options (see the module docstring)."""
    unknown = sorted(set(options) - KNOWN_OPTIONS)
    if unknown:
        raise ConfigurationError(
            f"unknown amocrm options {unknown}; known: {', '.join(sorted(KNOWN_OPTIONS))}"
        )
    base_url = base_url_of(url)
    transport = options.get("transport")
    setup = make_auth(base_url, options, transport)
    batch = _positive_int(options, "write_batch_size", 50)
    if batch > 250:
        raise ConfigurationError("amocrm write_batch_size is at most 250")
    limiter = limiter_for(
        base_url, setup.label, integration_rate=_positive_int(options, "rate", INTEGRATION_RATE)
    )
    client = AmoClient(
        base_url,
        auth=setup.auth,
        limiter=limiter,
        transport=transport,
        timeout=float(options.get("timeout", 30.0)),
        startup=setup.startup,
    )
    settings = AdapterSettings(
        write_batch_size=batch, concurrency=_positive_int(options, "concurrency", 7)
    )
    return AmoCRMAdapter(client, settings)


__all__ = ["KNOWN_OPTIONS", "connect_adapter"]
