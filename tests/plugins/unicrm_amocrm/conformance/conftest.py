"""The amoCRM conformance suite: the emulator checked against the vendor's own material.

Every test here names its source in its docstring (``Source:`` the site or repository, the page
or file, and the sentence quoted) and is listed in ``docs/vendors/amocrm-conformance.md``;
``test_conform_index.py`` keeps the two in step. The tests talk to the emulator the way a raw
HTTP client would (never through the adapter), so a misreading shared by the emulator and the
adapter cannot hide here.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from unicrm.emulation import ManualClock
from unicrm_amocrm.emulator import AmoCRMEmulator, OpenRules

from ..emulator.conftest import Api


def make_api(clock: ManualClock | None = None, limits: str = "off", **rules: Any) -> Api:
    """An emulator with the given open-rule switches, behind a raw client."""
    emulator = AmoCRMEmulator(clock=clock or ManualClock(), limits=limits, rules=OpenRules(**rules))
    return Api(emulator)


def create(api: Api, kind: str, items: list[dict[str, Any]]) -> list[int]:
    """Create entities; their new ids in order."""
    body = api.json("POST", f"/api/v4/{kind}", body=items)
    return [int(item["id"]) for item in body["_embedded"][kind]]


def page(api: Api, path: str, query: list[tuple[str, str]]) -> tuple[int, Any]:
    """(status, parsed body or None) of one GET."""
    response = api.call("GET", path, query)
    return response.status, (json.loads(response.body) if response.body else None)


@pytest.fixture
def api() -> Api:
    return make_api()


__all__ = ["Api", "create", "make_api", "page"]
