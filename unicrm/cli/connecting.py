"""Opening CRMs for the CLI: URL + config-file options -> :class:`unicrm.AsyncCRM`."""

from __future__ import annotations

from typing import Any

from unicrm.cli.config import options_for
from unicrm.connect import connect_async, find_adapter
from unicrm.crm import AsyncCRM


def open_crm(url: str, **extra: Any) -> AsyncCRM:
    """Connect to ``url`` with options from the config file (and ``extra`` for tests)."""
    spec = find_adapter(url)
    options = options_for(url, spec.name)
    options.update(extra)
    return connect_async(url, **options)
