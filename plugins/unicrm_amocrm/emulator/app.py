"""The emulated amoCRM account: one ``handle(request) -> response`` over SQLite state.

Routing is a table of (HTTP method, path pattern, handler). Before a handler runs, the request
goes through fault injection (faults hit before any effect, so a retried write cannot
duplicate), bearer-token checks and the rate limits, in that order.
"""

from __future__ import annotations

import json
import math
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import parse_qsl

from unicrm.emulation import (
    Clock,
    EmulatorRequest,
    EmulatorResponse,
    FaultPicker,
    SystemClock,
    parse_pairs,
)
from unicrm_amocrm.emulator import account, lists, serialize
from unicrm_amocrm.emulator.limits import Limits
from unicrm_amocrm.emulator.oauth import OAuth
from unicrm_amocrm.emulator.problems import Invalid, Problem, problem
from unicrm_amocrm.emulator.store import KINDS, Store
from unicrm_amocrm.emulator.writes import Writer

HAL = "application/hal+json"
ENTITY = "(leads|contacts|companies)"
FIELD_TYPES = frozenset(
    {
        "text",
        "numeric",
        "checkbox",
        "select",
        "multiselect",
        "multitext",
        "date",
        "url",
        "textarea",
        "radiobutton",
        "streetaddress",
        "smart_address",
        "birthday",
        "legal_entity",
        "date_time",
        "monetary",
    }
)
BLOCK_PAGE = (
    "<html><head><title>403 Forbidden</title></head><body><center><h1>403 Forbidden</h1>"
    "</center><hr><center>nginx</center></body></html>"
)
GATEWAY_PAGE = (
    "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1>"
    "</center><hr><center>nginx</center></body></html>"
)

Handler = Callable[["Call"], EmulatorResponse]


class Call:
    """One request as the handlers see it: path groups, parsed query and body, base URL."""

    def __init__(self, request: EmulatorRequest, groups: Sequence[str], base: str) -> None:
        self.request = request
        self.groups = groups
        self.base = base
        self.pairs = request.query_pairs()
        self.params = parse_pairs(self.pairs)

    def json(self) -> Any:
        if not self.request.body:
            raise Problem(400, "Request body is empty")
        try:
            return json.loads(self.request.body)
        except ValueError:
            raise Problem(400, "Request body is not valid JSON") from None

    def form_or_json(self) -> dict[str, Any]:
        if self.request.content_type == "application/x-www-form-urlencoded":
            return dict(parse_qsl(self.request.body.decode(), keep_blank_values=True))
        body = self.json()
        if not isinstance(body, dict):
            raise Problem(400, "Request body must be an object")
        return body


def _hal(payload: Any, status: int = 200) -> EmulatorResponse:
    return EmulatorResponse.json(status, payload, content_type=HAL)


class AmoCRMEmulator:
    """An amoCRM account behind API v4 (see the package docstring for the switches)."""

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
        missing_id_status: int = 204,
        textarea_limit: int | None = None,
    ) -> None:
        if limits not in ("vendor", "off"):
            raise ValueError(f"limits must be 'vendor' or 'off', got {limits!r}")
        if missing_id_status not in (204, 404):
            raise ValueError("missing_id_status must be 204 or 404")
        self.clock = clock or SystemClock()
        self.latency = latency_ms / 1000.0
        self.random_seed = random_seed
        self.missing_id_status = missing_id_status
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
        self.writer = Writer(self.store, lambda: int(self.clock.now()), textarea_limit)
        self.requests = 0
        self.routes: list[tuple[str, re.Pattern[str], Handler]] = [
            (m, re.compile(f"^{p}$"), h) for m, p, h in self._table()
        ]

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
        fault = self.faults.pick()
        if fault is not None and fault != "expired_token":
            return _fault(fault)
        call = Call(request, groups, self._base(request))
        if handler != self._token:
            integration = self._authorise(request, fault == "expired_token")
            if isinstance(integration, EmulatorResponse):
                return integration
            verdict = self.limits.check(integration, self.clock.now())
            if verdict == "blocked":
                return EmulatorResponse.html(403, BLOCK_PAGE)
            if verdict == "limited":
                return problem(429, "Too many requests")
        try:
            return handler(call)
        except Invalid as exc:
            return exc.response()
        except Problem as exc:
            return exc.response()

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

    # --- the route table -------------------------------------------------------------------
    def _table(self) -> list[tuple[str, str, Handler]]:
        return [
            ("POST", "/oauth2/access_token", self._token),
            ("GET", "/api/v4/account", self._account),
            ("GET", "/api/v4/users", self._users),
            ("GET", r"/api/v4/users/(\d+)", self._user),
            ("GET", "/api/v4/leads/pipelines", self._pipelines),
            ("GET", r"/api/v4/leads/pipelines/(\d+)", self._pipeline),
            ("GET", r"/api/v4/leads/pipelines/(\d+)/statuses", self._statuses),
            ("GET", f"/api/v4/{ENTITY}/custom_fields", self._fields),
            ("POST", f"/api/v4/{ENTITY}/custom_fields", self._create_fields),
            ("GET", rf"/api/v4/{ENTITY}/custom_fields/(\d+)", self._field),
            ("GET", f"/api/v4/{ENTITY}/tags", self._tags),
            ("POST", f"/api/v4/{ENTITY}/tags", self._create_tags),
            ("GET", f"/api/v4/{ENTITY}/links", self._mass_links),
            ("POST", f"/api/v4/{ENTITY}/link", self._mass_link),
            ("POST", f"/api/v4/{ENTITY}/unlink", self._mass_unlink),
            ("GET", rf"/api/v4/{ENTITY}/(\d+)/links", self._links),
            ("POST", rf"/api/v4/{ENTITY}/(\d+)/link", self._link),
            ("POST", rf"/api/v4/{ENTITY}/(\d+)/unlink", self._unlink),
            ("POST", "/api/v4/leads/complex", self._complex),
            ("GET", f"/api/v4/{ENTITY}", self._list),
            ("POST", f"/api/v4/{ENTITY}", self._create),
            ("PATCH", f"/api/v4/{ENTITY}", self._update_many),
            ("GET", rf"/api/v4/{ENTITY}/(\d+)", self._get),
            ("PATCH", rf"/api/v4/{ENTITY}/(\d+)", self._update_one),
        ]

    # --- OAuth and reference data ----------------------------------------------------------
    def _token(self, call: Call) -> EmulatorResponse:
        return self.oauth.token_endpoint(call.form_or_json(), self.clock.now())

    def _account(self, call: Call) -> EmulatorResponse:
        return _hal(
            {
                "id": account.ACCOUNT_ID,
                "name": "Example account",
                "subdomain": account.SUBDOMAIN,
                "created_at": 1_600_000_000,
                "created_by": 0,
                "updated_at": 1_600_000_000,
                "updated_by": 0,
                "current_user_id": account.USERS[0][0],
                "country": "RU",
                "currency": account.CURRENCY,
                "currency_symbol": "₽",
                "customers_mode": "disabled",
                "is_unsorted_on": True,
                "mobile_feature_version": 0,
                "is_loss_reason_enabled": True,
                "is_helpbot_enabled": False,
                "is_technical_account": True,
                "contact_name_display_order": 1,
                "_links": serialize.link(call.base, "/api/v4/account"),
            }
        )

    def _user_item(self, row: Any, base: str) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "email": row["email"],
            "lang": "ru",
            "rights": {"is_admin": row["id"] == account.USERS[0][0], "is_active": True},
            "_links": serialize.link(base, f"/api/v4/users/{row['id']}"),
        }

    def _users(self, call: Call) -> EmulatorResponse:
        rows = self.store.db.execute("SELECT * FROM users ORDER BY id").fetchall()
        items = [self._user_item(r, call.base) for r in rows]
        return _hal(lists.counted(call.base, "/api/v4/users", "users", items, paged=True))

    def _user(self, call: Call) -> EmulatorResponse:
        row = self.store.db.execute(
            "SELECT * FROM users WHERE id = ?", (int(call.groups[0]),)
        ).fetchone()
        if row is None:
            return EmulatorResponse.empty(204)
        return _hal(self._user_item(row, call.base))

    def _pipelines(self, call: Call) -> EmulatorResponse:
        rows = self.store.db.execute("SELECT * FROM pipelines ORDER BY sort").fetchall()
        items = [serialize.pipeline(self.store, r, call.base) for r in rows]
        return _hal(lists.counted(call.base, "/api/v4/leads/pipelines", "pipelines", items))

    def _pipeline_row(self, call: Call) -> Any:
        row = self.store.db.execute(
            "SELECT * FROM pipelines WHERE id = ?", (int(call.groups[0]),)
        ).fetchone()
        if row is None:
            raise Problem(404, "Pipeline not found")
        return row

    def _pipeline(self, call: Call) -> EmulatorResponse:
        return _hal(serialize.pipeline(self.store, self._pipeline_row(call), call.base))

    def _statuses(self, call: Call) -> EmulatorResponse:
        row = self._pipeline_row(call)
        items = serialize.pipeline(self.store, row, call.base)["_embedded"]["statuses"]
        body = {"_total_items": len(items), "_embedded": {"statuses": items}}
        return _hal(body)

    # --- custom fields and tags ------------------------------------------------------------
    def _fields(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        page, limit = lists.paging(call.params)
        rows = self.store.db.execute(
            "SELECT * FROM fields WHERE kind = ? ORDER BY sort, id", (kind,)
        ).fetchall()
        chunk = rows[(page - 1) * limit : page * limit]
        if not chunk:
            return EmulatorResponse.empty(204)
        items = [serialize.field(r, call.base) for r in chunk]
        path = f"/api/v4/{kind}/custom_fields"
        body = lists.envelope(
            call.base, path, call.pairs, page, page * limit < len(rows), "custom_fields", items
        )
        body = {"_total_items": len(rows), "_page_count": math.ceil(len(rows) / limit), **body}
        return _hal(body)

    def _field(self, call: Call) -> EmulatorResponse:
        row = self.store.db.execute(
            "SELECT * FROM fields WHERE kind = ? AND id = ?", (call.groups[0], int(call.groups[1]))
        ).fetchone()
        if row is None:
            raise Problem(404, "Custom field not found")
        return _hal(serialize.field(row, call.base))

    def _create_fields(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = call.json()
        if not isinstance(items, list) or not items:
            raise Problem(400, "Request body must be a non-empty array")
        errors: dict[str, list[tuple[str, str, str]]] = {}
        for index, item in enumerate(items):
            problems = []
            if (
                not isinstance(item, dict)
                or not isinstance(item.get("name"), str)
                or not item["name"]
            ):
                problems.append(("NotBlank", "name", "This value should not be blank."))
            elif item.get("type") not in FIELD_TYPES or (
                item["type"] == "multitext" and kind == "leads"
            ):
                problems.append(
                    ("NotSupportedChoice", "type", "The value you selected is not a valid choice.")
                )
            elif item.get("code") is not None and not re.fullmatch(
                r"[A-Z0-9_]{1,64}", str(item["code"])
            ):
                problems.append(
                    ("InvalidCode", "code", "The code must be upper-case letters, digits, _.")
                )
            if problems:
                errors[str(index)] = problems
        if errors:
            raise Invalid(errors)
        created = []
        for index, item in enumerate(items):
            field_id = self.store.next_id("fields", 61_000)
            enums = [
                {
                    "id": field_id * 100 + i + 1,
                    "value": str(e.get("value")),
                    "sort": e.get("sort", i),
                }
                for i, e in enumerate(item.get("enums") or [])
                if isinstance(e, dict)
            ]
            self.store.db.execute(
                "INSERT INTO fields VALUES (?, ?, ?, ?, ?, ?, ?, 0)",
                (
                    field_id,
                    kind,
                    item["name"],
                    item["type"],
                    item.get("code"),
                    item.get("sort", 500 + field_id % 1000),
                    json.dumps(enums) if enums else None,
                ),
            )
            row = self.store.db.execute("SELECT * FROM fields WHERE id = ?", (field_id,)).fetchone()
            created.append({**serialize.field(row, call.base), "request_id": str(index)})
        return _hal(
            lists.counted(call.base, f"/api/v4/{kind}/custom_fields", "custom_fields", created)
        )

    def _tags(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        page, limit = lists.paging(call.params)
        rows = self.store.db.execute(
            "SELECT * FROM tags WHERE kind = ? ORDER BY id LIMIT ? OFFSET ?",
            (kind, limit + 1, (page - 1) * limit),
        ).fetchall()
        if not rows:
            return EmulatorResponse.empty(204)
        items = [{"id": r["id"], "name": r["name"], "color": r["color"]} for r in rows[:limit]]
        return _hal(
            lists.envelope(
                call.base,
                f"/api/v4/{kind}/tags",
                call.pairs,
                page,
                len(rows) > limit,
                "tags",
                items,
            )
        )

    def _create_tags(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = call.json()
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
        ):
            raise Invalid({"0": [("NotBlank", "name", "This value should not be blank.")]})
        created = []
        for index, item in enumerate(items):
            tag_id = self.store.tag_id(kind, item["name"], item.get("color"))
            created.append(
                {
                    "id": tag_id,
                    "name": item["name"],
                    "color": item.get("color"),
                    "request_id": str(index),
                }
            )
        return _hal(lists.counted(call.base, f"/api/v4/{kind}/tags", "tags", created))

    # --- entities ----------------------------------------------------------------------------
    def _list(self, call: Call) -> EmulatorResponse:
        body = lists.entity_page(self.store, call.groups[0], call.params, call.pairs, call.base)
        return EmulatorResponse.empty(204) if body is None else _hal(body)

    def _get(self, call: Call) -> EmulatorResponse:
        kind, entity_id = call.groups[0], int(call.groups[1])
        row = self.store.entity(kind, entity_id)
        if row is None:
            if self.missing_id_status == 404:
                return problem(404, "Entity not found")
            return EmulatorResponse.empty(204)
        return _hal(
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
        return _hal(
            {"_links": serialize.link(call.base, f"/api/v4/{kind}"), "_embedded": {kind: out}}
        )

    def _update_many(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = self._items(call)
        self.writer.validate(kind, items, update=True)
        out = []
        for index, item in enumerate(items):
            entity_id, updated = self.writer.update(kind, item)
            out.append(
                {
                    "id": entity_id,
                    "updated_at": updated,
                    "request_id": str(item.get("request_id", index)),
                    "_links": serialize.link(call.base, f"/api/v4/{kind}/{entity_id}"),
                }
            )
        return _hal(
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
        return _hal(
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

    # --- links -----------------------------------------------------------------------------
    def _link_items(self, kind: str, items: Any, entity_id: int | None) -> list[dict[str, Any]]:
        if not isinstance(items, list) or not items:
            raise Problem(400, "Request body must be a non-empty array")
        allowed = {
            "leads": ("contacts", "companies"),
            "contacts": ("leads", "companies"),
            "companies": ("leads", "contacts"),
        }
        checked = []
        errors: dict[str, list[tuple[str, str, str]]] = {}
        for index, item in enumerate(items):
            source = entity_id if entity_id is not None else (item or {}).get("entity_id")
            target, to_kind = (item or {}).get("to_entity_id"), (item or {}).get("to_entity_type")
            if to_kind not in allowed[kind]:
                errors[str(index)] = [
                    (
                        "NotSupportedChoice",
                        "to_entity_type",
                        "The value you selected is not a valid choice.",
                    )
                ]
            elif not isinstance(source, int) or self.store.entity(kind, source) is None:
                errors[str(index)] = [
                    (
                        "NotSupportedChoice",
                        "entity_id",
                        "The value you selected is not a valid choice.",
                    )
                ]
            elif not isinstance(target, int) or self.store.entity(to_kind, target) is None:
                errors[str(index)] = [
                    (
                        "NotSupportedChoice",
                        "to_entity_id",
                        "The value you selected is not a valid choice.",
                    )
                ]
            else:
                checked.append(
                    {
                        "entity_id": source,
                        "entity_type": kind,
                        "to_entity_id": target,
                        "to_entity_type": to_kind,
                        "metadata": (item or {}).get("metadata"),
                    }
                )
        if errors:
            raise Invalid(errors)
        return checked

    def _do_link(self, call: Call, kind: str, entity_id: int | None) -> EmulatorResponse:
        links = self._link_items(kind, call.json(), entity_id)
        for item in links:
            source, to_kind, target = (
                item["entity_id"],
                item["to_entity_type"],
                item["to_entity_id"],
            )
            meta = item["metadata"] if isinstance(item["metadata"], dict) else {}
            if to_kind == "companies" or (kind == "companies" and to_kind in ("leads", "contacts")):
                owner, owner_id = (kind, source) if to_kind == "companies" else (to_kind, target)
                for old in self.store.links_of(owner, [owner_id])[owner_id]:
                    if old["to_kind"] == "companies":
                        self.store.unlink(owner, owner_id, "companies", old["to_id"])
            if kind == "leads" and to_kind == "contacts":
                meta = {"is_main": bool(meta.get("is_main", False))}
                if meta["is_main"]:
                    for old in self.store.links_of("leads", [source])[source]:
                        if old["to_kind"] == "contacts" and old["to_id"] != target:
                            self.store.link(
                                "leads", source, "contacts", old["to_id"], {"is_main": False}
                            )
            self.store.link(kind, source, to_kind, target, meta or None)
            item["metadata"] = meta or None
        path = f"/api/v4/{kind}/link" if entity_id is None else f"/api/v4/{kind}/{entity_id}/link"
        return _hal(lists.counted(call.base, path, "links", links))

    def _do_unlink(self, call: Call, kind: str, entity_id: int | None) -> EmulatorResponse:
        for item in self._link_items(kind, call.json(), entity_id):
            self.store.unlink(kind, item["entity_id"], item["to_entity_type"], item["to_entity_id"])
        return EmulatorResponse.empty(204)

    def _link(self, call: Call) -> EmulatorResponse:
        return self._do_link(call, call.groups[0], int(call.groups[1]))

    def _unlink(self, call: Call) -> EmulatorResponse:
        return self._do_unlink(call, call.groups[0], int(call.groups[1]))

    def _mass_link(self, call: Call) -> EmulatorResponse:
        return self._do_link(call, call.groups[0], None)

    def _mass_unlink(self, call: Call) -> EmulatorResponse:
        return self._do_unlink(call, call.groups[0], None)

    def _link_rows(self, call: Call, kind: str, ids: list[int]) -> EmulatorResponse:
        rows = [r for i in ids for r in self.store.links_of(kind, [i])[i]]
        if not rows:
            return EmulatorResponse.empty(204)
        items = [
            {
                "entity_id": r["entity_id"],
                "entity_type": kind,
                "to_entity_id": r["to_id"],
                "to_entity_type": r["to_kind"],
                "metadata": json.loads(r["metadata"]) if r["metadata"] else None,
            }
            for r in rows
        ]
        return _hal(lists.counted(call.base, call.request.path, "links", items))

    def _links(self, call: Call) -> EmulatorResponse:
        return self._link_rows(call, call.groups[0], [int(call.groups[1])])

    def _mass_links(self, call: Call) -> EmulatorResponse:
        raw = (
            (call.params.get("filter") or {}).get("entity_id")
            if isinstance(call.params.get("filter"), dict)
            else None
        )
        from unicrm.emulation import as_list

        ids = [int(v) for v in as_list(raw) if isinstance(v, str) and v.isdigit()]
        if not ids:
            raise Problem(400, "filter[entity_id] is required")
        return self._link_rows(call, call.groups[0], ids)


def _fault(kind: str) -> EmulatorResponse:
    """A fault in amoCRM's own shape."""
    if kind == "rate_limit":
        return problem(429, "Too many requests")
    if kind == "server_error":
        return problem(500, "An unknown error occurred.")
    if kind == "html":
        return EmulatorResponse.html(502, GATEWAY_PAGE)
    if kind == "timeout":
        return EmulatorResponse.timeout()
    return EmulatorResponse.reset()


__all__ = ["KINDS", "AmoCRMEmulator"]
