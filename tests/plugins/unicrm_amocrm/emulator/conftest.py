"""Helpers for calling the amoCRM emulator directly, the way a raw HTTP client would."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import urlencode

import pytest

from unicrm.emulation import EmulatorRequest, EmulatorResponse, ManualClock
from unicrm_amocrm.emulator import AmoCRMEmulator


class Api:
    """Sends requests to an emulator with its long-lived token."""

    def __init__(self, emulator: AmoCRMEmulator) -> None:
        self.emulator = emulator
        self.token = emulator.long_lived_token

    def call(
        self,
        method: str,
        path: str,
        query: list[tuple[str, str]] | str = "",
        body: Any = None,
        token: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> EmulatorResponse:
        raw = (
            body
            if isinstance(body, bytes)
            else (b"" if body is None else json.dumps(body).encode())
        )
        sent = {"authorization": f"Bearer {token or self.token}", "host": "example.amocrm.ru"}
        if body is not None and not isinstance(body, bytes):
            sent["content-type"] = "application/json"
        sent.update(headers or {})
        text = query if isinstance(query, str) else urlencode(query)
        return self.emulator.handle(EmulatorRequest(method, path, text, sent, raw))

    def json(self, *args: Any, **kwargs: Any) -> Any:
        response = self.call(*args, **kwargs)
        assert response.status == 200, (response.status, response.body[:300])
        return json.loads(response.body)


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def api(clock: ManualClock) -> Api:
    return Api(AmoCRMEmulator(clock=clock, limits="off"))
