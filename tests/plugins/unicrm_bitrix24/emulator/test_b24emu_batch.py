"""``batch``: references, halt, the 50-command cap and the five result maps (notes §5)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import httpx

from unicrm.emulation import EmulatorTransport
from unicrm_bitrix24.emulator import Bitrix24Emulator

from .conftest import WEBHOOK

Ok = Callable[..., Any]


def test_keyset_chain_with_result_references(emu: Bitrix24Emulator, ok: Ok) -> None:
    emu.seed(130)
    cmd = {
        "p0": "crm.lead.list?"
        + urlencode({"order[ID]": "ASC", "filter[>ID]": 0, "select[]": "ID", "start": -1})
    }
    for i in range(1, 4):
        cmd[f"p{i}"] = "crm.lead.list?" + urlencode(
            {
                "order[ID]": "ASC",
                "filter[>ID]": f"$result[p{i - 1}][49][ID]",
                "select[]": "ID",
                "start": -1,
            }
        )
    body = ok("batch", halt=0, cmd=cmd)
    result = body["result"]
    ids = [int(r["ID"]) for key in ("p0", "p1", "p2") for r in result["result"][key]]
    assert ids == list(range(1, 131))
    # p2 was short (30 rows, no [49]): p3's reference stops at the whole p2 list, which is
    # no usable filter value, so the filter is dropped and p3 restarts from the first row.
    # This is why clients must stop on a short page.
    assert [int(r["ID"]) for r in result["result"]["p3"]] == list(range(1, 51))
    assert result["result_error"] == []
    assert result["result_total"] == {"p0": 0, "p1": 0, "p2": 0, "p3": 0}
    assert result["result_next"] == []
    assert set(result["result_time"]) == {"p0", "p1", "p2", "p3"}
    assert "operating" in result["result_time"]["p0"]
    assert "time" in body


def test_reference_inside_a_longer_string_and_add_result(ok: Ok) -> None:
    body = ok(
        "batch",
        cmd={
            "add": "crm.lead.add?fields[TITLE]=First",
            "copy": "crm.lead.add?fields[TITLE]=Copy of $result[add]",
            "get": "crm.lead.get?id=$result[copy]",
        },
    )
    result = body["result"]["result"]
    assert result["add"] == 1 and result["copy"] == 2
    assert result["get"]["TITLE"] == "Copy of 1"


def test_errors_stay_inside_http_200_and_halt_stops(ok: Ok) -> None:
    ok("crm.lead.add", fields={"TITLE": "x"})
    cmds = {
        "a": "crm.lead.get?id=1",
        "b": "crm.lead.get?id=999",
        "c": "crm.lead.get?id=0",
        "d": "crm.lead.get?id=1",
    }
    body = ok("batch", cmd=cmds)["result"]
    assert set(body["result"]) == {"a", "d"}
    assert body["result_error"] == {
        "b": {"error": "", "error_description": "Not found"},
        "c": {"error": "", "error_description": "ID is not defined or invalid."},
    }
    assert set(body["result_time"]) == {"a", "d"}
    halted = ok("batch", halt=1, cmd=cmds)["result"]
    assert set(halted["result"]) == {"a"}
    assert set(halted["result_error"]) == {"b"}


def test_numeric_keys_render_as_lists(ok: Ok) -> None:
    ok("crm.lead.add", fields={"TITLE": "x"})
    body = ok("batch", cmd=["crm.lead.get?id=1", "crm.lead.get?id=1"])["result"]
    assert isinstance(body["result"], list) and len(body["result"]) == 2
    errs = ok("batch", cmd=["crm.lead.get?id=5", "crm.lead.get?id=6"])["result"]
    assert errs["result"] == []
    assert errs["result_error"] == [
        {"error": "", "error_description": "Not found"},
        {"error": "", "error_description": "Not found"},
    ]


def test_more_than_50_commands(ok: Ok) -> None:
    cmd = {f"c{i}": f"crm.lead.add?fields[TITLE]=L{i}" for i in range(53)}
    body = ok("batch", cmd=cmd)["result"]
    assert len(body["result"]) == 50
    assert set(body["result_error"]) == {"c50", "c51", "c52"}
    assert body["result_error"]["c50"]["error"] == "ERROR_BATCH_LENGTH_EXCEEDED"
    assert ok("crm.lead.list", start=-1)["result"][-1]["TITLE"] == "L49"


def test_nested_batch_and_unknown_method(ok: Ok) -> None:
    body = ok("batch", cmd={"n": "batch?cmd[x]=crm.lead.list", "u": "crm.nope.list", "skip": 5})[
        "result"
    ]
    assert body["result_error"]["n"]["error"] == "ERROR_BATCH_METHOD_NOT_ALLOWED"
    assert body["result_error"]["u"]["error"] == "ERROR_METHOD_NOT_FOUND"
    assert "skip" not in body["result_error"]


def test_list_pages_report_next_and_total(emu: Bitrix24Emulator, ok: Ok) -> None:
    emu.seed(120)
    body = ok("batch", cmd={"a": "crm.lead.list?start=0", "b": "crm.lead.list?start=100"})
    result = body["result"]
    assert result["result_total"] == {"a": 120, "b": 120}
    assert result["result_next"] == {"a": 50}


def test_form_encoded_batch_with_double_encoding(emu: Bitrix24Emulator) -> None:
    client = httpx.Client(transport=EmulatorTransport(emu), base_url="http://127.0.0.1")
    inner = urlencode({"fields[TITLE]": "Tom & Jerry"})
    r = client.post(f"/rest/{WEBHOOK}/batch", data={"halt": "0", "cmd[x]": "crm.lead.add?" + inner})
    assert r.status_code == 200
    assert r.json()["result"]["result"] == {"x": 1}
    got = client.get(f"/rest/{WEBHOOK}/crm.lead.get", params={"id": 1}).json()
    assert got["result"]["TITLE"] == "Tom & Jerry"


def test_empty_batch(ok: Ok) -> None:
    body = ok("batch", cmd={})["result"]
    assert body == {
        "result": [],
        "result_error": [],
        "result_total": [],
        "result_next": [],
        "result_time": [],
    }
