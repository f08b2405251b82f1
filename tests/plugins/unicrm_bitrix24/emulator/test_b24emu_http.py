"""Over real HTTP: a ServerThread smoke test and the third-party ``fast_bitrix24`` client."""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
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


def test_concurrent_writes_and_reads_over_http() -> None:
    emu = Bitrix24Emulator(webhook="1/concurrent000001", limits="off")
    with ServerThread(emu) as server:
        url = server.base_url + emu.webhook_path

        def worker(n: int) -> list[int]:
            ids = []
            with httpx.Client(timeout=10) as client:
                for i in range(15):
                    r = client.post(
                        url + "crm.lead.add",
                        json={
                            "fields": {
                                "TITLE": f"w{n}-{i}",
                                "PHONE": [{"VALUE": f"+1{n:03d}{i:04d}"}],
                            }
                        },
                    )
                    ids.append(r.json()["result"])
                    client.post(url + "crm.lead.list", json={"select": ["ID", "PHONE"]})
            return ids

        with ThreadPoolExecutor(8) as pool:
            all_ids = [i for ids in pool.map(worker, range(8)) for i in ids]
        assert sorted(all_ids) == list(range(1, 121))
        with httpx.Client(timeout=10) as client:
            body = client.post(url + "crm.lead.list", json={"filter": {"HAS_PHONE": "Y"}}).json()
        assert body["total"] == 120
