"""The adapter contract and what adapters declare: the public API for plugin authors."""

from __future__ import annotations

from unicrm.adapter.base import Adapter, WriteResult
from unicrm.adapter.capabilities import (
    CUSTOM_FIELDS,
    BooleanSupport,
    Capabilities,
    FilterTable,
    Pushdown,
    filter_table,
)
from unicrm.adapter.changelog import CHANGE_KINDS, ChangeLogEntry
from unicrm.adapter.request import VendorRequest
from unicrm.query.nodes import OrderKey

__all__ = [
    "CHANGE_KINDS",
    "CUSTOM_FIELDS",
    "Adapter",
    "BooleanSupport",
    "Capabilities",
    "ChangeLogEntry",
    "FilterTable",
    "OrderKey",
    "Pushdown",
    "VendorRequest",
    "WriteResult",
    "filter_table",
]
