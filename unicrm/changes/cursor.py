"""The change cursor: where a feed stands for each entity, immutable and serialisable.

A cursor is handed out with every event (``event.cursor``) and by the feed when it ends
(``feed.cursor``). Platforms store ``cursor.dumps()`` (a short ASCII string; see
docs/changes.md for its size) and pass it back as ``crm.changes(since=...)``.

Per entity it holds the polling position (``updated_at`` and id of the last record reported,
keyset order), the ids seen so far (for finding deletions by comparing id sets) and when they
were last compared, and the vendor log position where a change log is read. Cursors of
successive events share their id sets: adding one id is O(1) (:class:`IdSet`), so a feed of
n events over m known ids costs O(n + m) memory, not O(n * m).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import zlib
from collections.abc import Iterable, Mapping
from typing import Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.model import EntityKind, FrozenMap

PREFIX = "uc1."

#: How an id sorts in keyset order: numeric ids by value, others after them by text.
IdKey = tuple[int, int, str]
#: Sorts after every id (a position "at the end of an instant").
END: IdKey = (2, 0, "")


def id_key(record_id: str) -> IdKey:
    """The keyset sort key of an id (``"9" < "10"``; non-numeric ids after numeric ones)."""
    if record_id.isascii() and record_id.isdigit():
        return (0, len(record_id.lstrip("0")), record_id.lstrip("0"))
    return (1, 0, record_id)


class IdSet:
    """An immutable set of ids that grows and shrinks in O(1) by sharing its base.

    Written here rather than taken from a library: a persistent set with cheap single-element
    updates and one materialisation is all the feed needs, and ten lines do it.
    """

    __slots__ = ("_base", "_cache", "_change", "_parent")

    def __init__(
        self,
        base: Iterable[str] = (),
        *,
        parent: IdSet | None = None,
        change: tuple[bool, str] | None = None,
    ) -> None:
        self._base = frozenset(base) if parent is None else frozenset()
        self._parent = parent
        self._change = change
        self._cache: frozenset[str] | None = self._base if parent is None else None

    def add(self, record_id: str) -> IdSet:
        """This set plus ``record_id``."""
        return IdSet(parent=self, change=(True, record_id))

    def discard(self, record_id: str) -> IdSet:
        """This set without ``record_id``."""
        return IdSet(parent=self, change=(False, record_id))

    def frozen(self) -> frozenset[str]:
        """The ids as a frozenset (computed once per set; walks the changes since a base)."""
        if self._cache is not None:
            return self._cache
        changes: list[tuple[bool, str]] = []
        node: IdSet | None = self
        while node is not None and node._cache is None:
            assert node._change is not None
            changes.append(node._change)
            node = node._parent
        ids = set(node._cache if node is not None and node._cache is not None else ())
        for added, record_id in reversed(changes):
            (ids.add if added else ids.discard)(record_id)
        self._cache = frozenset(ids)
        return self._cache

    def __len__(self) -> int:
        return len(self.frozen())

    def __eq__(self, other: object) -> bool:
        return isinstance(other, IdSet) and self.frozen() == other.frozen()

    def __hash__(self) -> int:
        return hash(self.frozen())

    def __repr__(self) -> str:
        return f"IdSet({len(self)} ids)"


@attrs.frozen
class EntityState:
    """Where the feed stands for one entity.

    ``mode`` is ``poll`` (modification-time polling, id scans for deletions), ``log`` (the
    vendor change log from ``log``) or ``snapshot`` (a first full read by polling, after which
    the log is read from ``log``, the head taken before the read began).
    ``time``/``last_id``: the last record reported, in (updated_at, id) order; ``last_id``
    None means every record of that instant was reported. ``seen``: ids reported and not
    deleted (None: deletions are not looked for). ``scanned_at``: the last id comparison.
    """

    mode: str = "poll"
    time: dt.datetime | None = None
    last_id: str | None = None
    seen: IdSet | None = None
    scanned_at: dt.datetime | None = None
    log: str | None = None

    def position(self) -> tuple[dt.datetime, IdKey] | None:
        """The keyset position, or None before the first record."""
        if self.time is None:
            return None
        return (self.time, END if self.last_id is None else id_key(self.last_id))

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"m": self.mode}
        if self.time is not None:
            data["t"] = self.time.isoformat()
        if self.last_id is not None:
            data["i"] = self.last_id
        if self.seen is not None:
            data["s"] = sorted(self.seen.frozen(), key=id_key)
        if self.scanned_at is not None:
            data["sa"] = self.scanned_at.isoformat()
        if self.log is not None:
            data["l"] = self.log
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> EntityState:
        seen = data.get("s")
        return cls(
            mode=str(data.get("m", "poll")),
            time=_time(data.get("t")),
            last_id=None if data.get("i") is None else str(data["i"]),
            seen=None if seen is None else IdSet(str(i) for i in seen),
            scanned_at=_time(data.get("sa")),
            log=None if data.get("l") is None else str(data["l"]),
        )


def _time(value: Any) -> dt.datetime | None:
    if value is None:
        return None
    parsed = dt.datetime.fromisoformat(str(value))
    if parsed.tzinfo is None:
        raise ValueError("cursor times are timezone-aware")
    return parsed


@attrs.frozen
class ChangeCursor:
    """Where a change feed stands, per entity. Opaque: store :meth:`dumps`, pass it back."""

    entities: FrozenMap[EntityState] = attrs.field(factory=FrozenMap)

    def state(self, entity: EntityKind) -> EntityState | None:
        """The state of ``entity`` (None: the feed has not reported it yet)."""
        return self.entities.get(str(entity))

    def with_state(self, entity: EntityKind, state: EntityState) -> ChangeCursor:
        """This cursor with ``entity`` at ``state``."""
        return ChangeCursor(FrozenMap({**self.entities, str(entity): state}))

    def dumps(self) -> str:
        """The cursor as a short ASCII string (``uc1.`` + compressed JSON, base64url)."""
        data = {"v": 1, "e": {k: s.to_json() for k, s in sorted(self.entities.items())}}
        raw = json.dumps(data, separators=(",", ":"), ensure_ascii=True).encode()
        return PREFIX + base64.urlsafe_b64encode(zlib.compress(raw, 9)).decode().rstrip("=")

    @classmethod
    def loads(cls, text: str) -> ChangeCursor:
        """Read a string from :meth:`dumps`; ConfigurationError when it is not one."""
        if not isinstance(text, str) or not text.startswith(PREFIX):
            raise ConfigurationError(f"not a unicrm change cursor (it starts with {PREFIX!r})")
        body = text[len(PREFIX) :]
        try:
            raw = zlib.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
            data = json.loads(raw)
            states = {str(EntityKind(k)): EntityState.from_json(v) for k, v in data["e"].items()}
        except (ValueError, KeyError, TypeError, AttributeError, zlib.error) as exc:
            raise ConfigurationError(f"a damaged unicrm change cursor: {exc}") from None
        if data.get("v") != 1:
            raise ConfigurationError(f"unknown change cursor version {data.get('v')!r}")
        return cls(FrozenMap(states))

    @classmethod
    def coerce(cls, value: ChangeCursor | str | None) -> ChangeCursor:
        """``since=`` as a cursor: None is the beginning; strings are :meth:`loads`-ed."""
        if value is None:
            return cls()
        if isinstance(value, ChangeCursor):
            return value
        return cls.loads(value)

    def __str__(self) -> str:
        return self.dumps()

    def __repr__(self) -> str:
        parts = ", ".join(
            f"{k}: {s.mode}@{s.time.isoformat() if s.time else '-'}"
            for k, s in sorted(self.entities.items())
        )
        return f"<ChangeCursor {parts or 'beginning'}>"


__all__ = ["END", "ChangeCursor", "EntityState", "IdKey", "IdSet", "id_key"]
