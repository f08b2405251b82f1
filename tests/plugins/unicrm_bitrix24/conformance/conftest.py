"""Fixtures for the Bitrix24 conformance suite: an emulator on a manual clock and a caller.

The suite checks the emulator against the vendor documentation only: every test quotes the
page it comes from (``test_b24conf_sources.py`` holds the suite to that), and nothing here
knows about the adapter.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from unicrm.emulation import EmulatorRequest, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator

WEBHOOK = "1/conformance123"

Caller = Callable[..., tuple[int, Any]]
Ok = Callable[..., Any]


def call_emulator(
    emulator: Bitrix24Emulator, method: str, params: dict[str, Any], webhook: str = WEBHOOK
) -> tuple[int, Any]:
    """One JSON POST by webhook: (HTTP status, decoded body)."""
    response = emulator.handle(
        EmulatorRequest(
            "POST",
            f"/rest/{webhook}/{method}",
            headers={"content-type": "application/json"},
            body=json.dumps(params).encode(),
        )
    )
    return response.status, json.loads(response.body) if response.body else None


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_750_000_000.0)


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Bitrix24Emulator]:
    emulator = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off")
    yield emulator
    emulator.close()


@pytest.fixture
def call(emu: Bitrix24Emulator) -> Caller:
    """``call(method, **params)`` -> (HTTP status, body)."""

    def _call(method: str, **params: Any) -> tuple[int, Any]:
        return call_emulator(emu, method, params)

    return _call


@pytest.fixture
def ok(call: Caller) -> Ok:
    """Like ``call`` but requires HTTP 200 without an ``error`` and returns the envelope."""

    def _ok(method: str, **params: Any) -> Any:
        status, body = call(method, **params)
        assert status == 200 and "error" not in body, body
        return body

    return _ok


@pytest.fixture
def leads(ok: Ok) -> Callable[[int], list[int]]:
    """``leads(n)`` adds ``n`` leads titled ``Lead 0``... and returns their ids."""

    def _leads(n: int) -> list[int]:
        return [ok("crm.lead.add", fields={"TITLE": f"Lead {i}"})["result"] for i in range(n)]

    return _leads
