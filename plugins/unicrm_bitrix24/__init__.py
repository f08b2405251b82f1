"""unicrm plugin: Bitrix24 (classic REST CRM methods) — ``bitrix24://``, ``bitrix24+http://``.

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
SCHEMES = ("bitrix24", "bitrix24+http")


def _factory(url: str, options: Mapping[str, Any]) -> Adapter:
    from unicrm_bitrix24.connection import connect_adapter

    return connect_adapter(url, options)


def _capabilities() -> Any:
    from unicrm_bitrix24.capabilities import bitrix24_capabilities

    return bitrix24_capabilities()


def _sandbox(options: SandboxOptions) -> Sandbox:
    from unicrm_bitrix24.emulator import make_sandbox

    sandbox: Sandbox = make_sandbox(options)
    return sandbox


@hookimpl
def unicrm_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register ``bitrix24://`` (HTTPS) and ``bitrix24+http://`` (loopback only)."""
    register(
        AdapterSpec(
            name="bitrix24",
            schemes=SCHEMES,
            factory=_factory,
            version=__version__,
            description="Bitrix24 REST (classic crm.lead/crm.contact; webhook or OAuth)",
            capabilities=_capabilities,
        )
    )


@hookimpl
def unicrm_register_sandboxes(register: Callable[[SandboxSpec], None]) -> None:
    """Register the Bitrix24 emulator for ``unicrm sandbox bitrix24``."""
    register(
        SandboxSpec(
            name="bitrix24",
            description="Bitrix24 REST emulator (SQLite; webhooks and OAuth; leaky bucket)",
            create=_sandbox,
        )
    )
