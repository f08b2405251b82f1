"""The emulated amoCRM account: one ``handle(request) -> response`` over SQLite state.

Routing is a table of (HTTP method, path pattern, handler): the metadata endpoints
(:mod:`.reference`), links (:mod:`.links`) and the entity lists, reads and writes here. Before a
handler runs, the request goes through fault injection (faults hit before any effect, so a
retried write cannot duplicate), bearer-token checks, the unpaid-account switch and the rate
limits, in that order. The rules the vendor docs leave open are switches
(:class:`~unicrm_amocrm.emulator.rules.OpenRules`).
"""

from __future__ import annotations

import re
import secrets
import threading
import uuid
from collections.abc import Sequence
from typing import Any

import attrs

from unicrm.emulation import (
    Clock,
    EmulatorRequest,
    EmulatorResponse,
    FaultPicker,
    SystemClock,
)
from unicrm_amocrm.emulator import account, lists, serialize
from unicrm_amocrm.emulator.calls import ENTITY_PATH, HAL, Call, Handler, Route, hal
from unicrm_amocrm.emulator.limits import Limits
from unicrm_amocrm.emulator.links import Links
from unicrm_amocrm.emulator.oauth import OAuth
from unicrm_amocrm.emulator.problems import (
    Invalid,
    Problem,
    blocked,
    fault,
    problem,
    too_many_requests,
)
from unicrm_amocrm.emulator.reference import Reference
from unicrm_amocrm.emulator.rules import OpenRules
from unicrm_amocrm.emulator.store import KINDS, Store
from unicrm_amocrm.emulator.writes import Writer

ENTITY = ENTITY_PATH


class AmoCRMEmulator:
    """An amoCRM account behind API v4 (see the package docstring for the switches).

    ``rules`` picks a reading of each rule the docs leave open; ``missing_id_status`` and
    ``textarea_limit`` are shortcuts for two of them. ``unpaid`` (settable) makes every API
    call answer 402, as an account whose subscription ended does.
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
        token: str | None = None,
        missing_id_status: int | None = None,
        textarea_limit: int | None = None,
        rules: OpenRules | None = None,
    ) -> None:
        if limits not in ("vendor", "off"):
            raise ValueError(f"limits must be 'vendor' or 'off', got {limits!r}")
        rules = rules or OpenRules()
        if missing_id_status is not None:
            rules = attrs.evolve(rules, missing_id_status=missing_id_status)
        if textarea_limit is not None:
            rules = attrs.evolve(rules, textarea_limit=textarea_limit)
        self.rules = rules
        self.unpaid = False
        self.clock = clock or SystemClock()
        self.latency = latency_ms / 1000.0
        self.random_seed = random_seed
        self.store = Store(db)
        self._lock = threading.RLock()
        account.install(self.store)
        key = self.store.meta("jwt_key") or secrets.token_hex(32)
        self.store.set_meta("jwt_key", key)
        self.oauth = OAuth(self.store, key.encode())
        stored = self.store.meta("long_lived")
        self.long_lived_token = token or stored or self.oauth.long_lived(self.clock.now())
        self.store.set_meta("long_lived", self.long_lived_token)
        self.store.db.commit()
        self.limits = Limits(enabled=limits == "vendor")
        self.faults = FaultPicker(faults, kinds=None, seed=random_seed)
        self.writer = Writer(
            self.store,
            lambda: int(self.clock.now()),
            rules.textarea_limit,
            default_unsorted=rules.default_stage == "unsorted",
        )
        self.requests = 0
        table = [
            ("POST", "/oauth2/access_token", self._token),
            *Reference(self.store, rules).routes(),
            *Links(self.store).routes(),
            *self._entity_routes(),
        ]
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(f"^{p}$"), h) for m, p, h in table
        ]

    @property
    def missing_id_status(self) -> int:
        return self.rules.missing_id_status

    # --- switches ------------------------------------------------------------------------
    def set_faults(self, rate: float, kinds: Sequence[str] | None = None) -> None:
        """Fail ``rate`` of the requests with the given fault kinds (all by default)."""
        self.faults = FaultPicker(rate, kinds=kinds, seed=self.random_seed)

    def set_limits(self, mode: str) -> None:
        self.limits.enabled = mode == "vendor"

    def register_integration(
        self, redirect_uri: str = "https://app.example/cb"
    ) -> tuple[str, str, str]:
        """A new OAuth integration: (client_id, client_secret, authorization code)."""
        with self._lock:
            found = self.oauth.register(redirect_uri, self.clock.now())
            self.store.db.commit()
            return found

    def authorization_code(self, client_id: str) -> str:
        """Another single-use authorization code for an integration."""
        with self._lock:
            code = self.oauth.new_code(client_id, self.clock.now())
            self.store.db.commit()
            return code

    def seed(self, n: int, contacts: int | None = None) -> None:
        """Create exactly ``n`` leads and ``contacts`` contacts (default ``round(0.75 n)``;
        deterministic)."""
        from unicrm_amocrm.emulator.seed import seed

        with self._lock:
            seed(self.store, n, self.random_seed, int(self.clock.now()), contacts)
            self.store.db.commit()

    # --- the request path ----------------------------------------------------------------
    def handle(self, request: EmulatorRequest) -> EmulatorResponse:
        with self._lock:
            self.requests += 1
            response = self._handle(request)
            self.store.db.commit()
        request_id = uuid.uuid4().hex[:16]
        return EmulatorResponse(
            response.status,
            response.body,
            (*response.headers, ("x-request-id", request_id)),
            response.fault,
        )

    def _base(self, request: EmulatorRequest) -> str:
        host = request.header("host") or f"{account.SUBDOMAIN}.amocrm.ru"
        loopback = host.startswith(("127.", "localhost", "[::1]"))
        return f"{'http' if loopback else 'https'}://{host}"

    def _handle(self, request: EmulatorRequest) -> EmulatorResponse:
        match = self._route(request)
        if match is None:
            return problem(404, "Not found")
        handler, groups = match
        picked = self.faults.pick()
        if picked is not None and picked != "expired_token":
            return fault(picked, self.rules.rate_limit_body)
        call = Call(request, groups, self._base(request), self.rules.repeated_filter_keys)
        if handler != self._token:
            refused = self._admit(request, picked == "expired_token")
            if refused is not None:
                return refused
        try:
            return handler(call)
        except (Invalid, Problem) as exc:
            return exc.response()

    def _admit(self, request: EmulatorRequest, expire: bool) -> EmulatorResponse | None:
        """The refusal of an API call (401, 402, 403 block, 429), or None to serve it."""
        integration = self._authorise(request, expire)
        if isinstance(integration, EmulatorResponse):
            return integration
        if self.unpaid:
            return problem(402, "Аккаунт не оплачен")
        verdict = self.limits.check(integration, self.clock.now())
        if verdict == "blocked":
            return blocked(self.rules.block_body)
        if verdict == "limited":
            return too_many_requests(self.rules.rate_limit_body, self.rules.retry_after)
        return None

    def _route(self, request: EmulatorRequest) -> tuple[Handler, Sequence[str]] | None:
        path = request.path.rstrip("/") or "/"
        for method, pattern, handler in self.routes:
            found = pattern.match(path)
            if found and method == request.method:
                return handler, found.groups()
        return None

    def _authorise(self, request: EmulatorRequest, expire: bool) -> str | EmulatorResponse:
        """The integration a bearer token belongs to, or the 401 for a bad one."""
        scheme, _, token = request.header("authorization").partition(" ")
        if scheme.lower() == "bearer" and token == self.long_lived_token:
            return "long-lived"
        claims = self.oauth.claims(token) if scheme.lower() == "bearer" else None
        if claims is None or expire or claims.get("exp", 0) <= self.clock.now():
            return problem(401, "Неверный логин или пароль")
        return str(claims.get("aud", ""))

    # --- OAuth and the entity route table ---------------------------------------------------
    def _token(self, call: Call) -> EmulatorResponse:
        return self.oauth.token_endpoint(call.form_or_json(), self.clock.now())

    def _entity_routes(self) -> list[Route]:
        return [
            ("POST", "/api/v4/leads/complex", self._complex),
            ("GET", f"/api/v4/{ENTITY}", self._list),
            ("POST", f"/api/v4/{ENTITY}", self._create),
            ("PATCH", f"/api/v4/{ENTITY}", self._update_many),
            ("GET", rf"/api/v4/{ENTITY}/(\d+)", self._get),
            ("PATCH", rf"/api/v4/{ENTITY}/(\d+)", self._update_one),
        ]

    # --- entities ----------------------------------------------------------------------------
    def _list(self, call: Call) -> EmulatorResponse:
        body = lists.entity_page(
            self.store, call.groups[0], call.params, call.pairs, call.base, self.rules.over_limit
        )
        return EmulatorResponse.empty(204) if body is None else hal(body)

    def _get(self, call: Call) -> EmulatorResponse:
        kind, entity_id = call.groups[0], int(call.groups[1])
        row = self.store.entity(kind, entity_id)
        if row is None:
            if self.rules.missing_id_status == 404:
                return problem(404, "Entity not found")
            return EmulatorResponse.empty(204)
        return hal(
            serialize.entities(self.store, kind, [row], call.base, lists.with_set(call.params))[0]
        )

    def _items(self, call: Call) -> list[Any]:
        items = call.json()
        if not isinstance(items, list) or not items:
            raise Problem(400, "Request body must be a non-empty array")
        return items

    def _create(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = self._items(call)
        self.writer.validate(kind, items, update=False)
        out = []
        for index, item in enumerate(items):
            entity_id = self.writer.create(kind, item)
            out.append(
                {
                    "id": entity_id,
                    "request_id": str(item.get("request_id", index)),
                    "_links": serialize.link(call.base, f"/api/v4/{kind}/{entity_id}"),
                }
            )
        return hal(
            {"_links": serialize.link(call.base, f"/api/v4/{kind}"), "_embedded": {kind: out}}
        )

    def _update_many(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = self._items(call)
        self.writer.validate(kind, items, update=True)
        out = []
        for index, item in enumerate(items):
            entity_id, updated = self.writer.update(kind, item)
            answer: dict[str, Any] = {"id": entity_id}
            row = self.store.entity(kind, entity_id)
            if kind == "contacts" and row is not None:
                answer["name"] = row["name"]
            answer["updated_at"] = updated
            if self.rules.update_request_id:
                answer["request_id"] = str(item.get("request_id", index))
            answer["_links"] = serialize.link(call.base, f"/api/v4/{kind}/{entity_id}")
            out.append(answer)
        return hal(
            {"_links": serialize.link(call.base, f"/api/v4/{kind}"), "_embedded": {kind: out}}
        )

    def _update_one(self, call: Call) -> EmulatorResponse:
        kind, entity_id = call.groups[0], int(call.groups[1])
        item = call.json()
        if not isinstance(item, dict):
            raise Problem(400, "Request body must be an object")
        item = {**item, "id": entity_id}
        self.writer.validate(kind, [item], update=True)
        entity_id, updated = self.writer.update(kind, item)
        return hal(
            {
                "id": entity_id,
                "updated_at": updated,
                "_links": serialize.link(call.base, f"/api/v4/{kind}/{entity_id}"),
            }
        )

    def _complex(self, call: Call) -> EmulatorResponse:
        items = self._items(call)
        if len(items) > 50:
            raise Problem(400, "No more than 50 leads in one complex request")
        for index, item in enumerate(items):
            embedded = item.get("_embedded") if isinstance(item, dict) else None
            for linked in ("contacts", "companies"):
                refs = (embedded or {}).get(linked) or []
                if len(refs) > 1:
                    raise Invalid(
                        {str(index): [("TooMany", f"_embedded.{linked}", "At most one.")]}
                    )
        results = []
        for index, item in enumerate(items):
            embedded = dict(item.get("_embedded") or {})
            linked_ids: dict[str, int | None] = {"contacts": None, "companies": None}
            for linked in ("contacts", "companies"):
                refs = embedded.pop(linked, None) or []
                if refs:
                    ref = refs[0]
                    if "id" in ref and len(ref) == 1:
                        linked_ids[linked] = int(ref["id"])
                    else:
                        self.writer.validate(linked, [ref], update=False)
                        linked_ids[linked] = self.writer.create(linked, ref)
            lead = {**item, "_embedded": embedded}
            self.writer.validate("leads", [lead], update=False)
            lead_id = self.writer.create("leads", lead)
            if linked_ids["contacts"]:
                self.store.link(
                    "leads", lead_id, "contacts", linked_ids["contacts"], {"is_main": True}
                )
            if linked_ids["companies"]:
                self.store.link("leads", lead_id, "companies", linked_ids["companies"], None)
            if linked_ids["contacts"] and linked_ids["companies"]:
                self.store.link(
                    "contacts", linked_ids["contacts"], "companies", linked_ids["companies"], None
                )
            results.append(
                {
                    "id": lead_id,
                    "contact_id": linked_ids["contacts"],
                    "company_id": linked_ids["companies"],
                    "request_id": [str(item.get("request_id", index))],
                    "merged": False,
                }
            )
        return EmulatorResponse.json(200, results, content_type=HAL)


__all__ = ["KINDS", "AmoCRMEmulator"]
