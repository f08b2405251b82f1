"""A vendor request as the planner and ``explain()`` see it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

import attrs

from unicrm.model import FrozenMap, freeze
from unicrm.transport.secrets import redact, redact_mapping


@attrs.frozen
class VendorRequest:
    """One vendor request (or one paginated request stream) that an adapter compiled.

    ``endpoint`` names the vendor method or path (``crm.lead.list``, ``GET /api/v4/leads``);
    ``params`` are the vendor parameters as sent, with secrets already left out; ``payload``
    is whatever private data the adapter needs to execute it (never printed).
    ``estimated_requests`` is the adapter's estimate of HTTP requests, when it has one.
    """

    endpoint: str
    params: FrozenMap[Any] = attrs.field(factory=FrozenMap, converter=freeze)
    payload: Any = attrs.field(default=None, eq=False, repr=False)
    estimated_requests: int | None = None
    note: str = ""

    def describe(self) -> str:
        """One or two lines for ``explain()``, secrets redacted (even if an adapter left one in)."""
        params = _plain(redact_mapping(self.params))
        shown = json.dumps(params, ensure_ascii=False, default=str, sort_keys=True)
        text = redact(f"{self.endpoint} {shown}")
        return f"{text}\n      ({redact(self.note)})" if self.note else text


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, frozenset, set)):
        return [_plain(v) for v in value]
    return value
