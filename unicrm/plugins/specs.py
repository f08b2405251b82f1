"""What plugins contribute: adapter specs (name, URL schemes, factory)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

if TYPE_CHECKING:
    from unicrm.adapter.base import Adapter
    from unicrm.adapter.capabilities import Capabilities

#: Builds an adapter from the connection URL and the caller's keyword options.
AdapterFactory = Callable[[str, Mapping[str, Any]], "Adapter"]


@attrs.frozen
class AdapterSpec:
    """An adapter as a plugin registers it.

    ``schemes`` are the URL schemes it answers (``bitrix24``, ``bitrix24+http``); ``factory``
    is called lazily by :func:`unicrm.connect`, so importing vendor code waits until it is used.
    ``capabilities`` is shown by ``unicrm plugins`` (a callable, to stay lazy).
    """

    name: str
    schemes: tuple[str, ...]
    factory: AdapterFactory
    version: str = "0"
    description: str = ""
    capabilities: Callable[[], Capabilities] | None = None
