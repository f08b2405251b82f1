"""Shared state for scaled-out runs: PostgreSQL stores behind the interfaces SQLite and files
serve on one machine.

What lives here is vendor-neutral plumbing: state URLs and connections
(:mod:`~unicrm.state.postgres`), versioned schemas (:mod:`~unicrm.state.schema`), and the
budget store that rate limiters share across processes (:mod:`~unicrm.state.budget`,
:mod:`~unicrm.state.budget_postgres`). The stores that use it sit next to what they serve:
the ledger in :mod:`unicrm.migrate`, the token store in :mod:`unicrm.transport`. Vendor plugins
import these names from this package (never its modules). psycopg is imported only when a
PostgreSQL store is opened.
"""

from __future__ import annotations

from unicrm.state.budget import (
    BucketRule,
    BucketState,
    BudgetStore,
    MemoryBudgetStore,
    Outcome,
    SharedBucket,
)
from unicrm.state.budget_postgres import PostgresBudgetStore
from unicrm.state.postgres import DEFAULT_SCHEMA, PostgresURL, is_postgres_url
from unicrm.state.schema import Migration

__all__ = [
    "DEFAULT_SCHEMA",
    "BucketRule",
    "BucketState",
    "BudgetStore",
    "MemoryBudgetStore",
    "Migration",
    "Outcome",
    "PostgresBudgetStore",
    "PostgresURL",
    "SharedBucket",
    "is_postgres_url",
]
