"""List endpoints: paging, ordering, ``with=`` and the HAL envelope (vendor notes §3.1-3.2, §4).

``page`` is 1-based, ``limit`` defaults to 50 and a value over 250 quietly falls back to 50
(or is clamped to 250: ``OpenRules.over_limit``);
one ``order[field]`` of ``id``/``created_at``/``updated_at`` (contacts and companies: no
``created_at``); ``_links.next`` only when another page exists, ``first``/``prev`` after page 1;
no totals; an empty page is ``None`` (the caller answers 204).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from unicrm_amocrm.emulator import filters, serialize
from unicrm_amocrm.emulator.store import Store

DEFAULT_LIMIT = 50
MAX_LIMIT = 250
ORDERABLE = {
    "leads": ("id", "created_at", "updated_at"),
    "contacts": ("id", "updated_at"),
    "companies": ("id", "updated_at"),
}


def _positive(value: Any, default: int) -> int:
    if isinstance(value, str) and value.isdigit() and int(value) > 0:
        return int(value)
    return default


def paging(params: Mapping[str, Any], over_limit: str = "fallback") -> tuple[int, int]:
    """(page, limit) as amoCRM reads them; ``over_limit`` says what a limit over 250 gets."""
    page = _positive(params.get("page"), 1)
    limit = _positive(params.get("limit"), DEFAULT_LIMIT)
    if limit > MAX_LIMIT:
        limit = MAX_LIMIT if over_limit == "clamp" else DEFAULT_LIMIT
    return page, limit


def order_by(kind: str, params: Mapping[str, Any]) -> str:
    order = params.get("order")
    if isinstance(order, dict):
        for key, direction in order.items():
            if key in ORDERABLE[kind] and str(direction).lower() in ("asc", "desc"):
                tie = "" if key == "id" else f", id {direction}"
                return f"{key} {str(direction).upper()}{tie}"
    return "id ASC"


def with_set(params: Mapping[str, Any]) -> frozenset[str]:
    raw = params.get("with")
    return frozenset(p.strip() for p in raw.split(",")) if isinstance(raw, str) else frozenset()


def envelope(  # noqa: PLR0917 - the parts of one HAL page
    base: str,
    path: str,
    pairs: list[tuple[str, str]],
    page: int,
    more: bool,
    key: str,
    items: list[Any],
) -> dict[str, Any]:
    """The HAL collection: ``_page``, ``_links`` echoing the query, ``_embedded``."""

    def href(number: int) -> dict[str, str]:
        query = [(k, v) for k, v in pairs if k != "page"] + [("page", str(number))]
        return {"href": f"{base}{path}?{urlencode(query)}"}

    links = {"self": href(page)}
    if more:
        links["next"] = href(page + 1)
    if page > 1:
        links["first"] = href(1)
        links["prev"] = href(page - 1)
    return {"_page": page, "_links": links, "_embedded": {key: items}}


def entity_page(  # noqa: PLR0917 - the parts of one list request
    store: Store,
    kind: str,
    params: Mapping[str, Any],
    pairs: list[tuple[str, str]],
    base: str,
    over_limit: str = "fallback",
) -> dict[str, Any] | None:
    """One page of leads/contacts/companies, or None when it is empty."""
    page, limit = paging(params, over_limit)
    types = {
        row[0]: row[1]
        for row in store.db.execute("SELECT id, type FROM fields WHERE kind = ?", (kind,))
    }
    condition, args = filters.where(kind, params, types)
    rows = store.db.execute(
        f"SELECT * FROM entities e WHERE kind = ? AND ({condition}) "
        f"ORDER BY {order_by(kind, params)} LIMIT ? OFFSET ?",
        (kind, *args, limit + 1, (page - 1) * limit),
    ).fetchall()
    if not rows:
        return None
    more = len(rows) > limit
    items = serialize.entities(store, kind, rows[:limit], base, with_set(params))
    return envelope(base, f"/api/v4/{kind}", pairs, page, more, kind, items)


def counted(
    base: str, path: str, key: str, items: list[Any], paged: bool = False
) -> dict[str, Any]:
    """A small collection with totals (pipelines, statuses, custom fields, users, links)."""
    body: dict[str, Any] = {"_total_items": len(items)}
    if paged:
        body.update({"_page": 1, "_page_count": 1})
    body["_links"] = serialize.link(base, path)
    body["_embedded"] = {key: items}
    return body
