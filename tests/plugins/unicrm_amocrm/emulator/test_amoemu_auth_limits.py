"""OAuth grants and rotation, bearer checks, rate limits and the 403 block, faults, the seeder,
and the emulator over real HTTP (notes §2, §7.3, §10)."""

from __future__ import annotations

import json
from urllib.parse import urlencode

import httpx
import pytest

from unicrm.emulation import EmulatorRequest, ManualClock, SandboxOptions, ServerThread, free_port
from unicrm_amocrm.emulator import AmoCRMEmulator, make_sandbox
from unicrm_amocrm.emulator import limits as amo_limits

from .conftest import Api


def _grant(emulator: AmoCRMEmulator, body: dict[str, str], form: bool = False) -> tuple[int, dict]:
    raw = urlencode(body).encode() if form else json.dumps(body).encode()
    kind = "application/x-www-form-urlencoded" if form else "application/json"
    response = emulator.handle(
        EmulatorRequest("POST", "/oauth2/access_token", "", {"content-type": kind}, raw)
    )
    return response.status, json.loads(response.body)


def _claims(token: str) -> dict:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def test_code_exchange_refresh_rotation_and_expiry() -> None:
    clock = ManualClock()
    emulator = AmoCRMEmulator(clock=clock, limits="off")
    client_id, secret, code = emulator.register_integration("https://app.example/cb")
    base = {
        "client_id": client_id,
        "client_secret": secret,
        "redirect_uri": "https://app.example/cb",
    }
    status, pair = _grant(
        emulator, {**base, "grant_type": "authorization_code", "code": code}, form=True
    )
    assert status == 200 and pair["token_type"] == "Bearer" and pair["expires_in"] == 86_400
    claims = _claims(pair["access_token"])
    assert {"exp", "iat", "account_id", "base_domain", "api_domain"} <= claims.keys()
    assert claims["exp"] - claims["iat"] == 86_400
    api = Api(emulator)
    assert api.call("GET", "/api/v4/account", token=pair["access_token"]).status == 200
    # codes are single use
    assert _grant(emulator, {**base, "grant_type": "authorization_code", "code": code})[0] == 401
    clock.advance(86_401)
    expired = api.call("GET", "/api/v4/account", token=pair["access_token"])
    assert expired.status == 401 and json.loads(expired.body)["title"] == "Unauthorized"
    status, fresh = _grant(
        emulator, {**base, "grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    )
    assert status == 200 and fresh["refresh_token"] != pair["refresh_token"]
    assert api.call("GET", "/api/v4/account", token=fresh["access_token"]).status == 200
    status, reused = _grant(
        emulator, {**base, "grant_type": "refresh_token", "refresh_token": pair["refresh_token"]}
    )
    assert status == 401 and reused["hint"] == "Token has been revoked"


def test_forged_and_missing_tokens_are_refused(api: Api) -> None:
    assert api.call("GET", "/api/v4/leads", token="nope").status == 401
    forged = api.token[:-4] + ("AAAA" if not api.token.endswith("AAAA") else "BBBB")
    assert api.call("GET", "/api/v4/leads", token=forged).status == 401


def test_seven_per_second_then_429_then_403_html_block() -> None:
    clock = ManualClock()
    api = Api(AmoCRMEmulator(clock=clock, limits="vendor"))
    statuses = [api.call("GET", "/api/v4/account").status for _ in range(8)]
    assert statuses == [200] * 7 + [429]
    clock.advance(1.0)
    assert api.call("GET", "/api/v4/account").status == 200
    for _ in range(amo_limits.ABUSE_429S + 10):
        last = api.call("GET", "/api/v4/account")
    assert last.status == 403 and last.body.startswith(b"<html>")
    clock.advance(amo_limits.BLOCK_SECONDS + 1)
    assert api.call("GET", "/api/v4/account").status == 200


def test_limits_off_never_refuses() -> None:
    api = Api(AmoCRMEmulator(clock=ManualClock(), limits="off"))
    assert {api.call("GET", "/api/v4/account").status for _ in range(50)} == {200}


@pytest.mark.parametrize(
    ("kind", "status", "fault"),
    [
        ("rate_limit", 429, None),
        ("server_error", 500, None),
        ("html", 502, None),
        ("timeout", 0, "timeout"),
        ("reset", 0, "reset"),
    ],
)
def test_faults_take_the_vendor_shape(kind: str, status: int, fault: str | None) -> None:
    emulator = AmoCRMEmulator(limits="off")
    emulator.set_faults(1.0, [kind])
    response = Api(emulator).call("POST", "/api/v4/leads", body=[{"name": "never"}])
    assert (response.status, response.fault) == (status, fault)
    emulator.set_faults(0.0)
    assert Api(emulator).call("GET", "/api/v4/leads").status == 204  # no write happened


def test_seeder_is_deterministic_and_exact() -> None:
    def snapshot(seed: int) -> list:
        emulator = AmoCRMEmulator(clock=ManualClock(), limits="off", random_seed=seed)
        emulator.seed(120)
        leads = Api(emulator).json("GET", "/api/v4/leads", [("limit", "250")])["_embedded"]["leads"]
        return [(x["name"], x["price"], x["status_id"], x["custom_fields_values"]) for x in leads]

    first, again, other = snapshot(1), snapshot(1), snapshot(2)
    assert len(first) == 120
    assert first == again
    assert first != other
    contacts = Api(AmoCRMEmulator(limits="off"))
    contacts.emulator.seed(120)
    body = contacts.json("GET", "/api/v4/contacts", [("limit", "250")])
    assert len(body["_embedded"]["contacts"]) == 90


def test_seeder_takes_a_contact_count() -> None:
    api = Api(AmoCRMEmulator(limits="off"))
    api.emulator.seed(10, contacts=300)
    pages = [
        api.json("GET", "/api/v4/contacts", [("limit", "250"), ("page", str(p))]) for p in (1, 2)
    ]
    assert sum(len(p["_embedded"]["contacts"]) for p in pages) == 300
    leads = api.json("GET", "/api/v4/leads", [("limit", "250")])["_embedded"]["leads"]
    assert len(leads) == 10


def test_sandbox_over_real_http_with_its_banner(tmp_path) -> None:
    port = free_port()
    db = str(tmp_path / "amo.db")
    box = make_sandbox(SandboxOptions(port=port, seed=30, limits="off", db=db))
    assert box.banner[0] == f"http://127.0.0.1:{port}" and box.banner[1].startswith("token ")
    token = box.banner[1].split(" ", 1)[1]
    with ServerThread(box.emulator, port=port) as server:
        response = httpx.get(
            f"{server.base_url}/api/v4/leads",
            params={"limit": 250},
            headers={"Authorization": f"Bearer {token}"},
        )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/hal+json"
    assert "x-request-id" in response.headers
    assert len(response.json()["_embedded"]["leads"]) == 30
    reopened = make_sandbox(SandboxOptions(port=port, seed=30, limits="off", db=db))
    api = Api(reopened.emulator)  # type: ignore[arg-type]
    assert len(api.json("GET", "/api/v4/leads", [("limit", "250")])["_embedded"]["leads"]) == 30
