"""Decisions as data: what a migration decided, in words a person reads.

One planning stage (:mod:`unicrm.migrate.plan`) produces the decisions, and the dry run and
the real run both use it, so what a dry run says is what the real run does. A decision says
what (``topic``, ``entity``, ``subject``), what happens to it (``outcome``) and why
(``reason``); ``count`` is how many records it touched, for decisions counted while mapping.
:meth:`Decision.sentence` is the text form; :meth:`Decision.as_dict` the ``--json`` form,
which carries the same sentence.

Topics, in the order a plan lists them: ``route``, ``pipeline``, ``stage``, ``link``,
``field`` (custom fields), ``standard`` (standard fields the target cannot hold), ``note``
(where notes go), ``user``, and ``values`` (values moved to the note or dropped, counted).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

import attrs

TOPICS = ("route", "pipeline", "stage", "link", "field", "standard", "note", "user", "values")


@attrs.frozen
class Decision:
    """One decision (see the module docstring)."""

    topic: str
    entity: str
    subject: str
    outcome: str
    reason: str = ""
    count: int | None = None

    def sentence(self) -> str:
        """The decision as one line of text."""
        what = f"{self.entity} {self.topic}" if self.entity else self.topic
        line = f"{what} {self.subject}: {self.outcome}"
        if self.reason:
            line += f" ({self.reason})"
        if self.count is not None:
            line += f", {self.count} record{'s' if self.count != 1 else ''}"
        return line

    def as_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in attrs.asdict(self).items() if v not in (None, "")}
        data["text"] = self.sentence()
        return data


#: Plural names that are not the name and an "s".
_PLURALS = {"company": "companies"}


def plural(entity: str) -> str:
    """``"lead"`` -> ``"leads"``, ``"company"`` -> ``"companies"``."""
    return _PLURALS.get(entity, f"{entity}s")


def sort_key(decision: Decision) -> tuple[int, str]:
    """Order decisions by topic (as :data:`TOPICS`), then as they were made."""
    topic = TOPICS.index(decision.topic) if decision.topic in TOPICS else len(TOPICS)
    return (topic, decision.entity)


def counted(
    counts: Mapping[tuple[str, str, str], int], reasons: Mapping[str, str]
) -> list[Decision]:
    """``values`` decisions from ``{(entity, name, outcome): records}`` counted while mapping."""
    return [
        Decision("values", entity, name, outcome, reasons.get(outcome, ""), count)
        for (entity, name, outcome), count in sorted(counts.items())
    ]


def words(value: Any) -> str:
    """A value as a person writes it (no Python reprs)."""
    if value is None:
        return "(none)"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (Decimal, int, float, dt.date, dt.datetime)):
        return str(value)
    if isinstance(value, str):
        text = " | ".join(line for line in value.splitlines() if line.strip())
        return text if len(text) <= 80 else f"{text[:77]}..."
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {words(v)}" for k, v in value.items())
    if isinstance(value, Iterable):
        items = [words(v) for v in value]
        return ", ".join(items) if items else "(none)"
    return str(value)


def _stage(value: Any) -> str:
    return f"{value.get('pipeline_id')}/{value.get('stage_id')} ({value.get('semantic')})"


def _links(value: Any) -> list[str]:
    return [f"{c.get('contact_id')}{' (main)' if c.get('is_main') else ''}" for c in value]


def _kinds(value: Any) -> list[str]:
    return [f"{v.get('value')} ({v.get('kind')})" for v in value]


#: How a field of a plain record reads, where plain words are not enough.
_FIELD_WORDS: dict[str, Any] = {
    "stage": _stage,
    "contacts": _links,
    "amount": lambda v: f"{v.get('amount')} {v.get('currency')}",
    "phones": _kinds,
    "emails": _kinds,
}


def describe_record(plain: Mapping[str, Any]) -> str:
    """A mapped record (as :func:`~unicrm.migrate.compare.to_plain` gives it) in words: the
    fields that hold something, as ``name: value`` pairs."""
    parts = []
    for name, value in plain.items():
        if value in (None, "", [], {}, ()):
            continue
        shown = _FIELD_WORDS.get(name, lambda v: v)(value)
        parts.append(f"{name}: {words(shown)}")
    return "; ".join(parts)
