"""Creating and updating leads, contacts and companies (vendor notes §5.7, §6.1-6.2).

A request is validated as a whole before anything is written: one bad item rejects the whole
request with ``validation-errors`` grouped by ``request_id`` (the array index when the item
has none). Updates are partial: only the keys sent change. ``closed_at`` follows the stage
(set on 142/143), tags follow ``_embedded.tags`` (replace), ``tags_to_add``/``tags_to_delete``.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Mapping
from typing import Any

from unicrm_amocrm.emulator import account
from unicrm_amocrm.emulator.problems import (
    INVALID_TYPE,
    NOT_EXPECTED,
    NOT_VALID_CHOICE,
    TOO_LONG,
    Invalid,
)
from unicrm_amocrm.emulator.store import Store

Errors = list[tuple[str, str, str]]
ID_START = {"leads": 20_000_001, "contacts": 30_000_001, "companies": 40_000_001}

#: Top-level keys each entity accepts on create/update (anything else: FieldNotExpected).
WRITABLE: Mapping[str, frozenset[str]] = {
    "leads": frozenset(
        {
            "name",
            "price",
            "status_id",
            "pipeline_id",
            "responsible_user_id",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
            "closed_at",
            "loss_reason_id",
            "source_id",
            "custom_fields_values",
            "_embedded",
            "tags_to_add",
            "tags_to_delete",
            "request_id",
            "id",
            "score",
        }
    ),
    "contacts": frozenset(
        {
            "name",
            "first_name",
            "last_name",
            "responsible_user_id",
            "created_by",
            "updated_by",
            "created_at",
            "updated_at",
            "custom_fields_values",
            "_embedded",
            "tags_to_add",
            "tags_to_delete",
            "request_id",
            "id",
        }
    ),
}
WRITABLE = {**WRITABLE, "companies": WRITABLE["contacts"] - {"first_name", "last_name"}}
INT_KEYS = (
    "price",
    "responsible_user_id",
    "created_by",
    "updated_by",
    "created_at",
    "updated_at",
    "closed_at",
    "loss_reason_id",
    "source_id",
    "score",
    "status_id",
    "pipeline_id",
)
TEXT_KEYS = ("name", "first_name", "last_name")
ENUM_TYPES = frozenset({"select", "multiselect", "radiobutton", "multitext"})
NUMERIC_TYPES = frozenset({"numeric", "monetary"})
DATE_TYPES = frozenset({"date", "date_time", "birthday"})
TEXT_LIMIT = 256


def _err(code: tuple[str, str], path: str, *args: str) -> tuple[str, str, str]:
    return code[0], path, code[1].format(*args)


class Writer:
    """Validates and applies entity writes against ``store`` with the emulator's clock."""

    def __init__(
        self,
        store: Store,
        now: Callable[[], int],
        textarea_limit: int | None = None,
        default_unsorted: bool = False,
    ) -> None:
        self.store = store
        self.now = now
        #: The notes only confirm the 256-character cap for ``text`` fields; whether
        #: ``textarea`` has one is unverified, hence a switch (None: no cap).
        self.textarea_limit = textarea_limit
        #: Whether "the first stage of the main pipeline" is Unsorted (``OpenRules``).
        self.default_unsorted = default_unsorted

    # --- validation ----------------------------------------------------------------------
    def _fields(self, kind: str) -> dict[Any, Any]:
        rows = self.store.db.execute("SELECT * FROM fields WHERE kind = ?", (kind,)).fetchall()
        by_key: dict[Any, Any] = {}
        for row in rows:
            by_key[row["id"]] = row
            if row["code"]:
                by_key[row["code"]] = row
        return by_key

    def _custom_values(
        self, kind: str, items: Any, errors: Errors, fields: dict[Any, Any]
    ) -> dict[int, list[dict[str, Any]] | None] | None:
        """Validated ``custom_fields_values`` as field id -> stored values (None: clear)."""
        if items is None:
            return {}
        if not isinstance(items, list):
            errors.append(_err(INVALID_TYPE, "custom_fields_values", "array"))
            return None
        result: dict[int, list[dict[str, Any]] | None] = {}
        for index, item in enumerate(items):
            path = f"custom_fields_values.{index}"
            if not isinstance(item, dict):
                errors.append(_err(INVALID_TYPE, path, "object"))
                continue
            key = item.get("field_id", item.get("field_code"))
            field = fields.get(key) if isinstance(key, (int, str)) else None
            if field is None:
                name = "field_id" if "field_id" in item else "field_code"
                errors.append(_err(NOT_VALID_CHOICE, f"{path}.{name}"))
                continue
            values = item.get("values")
            if values is None:
                result[field["id"]] = None
                continue
            if not isinstance(values, list):
                errors.append(_err(INVALID_TYPE, f"{path}.values", "array"))
                continue
            stored = [
                self._value(field, value, f"{path}.values.{i}", errors)
                for i, value in enumerate(values)
            ]
            result[field["id"]] = [v for v in stored if v is not None]
        return result

    def _value(self, field: Any, value: Any, path: str, errors: Errors) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            errors.append(_err(INVALID_TYPE, path, "object"))
            return None
        kind = field["type"]
        enums = json.loads(field["enums"]) if field["enums"] else []
        if kind not in ENUM_TYPES:
            for key in ("enum_id", "enum_code", "enum"):
                if key in value:
                    errors.append(_err(NOT_EXPECTED, f"{path}.{key}"))
                    return None
        if kind in ENUM_TYPES:
            return self._enum_value(kind, enums, value, path, errors)
        raw = value.get("value")
        if kind == "checkbox":
            if not isinstance(raw, bool):
                errors.append(_err(INVALID_TYPE, f"{path}.value", "bool"))
                return None
            return {"value": raw}
        if kind in NUMERIC_TYPES:
            try:
                number = float(str(raw))
            except ValueError:
                errors.append(_err(INVALID_TYPE, f"{path}.value", "numeric"))
                return None
            return {"value": str(int(number)) if number.is_integer() else str(number)}
        if kind in DATE_TYPES:
            stamp = _timestamp(raw)
            if stamp is None:
                errors.append(_err(INVALID_TYPE, f"{path}.value", "timestamp"))
                return None
            return {"value": stamp}
        if isinstance(raw, bool) or not isinstance(raw, (str, int, float)):
            errors.append(_err(INVALID_TYPE, f"{path}.value", "string"))
            return None
        text = str(raw)
        limit = self.textarea_limit if kind == "textarea" else TEXT_LIMIT
        if limit is not None and len(text) > limit:
            errors.append(_err(TOO_LONG, f"{path}.value"))
            return None
        return {"value": text}

    @staticmethod
    def _enum_value(
        kind: str, enums: list[dict[str, Any]], value: dict[str, Any], path: str, errors: Errors
    ) -> dict[str, Any] | None:
        option = None
        if "enum_id" in value:
            option = next((e for e in enums if e["id"] == value["enum_id"]), None)
        elif "enum_code" in value or "enum" in value:
            code = value.get("enum_code", value.get("enum"))
            option = next((e for e in enums if e.get("code") == code or e["value"] == code), None)
        elif kind != "multitext":
            option = next((e for e in enums if e["value"] == value.get("value")), None)
        elif enums:
            option = enums[0]
        if option is None:
            errors.append(_err(NOT_VALID_CHOICE, path))
            return None
        if kind == "multitext":
            text = value.get("value")
            if not isinstance(text, str) or not text or len(text) > TEXT_LIMIT:
                errors.append(_err(INVALID_TYPE, f"{path}.value", "string"))
                return None
            return {"value": text, "enum_id": option["id"], "enum_code": option.get("code")}
        stored: dict[str, Any] = {"value": option["value"], "enum_id": option["id"]}
        if option.get("code"):
            stored["enum_code"] = option["code"]
        return stored

    def _check(self, kind: str, item: Any, update: bool, fields: dict[Any, Any]) -> Errors:
        errors: Errors = []
        if not isinstance(item, dict):
            return [_err(INVALID_TYPE, "", "object")]
        for key in item:
            if key not in WRITABLE[kind]:
                errors.append(_err(NOT_EXPECTED, key))
        for key in INT_KEYS:
            if (
                key in item
                and item[key] is not None
                and (isinstance(item[key], bool) or not isinstance(item[key], (int, float)))
            ):
                errors.append(_err(INVALID_TYPE, key, "int"))
        for key in TEXT_KEYS:
            if key in item and not isinstance(item[key], str):
                errors.append(_err(INVALID_TYPE, key, "string"))
            elif key in item and len(item[key]) > TEXT_LIMIT:
                errors.append(_err(TOO_LONG, key))
        if update and (
            not isinstance(item.get("id"), int) or self.store.entity(kind, item["id"]) is None
        ):
            errors.append(_err(NOT_VALID_CHOICE, "id"))
        user = item.get("responsible_user_id")
        if isinstance(user, int) and not self._exists("users", user):
            errors.append(_err(NOT_VALID_CHOICE, "responsible_user_id"))
        if kind == "leads":
            errors += self._check_stage(item, update)
        errors += self._check_embedded(kind, item.get("_embedded"), update)
        self._custom_values(kind, item.get("custom_fields_values"), errors, fields)
        return errors

    def _exists(self, table: str, row_id: int) -> bool:
        return (
            self.store.db.execute(f"SELECT 1 FROM {table} WHERE id = ?", (row_id,)).fetchone()
            is not None
        )

    def _stage(self, item: dict[str, Any], update: bool) -> tuple[int, int]:
        current = self.store.entity("leads", item["id"]) if update else None
        if update and current is None:
            raise KeyError(item["id"])
        pipeline = item.get("pipeline_id") or (
            current["pipeline_id"] if current is not None else account.main_pipeline(self.store)
        )
        status = item.get("status_id")
        if status is None:
            keep = current is not None and "pipeline_id" not in item
            status = (
                current["status_id"]
                if keep and current is not None
                else account.first_stage(self.store, pipeline, self.default_unsorted)
            )
        return int(pipeline), int(status)

    def _check_stage(self, item: dict[str, Any], update: bool) -> Errors:
        if update and (
            not isinstance(item.get("id"), int) or self.store.entity("leads", item["id"]) is None
        ):
            return []
        if not all(isinstance(item.get(k, 0), int) for k in ("pipeline_id", "status_id")):
            return []
        pipeline, status = self._stage(item, update)
        found = self.store.db.execute(
            "SELECT 1 FROM statuses WHERE pipeline_id = ? AND id = ?", (pipeline, status)
        ).fetchone()
        if found is None:
            key = "status_id" if "status_id" in item else "pipeline_id"
            return [_err(NOT_VALID_CHOICE, key)]
        return []

    def _check_embedded(self, kind: str, embedded: Any, update: bool) -> Errors:
        if embedded is None:
            return []
        if not isinstance(embedded, dict):
            return [_err(INVALID_TYPE, "_embedded", "object")]
        errors: Errors = []
        tags = embedded.get("tags")
        if tags is not None and not (
            isinstance(tags, list)
            and all(
                isinstance(t, dict) and ("id" in t or isinstance(t.get("name"), str)) for t in tags
            )
        ):
            errors.append(_err(INVALID_TYPE, "_embedded.tags", "array of {id} or {name}"))
        for linked in ("contacts", "companies"):
            refs = embedded.get(linked)
            if refs is None:
                continue
            if update or (linked == "contacts" and kind != "leads"):
                errors.append(_err(NOT_EXPECTED, f"_embedded.{linked}"))
                continue
            for i, ref in enumerate(refs if isinstance(refs, list) else [None]):
                ok = isinstance(ref, dict) and isinstance(ref.get("id"), int)
                if not ok or self.store.entity(linked, ref["id"]) is None:
                    errors.append(_err(NOT_VALID_CHOICE, f"_embedded.{linked}.{i}.id"))
        return errors

    def validate(self, kind: str, items: list[Any], update: bool) -> None:
        fields = self._fields(kind)
        problems: dict[str, Errors] = {}
        for index, item in enumerate(items):
            errors = self._check(kind, item, update, fields)
            if errors:
                request_id = item.get("request_id") if isinstance(item, dict) else None
                problems[str(request_id if request_id is not None else index)] = errors
        if problems:
            raise Invalid(problems)

    # --- applying ------------------------------------------------------------------------
    def create(self, kind: str, item: dict[str, Any]) -> int:
        now = self.now()
        entity_id = self.store.next_id(kind, ID_START[kind])
        columns: dict[str, Any] = {
            "kind": kind,
            "id": entity_id,
            "name": item.get("name", ""),
            "responsible_user_id": item.get("responsible_user_id") or account.USERS[0][0],
            "created_by": item.get("created_by", 0),
            "updated_by": item.get("updated_by", 0),
            "created_at": item.get("created_at") or now,
            "updated_at": item.get("updated_at") or item.get("created_at") or now,
        }
        if kind == "leads":
            pipeline, status = self._stage(item, update=False)
            columns.update(
                price=int(item.get("price") or 0),
                pipeline_id=pipeline,
                status_id=status,
                closed_at=item.get("closed_at")
                or (now if status in (account.WON, account.LOST) else None),
                loss_reason_id=item.get("loss_reason_id"),
                source_id=item.get("source_id"),
                score=item.get("score"),
            )
            if not columns["name"]:
                columns["name"] = f"Сделка #{entity_id}"
        if kind == "contacts":
            first, last = item.get("first_name", ""), item.get("last_name", "")
            columns.update(first_name=first, last_name=last)
            if "name" not in item:
                columns["name"] = " ".join(p for p in (first, last) if p)
        names = ",".join(columns)
        self.store.db.execute(
            f"INSERT INTO entities ({names}) VALUES ({','.join('?' * len(columns))})",
            tuple(columns.values()),
        )
        self._after(kind, entity_id, item, creating=True)
        return entity_id

    def update(self, kind: str, item: dict[str, Any]) -> tuple[int, int]:
        entity_id = int(item["id"])
        now = self.now()
        changes: dict[str, Any] = {"updated_at": item.get("updated_at") or now}
        for key in (
            "name",
            "responsible_user_id",
            "updated_by",
            "loss_reason_id",
            "source_id",
            "score",
        ):
            if key in item:
                changes[key] = item[key]
        if kind == "contacts":
            for key in ("first_name", "last_name"):
                if key in item:
                    changes[key] = item[key]
        if kind == "leads":
            if "price" in item:
                changes["price"] = int(item["price"] or 0)
            if "status_id" in item or "pipeline_id" in item:
                current = self.store.entity("leads", entity_id)
                pipeline, status = self._stage(item, update=True)
                changes.update(pipeline_id=pipeline, status_id=status)
                if current is not None and status != current["status_id"]:
                    closed = status in (account.WON, account.LOST)
                    changes["closed_at"] = item.get("closed_at") or (now if closed else None)
        sets = ", ".join(f"{k} = ?" for k in changes)
        self.store.db.execute(
            f"UPDATE entities SET {sets} WHERE kind = ? AND id = ?",
            (*changes.values(), kind, entity_id),
        )
        self._after(kind, entity_id, item, creating=False)
        return entity_id, int(changes["updated_at"])

    def _after(self, kind: str, entity_id: int, item: dict[str, Any], creating: bool) -> None:
        if "custom_fields_values" in item:
            self._apply_custom(kind, entity_id, item["custom_fields_values"])
        embedded = item.get("_embedded") or {}
        if "tags" in embedded:
            tags = embedded["tags"] or []
            self.store.set_tags(kind, entity_id, [self._tag(kind, t) for t in tags])
        if item.get("tags_to_add") or item.get("tags_to_delete"):
            self._mutate_tags(kind, entity_id, item)
        if creating:
            for contact in embedded.get("contacts") or ():
                meta = {"is_main": bool(contact.get("is_main", False))}
                self.store.link(kind, entity_id, "contacts", contact["id"], meta)
            for company in (embedded.get("companies") or ())[:1]:
                self.store.link(kind, entity_id, "companies", company["id"], None)

    def _apply_custom(self, kind: str, entity_id: int, items: Any) -> None:
        fields = self._fields(kind)
        values = self._custom_values(kind, items, [], fields) or {}
        row = self.store.entity(kind, entity_id)
        current = (
            {c["field_id"]: c for c in json.loads(row["cf"]) if row is not None and row["cf"]}
            if row is not None and row["cf"]
            else {}
        )
        for field_id, stored in values.items():
            if not stored:
                current.pop(field_id, None)
                continue
            field = fields[field_id]
            current[field_id] = {
                "field_id": field_id,
                "field_name": field["name"],
                "field_code": field["code"],
                "field_type": field["type"],
                "values": stored,
            }
        ordered = [current[k] for k in sorted(current, key=lambda f: fields[f]["sort"])]
        self.store.write_cf(kind, entity_id, ordered or None)

    def _tag(self, kind: str, tag: dict[str, Any]) -> int:
        if "id" in tag and tag["id"] is not None:
            return int(tag["id"])
        return self.store.tag_id(kind, str(tag["name"]))

    def _mutate_tags(self, kind: str, entity_id: int, item: dict[str, Any]) -> None:
        current = {t["id"] for t in self.store.tags_of(kind, [entity_id])[entity_id]}
        current |= {self._tag(kind, t) for t in item.get("tags_to_add") or ()}
        current -= {self._tag(kind, t) for t in item.get("tags_to_delete") or ()}
        self.store.set_tags(kind, entity_id, sorted(current))


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        try:
            return int(dt.datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp())
        except ValueError:
            return int(value) if value.isdigit() else None
    return None
