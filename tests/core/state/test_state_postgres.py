"""State URLs, the driver guard, advisory-lock keys, and versioned schema upgrades."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from unicrm.errors import ConfigurationError
from unicrm.state.postgres import PostgresURL, connect, driver, is_postgres_url, lock_key
from unicrm.state.schema import Migration, current_version, latest, upgrade


def test_urls_are_told_from_paths() -> None:
    assert is_postgres_url("postgresql://h/db") and is_postgres_url("POSTGRES://h/db")
    assert not is_postgres_url("postgresql.db") and not is_postgres_url("run.db")
    assert not is_postgres_url(Path("postgresql://x")) and not is_postgres_url("sqlite:///x")


def test_unicrm_parameters_are_taken_off_and_libpq_ones_kept() -> None:
    url = PostgresURL.parse(
        "postgresql://bob:pw-secret@db.local:5433/app?sslmode=disable&schema=tenant_7&ledger=acme",
        own=("ledger",),
    )
    assert url.schema == "tenant_7" and url.params == {"ledger": "acme"}
    assert url.conninfo == "postgresql://bob:pw-secret@db.local:5433/app?sslmode=disable"
    assert "pw-secret" not in url.shown and "pw-secret" not in repr(url)
    assert url.name("ledger", "default") == "acme" and url.name("token", "default") == "default"
    plain = PostgresURL.parse("postgresql://h/db")
    assert plain.schema == "unicrm" and plain.conninfo == "postgresql://h/db"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("postgresql://h/db?schema=Upper", "not a plain PostgreSQL name"),
        ("postgresql://h/db?schema=a;b", "not a plain PostgreSQL name"),
        ("postgresql://h/db?schema=a&schema=b", "given twice"),
        ("postgresql://h/db?ledger=bad name", "ledger="),
        ("run.db", "not a PostgreSQL URL"),
    ],
)
def test_bad_urls_are_configuration_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message):
        PostgresURL.parse(url, own=("ledger",)).name("ledger", "default")


def test_a_missing_driver_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    with pytest.raises(ConfigurationError, match=r"pip install 'unicrm\[postgres\]'"):
        driver()


def test_lock_keys_are_the_same_in_every_process() -> None:
    key = lock_key("token", "unicrm", "acct-1")
    script = (
        "from unicrm.state.postgres import lock_key; print(*lock_key('token', 'unicrm', 'acct-1'))"
    )
    other = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert tuple(map(int, other.stdout.split())) == key
    assert all(-(2**31) <= part < 2**31 for part in key)
    assert lock_key("token", "unicrm", "acct-2") != key


STEPS = (
    Migration(1, "a table", ("CREATE TABLE things (id INTEGER PRIMARY KEY)",)),
    Migration(
        2,
        "a column, then a mistake",
        ("ALTER TABLE things ADD COLUMN name TEXT", "ALTER TABLE nowhere ADD COLUMN x INT"),
    ),
)


def test_a_failed_upgrade_leaves_the_old_version_whole(pg_schema_url: str) -> None:
    url = PostgresURL.parse(pg_schema_url)
    with connect(url, "test") as db:
        assert upgrade(db, url.schema, "things", STEPS, target=1) == 1
        db.execute("INSERT INTO things VALUES (1)")
        with pytest.raises(Exception, match="nowhere"):
            upgrade(db, url.schema, "things", STEPS)
        assert current_version(db, "things") == 1
        columns = db.execute(
            "SELECT column_name FROM information_schema.columns "
            "WHERE table_schema = %s AND table_name = 'things'",
            (url.schema,),
        ).fetchall()
        assert columns == [("id",)]  # step 2's first statement was rolled back with it
        assert db.execute("SELECT id FROM things").fetchall() == [(1,)]


def test_migrations_must_be_numbered_in_order() -> None:
    assert latest(STEPS) == 2
    with pytest.raises(ValueError, match="numbered"):
        latest((STEPS[1], STEPS[0]))
