"""unicrm plugin: the ``memory://`` adapter (in-process, exact, with selectable pushdown).

Registered through the ``unicrm`` entry-point group like any third-party plugin.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from unicrm.adapter import Adapter
from unicrm.plugins import AdapterSpec, Kind, Option, hookimpl
from unicrm_memory.capabilities import LEVELS

__version__ = "0.1.0"

#: Every keyword option ``memory://`` takes; unicrm.connect refuses any other.
OPTIONS = (
    Option("pushdown", Kind.choice(*LEVELS), "which planner paths run server-side"),
    Option("page_size", Kind.integer(1), "records per page"),
    Option(
        "store",
        Kind.having("new_id", "stored", expected="a unicrm_memory MemoryStore"),
        "an existing store to open (default: fresh, or shared by name)",
    ),
)


def _factory(url: str, options: Mapping[str, Any]) -> Adapter:
    from unicrm_memory.adapter import MemoryAdapter

    return MemoryAdapter.from_url(url, options)


def _capabilities() -> Any:
    from unicrm_memory.capabilities import memory_capabilities

    return memory_capabilities("full")


@hookimpl
def unicrm_register_adapters(register: Callable[[AdapterSpec], None]) -> None:
    """Register ``memory://``."""
    register(
        AdapterSpec(
            name="memory",
            schemes=("memory",),
            factory=_factory,
            version=__version__,
            description="in-process store; ?pushdown=none|basic|full selects planner paths",
            capabilities=_capabilities,
            options=OPTIONS,
        )
    )
