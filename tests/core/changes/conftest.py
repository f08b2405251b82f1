"""Shared pieces of the change-feed tests: a clock the tests move, a memory CRM on it, and a
replica that applies events the way a platform would."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from typing import Any

import pytest

import unicrm
from unicrm import ChangeEvent, ChangeKind
from unicrm_memory.store import MemoryStore

START = dt.datetime(2024, 3, 1, 12, 0, 0, tzinfo=dt.timezone.utc)


class Time:
    """A clock for both the store (record timestamps) and the feed (``now - lag``)."""

    def __init__(self, start: dt.datetime = START) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, seconds: float = 1.0) -> dt.datetime:
        self.now += dt.timedelta(seconds=seconds)
        return self.now


class Replica:
    """What a platform keeps: records by (entity, id), updated from events."""

    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Any] = {}

    def apply(self, events: Iterable[ChangeEvent]) -> list[ChangeEvent]:
        seen = list(events)
        for event in seen:
            key = (str(event.entity), event.record_id)
            if event.kind is ChangeKind.DELETED:
                self.records.pop(key, None)
            else:
                assert event.record is not None, event
                self.records[key] = event.record
        return seen


def truth(crm: unicrm.CRM, entities: Iterable[str] = ("lead", "contact")) -> dict[Any, Any]:
    """Every record of ``entities`` as a fresh full read sees it."""
    return {(e, r.id): r for e in entities for r in crm.collection(e).all()}


@pytest.fixture
def time() -> Time:
    return Time()


@pytest.fixture
def crm(time: Time) -> Iterator[unicrm.CRM]:
    with unicrm.connect("memory://?pushdown=basic", store=MemoryStore(clock=time)) as client:
        yield client
