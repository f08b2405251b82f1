"""``unicrm.connect(url)`` and ``unicrm.connect_async(url)``: from a URL to a CRM.

The URL's scheme picks the adapter among those the loaded plugins registered. Whatever the
adapter, a bad URL or option is a :class:`~unicrm.errors.ConfigurationError`:

1. every URL passes :func:`unicrm.plugins.split_url` (a ``scheme://``, no whitespace, a port
   from 1 to 65535, a readable host, no fragment);
2. an adapter that declares its options on its spec gets only known names with values of the
   right kind (unknown ones are refused with the list of valid ones);
3. the factory's own checks; a ``ValueError``/``TypeError`` or httpx URL error that escapes a
   factory is reported as a ConfigurationError too (redacted, the original chained), so no
   third-party adapter can answer a typo with a bare exception.
"""

from __future__ import annotations

from typing import Any

import httpx

from unicrm.adapter import Adapter
from unicrm.crm.asynchronous import AsyncCRM
from unicrm.crm.sync import CRM
from unicrm.errors import ConfigurationError
from unicrm.plugins.manager import adapters
from unicrm.plugins.specs import AdapterSpec
from unicrm.plugins.urls import split_url
from unicrm.transport import redact


def known_schemes() -> list[str]:
    """Every URL scheme some loaded adapter answers."""
    return sorted({scheme for spec in adapters() for scheme in spec.schemes})


def find_adapter(url: str) -> AdapterSpec:
    """The adapter spec for ``url``'s scheme; ConfigurationError listing known schemes if none."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"a CRM URL looks like 'scheme://...'; known schemes: {', '.join(known_schemes())}"
        )
    scheme = split_url(url).scheme.lower()
    for spec in adapters():
        if scheme in spec.schemes:
            return spec
    raise ConfigurationError(
        f"no adapter for URL scheme {scheme!r}; known schemes: "
        f"{', '.join(known_schemes()) or '(none: no plugin loaded)'}"
    )


def open_adapter(url: str, options: dict[str, Any]) -> Adapter:
    """The adapter for ``url`` built from checked ``options`` (see the module docstring)."""
    spec = find_adapter(url)
    checked = spec.checked_options(options)
    try:
        return spec.factory(url, checked)
    except (ValueError, TypeError, httpx.InvalidURL) as exc:
        raise ConfigurationError(
            f"{spec.name} refused the URL or options: {redact(str(exc)) or type(exc).__name__}"
        ) from exc


def connect_async(url: str, **options: Any) -> AsyncCRM:
    """An async CRM for ``url`` (use ``async with``). Options go to the adapter."""
    return AsyncCRM(open_adapter(url, options))


def connect(url: str, **options: Any) -> CRM:
    """A sync CRM for ``url``. Options go to the adapter (e.g. ``token=...``, ``transport=...``)."""
    return CRM(connect_async(url, **options))
