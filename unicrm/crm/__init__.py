"""The public CRM objects, async and sync."""

from __future__ import annotations

from unicrm.crm.asynchronous import AsyncCollection, AsyncCRM
from unicrm.crm.query import AsyncQuery
from unicrm.crm.sync import CRM, Collection, Query

__all__ = ["CRM", "AsyncCRM", "AsyncCollection", "AsyncQuery", "Collection", "Query"]
