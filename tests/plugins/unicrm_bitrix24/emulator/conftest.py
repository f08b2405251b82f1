"""Fixtures for the Bitrix24 emulator tests: an emulator on a manual clock and a caller."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from unicrm.emulation import EmulatorRequest, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator

WEBHOOK = "1/testcode1234567"

Caller = Callable[..., tuple[int, Any]]


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(1_750_000_000.0)


@pytest.fixture
def emu(clock: ManualClock) -> Iterator[Bitrix24Emulator]:
    emulator = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off")
    yield emulator
    emulator.close()


def post_json(
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
def call(emu: Bitrix24Emulator) -> Caller:
    """``call(method, **params)`` -> (HTTP status, decoded JSON body), JSON POST by webhook."""

    def _call(method: str, **params: Any) -> tuple[int, Any]:
        return post_json(emu, method, params)

    return _call


@pytest.fixture
def ok(call: Caller) -> Callable[..., Any]:
    """Like ``call`` but asserts HTTP 200 and returns the whole envelope."""

    def _ok(method: str, **params: Any) -> Any:
        status, body = call(method, **params)
        assert status == 200, body
        return body

    return _ok
