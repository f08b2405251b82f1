"""unicrm.state's public names are pinned (plugins import them from the package only), and
importing it does not import the PostgreSQL driver."""

from __future__ import annotations

import subprocess
import sys

import unicrm.state

PUBLIC = [
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


def test_state_all_is_pinned_and_resolves() -> None:
    assert unicrm.state.__all__ == PUBLIC
    for name in PUBLIC:
        assert hasattr(unicrm.state, name), name


def test_importing_the_state_package_leaves_the_driver_alone() -> None:
    script = (
        "import sys, unicrm.state, unicrm.migrate, unicrm.transport.tokens_postgres; "
        "print('psycopg' in sys.modules)"
    )
    found = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert found.stdout.strip() == "False"
