"""Entities as API v4 returns them (vendor notes §4.4, §5): every field present even when
null, ``custom_fields_values: null`` when empty, integer ids and Unix timestamps,
``_embedded.tags``/``companies`` always, ``contacts`` (with ``is_main``) only with
``with=contacts``."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence
from typing import Any

from unicrm_amocrm.emulator.account import ACCOUNT_ID
from unicrm_amocrm.emulator.store import Store


def link(base: str, path: str) -> dict[str, Any]:
    return {"self": {"href": f"{base}{path}"}}


def _stub(base: str, kind: str, to_id: int, meta: str | None, main: bool) -> dict[str, Any]:
    item: dict[str, Any] = {"id": to_id}
    if main:
        item["is_main"] = bool(json.loads(meta or "{}").get("is_main", False))
    item["_links"] = link(base, f"/api/v4/{kind}/{to_id}")
    return item


def _common(row: sqlite3.Row) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "responsible_user_id": row["responsible_user_id"],
        "group_id": row["group_id"],
        "created_by": row["created_by"],
        "updated_by": row["updated_by"],
        "created_at": row["created_at"],
        "updated_at": row["updated_at"],
        "closest_task_at": row["closest_task_at"],
        "is_deleted": False,
        "custom_fields_values": json.loads(row["cf"]) if row["cf"] else None,
        "account_id": ACCOUNT_ID,
    }


def _lead(row: sqlite3.Row) -> dict[str, Any]:
    item = _common(row)
    item.update(
        {
            "price": row["price"] or 0,
            "status_id": row["status_id"],
            "pipeline_id": row["pipeline_id"],
            "loss_reason_id": row["loss_reason_id"],
            "closed_at": row["closed_at"],
            "score": row["score"],
            "labor_cost": None,
        }
    )
    return item


def _contact(row: sqlite3.Row) -> dict[str, Any]:
    item = _common(row)
    item.update(
        {
            "first_name": row["first_name"] or "",
            "last_name": row["last_name"] or "",
            "is_unsorted": False,
        }
    )
    return item


#: Which linked kinds each entity embeds always, and which only with ``with=``.
ALWAYS = {"leads": ("companies",), "contacts": ("companies",), "companies": ()}
WITH = {
    "leads": {"contacts": "contacts"},
    "contacts": {"leads": "leads"},
    "companies": {"contacts": "contacts", "leads": "leads"},
}
SHAPES = {"leads": _lead, "contacts": _contact, "companies": _common}


def entities(
    store: Store, kind: str, rows: Sequence[sqlite3.Row], base: str, with_: frozenset[str]
) -> list[dict[str, Any]]:
    """Serialise ``rows`` of one kind, with their tags and links read in two queries."""
    ids = [row["id"] for row in rows]
    tags = store.tags_of(kind, ids)
    links = store.links_of(kind, ids)
    embedded_kinds = set(ALWAYS[kind]) | {k for w, k in WITH[kind].items() if w in with_}
    out = []
    for row in rows:
        item = SHAPES[kind](row)
        embedded: dict[str, Any] = {"tags": tags[row["id"]]}
        for linked in sorted(embedded_kinds):
            embedded[linked] = [
                _stub(
                    base,
                    linked,
                    r["to_id"],
                    r["metadata"],
                    kind == "leads" and linked == "contacts",
                )
                for r in links[row["id"]]
                if r["to_kind"] == linked
            ]
        item["_links"] = link(base, f"/api/v4/{kind}/{row['id']}")
        item["_embedded"] = embedded
        out.append(item)
    return out


def field(row: sqlite3.Row, base: str) -> dict[str, Any]:
    """A custom field definition (notes §5.6)."""
    return {
        "id": row["id"],
        "name": row["name"],
        "type": row["type"],
        "account_id": ACCOUNT_ID,
        "code": row["code"],
        "sort": row["sort"],
        "is_api_only": False,
        "enums": json.loads(row["enums"]) if row["enums"] else None,
        "group_id": None,
        "required_statuses": [],
        "is_deletable": not row["is_predefined"],
        "is_predefined": bool(row["is_predefined"]),
        "entity_type": row["kind"],
        "_links": link(base, f"/api/v4/{row['kind']}/custom_fields/{row['id']}"),
    }


def status(row: sqlite3.Row, base: str) -> dict[str, Any]:
    return {
        "id": row["id"],
        "name": row["name"],
        "sort": row["sort"],
        "is_editable": bool(row["is_editable"]),
        "pipeline_id": row["pipeline_id"],
        "color": row["color"],
        "type": row["type"],
        "account_id": ACCOUNT_ID,
        "_links": link(base, f"/api/v4/leads/pipelines/{row['pipeline_id']}/statuses/{row['id']}"),
    }


def pipeline(store: Store, row: sqlite3.Row, base: str) -> dict[str, Any]:
    statuses = store.db.execute(
        "SELECT * FROM statuses WHERE pipeline_id = ? ORDER BY sort", (row["id"],)
    ).fetchall()
    return {
        "id": row["id"],
        "name": row["name"],
        "sort": row["sort"],
        "is_main": bool(row["is_main"]),
        "is_unsorted_on": bool(row["is_unsorted_on"]),
        "is_archive": bool(row["is_archive"]),
        "account_id": ACCOUNT_ID,
        "_links": link(base, f"/api/v4/leads/pipelines/{row['id']}"),
        "_embedded": {"statuses": [status(s, base) for s in statuses]},
    }
