"""No secret unicrm sends reaches any log record, of any logger, at any level.

Canary secrets (webhook codes, client secrets, authorization codes, long-lived tokens, and
every access/refresh token the emulators issue on the way) go through reads, writes, refused
calls (400/401/404/5xx), retries and token refreshes, for both vendors and every auth mode:
in process through the emulators' transports, and over real sockets through uvicorn (access
log on, DEBUG everywhere, so httpx, httpcore and uvicorn all log). A handler on the root
logger keeps every record; no canary may appear in a formatted record, its message, or its
arguments.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

import unicrm
from unicrm import Lead
from unicrm.emulation import EmulatorTransport, ManualClock, free_port
from unicrm.emulation.server import asgi_app
from unicrm.errors import UnicrmError
from unicrm.transport import MemoryTokenStore, TokenPair

b24 = pytest.importorskip("unicrm_bitrix24.emulator")
amo = pytest.importorskip("unicrm_amocrm.emulator")

HOOK = "canaryhook0b24x7q1"
WRONG_HOOK = "canarywrong9z8y7x6"
AMO_TOKEN = "canary-amo-long-lived-5f2e"
WRONG_TOKEN = "canary-amo-wrong-token-77a1"
WATCHED = ("", "httpx", "httpcore", "uvicorn", "uvicorn.error", "uvicorn.access", "unicrm")


class Keep(logging.Handler):
    """Keeps every record with its formatted text (formatted when it was emitted)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
        self.seen: list[tuple[logging.LogRecord, str]] = []
        self._guard = threading.Lock()

    def emit(self, record: logging.LogRecord) -> None:
        text = self.format(record)
        with self._guard:
            self.seen.append((record, text))

    def texts(self) -> Iterator[tuple[str, str]]:
        for record, text in self.seen:
            args = record.args if isinstance(record.args, tuple) else (record.args,)
            parts = [text, str(record.msg), repr(record.args), record.exc_text or ""]
            parts += [str(a) for a in args if a is not None] + [repr(a) for a in args]
            yield record.name, "\n".join(parts)


@pytest.fixture
def kept(monkeypatch: pytest.MonkeyPatch) -> Iterator[Keep]:
    monkeypatch.setattr("unicrm.transport.retry.jitter", lambda delay, rng=None: 0.0)
    handler = Keep()
    # other tests' uvicorn servers may have run uvicorn's dictConfig (own handlers, no
    # propagation): every watched logger is opened up to the root handler here, then restored
    saved = {
        name: (logger.level, logger.propagate, logger.disabled)
        for name, logger in ((n, logging.getLogger(n)) for n in WATCHED)
    }
    for name in WATCHED:
        logger = logging.getLogger(name)
        logger.setLevel(logging.DEBUG)
        logger.propagate, logger.disabled = True, False
    logging.getLogger().addHandler(handler)
    try:
        yield handler
    finally:
        logging.getLogger().removeHandler(handler)
        for name, (level, propagate, disabled) in saved.items():
            logger = logging.getLogger(name)
            logger.setLevel(level)
            logger.propagate, logger.disabled = propagate, disabled


class RecordingStore(MemoryTokenStore):
    """A token store that remembers every secret it was given (they become canaries too)."""

    def __init__(self, seen: set[str]) -> None:
        super().__init__()
        self.seen = seen

    def save(self, pair: TokenPair) -> None:
        self.seen.add(pair.access_token.reveal())
        if pair.refresh_token is not None:
            self.seen.add(pair.refresh_token.reveal())
        super().save(pair)


def attempt(outcomes: list[str], call: Callable[[], Any]) -> None:
    """Run one call; a typed refusal is an expected outcome (its type is recorded)."""
    try:
        call()
        outcomes.append("ok")
    except UnicrmError as exc:
        outcomes.append(type(exc).__name__)


def assert_no_canary(kept: Keep, canaries: set[str]) -> None:
    assert kept.seen, "nothing was logged: the test would prove nothing"
    leaks = [
        (name, canary)
        for name, blob in kept.texts()
        for canary in canaries
        if canary and canary in blob
    ]
    assert leaks == []


@contextlib.contextmanager
def served(emulator: Any) -> Iterator[int]:
    """``emulator`` behind uvicorn on 127.0.0.1 with its access log on and DEBUG logging,
    leaving logging configuration to the test (``log_config=None``)."""
    import uvicorn

    port = free_port()
    config = uvicorn.Config(
        asgi_app(emulator),
        host="127.0.0.1",
        port=port,
        log_config=None,
        log_level="debug",
        access_log=True,
        lifespan="off",
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        threading.Event().wait(0.01)
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(timeout=10)


# --- Bitrix24 -----------------------------------------------------------------------------


def bitrix24_session(root: str, transport: Any, emulator: Any, clock: ManualClock) -> set[str]:
    """Webhook reads/writes/refusals/retries, then OAuth: code exchange, refresh, given pair."""
    outcomes: list[str] = []
    canaries = {HOOK, WRONG_HOOK}
    extra = {"transport": transport} if transport else {}
    hook = unicrm.connect(f"bitrix24+{root}/rest/1/{HOOK}/", limits="off", **extra)
    attempt(outcomes, lambda: hook.leads.create(Lead(title="canary lead")))
    attempt(outcomes, lambda: hook.leads.get("1"))
    attempt(outcomes, lambda: list(hook.leads.filter(title="canary lead")))
    attempt(outcomes, lambda: hook.leads.get("999999"))
    attempt(outcomes, lambda: hook.raw("crm.lead.update", {"id": "1", "fields": "bad"}))
    emulator.set_faults(1.0, ["server_error"])
    attempt(outcomes, lambda: hook.leads.get("1"))  # retried, then refused
    emulator.set_faults(1.0, ["rate_limit"])
    attempt(outcomes, lambda: hook.leads.get("1"))
    emulator.set_faults(0.0)
    hook.close()
    wrong = unicrm.connect(f"bitrix24+{root}/rest/1/{WRONG_HOOK}/", limits="off", **extra)
    attempt(outcomes, lambda: wrong.leads.get("1"))
    wrong.close()

    client_id, client_secret, code = emulator.register_app()
    canaries |= {client_secret, code}
    store = RecordingStore(canaries)
    oauth_options: dict[str, Any] = {
        "client_id": client_id,
        "client_secret": client_secret,
        "oauth_url": f"{root}/oauth/token/",
        "limits": "off",
        **extra,
    }
    oauth = unicrm.connect(f"bitrix24+{root}", code=code, token_store=store, **oauth_options)
    attempt(outcomes, lambda: oauth.leads.get("1"))
    clock.advance(3601)  # the access token expires: refresh on expired_token, replay
    attempt(outcomes, lambda: oauth.leads.create(Lead(title="after refresh")))
    emulator.set_faults(1.0, ["expired_token"])
    attempt(outcomes, lambda: oauth.leads.get("1"))  # refresh, then refused again
    emulator.set_faults(0.0)
    pair = store.load()
    oauth.close()
    assert pair is not None and pair.refresh_token is not None
    given = unicrm.connect(
        f"bitrix24+{root}",
        access_token="canary-stale-access-b24",
        refresh_token=pair.refresh_token.reveal(),
        token_store=RecordingStore(canaries),
        **oauth_options,
    )
    canaries.add("canary-stale-access-b24")
    attempt(outcomes, lambda: given.leads.get("1"))  # refused token -> refresh -> replay
    given.close()
    expected = {"ok", "NotFound", "ValidationError", "ServerError", "RateLimited", "AuthError"}
    assert expected <= set(outcomes), outcomes
    assert len(canaries) >= 8  # issued tokens were recorded too
    return canaries


def test_bitrix24_in_process_logs_no_secret(kept: Keep) -> None:
    clock = ManualClock()
    emulator = b24.Bitrix24Emulator(clock=clock, limits="off", webhook=f"1/{HOOK}")
    emulator.seed(3)
    canaries = bitrix24_session("http://127.0.0.1:9", EmulatorTransport(emulator), emulator, clock)
    assert any(name == "httpx" and "/rest/1/***/" in t for name, t in kept.texts())
    assert_no_canary(kept, canaries)


def test_bitrix24_over_uvicorn_logs_no_secret(kept: Keep) -> None:
    clock = ManualClock()
    emulator = b24.Bitrix24Emulator(clock=clock, limits="off", webhook=f"1/{HOOK}")
    emulator.seed(3)
    with served(emulator) as port:
        canaries = bitrix24_session(f"http://127.0.0.1:{port}", None, emulator, clock)
    names = {name.split(".")[0] for name, _ in kept.texts()}
    assert {"httpx", "httpcore", "uvicorn", "unicrm"} <= names
    assert any(name == "uvicorn.access" and "/oauth/token/" in t for name, t in kept.texts())
    assert_no_canary(kept, canaries)


# --- amoCRM -------------------------------------------------------------------------------


def amocrm_session(root: str, transport: Any, emulator: Any, clock: ManualClock) -> set[str]:
    """Long-lived token reads/writes/refusals/retries, then OAuth: code exchange, refresh."""
    outcomes: list[str] = []
    canaries = {AMO_TOKEN, WRONG_TOKEN}
    extra = {"transport": transport} if transport else {}
    url = f"amocrm+{root}"
    crm = unicrm.connect(url, token=AMO_TOKEN, rate=10_000, **extra)
    attempt(outcomes, lambda: crm.leads.create(Lead(title="canary lead")))
    attempt(outcomes, lambda: crm.leads.get("1"))
    attempt(outcomes, lambda: list(crm.leads.filter(title="canary lead")))
    attempt(outcomes, lambda: crm.raw("GET /api/v4/nothing/here"))
    attempt(outcomes, lambda: crm.raw("POST /api/v4/leads", [{"price": "not a number"}]))
    emulator.set_faults(1.0, ["server_error"])
    attempt(outcomes, lambda: crm.leads.get("1"))
    emulator.set_faults(0.0)
    crm.close()
    wrong = unicrm.connect(url, token=WRONG_TOKEN, rate=10_000, **extra)
    attempt(outcomes, lambda: wrong.leads.get("1"))
    wrong.close()

    client_id, client_secret, code = emulator.register_integration("https://app.example/cb")
    canaries |= {client_secret, code}
    store = RecordingStore(canaries)
    oauth = unicrm.connect(
        url,
        client_id=client_id,
        client_secret=client_secret,
        redirect_uri="https://app.example/cb",
        code=code,
        token_store=store,
        rate=10_000,
        **extra,
    )
    attempt(outcomes, lambda: oauth.leads.get("1"))
    clock.advance(86_401)  # a day: the access token expires, a 401 triggers the refresh
    attempt(outcomes, lambda: oauth.leads.create(Lead(title="after refresh")))
    oauth.close()
    expected = {"ok", "NotFound", "ValidationError", "ServerError", "AuthError"}
    assert expected <= set(outcomes), outcomes
    assert len(canaries) >= 6  # issued tokens were recorded too
    return canaries


def test_amocrm_in_process_logs_no_secret(kept: Keep) -> None:
    clock = ManualClock()
    emulator = amo.AmoCRMEmulator(clock=clock, limits="off", token=AMO_TOKEN)
    emulator.seed(3)
    canaries = amocrm_session("http://127.0.0.1:9", EmulatorTransport(emulator), emulator, clock)
    assert any(name == "httpx" for name, _ in kept.texts())
    assert_no_canary(kept, canaries)


def test_amocrm_over_uvicorn_logs_no_secret(kept: Keep) -> None:
    clock = ManualClock()
    emulator = amo.AmoCRMEmulator(clock=clock, limits="off", token=AMO_TOKEN)
    emulator.seed(3)
    with served(emulator) as port:
        canaries = amocrm_session(f"http://127.0.0.1:{port}", None, emulator, clock)
    names = {name.split(".")[0] for name, _ in kept.texts()}
    assert {"httpx", "httpcore", "uvicorn", "unicrm"} <= names
    assert_no_canary(kept, canaries)


# --- the mechanism ------------------------------------------------------------------------


def test_child_loggers_and_arguments_are_cleaned_and_templates_kept(kept: Keep) -> None:
    secret = "canary-direct-secret-91"
    unicrm.transport.register_secret(secret)
    url = httpx.URL(f"https://portal.example/rest/1/{secret}/crm.lead.get.json")
    logging.getLogger("httpcore.http11").debug("send %s", url)
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:1", "GET", f"/x?client_secret={secret}", "1.1", 200
    )
    logging.getLogger("someone.else").warning("user logs %r", {"hook": secret})
    logging.getLogger("someone.else").warning("code=plainvalue stays")  # not registered
    try:
        raise RuntimeError(f"failed at {url}")
    except RuntimeError:
        logging.getLogger("asyncio").exception("task failed")
    assert_no_canary(kept, {secret})
    access = next(r for r, _ in kept.seen if r.name == "uvicorn.access")
    assert isinstance(access.args, tuple) and access.args[4] == 200  # formatters still work
    assert access.msg == '%s - "%s %s HTTP/%s" %d'
    assert any("code=plainvalue stays" in t for _, t in kept.texts())
