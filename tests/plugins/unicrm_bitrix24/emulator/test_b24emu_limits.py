"""Limits (leaky bucket, operating time), the time block, fault injection, latency."""

from __future__ import annotations

import json
from collections import Counter
from typing import Any

import pytest

from unicrm.emulation import EmulatorRequest, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator
from unicrm_bitrix24.emulator.limits import LeakyBucket, OperatingBudget

from .conftest import WEBHOOK, post_json


@pytest.fixture
def vendor(clock: ManualClock) -> Bitrix24Emulator:
    return Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="vendor")


def test_bucket_allows_50_then_refuses_and_drains(
    vendor: Bitrix24Emulator, clock: ManualClock
) -> None:
    statuses = [post_json(vendor, "crm.lead.list", {})[0] for _ in range(51)]
    assert statuses[:50] == [200] * 50
    status, body = post_json(vendor, "crm.lead.list", {})
    assert status == 503
    assert body == {"error": "QUERY_LIMIT_EXCEEDED", "error_description": "Too many requests"}
    assert statuses[50] == 503
    clock.advance(0.5)  # drains one request
    assert post_json(vendor, "crm.lead.list", {})[0] == 200
    assert post_json(vendor, "crm.lead.list", {})[0] == 503
    clock.advance(10)  # 20 more
    assert [post_json(vendor, "crm.lead.list", {})[0] for _ in range(21)].count(200) == 20


def test_batch_counts_once(vendor: Bitrix24Emulator) -> None:
    cmd = {f"c{i}": "crm.lead.list" for i in range(50)}
    for _ in range(50):
        status, body = post_json(vendor, "batch", {"cmd": cmd})
        assert status == 200 and len(body["result"]["result"]) == 50
    assert post_json(vendor, "batch", {"cmd": cmd})[0] == 503


def test_limits_off_never_refuses(vendor: Bitrix24Emulator) -> None:
    vendor.limits = "off"
    assert {post_json(vendor, "crm.lead.list", {})[0] for _ in range(200)} == {200}
    with pytest.raises(ValueError, match="limits"):
        vendor.limits = "sometimes"


def test_operating_time_blocks_one_method_until_reset(
    vendor: Bitrix24Emulator, clock: ManualClock
) -> None:
    vendor.limits = "vendor"
    vendor.method_costs["crm.lead.list"] = 100.0
    times = []
    for _ in range(5):
        status, body = post_json(vendor, "crm.lead.list", {})
        assert status == 200  # the call that crosses 480 s still completes
        times.append(body["time"])
        clock.advance(1)
    assert times[-1]["operating"] == pytest.approx(500.0, abs=0.1)
    status, body = post_json(vendor, "crm.lead.list", {})
    assert status == 429
    assert body["error"] == "OPERATION_TIME_LIMIT"
    # other methods keep working
    assert post_json(vendor, "crm.contact.list", {})[0] == 200
    reset_at = times[-1]["operating_reset_at"]
    assert reset_at == 1_750_000_000 + 600
    clock.set(reset_at)
    status, body = post_json(vendor, "crm.lead.list", {})
    assert status == 200


def test_operating_time_inside_batch_is_per_command(vendor: Bitrix24Emulator) -> None:
    vendor.method_costs["crm.lead.list"] = 200.0
    cmd = {f"c{i}": "crm.lead.list" for i in range(5)}
    body = post_json(vendor, "batch", {"cmd": cmd})[1]["result"]
    assert set(body["result"]) == {"c0", "c1", "c2"}
    assert {v["error"] for v in body["result_error"].values()} == {"OPERATION_TIME_LIMIT"}


def test_time_block_in_every_response(vendor: Bitrix24Emulator) -> None:
    body = post_json(vendor, "crm.lead.fields", {})[1]
    block = body["time"]
    assert set(block) == {
        "start",
        "finish",
        "duration",
        "processing",
        "date_start",
        "date_finish",
        "operating_reset_at",
        "operating",
    }
    assert block["start"] == 1_750_000_000.0
    assert block["date_start"] == "2025-06-15T18:06:40+03:00"
    assert block["finish"] >= block["start"]


def test_bucket_and_budget_units() -> None:
    bucket = LeakyBucket(capacity=3, drain=1.0)
    assert [bucket.hit(0.0) for _ in range(4)] == [True, True, True, False]
    assert bucket.hit(1.0) is True
    budget = OperatingBudget(limit=10)
    key = ("w", "m")
    budget.record(key, 0.0, 6)
    budget.record(key, 30.0, 6)  # same one-minute bucket
    budget.record(key, 70.0, 1)  # a new bucket
    assert budget.state(key, 80.0) == (13.0, 600)
    assert budget.blocked(key, 80.0)
    assert budget.state(key, 600.0) == (1.0, 670)
    assert not budget.blocked(key, 600.0)


def _raw(emu: Bitrix24Emulator, path: str, query: str = "") -> Any:
    return emu.handle(EmulatorRequest("GET", path, query=query))


def test_faults_have_vendor_shapes(clock: ManualClock) -> None:
    emu = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off", random_seed=3)
    emu.set_faults(1.0, ["rate_limit"])
    r = _raw(emu, f"/rest/{WEBHOOK}/crm.lead.list")
    assert r.status == 503 and json.loads(r.body)["error"] == "QUERY_LIMIT_EXCEEDED"
    emu.set_faults(1.0, ["server_error"])
    seen = set()
    for _ in range(20):
        r = _raw(emu, f"/rest/{WEBHOOK}/crm.lead.list")
        seen.add(r.status)
        assert dict(r.headers)["content-type"].startswith("text/html")
        assert r.body.startswith(b"<html>")
    assert seen == {500, 502}
    emu.set_faults(1.0, ["timeout"])
    assert _raw(emu, f"/rest/{WEBHOOK}/crm.lead.list").fault == "timeout"
    emu.set_faults(1.0, ["reset"])
    assert _raw(emu, f"/rest/{WEBHOOK}/crm.lead.list").fault == "reset"
    # expired_token only hits OAuth calls
    emu.set_faults(1.0, ["expired_token"])
    assert _raw(emu, f"/rest/{WEBHOOK}/crm.lead.list").status == 200


def test_faults_happen_before_any_effect(clock: ManualClock) -> None:
    emu = Bitrix24Emulator(clock=clock, webhook=WEBHOOK, limits="off")
    emu.set_faults(0.5)
    outcomes: Counter[int] = Counter()
    for i in range(100):
        status, _ = (
            (r.status, None)
            if (
                r := emu.handle(
                    EmulatorRequest(
                        "POST",
                        f"/rest/{WEBHOOK}/crm.lead.add",
                        headers={"content-type": "application/json"},
                        body=json.dumps({"fields": {"TITLE": f"t{i}"}}).encode(),
                    )
                )
            )
            else (0, None)
        )
        outcomes[status] += 1
    emu.set_faults(0.0)
    created = post_json(emu, "crm.lead.list", {"start": 0})[1]["total"]
    assert created == outcomes[200]
    assert 20 < outcomes[200] < 80


def test_fault_sequence_is_deterministic(clock: ManualClock) -> None:
    def run() -> list[int]:
        emu = Bitrix24Emulator(
            clock=clock, webhook=WEBHOOK, limits="off", faults=0.3, random_seed=11
        )
        return [_raw(emu, f"/rest/{WEBHOOK}/crm.lead.list").status for _ in range(40)]

    assert run() == run()


def test_latency_switch() -> None:
    assert Bitrix24Emulator(latency_ms=25).latency == pytest.approx(0.025)
