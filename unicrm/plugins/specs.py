"""What plugins contribute: adapter specs (name, URL schemes, factory, accepted options)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import attrs

from unicrm.plugins.options import Option, check_options

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
    ``capabilities`` is shown by ``unicrm plugins`` (a callable, to stay lazy). ``options``,
    when given, lists every keyword option the adapter accepts: :func:`unicrm.connect` then
    refuses unknown ones (listing the valid ones) and values of the wrong kind before the
    factory runs, and hands the factory the converted values. ``None`` leaves every option to
    the factory.
    """

    name: str
    schemes: tuple[str, ...]
    factory: AdapterFactory
    version: str = "0"
    description: str = ""
    capabilities: Callable[[], Capabilities] | None = None
    options: tuple[Option, ...] | None = None

    def checked_options(self, given: Mapping[str, Any]) -> dict[str, Any]:
        """``given`` as the factory should receive it (checked when ``options`` is declared)."""
        if self.options is None:
            return dict(given)
        return check_options(self.name, given, self.options)
