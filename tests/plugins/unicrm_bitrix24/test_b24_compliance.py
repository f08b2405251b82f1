"""The compliance suite and differential tests against the Bitrix24 emulator (in-process).

Every test connects through ``EmulatorTransport(Bitrix24Emulator(limits="off"))``: the real
adapter, client and wire format, no sockets. Expected results come from the reference
evaluator on the records as stored, never from the adapter.
"""

from __future__ import annotations

from typing import Any, ClassVar

import pytest

import unicrm
from unicrm.emulation import EmulatorTransport
from unicrm.testing import ComplianceSuite, DatasetOptions

emulator_module = pytest.importorskip("unicrm_bitrix24.emulator")


def connect(emulator: Any, **options: Any) -> unicrm.CRM:
    return unicrm.connect(
        f"bitrix24+http://127.0.0.1:1{emulator.webhook_path}",
        transport=EmulatorTransport(emulator),
        limits="off",
        **options,
    )


class TestBitrix24(ComplianceSuite):
    """The whole suite; Bitrix24 leads and contacts carry no tags."""

    dataset: ClassVar[DatasetOptions] = DatasetOptions(tags=False)
    differential_examples = 150

    def make_crm(self) -> unicrm.CRM:
        return connect(emulator_module.Bitrix24Emulator(limits="off"))
