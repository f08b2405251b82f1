"""Creating custom fields: several in one request, refused when a key exists already."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

import unicrm
from unicrm import CustomFieldDef, CustomFieldOption
from unicrm.emulation import EmulatorTransport
from unicrm.errors import ValidationError

emulator_module = pytest.importorskip("unicrm_amocrm.emulator")


class LoggingTransport(EmulatorTransport):
    """Keeps ``"METHOD /path"`` of every request on its way to the emulator."""

    def __init__(self, emulator: object) -> None:
        super().__init__(emulator)  # type: ignore[arg-type]
        self.emulator = emulator
        self.seen: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(f"{request.method} {request.url.path}")
        return await super().handle_async_request(request)


def _connect_to(emulator: Any) -> tuple[unicrm.CRM, LoggingTransport]:
    transport = LoggingTransport(emulator)
    crm = unicrm.connect(
        "amocrm+http://127.0.0.1:1", token=emulator.long_lived_token, transport=transport
    )
    return crm, transport


def _connect() -> tuple[unicrm.CRM, LoggingTransport]:
    return _connect_to(emulator_module.AmoCRMEmulator(limits="off"))


def test_several_fields_go_in_one_post_and_come_back_in_order() -> None:
    crm, transport = _connect()
    wanted = [
        CustomFieldDef(key="ALPHA", label="Alpha", type="text"),
        CustomFieldDef(key="BUDGET2", label="Budget 2", type="number"),
        CustomFieldDef(
            key="COLOUR",
            label="Colour",
            type="select",
            options=[CustomFieldOption("", "Red"), CustomFieldOption("", "Green")],
        ),
    ]
    created = crm.leads.create_custom_fields(wanted)
    assert [c.key for c in created] == ["ALPHA", "BUDGET2", "COLOUR"]
    assert [c.label for c in created] == ["Alpha", "Budget 2", "Colour"]
    assert [o.label for o in created[2].options] == ["Red", "Green"]
    assert transport.seen.count("POST /api/v4/leads/custom_fields") == 1
    listed = {f.key: f for f in crm.leads.custom_fields()}
    assert {"ALPHA", "BUDGET2", "COLOUR"} <= set(listed)
    crm.close()


def test_an_existing_or_repeated_key_is_refused_before_anything_is_created() -> None:
    crm, transport = _connect()
    crm.contacts.create_custom_field(CustomFieldDef(key="NICK", label="Nick", type="text"))
    posts = transport.seen.count("POST /api/v4/contacts/custom_fields")
    with pytest.raises(ValidationError, match="exist already: 'NICK'"):
        crm.contacts.create_custom_fields(
            [
                CustomFieldDef(key="OTHER", label="Other", type="text"),
                CustomFieldDef(key="NICK", label="Nick again", type="text"),
            ]
        )
    with pytest.raises(ValidationError, match="repeat: 'TWICE'"):
        crm.contacts.create_custom_fields(
            [CustomFieldDef(key="TWICE", label=f"T{i}", type="text") for i in range(2)]
        )
    assert transport.seen.count("POST /api/v4/contacts/custom_fields") == posts
    assert "OTHER" not in {f.key for f in crm.contacts.custom_fields()}
    assert crm.contacts.create_custom_fields([]) == []
    crm.close()


def test_more_than_50_fields_are_read_page_by_page() -> None:
    """amoCRM answers at most 50 custom fields a request (the emulator's default, from the
    docs): the adapter follows ``_links.next`` and loses none of them."""
    crm, transport = _connect()
    wanted = [CustomFieldDef(key=f"F{i:02}", label=f"Field {i}", type="text") for i in range(60)]
    crm.leads.create_custom_fields(wanted)
    before = transport.seen.count("GET /api/v4/leads/custom_fields")
    fresh, fresh_transport = _connect_to(transport.emulator)
    keys = {f.key for f in fresh.leads.custom_fields()}
    assert {d.key for d in wanted} <= keys
    assert fresh_transport.seen.count("GET /api/v4/leads/custom_fields") == 2
    assert before >= 2
    crm.close()
    fresh.close()
