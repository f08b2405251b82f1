"""One request as the emulator's handlers see it, and the HAL+JSON success answer.

A handler is ``Call -> EmulatorResponse``; route tables pair it with an HTTP method and a path
pattern whose groups land in ``Call.groups``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from unicrm.emulation import EmulatorRequest, EmulatorResponse, parse_pairs
from unicrm_amocrm.emulator.problems import Problem

HAL = "application/hal+json"
#: The path group of the three entity kinds.
ENTITY_PATH = "(leads|contacts|companies)"
_FLAT_FILTER = re.compile(r"^filter\[[^\[\]]+\]$")


def hal(payload: Any, status: int = 200) -> EmulatorResponse:
    """A success answer (every method page: ``Content-Type: application/hal+json``)."""
    return EmulatorResponse.json(status, payload, content_type=HAL)


def repeated_as_list(pairs: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``filter[k]=a&filter[k]=b`` as ``filter[k][]=a&filter[k][]=b`` (Kommo's reading of a
    repeated filter key as a multiple filter; see ``OpenRules.repeated_filter_keys``)."""
    counts: dict[str, int] = {}
    for key, _ in pairs:
        counts[key] = counts.get(key, 0) + 1
    return [
        (f"{key}[]" if counts[key] > 1 and _FLAT_FILTER.match(key) else key, value)
        for key, value in pairs
    ]


class Call:
    """One request: path groups, parsed query and body, the base URL to build links from."""

    def __init__(
        self,
        request: EmulatorRequest,
        groups: Sequence[str],
        base: str,
        repeated_keys: str = "or",
    ) -> None:
        self.request = request
        self.groups = groups
        self.base = base
        self.pairs = request.query_pairs()
        parsed = repeated_as_list(self.pairs) if repeated_keys == "or" else self.pairs
        self.params = parse_pairs(parsed)

    def json(self) -> Any:
        if not self.request.body:
            raise Problem(400, "Request body is empty")
        try:
            return json.loads(self.request.body)
        except ValueError:
            raise Problem(400, "Request body is not valid JSON") from None

    def form_or_json(self) -> dict[str, Any]:
        if self.request.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.request.body.decode(), keep_blank_values=True))
        body = self.json()
        if not isinstance(body, dict):
            raise Problem(400, "Request body must be an object")
        return body


Handler = Callable[[Call], EmulatorResponse]
Route = tuple[str, str, Handler]

__all__ = ["ENTITY_PATH", "HAL", "Call", "Handler", "Route", "hal", "repeated_as_list"]
