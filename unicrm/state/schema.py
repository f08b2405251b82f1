"""Versioned schemas: each store's tables are created and upgraded by ordered migrations.

One table, ``schema_version``, holds a row per component (``ledger``, ``tokens``, ``budgets``)
with the version its tables are at. Opening a store runs :func:`upgrade`: a fast read when the
schema is current; otherwise, under a transaction-scoped advisory lock (so twenty workers
starting at once upgrade once and the rest wait, then see the new version), every missing
migration runs in order inside one transaction (PostgreSQL DDL is transactional: an upgrade
that fails leaves the old version whole). A database newer than the code is refused rather
than guessed at.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import attrs

from unicrm.errors import ConfigurationError
from unicrm.state.postgres import PostgresURL, connect, driver, lock_key, state_errors

if TYPE_CHECKING:
    import psycopg

VERSION_TABLE = """
CREATE TABLE IF NOT EXISTS schema_version (
    component TEXT PRIMARY KEY,
    version INTEGER NOT NULL,
    upgraded_at TIMESTAMPTZ NOT NULL DEFAULT now()
)
"""


@attrs.frozen
class Migration:
    """One step of a component's schema: ``version`` (1, 2, ...) and the statements to run."""

    version: int
    summary: str
    statements: tuple[str, ...]


def latest(migrations: Sequence[Migration]) -> int:
    """The version the code expects (checking the steps are numbered 1, 2, ... in order)."""
    numbers = [m.version for m in migrations]
    if numbers != list(range(1, len(numbers) + 1)):
        raise ValueError(f"migrations must be numbered 1..n in order, got {numbers}")
    return len(numbers)


def current_version(connection: psycopg.Connection[tuple[Any, ...]], component: str) -> int:
    """The version ``component`` is at in the connection's schema (0: not created yet)."""
    row = connection.execute(
        "SELECT version FROM schema_version WHERE component = %s", (component,)
    ).fetchone()
    return int(row[0]) if row else 0


def upgrade(
    connection: psycopg.Connection[tuple[Any, ...]],
    schema: str,
    component: str,
    migrations: Sequence[Migration],
    *,
    target: int | None = None,
) -> int:
    """Bring ``component`` in ``schema`` up to ``target`` (default: the latest); return it.

    ``connection`` must be in autocommit mode with ``search_path`` set to ``schema``.
    """
    pg = driver()
    goal = latest(migrations) if target is None else target
    try:
        if current_version(connection, component) == goal:
            return goal
    except pg.errors.UndefinedTable:
        pass  # a new schema: created below
    with connection.transaction():
        connection.execute("SELECT pg_advisory_xact_lock(%s, %s)", lock_key("schema", schema))
        connection.execute(
            pg.sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(pg.sql.Identifier(schema))
        )
        connection.execute(VERSION_TABLE)
        found = current_version(connection, component)
        if found > latest(migrations):
            raise ConfigurationError(
                f"the {component} tables in schema {schema} are at version {found}, newer than "
                f"this unicrm knows ({latest(migrations)}): upgrade unicrm"
            )
        for migration in migrations[found:goal]:
            for statement in migration.statements:
                connection.execute(statement)
        if goal > found:
            connection.execute(
                "INSERT INTO schema_version (component, version) VALUES (%s, %s) "
                "ON CONFLICT (component) DO UPDATE "
                "SET version = excluded.version, upgraded_at = now()",
                (component, goal),
            )
        return max(found, goal)


def open_component(
    url: PostgresURL, purpose: str, component: str, migrations: Sequence[Migration]
) -> psycopg.Connection[tuple[Any, ...]]:
    """A connection to ``url``'s schema with ``component``'s tables created or upgraded (the
    connection is closed again if that fails)."""
    connection = connect(url, purpose)
    try:
        with state_errors(url, purpose):
            upgrade(connection, url.schema, component, migrations)
    except BaseException:
        connection.close()
        raise
    return connection


__all__ = ["Migration", "current_version", "latest", "open_component", "upgrade"]
