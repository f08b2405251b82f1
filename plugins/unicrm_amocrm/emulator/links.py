"""Links between entities: per entity and mass ``link``/``unlink`` and their lists (vendor notes
§6.4). A lead or contact has at most one company; a lead's contacts carry ``is_main``, and
marking one main clears the others. Unlink answers 204.
"""

from __future__ import annotations

import json
from typing import Any

from unicrm.emulation import EmulatorResponse, as_list
from unicrm_amocrm.emulator import lists
from unicrm_amocrm.emulator.calls import ENTITY_PATH, Call, Route, hal
from unicrm_amocrm.emulator.problems import NOT_VALID_CHOICE, Invalid, Problem
from unicrm_amocrm.emulator.store import Store

#: Entity kind -> the kinds it may be linked to.
ALLOWED = {
    "leads": ("contacts", "companies"),
    "contacts": ("leads", "companies"),
    "companies": ("leads", "contacts"),
}


class Links:
    """The link handlers over one account's store."""

    def __init__(self, store: Store) -> None:
        self.store = store

    def routes(self) -> list[Route]:
        return [
            ("GET", f"/api/v4/{ENTITY_PATH}/links", self.mass_links),
            ("POST", f"/api/v4/{ENTITY_PATH}/link", self.mass_link),
            ("POST", f"/api/v4/{ENTITY_PATH}/unlink", self.mass_unlink),
            ("GET", rf"/api/v4/{ENTITY_PATH}/(\d+)/links", self.links),
            ("POST", rf"/api/v4/{ENTITY_PATH}/(\d+)/link", self.link),
            ("POST", rf"/api/v4/{ENTITY_PATH}/(\d+)/unlink", self.unlink),
        ]

    def _problem(self, kind: str, item: Any, entity_id: int | None) -> str | None:
        """The path of the first thing wrong with one link item, or None."""
        item = item if isinstance(item, dict) else {}
        source = entity_id if entity_id is not None else item.get("entity_id")
        target, to_kind = item.get("to_entity_id"), item.get("to_entity_type")
        if to_kind not in ALLOWED[kind]:
            return "to_entity_type"
        if not isinstance(source, int) or self.store.entity(kind, source) is None:
            return "entity_id"
        if not isinstance(target, int) or self.store.entity(to_kind, target) is None:
            return "to_entity_id"
        return None

    def _items(self, kind: str, items: Any, entity_id: int | None) -> list[dict[str, Any]]:
        if not isinstance(items, list) or not items:
            raise Problem(400, "Request body must be a non-empty array")
        errors = {
            str(index): [(NOT_VALID_CHOICE[0], path, NOT_VALID_CHOICE[1])]
            for index, item in enumerate(items)
            if (path := self._problem(kind, item, entity_id)) is not None
        }
        if errors:
            raise Invalid(errors)
        return [
            {
                "entity_id": entity_id if entity_id is not None else item["entity_id"],
                "entity_type": kind,
                "to_entity_id": item["to_entity_id"],
                "to_entity_type": item["to_entity_type"],
                "metadata": item.get("metadata"),
            }
            for item in items
        ]

    def _one_company(self, kind: str, source: int, to_kind: str, target: int) -> None:
        """Drop the company link a new company link replaces."""
        if to_kind != "companies" and not (kind == "companies" and to_kind in ALLOWED[kind]):
            return
        owner, owner_id = (kind, source) if to_kind == "companies" else (to_kind, target)
        for old in self.store.links_of(owner, [owner_id])[owner_id]:
            if old["to_kind"] == "companies":
                self.store.unlink(owner, owner_id, "companies", old["to_id"])

    def _main_contact(self, source: int, target: int, meta: dict[str, Any]) -> dict[str, Any]:
        """A lead's contact link metadata; a new main contact demotes the others."""
        meta = {"is_main": bool(meta.get("is_main", False))}
        if meta["is_main"]:
            for old in self.store.links_of("leads", [source])[source]:
                if old["to_kind"] == "contacts" and old["to_id"] != target:
                    self.store.link("leads", source, "contacts", old["to_id"], {"is_main": False})
        return meta

    def _do_link(self, call: Call, kind: str, entity_id: int | None) -> EmulatorResponse:
        links = self._items(kind, call.json(), entity_id)
        for item in links:
            source, to_kind, target = (
                item["entity_id"],
                item["to_entity_type"],
                item["to_entity_id"],
            )
            meta = item["metadata"] if isinstance(item["metadata"], dict) else {}
            self._one_company(kind, source, to_kind, target)
            if kind == "leads" and to_kind == "contacts":
                meta = self._main_contact(source, target, meta)
            self.store.link(kind, source, to_kind, target, meta or None)
            item["metadata"] = meta or None
        path = f"/api/v4/{kind}/link" if entity_id is None else f"/api/v4/{kind}/{entity_id}/link"
        return hal(lists.counted(call.base, path, "links", links))

    def _do_unlink(self, call: Call, kind: str, entity_id: int | None) -> EmulatorResponse:
        for item in self._items(kind, call.json(), entity_id):
            self.store.unlink(kind, item["entity_id"], item["to_entity_type"], item["to_entity_id"])
        return EmulatorResponse.empty(204)

    def link(self, call: Call) -> EmulatorResponse:
        return self._do_link(call, call.groups[0], int(call.groups[1]))

    def unlink(self, call: Call) -> EmulatorResponse:
        return self._do_unlink(call, call.groups[0], int(call.groups[1]))

    def mass_link(self, call: Call) -> EmulatorResponse:
        return self._do_link(call, call.groups[0], None)

    def mass_unlink(self, call: Call) -> EmulatorResponse:
        return self._do_unlink(call, call.groups[0], None)

    def _rows(self, call: Call, kind: str, ids: list[int]) -> EmulatorResponse:
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
        return hal(lists.counted(call.base, call.request.path, "links", items))

    def links(self, call: Call) -> EmulatorResponse:
        return self._rows(call, call.groups[0], [int(call.groups[1])])

    def mass_links(self, call: Call) -> EmulatorResponse:
        filters = call.params.get("filter")
        raw = filters.get("entity_id") if isinstance(filters, dict) else None
        ids = [int(v) for v in as_list(raw) if isinstance(v, str) and v.isdigit()]
        if not ids:
            raise Problem(400, "filter[entity_id] is required")
        return self._rows(call, call.groups[0], ids)


__all__ = ["ALLOWED", "Links"]
