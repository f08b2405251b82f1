"""Vendor webhook bodies -> :class:`~unicrm.changes.ChangeEvent` s (pure functions, no I/O).

Both vendors POST ``application/x-www-form-urlencoded`` bodies with PHP bracket keys
(vendor notes: bitrix24.md §11 and appendix A.7, amocrm.md §8.1), read here with the same PHP
reading the emulators use (:func:`unicrm.emulation.parse_pairs`).

* Bitrix24 event handlers: ``event=ONCRMDEALUPDATE&data[FIELDS][ID]=7&ts=...&
  auth[application_token]=...``; only the id is sent ("fetch the record with ``*.get``").
* amoCRM webhooks: ``leads[update][0][id]=7&...&account[id]=...&account[subdomain]=...``,
  several entities and items per call, item fields in the legacy v2 vocabulary
  (``last_modified``).

Each reader checks the caller first (:class:`Bitrix24Hooks`, :class:`AmoCRMHooks`) and raises
:class:`Rejected` with the HTTP status to answer; nothing is produced for a rejected call.
"""

from __future__ import annotations

import datetime as dt
import hmac
from collections.abc import Mapping
from typing import Any
from urllib.parse import parse_qsl

import attrs

from unicrm.changes.events import ChangeEvent, ChangeKind, ChangeSource
from unicrm.emulation import parse_pairs
from unicrm.model import EntityKind


class Rejected(Exception):
    """A call that is not a valid, verified vendor webhook: answer ``status``, do nothing."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


def form_fields(body: bytes) -> dict[str, Any]:
    """A form-encoded body as nested maps (PHP brackets); 400 when it is not one."""
    try:
        text = body.decode("utf-8")
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=bool(text))
    except (UnicodeDecodeError, ValueError):
        raise Rejected(400, "the body is not a form-encoded UTF-8 text") from None
    return parse_pairs(pairs)


def _timestamp(value: Any) -> dt.datetime | None:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        return dt.datetime.fromtimestamp(int(value), dt.timezone.utc)
    return None


def _record_id(value: Any, where: str) -> str:
    if not isinstance(value, str) or not value.isascii() or not value.isdigit():
        raise Rejected(400, f"{where} is not a record id")
    return value


# --- Bitrix24 ---------------------------------------------------------------------------
B24_ENTITIES = {
    "LEAD": EntityKind.LEAD,
    "CONTACT": EntityKind.CONTACT,
    "DEAL": EntityKind.DEAL,
    "COMPANY": EntityKind.COMPANY,
}
B24_ACTIONS = {
    "ADD": ChangeKind.CREATED,
    "UPDATE": ChangeKind.UPDATED,
    "DELETE": ChangeKind.DELETED,
}
#: ``ONCRMLEADADD`` -> (lead, created), for every entity and action above.
B24_EVENTS: dict[str, tuple[EntityKind, ChangeKind]] = {
    f"ONCRM{name}{action}": (entity, kind)
    for name, entity in B24_ENTITIES.items()
    for action, kind in B24_ACTIONS.items()
}


@attrs.frozen
class Bitrix24Hooks:
    """How to verify Bitrix24 handler calls: the ``application_token`` (s) the portal gave
    at ``event.bind`` / outgoing-webhook set-up (several while rotating one)."""

    application_tokens: tuple[str, ...] = attrs.field(converter=tuple, repr=False)

    def __attrs_post_init__(self) -> None:
        if not self.application_tokens or not all(self.application_tokens):
            raise ValueError("Bitrix24Hooks needs at least one non-empty application token")

    def verify(self, fields: Mapping[str, Any]) -> None:
        auth = fields.get("auth")
        token = auth.get("application_token") if isinstance(auth, dict) else None
        if not isinstance(token, str) or not token:
            raise Rejected(401, "no auth[application_token]")
        if not any(hmac.compare_digest(token, known) for known in self.application_tokens):
            raise Rejected(403, "auth[application_token] does not match")

    def events(self, body: bytes) -> list[ChangeEvent]:
        """The event of one verified handler call (an empty list for events not modelled)."""
        fields = form_fields(body)
        self.verify(fields)
        name = fields.get("event")
        if not isinstance(name, str) or not name:
            raise Rejected(400, "no event name")
        found = B24_EVENTS.get(name.upper())
        if found is None:
            return []
        data = fields.get("data")
        record = data.get("FIELDS") if isinstance(data, dict) else None
        record_id = _record_id(
            record.get("ID") if isinstance(record, dict) else None, "data[FIELDS][ID]"
        )
        entity, kind = found
        return [
            ChangeEvent(
                kind, entity, record_id, _timestamp(fields.get("ts")), source=ChangeSource.WEBHOOK
            )
        ]


# --- amoCRM -----------------------------------------------------------------------------
AMO_ENTITIES = {
    "leads": EntityKind.LEAD,
    "contacts": EntityKind.CONTACT,
    "companies": EntityKind.COMPANY,
}
#: Webhook actions (amocrm.md §8.1); ``note`` is a note added to the record, not a change of it.
AMO_ACTIONS = {
    "add": ChangeKind.CREATED,
    "restore": ChangeKind.CREATED,
    "update": ChangeKind.UPDATED,
    "status": ChangeKind.UPDATED,
    "responsible": ChangeKind.UPDATED,
    "delete": ChangeKind.DELETED,
}


@attrs.frozen
class AmoCRMHooks:
    """How to verify amoCRM webhooks: the account's id and subdomain (sent as ``account[id]``
    and ``account[subdomain]`` in every call). ``lead_kind`` names the kind amoCRM leads are
    reported as (``deal`` for a platform that reads them as deals: they are one set)."""

    account_id: str = attrs.field(converter=str)
    subdomain: str
    lead_kind: EntityKind = attrs.field(default=EntityKind.LEAD, converter=EntityKind)

    def verify(self, fields: Mapping[str, Any]) -> None:
        account = fields.get("account")
        if not isinstance(account, dict):
            raise Rejected(400, "no account fields")
        same_id = hmac.compare_digest(str(account.get("id", "")), self.account_id)
        same_domain = str(account.get("subdomain", "")).lower() == self.subdomain.lower()
        if not (same_id and same_domain):
            raise Rejected(403, "the account id or subdomain is not this account's")

    def events(self, body: bytes) -> list[ChangeEvent]:
        """Every item of one verified webhook call, in the order sent."""
        fields = form_fields(body)
        self.verify(fields)
        found: list[ChangeEvent] = []
        for key, listed in AMO_ENTITIES.items():
            actions = fields.get(key)
            if actions is None:
                continue
            if not isinstance(actions, dict):
                raise Rejected(400, f"{key} is not a map of actions")
            entity = self.lead_kind if key == "leads" else listed
            for action, items in actions.items():
                kind = AMO_ACTIONS.get(action)
                if kind is None:
                    continue
                if not isinstance(items, dict):
                    raise Rejected(400, f"{key}[{action}] is not a list of items")
                for index, item in items.items():
                    if not isinstance(item, dict):
                        raise Rejected(400, f"{key}[{action}][{index}] is not an item")
                    record_id = _record_id(item.get("id"), f"{key}[{action}][{index}][id]")
                    when = _timestamp(item.get("last_modified") or item.get("updated_at"))
                    found.append(
                        ChangeEvent(kind, entity, record_id, when, source=ChangeSource.WEBHOOK)
                    )
        if not found and not any(k in fields for k in AMO_ENTITIES):
            raise Rejected(400, "no leads, contacts or companies in the call")
        return found


__all__ = [
    "AMO_ACTIONS",
    "B24_EVENTS",
    "AmoCRMHooks",
    "Bitrix24Hooks",
    "Rejected",
    "form_fields",
]
