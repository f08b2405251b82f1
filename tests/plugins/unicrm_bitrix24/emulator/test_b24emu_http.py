"""Over real HTTP: a ServerThread smoke test and the third-party ``fast_bitrix24`` client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from unicrm.emulation import ServerThread
from unicrm_bitrix24.emulator import Bitrix24Emulator


@pytest.fixture(scope="module")
def served() -> Iterator[tuple[Bitrix24Emulator, str]]:
    emu = Bitrix24Emulator(webhook="1/httpsmoke0000001", limits="vendor")
    emu.seed(1000)
    with ServerThread(emu) as server:
        yield emu, server.base_url + emu.webhook_path


def test_http_smoke(served: tuple[Bitrix24Emulator, str]) -> None:
    _, url = served
    with httpx.Client(timeout=10) as client:
        r = client.post(url + "crm.lead.list.json", json={"select": ["ID"], "start": 950})
        assert r.status_code == 200
        assert r.headers["content-type"].startswith("application/json")
        body = r.json()
        assert body["total"] == 1000 and "next" not in body
        assert body["result"][0]["ID"] == "951"
        bad = client.get(url.replace("httpsmoke0000001", "wrong") + "crm.lead.list")
        assert bad.status_code == 401


def test_fast_bitrix24_get_all_and_round_trip(served: tuple[Bitrix24Emulator, str]) -> None:
    fast_bitrix24 = pytest.importorskip("fast_bitrix24")
    emu, url = served
    emu.limits = "off"
    try:
        bx = fast_bitrix24.Bitrix(url, verbose=False)
        with warnings.catch_warnings():
            warnings.simplefilter("error")  # a count mismatch warning would fail the test
            leads = bx.get_all("crm.lead.list", {"select": ["ID", "TITLE"]})
        assert len(leads) == 1000
        assert sorted(int(x["ID"]) for x in leads) == list(range(1, 1001))
        new_id = bx.call(
            "crm.lead.add",
            {
                "fields": {
                    "TITLE": "fast_bitrix24 round trip",
                    "NAME": "Fast",
                    "PHONE": [{"VALUE": "+79991234567", "VALUE_TYPE": "MOBILE"}],
                }
            },
        )
        assert isinstance(new_id, int)
        got = bx.get_by_ID("crm.lead.get", [new_id])
        # fast_bitrix24 unwraps a single-id answer to the record itself
        record: dict[str, Any] = got.get(str(new_id), got) if isinstance(got, dict) else {}
        assert record["TITLE"] == "fast_bitrix24 round trip"
        assert [(p["VALUE"], p["VALUE_TYPE"]) for p in record["PHONE"]] == [
            ("+79991234567", "MOBILE")
        ]
        filtered = bx.get_all(
            "crm.lead.list", {"filter": {"PHONE": "+79991234567"}, "select": ["ID"]}
        )
        assert [int(x["ID"]) for x in filtered] == [new_id]
        bx.call("crm.lead.delete", {"id": new_id})
    finally:
        emu.limits = "vendor"
