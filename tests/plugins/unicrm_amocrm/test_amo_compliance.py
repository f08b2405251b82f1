"""The amoCRM adapter against its emulator: the whole compliance suite, differential included.

Leads in amoCRM hold no person fields, phones or free-text sources, and prices are whole
numbers in the account's currency, so the data set is narrowed to what the vendor can store.
"""

from __future__ import annotations

import unicrm
from unicrm.emulation import EmulatorTransport
from unicrm.testing import ComplianceSuite, DatasetOptions
from unicrm_amocrm.emulator import AmoCRMEmulator


class TestAmoCRM(ComplianceSuite):
    dataset = DatasetOptions(
        currencies=("RUB",),
        integer_amounts=True,
        lead_phones=False,
        lead_person_fields=False,
        sources=False,
    )
    differential_examples = 100
    pagination_records = 260

    def make_crm(self) -> unicrm.CRM:
        emulator = AmoCRMEmulator(limits="off")
        return unicrm.connect(
            "amocrm+http://127.0.0.1:1",
            token=emulator.long_lived_token,
            transport=EmulatorTransport(emulator),
            rate=10_000,
        )
