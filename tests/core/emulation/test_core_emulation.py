"""The emulator kit: in-process transport (faults become real httpx errors), real HTTP with
ServerThread, clocks and the seeded fault picker."""

from __future__ import annotations

import asyncio
import json
import threading

import httpx
import pytest

from unicrm.emulation import (
    FAULT_KINDS,
    EmulatorRequest,
    EmulatorResponse,
    EmulatorTransport,
    FaultPicker,
    ManualClock,
    ServerThread,
    SystemClock,
    free_port,
)


class Echo:
    """A tiny emulator: echoes the request; ``/fault/<kind>`` answers with that fault."""

    def __init__(self) -> None:
        self.latency = 0.0
        self.seen: list[EmulatorRequest] = []
        self._lock = threading.Lock()

    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        with self._lock:
            self.seen.append(request)
        if request.path == "/fault/timeout":
            return EmulatorResponse.timeout()
        if request.path == "/fault/reset":
            return EmulatorResponse.reset()
        if request.path == "/html":
            return EmulatorResponse.html(502, "<title>Bad Gateway</title>")
        if request.path == "/empty":
            return EmulatorResponse.empty()
        return EmulatorResponse.json(
            200,
            {
                "method": request.method,
                "path": request.path,
                "pairs": request.query_pairs(),
                "body": request.body.decode(),
                "ctype": request.content_type,
                "agent": request.header("User-Agent"),
                "text": "привет",
            },
            headers=(("x-extra", "1"),),
        )


def test_transport_serves_sync_and_async_clients() -> None:
    emulator = Echo()
    transport = EmulatorTransport(emulator)
    with httpx.Client(transport=transport, base_url="https://vendor.test") as client:
        response = client.post(
            "/rest/crm.lead%20list", params=[("a[]", "1"), ("a[]", "2"), ("b", "")], json={"x": 1}
        )
    data = response.json()
    assert data["method"] == "POST" and data["path"] == "/rest/crm.lead list"
    assert data["pairs"] == [["a[]", "1"], ["a[]", "2"], ["b", ""]]
    assert json.loads(data["body"]) == {"x": 1}
    assert data["ctype"] == "application/json" and data["text"] == "привет"
    assert response.headers["x-extra"] == "1"

    async def go() -> int:
        async with httpx.AsyncClient(transport=transport, base_url="https://vendor.test") as c:
            return (await c.get("/html")).status_code

    assert asyncio.run(go()) == 502
    assert EmulatorTransport(emulator).latency == 0.0
    assert "Echo" in repr(transport)


@pytest.mark.parametrize(
    "path, error",
    [("/fault/timeout", httpx.ReadTimeout), ("/fault/reset", httpx.RemoteProtocolError)],
)
def test_transport_faults_become_httpx_errors(path: str, error: type[Exception]) -> None:
    with (
        httpx.Client(transport=EmulatorTransport(Echo()), base_url="https://v.test") as client,
        pytest.raises(error),
    ):
        client.get(path)


def test_transport_latency_does_not_block_the_event_loop() -> None:
    transport = EmulatorTransport(Echo(), latency=0.2)

    async def go() -> float:
        loop = asyncio.get_running_loop()
        async with httpx.AsyncClient(transport=transport, base_url="https://v.test") as client:
            start = loop.time()
            await asyncio.gather(*(client.get("/x") for _ in range(10)))
            return loop.time() - start

    assert asyncio.run(go()) < 1.0  # 10 x 0.2 s concurrently, not 2 s in a row


def test_server_thread_serves_over_real_http() -> None:
    emulator = Echo()
    with ServerThread(emulator) as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with httpx.Client(base_url=server.base_url) as client:
            response = client.put("/a/b?x=1&x=2", content=b"raw-body")
            assert client.get("/empty").status_code == 204
        data = response.json()
        assert data["method"] == "PUT" and data["pairs"] == [["x", "1"], ["x", "2"]]
        assert data["body"] == "raw-body"
        assert data["agent"].startswith("python-httpx")
        assert emulator.seen[0].client == "127.0.0.1"
        with (
            httpx.Client(base_url=server.base_url) as client,
            pytest.raises(httpx.RemoteProtocolError),
        ):
            client.get("/fault/reset")
    # stopped: the port no longer answers
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.base_url + "/x", timeout=1)


def test_server_thread_timeout_fault_makes_the_client_time_out() -> None:
    with ServerThread(Echo(), hang_seconds=2) as server, pytest.raises(httpx.ReadTimeout):
        httpx.get(server.base_url + "/fault/timeout", timeout=0.3)


def test_free_port_is_bindable() -> None:
    import socket

    port = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", port))


def test_manual_clock() -> None:
    clock = ManualClock(100.0)
    assert clock.now() == 100.0
    clock.advance(2.5)
    assert clock.now() == 102.5
    clock.set(50)
    assert clock.now() == 50.0
    with pytest.raises(ValueError, match="forward"):
        clock.advance(-1)
    assert abs(SystemClock().now() - __import__("time").time()) < 5


def test_fault_picker_is_seeded_and_respects_rate_and_kinds() -> None:
    def draw(picker: FaultPicker) -> list[str | None]:
        return [picker.pick() for _ in range(2000)]

    a = draw(FaultPicker(0.25, seed=42))
    assert a == draw(FaultPicker(0.25, seed=42))
    assert a != draw(FaultPicker(0.25, seed=43))
    hits = [x for x in a if x is not None]
    assert 400 < len(hits) < 600
    assert set(hits) == set(FAULT_KINDS)
    only = draw(FaultPicker(1.0, kinds=["rate_limit"]))
    assert set(only) == {"rate_limit"}
    assert set(draw(FaultPicker(0.0))) == {None}


@pytest.mark.parametrize(
    "kwargs, words",
    [
        ({"rate": 1.5}, "within 0..1"),
        ({"rate": 0.5, "kinds": ["meteor"]}, "unknown fault kinds"),
        ({"rate": 0.5, "kinds": []}, "at least one"),
    ],
)
def test_fault_picker_refuses_bad_settings(kwargs: dict[str, object], words: str) -> None:
    with pytest.raises(ValueError, match=words):
        FaultPicker(**kwargs)  # type: ignore[arg-type]


def test_response_helpers() -> None:
    json_response = EmulatorResponse.json(201, {"a": "\u0436"})
    assert json_response.body == '{"a":"\u0436"}'.encode()
    assert ("content-type", "application/json") in json_response.headers
    assert EmulatorResponse.empty().status == 204
    assert EmulatorResponse.timeout().fault == "timeout" and EmulatorResponse.reset().status == 0
