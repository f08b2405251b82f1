"""Account metadata endpoints: the account, users, pipelines and statuses, custom field
definitions and tags (vendor notes §4.2, §5.4-5.6, §5.8).

Pipelines, statuses and users are small counted collections (``_total_items``). Custom field
lists page like entity lists, but a page holds at most ``OpenRules.fields_page_cap`` fields
("the method returns up to 50 fields per request"), whatever ``limit`` asks.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from unicrm.emulation import EmulatorResponse
from unicrm_amocrm.emulator import account, lists, serialize
from unicrm_amocrm.emulator.calls import ENTITY_PATH, Call, Route, hal
from unicrm_amocrm.emulator.problems import NOT_VALID_CHOICE, Invalid, Problem
from unicrm_amocrm.emulator.rules import OpenRules
from unicrm_amocrm.emulator.store import Store

#: Field types the API creates (amocrm-api-php ``CustomFieldModel::TYPE_*``, entity-side ones).
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


class Reference:
    """The handlers of the metadata endpoints over one account's store."""

    def __init__(self, store: Store, rules: OpenRules) -> None:
        self.store = store
        self.rules = rules

    def routes(self) -> list[Route]:
        return [
            ("GET", "/api/v4/account", self.account),
            ("GET", "/api/v4/users", self.users),
            ("GET", r"/api/v4/users/(\d+)", self.user),
            ("GET", "/api/v4/leads/pipelines", self.pipelines),
            ("GET", r"/api/v4/leads/pipelines/(\d+)", self.pipeline),
            ("GET", r"/api/v4/leads/pipelines/(\d+)/statuses", self.statuses),
            ("GET", f"/api/v4/{ENTITY_PATH}/custom_fields", self.fields),
            ("POST", f"/api/v4/{ENTITY_PATH}/custom_fields", self.create_fields),
            ("GET", rf"/api/v4/{ENTITY_PATH}/custom_fields/(\d+)", self.field),
            ("GET", f"/api/v4/{ENTITY_PATH}/tags", self.tags),
            ("POST", f"/api/v4/{ENTITY_PATH}/tags", self.create_tags),
        ]

    # --- account and users -----------------------------------------------------------------
    def account(self, call: Call) -> EmulatorResponse:
        return hal(
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

    @staticmethod
    def _user_item(row: Any, base: str) -> dict[str, Any]:
        return {
            "id": row["id"],
            "name": row["name"],
            "email": row["email"],
            "lang": "ru",
            "rights": {"is_admin": row["id"] == account.USERS[0][0], "is_active": True},
            "_links": serialize.link(base, f"/api/v4/users/{row['id']}"),
        }

    def users(self, call: Call) -> EmulatorResponse:
        rows = self.store.db.execute("SELECT * FROM users ORDER BY id").fetchall()
        items = [self._user_item(r, call.base) for r in rows]
        return hal(lists.counted(call.base, "/api/v4/users", "users", items, paged=True))

    def user(self, call: Call) -> EmulatorResponse:
        row = self.store.db.execute(
            "SELECT * FROM users WHERE id = ?", (int(call.groups[0]),)
        ).fetchone()
        if row is None:
            return EmulatorResponse.empty(204)
        return hal(self._user_item(row, call.base))

    # --- pipelines and statuses ------------------------------------------------------------
    def pipelines(self, call: Call) -> EmulatorResponse:
        rows = self.store.db.execute("SELECT * FROM pipelines ORDER BY sort").fetchall()
        items = [serialize.pipeline(self.store, r, call.base) for r in rows]
        return hal(lists.counted(call.base, "/api/v4/leads/pipelines", "pipelines", items))

    def _pipeline_row(self, call: Call) -> Any:
        row = self.store.db.execute(
            "SELECT * FROM pipelines WHERE id = ?", (int(call.groups[0]),)
        ).fetchone()
        if row is None:
            raise Problem(404, "Pipeline not found")
        return row

    def pipeline(self, call: Call) -> EmulatorResponse:
        return hal(serialize.pipeline(self.store, self._pipeline_row(call), call.base))

    def statuses(self, call: Call) -> EmulatorResponse:
        row = self._pipeline_row(call)
        items = serialize.pipeline(self.store, row, call.base)["_embedded"]["statuses"]
        return hal({"_total_items": len(items), "_embedded": {"statuses": items}})

    # --- custom fields -----------------------------------------------------------------------
    def fields(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        page, limit = lists.paging(call.params, self.rules.over_limit)
        if self.rules.fields_page_cap is not None:
            limit = min(limit, self.rules.fields_page_cap)
        rows = self.store.db.execute(
            "SELECT * FROM fields WHERE kind = ? ORDER BY sort, id", (kind,)
        ).fetchall()
        chunk = rows[(page - 1) * limit : page * limit]
        if not chunk:
            return EmulatorResponse.empty(204)
        items = [serialize.field(r, call.base) for r in chunk]
        path = f"/api/v4/{kind}/custom_fields"
        more = page * limit < len(rows)
        body = lists.envelope(call.base, path, call.pairs, page, more, "custom_fields", items)
        body = {"_total_items": len(rows), "_page_count": math.ceil(len(rows) / limit), **body}
        return hal(body)

    def field(self, call: Call) -> EmulatorResponse:
        row = self.store.db.execute(
            "SELECT * FROM fields WHERE kind = ? AND id = ?", (call.groups[0], int(call.groups[1]))
        ).fetchone()
        if row is None:
            raise Problem(404, "Custom field not found")
        return hal(serialize.field(row, call.base))

    @staticmethod
    def _field_problems(kind: str, item: Any) -> list[tuple[str, str, str]]:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str) or not item["name"]:
            return [("NotBlank", "name", "This value should not be blank.")]
        if item.get("type") not in FIELD_TYPES or (item["type"] == "multitext" and kind == "leads"):
            return [(NOT_VALID_CHOICE[0], "type", NOT_VALID_CHOICE[1])]
        code = item.get("code")
        if code is not None and not re.fullmatch(r"[A-Z0-9_]{1,64}", str(code)):
            return [("InvalidCode", "code", "The code must be upper-case letters, digits, _.")]
        return []

    def create_fields(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = call.json()
        if not isinstance(items, list) or not items:
            raise Problem(400, "Request body must be a non-empty array")
        errors = {
            str(index): found
            for index, item in enumerate(items)
            if (found := self._field_problems(kind, item))
        }
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
        path = f"/api/v4/{kind}/custom_fields"
        return hal(lists.counted(call.base, path, "custom_fields", created))

    # --- tags ----------------------------------------------------------------------------------
    def tags(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        page, limit = lists.paging(call.params, self.rules.over_limit)
        rows = self.store.db.execute(
            "SELECT * FROM tags WHERE kind = ? ORDER BY id LIMIT ? OFFSET ?",
            (kind, limit + 1, (page - 1) * limit),
        ).fetchall()
        if not rows:
            return EmulatorResponse.empty(204)
        items = [{"id": r["id"], "name": r["name"], "color": r["color"]} for r in rows[:limit]]
        path = f"/api/v4/{kind}/tags"
        more = len(rows) > limit
        return hal(lists.envelope(call.base, path, call.pairs, page, more, "tags", items))

    def create_tags(self, call: Call) -> EmulatorResponse:
        kind = call.groups[0]
        items = call.json()
        if not isinstance(items, list) or not all(
            isinstance(i, dict) and isinstance(i.get("name"), str) for i in items
        ):
            raise Invalid({"0": [("NotBlank", "name", "This value should not be blank.")]})
        created = [
            {
                "id": self.store.tag_id(kind, item["name"], item.get("color")),
                "name": item["name"],
                "color": item.get("color"),
                "request_id": str(index),
            }
            for index, item in enumerate(items)
        ]
        return hal(lists.counted(call.base, f"/api/v4/{kind}/tags", "tags", created))


__all__ = ["FIELD_TYPES", "Reference"]
