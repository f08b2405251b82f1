"""Phones and e-mails: Bitrix24 multifields (``PHONE``/``EMAIL``) <-> neutral values.

Read shape (vendor notes §6.3): ``[{"ID": "11658", "VALUE_TYPE": "MOBILE", "VALUE": "+1...",
"TYPE_ID": "PHONE"}]``. Write rules: an entry without ``ID`` is added, an entry with ``ID``
changes that entry, ``ID`` + ``DELETE: "Y"`` removes it, and entries not mentioned stay. So a
neutral list *replaces* the stored one by :func:`replace_entries`: stored entries are rewritten
in place (position by position), surplus ones deleted, missing ones added.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from unicrm.errors import ValidationError
from unicrm.model import ContactKind, Email, Phone

VENDOR = "bitrix24"
#: VALUE_TYPE <-> kind, per multifield (notes §6.3). Read-only aliases map to the nearest kind.
PHONE_KINDS: Mapping[str, ContactKind] = {
    "WORK": ContactKind.WORK,
    "MOBILE": ContactKind.MOBILE,
    "HOME": ContactKind.HOME,
    "FAX": ContactKind.FAX,
    "PAGER": ContactKind.PAGER,
    "OTHER": ContactKind.OTHER,
}
EMAIL_KINDS: Mapping[str, ContactKind] = {
    "WORK": ContactKind.WORK,
    "HOME": ContactKind.HOME,
    "OTHER": ContactKind.OTHER,
}
#: Vendor value types read as a neutral kind without a vendor code of their own.
READ_ALIASES: Mapping[str, ContactKind] = {"MAILING": ContactKind.OTHER}
KINDS: Mapping[str, Mapping[str, ContactKind]] = {"PHONE": PHONE_KINDS, "EMAIL": EMAIL_KINDS}
CODES: Mapping[str, Mapping[ContactKind, str]] = {
    name: {kind: code for code, kind in table.items()} for name, table in KINDS.items()
}


def entries(raw: Any) -> list[Mapping[str, Any]]:
    """The entries of a multifield value (``None``/``[]``/``false`` -> none)."""
    if not isinstance(raw, list):
        return []
    return [e for e in raw if isinstance(e, Mapping) and str(e.get("VALUE") or "")]


def _kind(field: str, entry: Mapping[str, Any]) -> ContactKind:
    code = str(entry.get("VALUE_TYPE") or "WORK").upper()
    return KINDS[field].get(code) or READ_ALIASES.get(code) or ContactKind.OTHER


def phones_from(raw: Any) -> tuple[Phone, ...]:
    return tuple(Phone(str(e["VALUE"]), _kind("PHONE", e)) for e in entries(raw))


def emails_from(raw: Any) -> tuple[Email, ...]:
    return tuple(Email(str(e["VALUE"]), _kind("EMAIL", e)) for e in entries(raw))


def code_of(field: str, kind: ContactKind) -> str:
    """The VALUE_TYPE for ``kind``; a kind the vendor has no type for is a ValidationError."""
    code = CODES[field].get(kind)
    if code is None:
        allowed = ", ".join(sorted(str(k) for k in CODES[field]))
        raise ValidationError(
            f"bitrix24 {field} entries cannot be of kind {kind!s} (allowed: {allowed})",
            vendor=VENDOR,
            details=((field, f"kind {kind!s} not supported"),),
        )
    return code


def new_entries(field: str, values: Sequence[Phone | Email]) -> list[dict[str, str]]:
    """Entries for a record being created: all added."""
    return [{"VALUE": v.value, "VALUE_TYPE": code_of(field, v.kind)} for v in values]


def replace_entries(
    field: str, values: Sequence[Phone | Email], stored: Any
) -> list[dict[str, str]]:
    """Entries that turn the ``stored`` multifield into exactly ``values``."""
    old = [e for e in (stored if isinstance(stored, list) else []) if isinstance(e, Mapping)]
    out: list[dict[str, str]] = []
    for index, value in enumerate(values):
        entry = {"VALUE": value.value, "VALUE_TYPE": code_of(field, value.kind)}
        if index < len(old) and old[index].get("ID") is not None:
            entry = {"ID": str(old[index]["ID"]), **entry}
        out.append(entry)
    for surplus in old[len(values) :]:
        if surplus.get("ID") is not None:
            out.append({"ID": str(surplus["ID"]), "DELETE": "Y"})
    return out


__all__ = [
    "EMAIL_KINDS",
    "PHONE_KINDS",
    "code_of",
    "emails_from",
    "entries",
    "new_entries",
    "phones_from",
    "replace_entries",
]
