"""The Bitrix24 portal emulator: routing, authentication, limits, faults and the envelope.

``handle`` turns one :class:`EmulatorRequest` into one :class:`EmulatorResponse`:

1. ``/oauth/token/`` goes to the OAuth stand-in; ``/rest/<user>/<code>/<method>`` is a webhook
   call; ``/rest/<method>`` is an OAuth call with ``auth`` in the query or body.
2. A fault may be injected (before any effect). Then the leaky bucket and the method's
   operating-time budget are checked, the method runs, and its time is billed.
3. Successes get ``{"result", ["next"], ["total"], "time"}``; refusals get
   ``{"error", "error_description"}`` with the vendor's status.
"""

from __future__ import annotations

import hmac
import random
import re
import secrets
import string
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from unicrm.emulation import (
    Clock,
    EmulatorRequest,
    EmulatorResponse,
    FaultPicker,
    SystemClock,
)
from unicrm_bitrix24.emulator import errors, methods_crm, methods_ref, methods_uf
from unicrm_bitrix24.emulator.batch import run_batch
from unicrm_bitrix24.emulator.context import Call, Outcome
from unicrm_bitrix24.emulator.dates import PORTAL_TZ
from unicrm_bitrix24.emulator.errors import B24Error
from unicrm_bitrix24.emulator.limits import LeakyBucket, OperatingBudget
from unicrm_bitrix24.emulator.oauth import OAuthServer
from unicrm_bitrix24.emulator.params import ParamsError, body_params, merge, parse_query, pick
from unicrm_bitrix24.emulator.store import Store
from unicrm_bitrix24.emulator.switches import Switches

Handler = Callable[[Call], Outcome]

#: method name (lower case) -> handler; ``batch`` is dispatched separately.
METHODS: dict[str, Handler] = {
    **methods_crm.METHODS,
    **methods_ref.METHODS,
    **methods_uf.METHODS,
}

_WEBHOOK = re.compile(r"^(\d+)/([A-Za-z0-9]+)$")
_LIMIT_MODES = ("vendor", "off")
_HTML_PAGE = (
    "<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}"
    "</h1></center><hr><center>nginx</center></body></html>"
)


def _random_code(rng: random.Random | None = None) -> str:
    alphabet = string.ascii_lowercase + string.digits
    if rng is None:
        return "".join(secrets.choice(alphabet) for _ in range(16))
    return "".join(rng.choice(alphabet) for _ in range(16))


class Bitrix24Emulator:
    """An emulated Bitrix24 portal (CRM part) with its state in SQLite.

    ``limits`` is ``"vendor"`` (leaky bucket 50 / 2 per second and a 480 s operating-time
    budget per method) or ``"off"``; ``latency_ms`` is added by the transport or server;
    ``faults`` is the fraction of requests that fail; ``webhook`` is ``"USER/CODE"``;
    ``switches`` answers what the vendor docs leave open (:class:`Switches`, changeable at
    any time through :attr:`switches`).
    """

    def __init__(
        self,
        *,
        clock: Clock | None = None,
        db: str | None = None,
        limits: str = "vendor",
        latency_ms: float = 0.0,
        faults: float = 0.0,
        random_seed: int = 0,
        webhook: str | None = None,
        switches: Switches | None = None,
    ) -> None:
        self.clock: Clock = clock or SystemClock()
        self.switches = switches or Switches()
        self.store = Store(db)
        self.random_seed = random_seed
        self.latency = latency_ms / 1000.0
        self.limits = limits
        self.bucket = LeakyBucket()
        self.budget = OperatingBudget()
        #: extra seconds billed per call of a method (to emulate heavy methods in tests)
        self.method_costs: dict[str, float] = {}
        self._faults = FaultPicker(faults, None, random_seed)
        self._fault_rng = random.Random(random_seed + 1)
        self.oauth = OAuthServer(self.store)
        stored = self.store.meta("webhook")
        chosen = webhook or stored or f"1/{_random_code()}"
        match = _WEBHOOK.match(chosen.strip("/"))
        if match is None:
            raise ValueError("webhook must look like USER/CODE (digits / letters and digits)")
        self._user_id = int(match.group(1))
        self._code = match.group(2)
        self.store.set_meta("webhook", f"{self._user_id}/{self._code}")
        self.requests_served = 0

    # -- switches -------------------------------------------------------------------------
    @property
    def limits(self) -> str:
        return self._limits

    @limits.setter
    def limits(self, value: str) -> None:
        if value not in _LIMIT_MODES:
            raise ValueError(f"limits must be one of {_LIMIT_MODES}, got {value!r}")
        self._limits = value

    @property
    def faults(self) -> FaultPicker:
        """The fault switch in use (its ``injected`` counts what was handed out)."""
        return self._faults

    def set_faults(self, rate: float, kinds: Sequence[str] | None = None) -> None:
        """Fail ``rate`` of the requests with faults drawn from ``kinds`` (all by default)."""
        self._faults = FaultPicker(rate, kinds, self.random_seed)

    @property
    def webhook_code(self) -> str:
        return self._code

    @property
    def webhook_user(self) -> int:
        return self._user_id

    @property
    def webhook_path(self) -> str:
        return f"/rest/{self._user_id}/{self._code}/"

    def register_app(self, redirect_uri: str = "https://app.example/cb") -> tuple[str, str, str]:
        """Register an OAuth app: ``(client_id, client_secret, authorization_code)``."""
        return self.oauth.register_app(redirect_uri, self.clock.now())

    def seed(self, n: int, contacts: int | None = None) -> None:
        """Add ``n`` leads and ``contacts`` contacts (default ``round(0.75 n)``; deterministic,
        see ``seed.py``)."""
        from unicrm_bitrix24.emulator.seed import seed_portal

        seed_portal(self.store, n, self.random_seed, contacts=contacts)

    def close(self) -> None:
        self.store.close()

    def __repr__(self) -> str:
        return (
            f"Bitrix24Emulator(user={self._user_id}, code=***, limits={self._limits!r}, "
            f"db={self.store.path!r})"
        )

    # -- request handling ---------------------------------------------------------------------
    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        self.requests_served += 1
        try:
            return self._handle(request)
        except B24Error as exc:
            return self._error(exc)

    def _error(self, exc: B24Error) -> EmulatorResponse:
        return EmulatorResponse.json(
            exc.status, exc.body(), content_type="application/json; charset=utf-8"
        )

    def _params(self, request: EmulatorRequest) -> dict[str, Any]:
        try:
            body = body_params(request.body, request.content_type, request.header("content-type"))
        except ParamsError as exc:
            raise errors.platform("WRONG_ENCODING") from exc
        return merge(parse_query(request.query), body)

    def _handle(self, request: EmulatorRequest) -> EmulatorResponse:
        path = request.path
        if path.rstrip("/") == "/oauth/token":
            params = self._params(request)
            host = request.header("host", "127.0.0.1")
            payload = self.oauth.token(params, self.clock.now(), host)
            return EmulatorResponse.json(200, payload)
        if not path.startswith("/rest/"):
            raise errors.platform("ERROR_METHOD_NOT_FOUND")
        segments = [s for s in path[len("/rest/") :].split("/") if s]
        params = self._params(request)
        now = self.clock.now()
        is_oauth = len(segments) == 1
        if len(segments) == 3:
            user, code, method = segments
            if not (user == str(self._user_id) and hmac.compare_digest(code, self._code)):
                raise errors.platform(self.switches.bad_webhook)
            user_id, credential = self._user_id, f"webhook:{user}"
        elif is_oauth:
            method = segments[0]
            token = pick(params, "auth")
            fault = None
            if not isinstance(token, str) or not token:
                raise errors.platform("NO_AUTH_FOUND")
            user_id = self.oauth.check(token, now)
            credential = f"oauth:{token[:12]}"
        else:
            raise errors.platform("ERROR_METHOD_NOT_FOUND")
        method = re.sub(r"\.(json|xml)$", "", method, flags=re.I).lower()
        fault = self._faults.pick()
        if fault is not None:
            injected = self._inject(fault, is_oauth)
            if injected is not None:
                return injected
        if method != "batch" and method not in METHODS:
            raise errors.platform("ERROR_METHOD_NOT_FOUND")
        if self._limits == "vendor" and not self.bucket.hit(now):
            raise errors.platform("QUERY_LIMIT_EXCEEDED")
        if method == "batch":
            started = time.perf_counter()
            outcome = run_batch(params, lambda m, p: self._sub_call(m, p, user_id, credential, now))
            processing = time.perf_counter() - started
            time_block = self._time_block(now, processing, credential, "batch")
        else:
            outcome, time_block = self._run(method, params, user_id, credential, now)
        return self._success(outcome, time_block)

    def _inject(self, fault: str, is_oauth: bool) -> EmulatorResponse | None:
        if fault == "rate_limit":
            return self._error(errors.platform("QUERY_LIMIT_EXCEEDED"))
        if fault in ("server_error", "html"):
            status = 502 if fault == "html" or self._fault_rng.random() < 0.5 else 500
            reason = "Bad Gateway" if status == 502 else "Internal Server Error"
            return EmulatorResponse.html(status, _HTML_PAGE.format(status=status, reason=reason))
        if fault == "timeout":
            return EmulatorResponse.timeout()
        if fault == "reset":
            return EmulatorResponse.reset()
        if fault == "expired_token" and is_oauth:
            return self._error(errors.platform("expired_token"))
        return None

    def _run(
        self, method: str, params: dict[str, Any], user_id: int, credential: str, now: float
    ) -> tuple[Outcome, dict[str, Any]]:
        key = (credential, method)
        if self._limits == "vendor" and self.budget.blocked(key, now):
            raise errors.platform("OPERATION_TIME_LIMIT")
        started = time.perf_counter()
        try:
            outcome = METHODS[method](Call(self.store, params, user_id, now, self.switches))
        finally:
            processing = time.perf_counter() - started + self.method_costs.get(method, 0.0)
            self.budget.record(key, now, processing)
        return outcome, self._time_block(now, processing, credential, method)

    def _sub_call(
        self, method: str, params: dict[str, Any], user_id: int, credential: str, now: float
    ) -> tuple[Outcome, dict[str, Any]]:
        name = re.sub(r"\.(json|xml)$", "", method, flags=re.I).lower()
        if name == "batch":
            raise errors.platform("ERROR_BATCH_METHOD_NOT_ALLOWED")
        if name not in METHODS:
            raise errors.platform("ERROR_METHOD_NOT_FOUND")
        return self._run(name, params, user_id, credential, now)

    def _time_block(
        self, start: float, processing: float, credential: str, method: str
    ) -> dict[str, Any]:
        finish = start + processing
        operating, reset_at = self.budget.state((credential, method), start)
        return {
            "start": round(start, 6),
            "finish": round(finish, 6),
            "duration": round(finish - start, 6),
            "processing": round(processing, 6),
            "date_start": datetime.fromtimestamp(start, PORTAL_TZ).isoformat(timespec="seconds"),
            "date_finish": datetime.fromtimestamp(finish, PORTAL_TZ).isoformat(timespec="seconds"),
            "operating_reset_at": reset_at,
            "operating": operating,
        }

    def _success(self, outcome: Outcome, time_block: dict[str, Any]) -> EmulatorResponse:
        payload: dict[str, Any] = {"result": outcome.result}
        if outcome.next is not None:
            payload["next"] = outcome.next
        if outcome.total is not None:
            payload["total"] = outcome.total
        payload["time"] = time_block
        return EmulatorResponse.json(
            200,
            payload,
            content_type="application/json; charset=utf-8",
            headers=(("x-bitrix-rest-time", f"{time_block['processing']:.6f}"),),
        )
