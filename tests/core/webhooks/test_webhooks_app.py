"""The webhook receiver: verified vendor calls become ChangeEvents; everything else is refused
with the right status and delivers nothing. In-process (httpx's ASGI transport) and over real
uvicorn on 127.0.0.1."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Iterator
from urllib.parse import urlencode

import httpx
import pytest
import uvicorn

from unicrm import ChangeEvent, EntityKind
from unicrm.changes import ChangeSource
from unicrm.emulation import free_port
from unicrm.webhooks import AmoCRMHooks, Bitrix24Hooks, webhook_app

TOKEN = "b24-app-token-9f8e7d"
FORM = {"content-type": "application/x-www-form-urlencoded"}


def b24_call(event: str = "ONCRMDEALUPDATE", record_id: str = "17", token: str = TOKEN) -> str:
    # the shape of vendor notes appendix A.7 (Bitrix24 event delivery, form-encoded)
    return urlencode(
        {
            "event": event,
            "event_handler_id": "707",
            "data[FIELDS][ID]": record_id,
            "ts": "1742807175",
            "auth[domain]": "x.bitrix24.com",
            "auth[member_id]": "m1",
            "auth[application_token]": token,
        }
    )


def amo_call(account: str = "31415", subdomain: str = "acme", **items: str) -> str:
    return urlencode({**items, "account[id]": account, "account[subdomain]": subdomain})


class Collected:
    def __init__(self) -> None:
        self.events: list[ChangeEvent] = []

    def __call__(self, events: list[ChangeEvent]) -> None:
        self.events.extend(events)


def app_for(sink: object) -> object:
    return webhook_app(
        sink,  # type: ignore[arg-type]
        bitrix24=Bitrix24Hooks([TOKEN]),
        amocrm=AmoCRMHooks(account_id="31415", subdomain="acme"),
        max_body=4_000,
    )


async def post(
    app: object, path: str, body: str | bytes, headers: dict[str, str] = FORM
) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
    async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
        return await client.post(path, content=body, headers=headers)


def run(coro: object) -> httpx.Response:
    return asyncio.run(coro)  # type: ignore[arg-type]


def test_a_bitrix24_handler_call_becomes_one_event_with_the_vendor_time() -> None:
    sink = Collected()
    answer = run(post(app_for(sink), "/bitrix24", b24_call("ONCRMDEALUPDATE", "17")))
    assert answer.status_code == 200 and answer.json() == {"events": 1}
    [event] = sink.events
    assert (str(event.kind), event.entity, event.record_id) == ("updated", EntityKind.DEAL, "17")
    assert event.source is ChangeSource.WEBHOOK and event.time is not None
    assert event.time.timestamp() == 1742807175 and event.cursor is None


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("ONCRMLEADADD", ("created", "lead")),
        ("ONCRMCONTACTDELETE", ("deleted", "contact")),
        ("onCrmCompanyUpdate", ("updated", "company")),
    ],
)
def test_every_modelled_bitrix24_event_maps_to_entity_and_kind(
    name: str, expected: tuple[str, str]
) -> None:
    sink = Collected()
    assert run(post(app_for(sink), "/bitrix24", b24_call(name))).status_code == 200
    assert [(str(e.kind), str(e.entity)) for e in sink.events] == [expected]


def test_an_amocrm_webhook_with_several_items_becomes_events_in_order() -> None:
    sink = Collected()
    body = amo_call(
        **{
            "leads[add][0][id]": "20000001",
            "leads[add][0][last_modified]": "1700000000",
            "leads[status][0][id]": "20000002",
            "leads[status][0][status_id]": "142",
            "contacts[delete][0][id]": "30000009",
            "contacts[update][0][id]": "30000001",
            "leads[note][0][note][element_id]": "20000003",
        }
    )
    answer = run(post(app_for(sink), "/amocrm", body))
    assert answer.status_code == 200
    assert [(str(e.kind), str(e.entity), e.record_id) for e in sink.events] == [
        ("created", "lead", "20000001"),
        ("updated", "lead", "20000002"),
        ("deleted", "contact", "30000009"),
        ("updated", "contact", "30000001"),
    ]
    assert sink.events[0].time is not None and sink.events[0].time.timestamp() == 1700000000


@pytest.mark.parametrize(
    ("path", "body", "headers", "status"),
    [
        pytest.param("/bitrix24", b24_call(token="forged"), FORM, 403, id="b24-forged-token"),
        pytest.param("/bitrix24", b24_call(token=""), FORM, 401, id="b24-no-token"),
        pytest.param("/bitrix24", b24_call(record_id="17;DROP"), FORM, 400, id="b24-bad-id"),
        pytest.param("/bitrix24", b"\xff\xfe=1", FORM, 400, id="b24-not-utf8"),
        pytest.param("/bitrix24", "event", FORM, 400, id="b24-not-a-form"),
        pytest.param(
            "/bitrix24", b24_call(), {"content-type": "application/json"}, 415, id="b24-json"
        ),
        pytest.param("/bitrix24", "a=" + "x" * 5_000, FORM, 413, id="too-large"),
        pytest.param(
            "/amocrm",
            amo_call(account="999", **{"leads[add][0][id]": "1"}),
            FORM,
            403,
            id="amo-other-account",
        ),
        pytest.param(
            "/amocrm",
            amo_call(subdomain="evil", **{"leads[add][0][id]": "1"}),
            FORM,
            403,
            id="amo-other-subdomain",
        ),
        pytest.param("/amocrm", urlencode({"leads[add][0][id]": "1"}), FORM, 400, id="amo-no-acct"),
        pytest.param("/amocrm", amo_call(**{"leads[add][0][id]": "x"}), FORM, 400, id="amo-bad-id"),
        pytest.param("/amocrm", amo_call(), FORM, 400, id="amo-no-entities"),
    ],
)
def test_everything_else_is_refused_with_its_status_and_delivers_nothing(
    path: str,
    body: str | bytes,
    headers: dict[str, str],
    status: int,
    caplog: pytest.LogCaptureFixture,
) -> None:
    sink = Collected()
    with caplog.at_level(logging.INFO, logger="unicrm.webhooks"):
        answer = run(post(app_for(sink), path, body, headers))
    assert answer.status_code == status, answer.text
    assert sink.events == []
    assert TOKEN not in answer.text and TOKEN not in caplog.text


def test_a_get_is_405_and_an_unmodelled_bitrix24_event_is_acknowledged_without_events() -> None:
    sink = Collected()

    async def calls() -> tuple[int, httpx.Response]:
        transport = httpx.ASGITransport(app=app_for(sink))  # type: ignore[arg-type]
        async with httpx.AsyncClient(transport=transport, base_url="http://hooks") as client:
            got = await client.get("/bitrix24")
            other = await client.post(
                "/bitrix24", content=b24_call("ONCRMACTIVITYADD"), headers=FORM
            )
            return got.status_code, other

    status, other = asyncio.run(calls())
    assert status == 405
    assert other.status_code == 200 and other.json() == {"events": 0} and sink.events == []


def test_a_failing_sink_answers_500_so_the_vendor_may_resend() -> None:
    def broken(events: list[ChangeEvent]) -> None:
        raise RuntimeError("queue down")

    assert run(post(app_for(broken), "/bitrix24", b24_call())).status_code == 500


def test_an_asyncio_queue_and_an_async_callback_receive_the_events() -> None:
    async def scenario() -> list[str]:
        queue: asyncio.Queue[ChangeEvent] = asyncio.Queue()
        await post(app_for(queue), "/bitrix24", b24_call("ONCRMLEADADD", "5"))
        got: list[ChangeEvent] = []

        async def callback(events: list[ChangeEvent]) -> None:
            got.extend(events)

        await post(app_for(callback), "/bitrix24", b24_call("ONCRMLEADDELETE", "6"))
        return [queue.get_nowait().record_id, got[0].record_id]

    assert asyncio.run(scenario()) == ["5", "6"]


def test_webhook_app_needs_a_vendor_and_a_token() -> None:
    with pytest.raises(ValueError, match="needs"):
        webhook_app(Collected())
    with pytest.raises(ValueError, match="application token"):
        Bitrix24Hooks([""])
    assert TOKEN not in repr(Bitrix24Hooks([TOKEN]))


@pytest.fixture
def served() -> Iterator[tuple[str, Collected]]:
    sink = Collected()
    port = free_port()
    config = uvicorn.Config(app_for(sink), host="127.0.0.1", port=port, log_level="warning")  # type: ignore[arg-type]
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    for _ in range(500):
        if server.started:
            break
        threading.Event().wait(0.01)
    try:
        yield f"http://127.0.0.1:{port}", sink
    finally:
        server.should_exit = True
        thread.join(5)


def test_over_real_uvicorn_valid_calls_deliver_and_forged_ones_do_not(
    served: tuple[str, Collected],
) -> None:
    base, sink = served
    with httpx.Client(base_url=base) as client:
        assert (
            client.post(
                "/bitrix24", content=b24_call("ONCRMLEADADD", "9"), headers=FORM
            ).status_code
            == 200
        )
        assert (
            client.post("/bitrix24", content=b24_call(token="forged"), headers=FORM).status_code
            == 403
        )
        assert client.post("/bitrix24", content=b"\xff", headers=FORM).status_code == 400
        amo = amo_call(**{"contacts[delete][0][id]": "30000009"})
        assert client.post("/amocrm", content=amo, headers=FORM).status_code == 200
    assert [(str(e.kind), e.record_id) for e in sink.events] == [
        ("created", "9"),
        ("deleted", "30000009"),
    ]
