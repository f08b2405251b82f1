"""``unicrm.connect(url)`` and ``unicrm.connect_async(url)``: from a URL to a CRM.

The URL's scheme picks the adapter among those the loaded plugins registered.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from unicrm.crm.asynchronous import AsyncCRM
from unicrm.crm.sync import CRM
from unicrm.errors import ConfigurationError
from unicrm.plugins.manager import adapters
from unicrm.plugins.specs import AdapterSpec


def known_schemes() -> list[str]:
    """Every URL scheme some loaded adapter answers."""
    return sorted({scheme for spec in adapters() for scheme in spec.schemes})


def find_adapter(url: str) -> AdapterSpec:
    """The adapter spec for ``url``'s scheme; ConfigurationError listing known schemes if none."""
    if not isinstance(url, str) or "://" not in url:
        raise ConfigurationError(
            f"a CRM URL looks like 'scheme://...'; known schemes: {', '.join(known_schemes())}"
        )
    scheme = urlsplit(url).scheme.lower()
    for spec in adapters():
        if scheme in spec.schemes:
            return spec
    raise ConfigurationError(
        f"no adapter for URL scheme {scheme!r}; known schemes: "
        f"{', '.join(known_schemes()) or '(none: no plugin loaded)'}"
    )


def connect_async(url: str, **options: Any) -> AsyncCRM:
    """An async CRM for ``url`` (use ``async with``). Options go to the adapter."""
    spec = find_adapter(url)
    return AsyncCRM(spec.factory(url, options))


def connect(url: str, **options: Any) -> CRM:
    """A sync CRM for ``url``. Options go to the adapter (e.g. ``token=...``, ``transport=...``)."""
    return CRM(connect_async(url, **options))
