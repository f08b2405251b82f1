"""Fixtures for the Bitrix24 conformance suite: the emulator tests' emulator on a manual clock
and its callers, plus a few leads.

The suite checks the emulator against the vendor documentation only: every test quotes the
page it comes from (``test_b24conf_sources.py`` holds the suite to that), and nothing here
knows about the adapter.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from unicrm_bitrix24.emulator import Bitrix24Emulator

from ..emulator.conftest import WEBHOOK, Caller, call, clock, emu, ok, post_json

__all__ = ["WEBHOOK", "Caller", "Ok", "call", "call_emulator", "clock", "emu", "ok"]

Ok = Callable[..., Any]


def call_emulator(
    emulator: Bitrix24Emulator, method: str, params: dict[str, Any], webhook: str = WEBHOOK
) -> tuple[int, Any]:
    """One JSON POST by webhook: (HTTP status, decoded body)."""
    return post_json(emulator, method, params, webhook=webhook)


@pytest.fixture
def leads(ok: Ok) -> Callable[[int], list[int]]:
    """``leads(n)`` adds ``n`` leads titled ``Lead 0``... and returns their ids."""

    def _leads(n: int) -> list[int]:
        return [ok("crm.lead.add", fields={"TITLE": f"Lead {i}"})["result"] for i in range(n)]

    return _leads
