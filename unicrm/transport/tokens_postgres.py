"""OAuth token pairs in PostgreSQL: one store shared by every process on every machine.

Implements what :class:`~unicrm.transport.tokens.FileTokenStore` does, for many machines:
``load``/``save`` (atomic: one upsert, committed before ``save`` returns) and a cross-process
``lock()``/``async_lock()``. :class:`~unicrm.transport.auth.TokenRefresher` holds that lock
while it re-reads the pair, calls the vendor only if nobody rotated the pair meanwhile, and
saves the new pair before anyone uses it; so every process and machine sharing the store
refreshes exactly once per expiry, which is what single-use refresh tokens (amoCRM) demand.

The lock is a PostgreSQL session advisory lock on a connection of its own, keyed on the schema
and the pair's name. A holder that dies (SIGKILL, lost machine) loses its session and with it
the lock, so nobody waits for a dead refresher; ``lock_timeout`` bounds the wait for a live
one that hangs. Rows live in ``token_pairs`` (versioned as component ``tokens``); the
generation counts saves, so operators (and tests) can see how many refreshes happened.

Select it by URL: ``postgresql://host/db?schema=unicrm&token=NAME`` (or ``name=`` in the
constructor), e.g. one name per amoCRM account and integration. The pair is stored as JSON in
clear text, like the file store's: whoever can read the table can use the tokens.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
from collections.abc import AsyncIterator, Iterator

from unicrm.errors import AuthError
from unicrm.state.postgres import (
    CONNECT_TIMEOUT,
    PostgresURL,
    connect,
    driver,
    is_postgres_url,
    lock_key,
    state_errors,
)
from unicrm.state.schema import Migration, open_component
from unicrm.transport.tokens import FileTokenStore, TokenPair, TokenStore

COMPONENT = "tokens"
DEFAULT_NAME = "default"
MIGRATIONS = (
    Migration(
        1,
        "token pairs by name",
        (
            """
            CREATE TABLE token_pairs (
                name TEXT PRIMARY KEY,
                pair TEXT NOT NULL,
                generation BIGINT NOT NULL DEFAULT 1,
                saved_at TIMESTAMPTZ NOT NULL DEFAULT now()
            )
            """,
        ),
    ),
)
# the lock session notices a vanished client within this while it waits (PostgreSQL >= 14;
# older servers lack the setting and are left as they are)
CLIENT_CHECK = (
    "SELECT set_config(name, '2s', false) FROM pg_settings "
    "WHERE name = 'client_connection_check_interval'"
)


class PostgresTokenStore:
    """The token pair ``name`` in a PostgreSQL schema, with a cross-machine refresh lock."""

    def __init__(self, url: str, name: str | None = None, *, lock_timeout: float = 120.0) -> None:
        self.url = PostgresURL.parse(url, own=("token",))
        self.name = name or self.url.name("token", DEFAULT_NAME)
        self.lock_timeout = lock_timeout
        self._key = lock_key("token", self.url.schema, self.name)
        self._guard = threading.Lock()
        self._db = open_component(self.url, "token store", COMPONENT, MIGRATIONS)

    def load(self) -> TokenPair | None:
        with self._guard, state_errors(self.url, "token store"):
            row = self._db.execute(
                "SELECT pair FROM token_pairs WHERE name = %s", (self.name,)
            ).fetchone()
        return TokenPair.from_json(json.loads(row[0])) if row else None

    def save(self, pair: TokenPair) -> None:
        """Store ``pair``: one upsert, committed (durable) before this returns."""
        with self._guard, state_errors(self.url, "token store"):
            self._db.execute(
                "INSERT INTO token_pairs (name, pair) VALUES (%s, %s) ON CONFLICT (name) DO UPDATE "
                "SET pair = excluded.pair, generation = token_pairs.generation + 1, "
                "saved_at = now()",
                (self.name, json.dumps(pair.to_json())),
            )

    def generation(self) -> int:
        """How many times the pair was saved (0: never): the first pair, then each refresh."""
        with self._guard, state_errors(self.url, "token store"):
            row = self._db.execute(
                "SELECT generation FROM token_pairs WHERE name = %s", (self.name,)
            ).fetchone()
        return int(row[0]) if row else 0

    def _timeout_sql(self) -> str:
        return f"SET lock_timeout = '{int(self.lock_timeout * 1000)}ms'"

    def _held_too_long(self) -> AuthError:
        return AuthError(
            f"the token refresh lock for {self.name!r} at {self.url.shown} stayed taken for "
            f"{self.lock_timeout:g} s: another process is stuck refreshing"
        )

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the cross-machine refresh lock (blocking)."""
        pg = driver()
        holder = connect(self.url, "token lock")
        try:
            with state_errors(self.url, "token lock"):
                holder.execute(CLIENT_CHECK)
                holder.execute(self._timeout_sql())
                try:
                    holder.execute("SELECT pg_advisory_lock(%s, %s)", self._key)
                except pg.errors.LockNotAvailable:
                    raise self._held_too_long() from None
            yield
        finally:
            holder.close()  # ends the session: the lock goes with it

    @contextlib.asynccontextmanager
    async def async_lock(self) -> AsyncIterator[None]:
        """Hold the cross-machine refresh lock without blocking the event loop while waiting."""
        pg = driver()
        with state_errors(self.url, "token lock"):
            holder = await pg.AsyncConnection.connect(
                self.url.conninfo,
                autocommit=True,
                connect_timeout=CONNECT_TIMEOUT,
                application_name="unicrm token lock",
            )
        try:
            with state_errors(self.url, "token lock"):
                await holder.execute(CLIENT_CHECK)
                await holder.execute(self._timeout_sql())
                try:
                    await holder.execute("SELECT pg_advisory_lock(%s, %s)", self._key)
                except pg.errors.LockNotAvailable:
                    raise self._held_too_long() from None
            yield
        finally:
            await holder.close()

    def close(self) -> None:
        with self._guard:
            self._db.close()

    def __repr__(self) -> str:
        return f"PostgresTokenStore({self.url.shown!r}, {self.name!r})"


def open_token_store(location: str | os.PathLike[str], name: str | None = None) -> TokenStore:
    """The token store ``location`` names: a ``postgresql://`` URL (pair ``name``, or the URL's
    ``token=``) or a JSON file path (:class:`~unicrm.transport.tokens.FileTokenStore`)."""
    if is_postgres_url(location):
        return PostgresTokenStore(str(location), name)
    return FileTokenStore(location)


__all__ = ["PostgresTokenStore", "open_token_store"]
