"""unicrm plugin: amoCRM / Kommo (API v4) — ``amocrm://``, ``kommo://``, ``amocrm+http://``.

Registered through the ``unicrm`` entry-point group like any third-party plugin. Vendor code is
imported lazily, when a connection or a sandbox is made.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unicrm.adapter import Adapter
from unicrm.emulation import Sandbox, SandboxOptions, SandboxSpec
from unicrm.plugins import AdapterSpec, hookimpl

__version__ = "0.1.0"
SCHEMES = ("amocrm", "kommo", "amocrm+http")


def _factory(url: str, options: Mapping[str, Any]) -> Adapter:
    from unicrm_amocrm.connection import connect_adapter

    return connect_adapter(url, options)


def _capabilities() -> Any:
    from unicrm_amocrm.capabilities import amocrm_capabilities

    return amocrm_capabilities()


def _sandbox(options: SandboxOptions) -> Sandbox:
    from unicrm_amocrm.emulator import make_sandbox

    sandbox: Sandbox = make_sandbox(options)
    return sandbox


@hookimpl
def unicrm_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register ``amocrm://``, ``kommo://`` and ``amocrm+http://`` (loopback only)."""
    register(
        AdapterSpec(
            name="amocrm",
            schemes=SCHEMES,
            factory=_factory,
            version=__version__,
            description="amoCRM / Kommo API v4 (long-lived token or OAuth)",
            capabilities=_capabilities,
        )
    )


@hookimpl
def unicrm_register_sandboxes(register: Callable[[SandboxSpec], None]) -> None:
    """Register the amoCRM emulator for ``unicrm sandbox amocrm``."""
    register(
        SandboxSpec(
            name="amocrm",
            description="amoCRM API v4 emulator (SQLite; OAuth and long-lived tokens; limits)",
            create=_sandbox,
        )
    )
