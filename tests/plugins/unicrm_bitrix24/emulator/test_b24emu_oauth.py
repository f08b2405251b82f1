"""The OAuth stand-in: code exchange, expiry on the emulator clock, rotating refresh."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from unicrm.emulation import EmulatorTransport, ManualClock
from unicrm_bitrix24.emulator import Bitrix24Emulator


@pytest.fixture
def client(emu: Bitrix24Emulator) -> httpx.Client:
    return httpx.Client(transport=EmulatorTransport(emu), base_url="http://127.0.0.1:8024")


def _exchange(client: httpx.Client, emu: Bitrix24Emulator) -> tuple[str, str, dict[str, Any]]:
    client_id, secret, code = emu.register_app()
    r = client.get(
        "/oauth/token/",
        params={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": secret,
            "code": code,
        },
    )
    assert r.status_code == 200, r.text
    return client_id, secret, r.json()


def test_code_exchange_and_call(client: httpx.Client, emu: Bitrix24Emulator) -> None:
    _, _, tokens = _exchange(client, emu)
    assert tokens["expires_in"] == 3600
    assert tokens["expires"] == 1_750_000_000 + 3600
    assert tokens["client_endpoint"] == "http://127.0.0.1:8024/rest/"
    assert {
        "access_token",
        "refresh_token",
        "member_id",
        "domain",
        "server_endpoint",
        "scope",
    } <= set(tokens)
    r = client.post(
        "/rest/crm.lead.add.json",
        json={"auth": tokens["access_token"], "fields": {"TITLE": "oauth"}},
    )
    assert r.json()["result"] == 1
    r = client.get("/rest/crm.lead.get", params={"auth": tokens["access_token"], "id": 1})
    assert r.json()["result"]["TITLE"] == "oauth"
    assert r.json()["result"]["CREATED_BY_ID"] == "1"


def test_code_is_single_use_and_short_lived(
    client: httpx.Client, emu: Bitrix24Emulator, clock: ManualClock
) -> None:
    client_id, secret, code = emu.register_app()
    params = {
        "grant_type": "authorization_code",
        "client_id": client_id,
        "client_secret": secret,
        "code": code,
    }
    assert client.get("/oauth/token/", params=params).status_code == 200
    again = client.get("/oauth/token/", params=params)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    fresh = emu.oauth.issue_code(client_id, clock.now())
    clock.advance(31)
    late = client.get("/oauth/token/", params={**params, "code": fresh})
    assert late.json()["error"] == "invalid_grant"


def test_wrong_secret(client: httpx.Client, emu: Bitrix24Emulator) -> None:
    client_id, secret, code = emu.register_app()
    r = client.post(
        "/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "client_id": client_id,
            "client_secret": "nope",
            "code": code,
        },
    )
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"
    assert secret not in r.text


def test_expiry_and_rotating_refresh(
    client: httpx.Client, emu: Bitrix24Emulator, clock: ManualClock
) -> None:
    client_id, secret, tokens = _exchange(client, emu)
    clock.advance(3600)
    r = client.get("/rest/crm.lead.list", params={"auth": tokens["access_token"]})
    assert r.status_code == 401
    assert r.json() == {
        "error": "expired_token",
        "error_description": "The access token provided has expired.",
    }
    refresh = {
        "grant_type": "refresh_token",
        "client_id": client_id,
        "client_secret": secret,
        "refresh_token": tokens["refresh_token"],
    }
    new = client.get("/oauth/token/", params=refresh).json()
    assert new["refresh_token"] != tokens["refresh_token"]
    assert new["access_token"] != tokens["access_token"]
    assert (
        client.get("/rest/crm.lead.list", params={"auth": new["access_token"]}).status_code == 200
    )
    reused = client.get("/oauth/token/", params=refresh)
    assert reused.status_code == 400 and reused.json()["error"] == "invalid_grant"
    newer = client.get("/oauth/token/", params={**refresh, "refresh_token": new["refresh_token"]})
    assert newer.status_code == 200


def test_expired_token_fault_only_on_oauth(client: httpx.Client, emu: Bitrix24Emulator) -> None:
    _, _, tokens = _exchange(client, emu)
    emu.set_faults(1.0, ["expired_token"])
    r = client.get("/rest/crm.lead.list", params={"auth": tokens["access_token"]})
    assert r.status_code == 401 and r.json()["error"] == "expired_token"
    r = client.get(emu.webhook_path + "crm.lead.list")
    assert r.status_code == 200


def test_tokens_survive_a_reopened_db(tmp_path: Any, clock: ManualClock) -> None:
    path = str(tmp_path / "portal.sqlite")
    first = Bitrix24Emulator(clock=clock, db=path, limits="off")
    c1 = httpx.Client(transport=EmulatorTransport(first), base_url="http://h")
    _, _, tokens = _exchange(c1, first)
    webhook = first.webhook_path
    first.close()
    second = Bitrix24Emulator(clock=clock, db=path, limits="off")
    assert second.webhook_path == webhook
    c2 = httpx.Client(transport=EmulatorTransport(second), base_url="http://h")
    r = c2.get("/rest/crm.lead.list", params={"auth": tokens["access_token"]})
    assert r.status_code == 200
    assert json.loads(r.content)["total"] == 0
