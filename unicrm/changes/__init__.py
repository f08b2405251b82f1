"""The change feed: one stream of created / updated / deleted events per connection.

``crm.changes(since=cursor, entities=...)`` (sync and async) yields :class:`ChangeEvent`s
from the best source each vendor has - its change log where the adapter reads one, otherwise
polling on the modification time plus an id-set comparison for deletions - and every event
carries the :class:`ChangeCursor` that resumes right after it. Webhooks arrive through
:mod:`unicrm.webhooks` as the same events. See docs/changes.md.
"""

from __future__ import annotations

from unicrm.changes.cursor import ChangeCursor
from unicrm.changes.events import ChangeEvent, ChangeKind, ChangeSource
from unicrm.changes.feed import AsyncChangeFeed, ChangeFeed
from unicrm.changes.options import ChangeOptions

__all__ = [
    "AsyncChangeFeed",
    "ChangeCursor",
    "ChangeEvent",
    "ChangeFeed",
    "ChangeKind",
    "ChangeOptions",
    "ChangeSource",
]
