"""Rate budgets in PostgreSQL: one bucket per key, shared by every process and machine.

Each :meth:`PostgresBudgetStore.apply` is one short transaction: lock the key's row
(``SELECT ... FOR UPDATE``; a new key is inserted full first), read the *database's* clock
(after the lock, so decisions on one key are made in lock order on one clock, whatever the
machines' own clocks say), run the pure step of :mod:`unicrm.state.budget` and write the new
state. Workers on any number of machines therefore share a portal's budget exactly; the row
lock is held for a few round trips, far shorter than any vendor's interval between requests.

Rows live in ``budgets`` (component ``budgets``, version 1). Select the store by URL:
``postgresql://host/db?schema=unicrm``.
"""

from __future__ import annotations

import threading

from unicrm.state.budget import BucketRule, BucketState, BudgetStore, Outcome, Step
from unicrm.state.postgres import PostgresURL, state_errors
from unicrm.state.schema import Migration, open_component

COMPONENT = "budgets"
MIGRATIONS = (
    Migration(
        1,
        "token buckets by key",
        (
            """
            CREATE TABLE budgets (
                key TEXT PRIMARY KEY,
                tokens DOUBLE PRECISION NOT NULL,
                stamp DOUBLE PRECISION NOT NULL,
                paused_until DOUBLE PRECISION NOT NULL DEFAULT 0,
                updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
        ),
    ),
)
CLOCK = "SELECT extract(epoch FROM clock_timestamp())::float8"
LOCK_ROW = "SELECT tokens, stamp, paused_until FROM budgets WHERE key = %s FOR UPDATE"


class PostgresBudgetStore(BudgetStore):
    """Buckets in a PostgreSQL schema; one connection, serialised by a lock."""

    def __init__(self, url: str) -> None:
        self.url = PostgresURL.parse(url)
        self._guard = threading.Lock()
        self._db = open_component(self.url, "budget store", COMPONENT, MIGRATIONS)

    def apply(self, key: str, rule: BucketRule, step: Step) -> Outcome:
        with self._guard, state_errors(self.url, "budget store"), self._db.transaction():
            row = self._db.execute(LOCK_ROW, (key,)).fetchone()
            if row is None:
                self._db.execute(
                    "INSERT INTO budgets (key, tokens, stamp) "
                    f"VALUES (%s, %s, ({CLOCK})) ON CONFLICT (key) DO NOTHING",
                    (key, rule.burst),
                )
                row = self._db.execute(LOCK_ROW, (key,)).fetchone()
            clock = self._db.execute(CLOCK).fetchone()
            assert row is not None and clock is not None
            now = float(clock[0])
            state, wait = step(BucketState(*row), rule, now)
            self._db.execute(
                "UPDATE budgets SET tokens = %s, stamp = %s, paused_until = %s, "
                "updated_at = now() WHERE key = %s",
                (state.tokens, state.stamp, state.paused_until, key),
            )
            return Outcome(wait, now)

    def close(self) -> None:
        with self._guard:
            self._db.close()

    def __repr__(self) -> str:
        return f"PostgresBudgetStore({self.url.shown!r})"


__all__ = ["MIGRATIONS", "PostgresBudgetStore"]
